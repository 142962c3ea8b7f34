package dev.tether;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The immutable configuration of a {@link Node}. Build one with {@link #builder()}; derive a variant with
 * {@link #toBuilder()}. Only the builder creates configurations, so a new setting never breaks a caller.
 *
 * <pre>{@code
 * NodeConfig config = NodeConfig.builder()
 *         .onMessage((peer, payload, sentAt) -> process(payload))
 *         .onEvent(event -> log.info("{}", event))
 *         .hello("subscribe:prices".getBytes(UTF_8))
 *         .backlogLimits(BacklogLimits.of(100_000, 32 << 20))
 *         .build();
 * }</pre>
 *
 * <p>Each setting is documented, with its default and unit, on its {@link Builder} method; each builder method
 * checks its value when called and throws {@link NullPointerException} or {@link IllegalArgumentException}
 * naming the setting; {@link Builder#build()} checks the rules that involve more than one setting. Two
 * configurations are equal when every setting is: the hello by content, the handler, listener and TLS
 * settings by their own {@code equals} (for lambdas: the same instance).
 */
public final class NodeConfig {

    /** The default {@link #maxFrameSize()}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 16 << 20;

    /** The default {@link #highWaterMark()}: 1 MiB. */
    public static final long DEFAULT_HIGH_WATER_MARK = 1 << 20;

    private static final int MAX_FRAME_SIZE_LIMIT = Integer.MAX_VALUE - 64; // room for the header within a Java array
    private static final int FRAME_HEADER_BYTES = 12;
    private static final long MAX_DEFAULT_INBOUND_MEMORY_BUDGET = 1L << 30;

    private final Builder s; // a private, frozen copy: the one list of the settings

    private NodeConfig(Builder frozen) {
        this.s = frozen;
    }

    /**
     * A builder with every default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this configuration, to derive a variant.
     *
     * @return a new builder with these settings
     */
    public Builder toBuilder() {
        return new Builder(s);
    }

    /**
     * Names the node's threads ({@code <name>-writer-7}) and log lines (default: see {@link Builder}).
     *
     * @return the value
     */
    public String name() {
        return s.name;
    }

    /**
     * Receives every frame, on reader threads (default: see {@link Builder}).
     *
     * @return the value
     */
    public MessageHandler messageHandler() {
        return s.messageHandler;
    }

    /**
     * The handler that also gets each frame's stream and sequence number, if one was set instead of {@link #messageHandler()}.
     *
     * @return the value
     */
    public Optional<SequencedMessageHandler> sequencedMessageHandler() {
        return Optional.ofNullable(s.sequencedMessageHandler);
    }

    /**
     * Where the application says a stream not remembered resumes (acknowledged mode), if set.
     *
     * @return the value
     */
    public Optional<ResumePositions> resumePositions() {
        return Optional.ofNullable(s.resumePositions);
    }

    /**
     * Receives lifecycle events (default: see {@link Builder}).
     *
     * @return the value
     */
    public NodeEventListener eventListener() {
        return s.eventListener;
    }

    /**
     * How long one TCP connect attempt may take (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration connectTimeout() {
        return s.connectTimeout;
    }

    /**
     * The delay before the first retry after a failure or a drop (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration reconnectInitialBackoff() {
        return s.reconnectInitialBackoff;
    }

    /**
     * The cap on the reconnect delay, which doubles on each failed attempt (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration reconnectMaxBackoff() {
        return s.reconnectMaxBackoff;
    }

    /**
     * The random share, 0 to 1, taken off each reconnect delay (default: see {@link Builder}).
     *
     * @return the value
     */
    public double reconnectJitter() {
        return s.reconnectJitter;
    }

    /**
     * The largest payload sent or accepted, in bytes; a peer declaring more is disconnected (default: see {@link Builder}).
     *
     * @return the value
     */
    public int maxFrameSize() {
        return s.maxFrameSize;
    }

    /**
     * TCP_NODELAY on every socket (default: see {@link Builder}).
     *
     * @return the value
     */
    public boolean tcpNoDelay() {
        return s.tcpNoDelay;
    }

    /**
     * SO_KEEPALIVE on every socket (default: see {@link Builder}).
     *
     * @return the value
     */
    public boolean keepAlive() {
        return s.keepAlive;
    }

    /**
     * SO_SNDBUF in bytes, or empty for the operating system's default (default: see {@link Builder}).
     *
     * @return the value
     */
    public OptionalInt sendBufferSize() {
        return s.sendBufferSize;
    }

    /**
     * SO_RCVBUF in bytes, or empty for the operating system's default (default: see {@link Builder}).
     *
     * @return the value
     */
    public OptionalInt receiveBufferSize() {
        return s.receiveBufferSize;
    }

    /**
     * The bound on each peer's backlog (default: see {@link Builder}).
     *
     * @return the value
     */
    public BacklogLimits backlogLimits() {
        return s.backlogLimits;
    }

    /**
     * How long a connected peer may stay at its bound before it is cut as a slow consumer (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration overflowTimeout() {
        return s.overflowTimeout;
    }

    /**
     * What an outbound peer does with its backlog while down (default: see {@link Builder}).
     *
     * @return the value
     */
    public DisconnectPolicy disconnectPolicy() {
        return s.disconnectPolicy;
    }

    /**
     * The age past which a queued frame is dropped instead of written, if any (default: see {@link Builder}).
     *
     * @return the value
     */
    public Optional<Duration> maxAge() {
        return Optional.ofNullable(s.maxAge);
    }

    /**
     * What a full backlog does with a new frame (default: see {@link Builder}).
     *
     * @return the value
     */
    public OverflowPolicy overflowPolicy() {
        return s.overflowPolicy;
    }

    /**
     * Queued bytes past which a send or broadcast that waits for room waits for a connected peer's writer
     * (default: see {@link Builder}); 0 if they wait only at the bound.
     *
     * @return the value
     */
    public long highWaterMark() {
        return s.highWaterMark;
    }

    /**
     * How long {@link Node#close()} flushes before it closes sockets (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration drainTimeout() {
        return s.drainTimeout;
    }

    /**
     * How long the TLS and acknowledged-mode handshakes may take, and in plain mode how long a listener may
     * take to read an outbound connection's first bytes (the markers and the hello) (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration handshakeTimeout() {
        return s.handshakeTimeout;
    }

    /**
     * Plain or acknowledged delivery (default: see {@link Builder}).
     *
     * @return the value
     */
    public Delivery delivery() {
        return s.delivery;
    }

    /**
     * Acknowledged mode: acknowledge after at most this many frames (default: see {@link Builder}).
     *
     * @return the value
     */
    public int ackEveryFrames() {
        return s.ackEveryFrames;
    }

    /**
     * Acknowledged mode: acknowledge at most this long after a frame (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration ackInterval() {
        return s.ackInterval;
    }

    /**
     * The least time between two drop reports for one peer (default: see {@link Builder}).
     *
     * @return the value
     */
    public Duration dropReportInterval() {
        return s.dropReportInterval;
    }

    /**
     * TLS settings, or null for plain TCP (default: see {@link Builder}).
     *
     * @return the value
     */
    public TlsConfig tls() {
        return s.tls;
    }

    /**
     * Whether the node registers a {@link NodeMXBean} (default: see {@link Builder}).
     *
     * @return the value
     */
    public boolean jmx() {
        return s.jmx;
    }

    /**
     * The bytes partly received frames may hold over all connections (resolved from its default if unset) (default: see {@link Builder}).
     *
     * @return the value
     */
    public long inboundMemoryBudget() {
        return s.resolvedBudget;
    }

    /**
     * The most inbound peers alive at once (default: see {@link Builder}).
     *
     * @return the value
     */
    public int maxInboundConnections() {
        return s.maxInboundConnections;
    }

    /**
     * The hello payload written first on every outbound connection; a copy.
     *
     * @return the hello, empty if none
     */
    public byte[] hello() {
        return s.hello.clone();
    }

    /**
     * Equal when every setting is equal: the hello by content, handler, listener and TLS settings by
     * {@code equals}.
     *
     * @param o the other object
     * @return true if {@code o} is a configuration with the same settings
     */
    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof NodeConfig c && Arrays.deepEquals(s.values(), c.s.values());
    }

    /**
     * A hash over every setting, consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Arrays.deepHashCode(s.values());
    }

    /**
     * Every setting, readably: durations as {@link Duration} prints them, the hello as its length and a short
     * preview, the handler and listener as {@code custom} or {@code none}.
     *
     * @return a description of this configuration
     */
    @Override
    public String toString() {
        Object[] values = s.values();
        StringBuilder b = new StringBuilder("NodeConfig[");
        for (int i = 0; i < values.length; i++) {
            String name = Builder.NAMES[i];
            b.append(i == 0 ? "" : ", ").append(name).append('=').append(describe(values[i]))
                    .append(name.equals("maxFrameSize") || name.equals("inboundMemoryBudget") ? " bytes" : "");
        }
        return b.append(']').toString();
    }

    private static String describe(Object value) {
        return switch (value) {
            case null -> "none";
            case byte[] hello -> describeHello(hello);
            case MessageHandler h -> h == MessageHandler.DISCARD ? "none" : "custom";
            case SequencedMessageHandler h -> "custom";
            case ResumePositions p -> "custom";
            case NodeEventListener l -> l == NodeEventListener.NONE ? "none" : "custom";
            case OptionalInt size -> size.isPresent() ? size.getAsInt() + " bytes" : "os default";
            case TlsConfig tls -> "on(clientAuth=" + tls.clientAuth() + ", verifyHostname=" + tls.verifyHostname()
                    + ", protocols=" + tls.protocols() + ", cipherSuites=" + tls.cipherSuites() + ")";
            default -> String.valueOf(value);
        };
    }

    /** Length plus the text if it is short printable ASCII, else the first bytes in hex. */
    private static String describeHello(byte[] hello) {
        if (hello.length == 0) {
            return "0 bytes";
        }
        int shown = Math.min(hello.length, 16);
        String more = shown < hello.length ? "..." : "";
        boolean printable = true;
        for (int i = 0; i < shown && printable; i++) {
            printable = hello[i] >= 0x20 && hello[i] < 0x7f && hello[i] != '"';
        }
        String preview = printable
                ? "\"" + new String(hello, 0, shown, StandardCharsets.US_ASCII) + more + "\""
                : "0x" + HexFormat.of().formatHex(hello, 0, shown) + more;
        return hello.length + " bytes " + preview;
    }

    /**
     * Builds a {@link NodeConfig}; each setter checks its own value when called, {@link #build()} checks the
     * rest. Defaults: name {@code "tether"}; no handler or listener; connect timeout 5 s; reconnect backoff
     * 100 ms doubling to 5 s, jitter 0.5; no hello; frames up to 16 MiB; TCP_NODELAY and SO_KEEPALIVE on;
     * the operating system's socket buffers; {@link BacklogLimits#DEFAULT}; overflow timeout 10 s;
     * {@link DisconnectPolicy#KEEP_BACKLOG}; no maximum age; {@link OverflowPolicy#REJECT_NEW}; a high-water mark of 1 MiB; drain timeout
     * 5 s; handshake timeout 10 s; {@link Delivery#PLAIN}; acknowledgements every 8192 frames or 10 ms; drop
     * reports at most every 1 s; plain TCP; no JMX; an inbound memory budget of a quarter of the heap (at most
     * 1 GiB); 10,000 inbound connections.
     */
    public static final class Builder {
        static final String[] NAMES = {
            "name", "messageHandler", "sequencedMessageHandler", "resumePositions", "eventListener", "connectTimeout", "reconnectInitialBackoff",
            "reconnectMaxBackoff", "reconnectJitter", "hello", "maxFrameSize", "tcpNoDelay", "keepAlive",
            "sendBufferSize", "receiveBufferSize", "backlogLimits", "overflowTimeout", "disconnectPolicy", "maxAge",
            "overflowPolicy", "highWaterMark", "drainTimeout", "handshakeTimeout", "delivery", "ackEveryFrames", "ackInterval",
            "dropReportInterval", "tls", "jmx", "inboundMemoryBudget", "maxInboundConnections"};

        private String name = "tether";
        private MessageHandler messageHandler = MessageHandler.DISCARD;
        private SequencedMessageHandler sequencedMessageHandler; // null: messageHandler
        private ResumePositions resumePositions;                 // null: streams not remembered start at 0
        private NodeEventListener eventListener = NodeEventListener.NONE;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration reconnectInitialBackoff = Duration.ofMillis(100);
        private Duration reconnectMaxBackoff = Duration.ofSeconds(5);
        private double reconnectJitter = 0.5;
        private byte[] hello = new byte[0];
        private int maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
        private boolean tcpNoDelay = true;
        private boolean keepAlive = true;
        private OptionalInt sendBufferSize = OptionalInt.empty();
        private OptionalInt receiveBufferSize = OptionalInt.empty();
        private BacklogLimits backlogLimits = BacklogLimits.DEFAULT;
        private Duration overflowTimeout = Duration.ofSeconds(10);
        private DisconnectPolicy disconnectPolicy = DisconnectPolicy.KEEP_BACKLOG;
        private Duration maxAge; // null: none
        private OverflowPolicy overflowPolicy = OverflowPolicy.REJECT_NEW;
        private long highWaterMark = DEFAULT_HIGH_WATER_MARK;
        private Duration drainTimeout = Duration.ofSeconds(5);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Delivery delivery = Delivery.PLAIN;
        private int ackEveryFrames = 8192;
        private Duration ackInterval = Duration.ofMillis(10);
        private Duration dropReportInterval = Duration.ofSeconds(1);
        private TlsConfig tls;
        private boolean jmx;
        private long inboundMemoryBudget; // 0: the default, worked out from the heap and maxFrameSize at build()
        private int maxInboundConnections = 10_000;
        private long resolvedBudget;      // set on the frozen copy only

        private Builder() {
        }

        private Builder(Builder b) {
            name = b.name;
            messageHandler = b.messageHandler;
            eventListener = b.eventListener;
            connectTimeout = b.connectTimeout;
            reconnectInitialBackoff = b.reconnectInitialBackoff;
            reconnectMaxBackoff = b.reconnectMaxBackoff;
            reconnectJitter = b.reconnectJitter;
            maxFrameSize = b.maxFrameSize;
            tcpNoDelay = b.tcpNoDelay;
            keepAlive = b.keepAlive;
            sendBufferSize = b.sendBufferSize;
            receiveBufferSize = b.receiveBufferSize;
            backlogLimits = b.backlogLimits;
            overflowTimeout = b.overflowTimeout;
            disconnectPolicy = b.disconnectPolicy;
            maxAge = b.maxAge;
            overflowPolicy = b.overflowPolicy;
            highWaterMark = b.highWaterMark;
            drainTimeout = b.drainTimeout;
            handshakeTimeout = b.handshakeTimeout;
            delivery = b.delivery;
            ackEveryFrames = b.ackEveryFrames;
            ackInterval = b.ackInterval;
            dropReportInterval = b.dropReportInterval;
            tls = b.tls;
            jmx = b.jmx;
            inboundMemoryBudget = b.inboundMemoryBudget;
            maxInboundConnections = b.maxInboundConnections;
            hello = b.hello.clone();
            sequencedMessageHandler = b.sequencedMessageHandler;
            resumePositions = b.resumePositions;
        }

        /** Every setting, in {@link #NAMES} order, as equals, hashCode and toString see them. */
        private Object[] values() {
            return new Object[] {name, messageHandler, sequencedMessageHandler, resumePositions, eventListener, connectTimeout, reconnectInitialBackoff,
                reconnectMaxBackoff, reconnectJitter, hello, maxFrameSize, tcpNoDelay, keepAlive, sendBufferSize,
                receiveBufferSize, backlogLimits, overflowTimeout, disconnectPolicy, maxAge, overflowPolicy, highWaterMark, drainTimeout,
                handshakeTimeout, delivery, ackEveryFrames, ackInterval, dropReportInterval, tls, jmx, resolvedBudget,
                maxInboundConnections};
        }

        /**
         * Names the node's threads and log lines. Default {@code "tether"}.
         *
         * @param name a short name, such as the service's
         * @return this builder
         * @throws NullPointerException if {@code name} is null
         * @throws IllegalArgumentException if {@code name} is blank
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank; give a short name such as the service's");
            }
            this.name = name;
            return this;
        }

        /**
         * Receives every frame. Default: discard.
         *
         * @param handler the handler, called on reader threads
         * @return this builder
         * @throws NullPointerException if {@code handler} is null
         */
        public Builder onMessage(MessageHandler handler) {
            this.messageHandler = Objects.requireNonNull(handler, "onMessage handler; use MessageHandler.DISCARD for none");
            this.sequencedMessageHandler = null;
            return this;
        }

        /**
         * Receives every frame with, in acknowledged mode, its stream and sequence number, instead of
         * {@link #onMessage(MessageHandler)} (the one set last is used). Default: none.
         *
         * @param handler the handler, called on reader threads
         * @return this builder
         */
        public Builder onSequencedMessage(SequencedMessageHandler handler) {
            this.sequencedMessageHandler = Objects.requireNonNull(handler, "onSequencedMessage handler");
            this.messageHandler = MessageHandler.DISCARD;
            return this;
        }

        /**
         * Acknowledged mode: where a stream this node does not remember (after a restart: every stream)
         * resumes, as the application recorded it with its processing; see {@link ResumePositions}. Default:
         * none, so such a stream resumes at 0 and everything unacknowledged comes again (at-least-once).
         *
         * @param positions the application's positions
         * @return this builder
         */
        public Builder resumeFrom(ResumePositions positions) {
            this.resumePositions = Objects.requireNonNull(positions, "resumeFrom positions");
            return this;
        }

        /**
         * Receives lifecycle events. Default: none.
         *
         * @param listener the listener, called on tether threads; keep it fast
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder onEvent(NodeEventListener listener) {
            this.eventListener = Objects.requireNonNull(listener, "onEvent listener; use NodeEventListener.NONE for none");
            return this;
        }

        /**
         * How long one TCP connect attempt may take. Default 5 s.
         *
         * @param timeout positive
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /**
         * Reconnect backoff: the first retry waits {@code initial}, each further failed attempt doubles it up to
         * {@code max}, and {@code jitter} (0 to 1) takes a random share off each delay. Defaults 100 ms, 5 s, 0.5.
         *
         * @param initial the first delay, positive
         * @param max the cap on the delay, not shorter than {@code initial}
         * @param jitter the random share taken off each delay, 0 to 1
         * @return this builder
         * @throws NullPointerException if a duration is null
         * @throws IllegalArgumentException if a duration is not positive, {@code max} is shorter than
         *     {@code initial}, or {@code jitter} is outside 0 to 1
         */
        public Builder reconnectBackoff(Duration initial, Duration max, double jitter) {
            positive("reconnectInitialBackoff", initial);
            positive("reconnectMaxBackoff", max);
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("reconnectMaxBackoff (" + max
                        + ") must not be shorter than reconnectInitialBackoff (" + initial + "); raise the maximum");
            }
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("reconnectJitter must be between 0 and 1 (a share of each delay), was "
                        + jitter);
            }
            this.reconnectInitialBackoff = initial;
            this.reconnectMaxBackoff = max;
            this.reconnectJitter = jitter;
            return this;
        }

        /**
         * A payload written first on every outbound connection, before the backlog. Never queued, never repeated.
         * Default: none. {@link #build()} checks that it is not longer than {@link #maxFrameSize(int)}.
         *
         * @param payload the hello; copied, so later changes to the array do not change this builder
         * @return this builder
         * @throws NullPointerException if {@code payload} is null
         */
        public Builder hello(byte[] payload) {
            this.hello = Objects.requireNonNull(payload, "hello payload; use new byte[0] for none").clone();
            return this;
        }

        /**
         * The largest payload sent or accepted. Default 16 MiB.
         *
         * @param bytes the largest payload, in bytes, from 1 to {@code Integer.MAX_VALUE - 64}
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is out of range
         */
        public Builder maxFrameSize(int bytes) {
            if (bytes <= 0 || bytes > MAX_FRAME_SIZE_LIMIT) {
                throw new IllegalArgumentException("maxFrameSize must be between 1 and " + MAX_FRAME_SIZE_LIMIT
                        + " bytes, was " + bytes + " bytes");
            }
            this.maxFrameSize = bytes;
            return this;
        }

        /**
         * TCP_NODELAY. Default on: the writer batches by itself.
         *
         * @param on true to disable Nagle's algorithm
         * @return this builder
         */
        public Builder tcpNoDelay(boolean on) {
            this.tcpNoDelay = on;
            return this;
        }

        /**
         * SO_KEEPALIVE. Default on, so a silently dead peer is found eventually.
         *
         * @param on true for TCP keep-alive probes
         * @return this builder
         */
        public Builder keepAlive(boolean on) {
            this.keepAlive = on;
            return this;
        }

        /**
         * SO_SNDBUF in bytes. Default: the operating system's.
         *
         * @param bytes the socket send buffer, in bytes, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is zero or negative
         */
        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = positiveSize("sendBufferSize", bytes);
            return this;
        }

        /**
         * SO_RCVBUF in bytes. Default: the operating system's.
         *
         * @param bytes the socket receive buffer, in bytes, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is zero or negative
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = positiveSize("receiveBufferSize", bytes);
            return this;
        }

        /**
         * The bound on each peer's backlog. Default {@link BacklogLimits#DEFAULT}.
         *
         * @param limits the bound
         * @return this builder
         * @throws NullPointerException if {@code limits} is null
         */
        public Builder backlogLimits(BacklogLimits limits) {
            this.backlogLimits = Objects.requireNonNull(limits, "backlogLimits; use BacklogLimits.DEFAULT for the default");
            return this;
        }

        /**
         * How long a connected peer may stay at its bound before it is disconnected as a slow consumer. Default 10 s.
         *
         * @param timeout positive
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         */
        public Builder overflowTimeout(Duration timeout) {
            this.overflowTimeout = positive("overflowTimeout", timeout);
            return this;
        }

        /**
         * What an outbound peer does with its backlog while down. Default {@link DisconnectPolicy#KEEP_BACKLOG}.
         *
         * @param policy keep or drop the backlog while down
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder disconnectPolicy(DisconnectPolicy policy) {
            this.disconnectPolicy = Objects.requireNonNull(policy, "disconnectPolicy");
            return this;
        }

        /**
         * How long {@link Node#close()} waits for backlogs to be written. Default 5 s; zero closes at once.
         *
         * @param timeout zero or more
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is negative
         */
        public Builder drainTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "drainTimeout; use Duration.ZERO to close at once");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must not be negative, was " + timeout
                        + "; use Duration.ZERO to close at once");
            }
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * How long the TLS and acknowledged-mode handshakes may take, and in plain mode how long a listener may
         * take to read an outbound connection's first bytes (the markers and the hello). Default 10 s.
         *
         * @param timeout positive
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = positive("handshakeTimeout", timeout);
            return this;
        }

        /**
         * Plain or acknowledged delivery. Default {@link Delivery#PLAIN}.
         *
         * @param delivery plain or acknowledged
         * @return this builder
         * @throws NullPointerException if {@code delivery} is null
         */
        public Builder delivery(Delivery delivery) {
            this.delivery = Objects.requireNonNull(delivery, "delivery");
            return this;
        }

        /**
         * In acknowledged mode, acknowledge after at most {@code frames} frames (or half the frame bound, if
         * smaller) or {@code interval}, whichever comes first. Defaults 8192 frames, 10 ms.
         *
         * @param frames acknowledge after at most this many frames, positive
         * @param interval acknowledge at most this long after a frame, positive
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code frames} or {@code interval} is not positive
         */
        public Builder ackBatching(int frames, Duration interval) {
            if (frames <= 0) {
                throw new IllegalArgumentException("ackEveryFrames must be a positive number of frames, was " + frames);
            }
            this.ackInterval = positive("ackInterval", interval);
            this.ackEveryFrames = frames;
            return this;
        }

        /**
         * The least time between two drop reports for one peer. Default 1 s.
         *
         * @param interval positive
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code interval} is zero or negative
         */
        public Builder dropReportInterval(Duration interval) {
            this.dropReportInterval = positive("dropReportInterval", interval);
            return this;
        }

        /**
         * Encrypt and authenticate every connection with TLS. Default: plain TCP.
         *
         * @param tls the TLS settings
         * @return this builder
         * @throws NullPointerException if {@code tls} is null
         */
        public Builder tls(TlsConfig tls) {
            this.tls = Objects.requireNonNull(tls, "tls; leave it unset for plain TCP");
            return this;
        }

        /**
         * Registers the node's statistics as a JMX MXBean ({@link NodeMXBean}) under
         * {@code dev.tether:type=Node,name="<name>"}, unregistered on close. Default off. Node names must then be unique.
         *
         * @param on true to register the bean
         * @return this builder
         */
        public Builder jmx(boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * The most bytes all of the node's connections together may hold in read buffers beyond each one's
         * initial 2 KiB: the memory partly received frames may take. A connection whose frame would need more
         * is closed with {@link DisconnectReason#MEMORY_BUDGET} while the others are served. Default: a quarter
         * of {@link Runtime#maxMemory()}, at most 1 GiB, at least {@code maxFrameSize + 12}. {@link #build()}
         * checks that it is at least {@code maxFrameSize + 12}.
         *
         * @param bytes the budget, in bytes, positive
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is zero or negative
         */
        public Builder inboundMemoryBudget(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("inboundMemoryBudget must be a positive number of bytes, was " + bytes
                        + "; it should hold at least one frame of maxFrameSize + 12 bytes");
            }
            this.inboundMemoryBudget = bytes;
            return this;
        }

        /**
         * The most inbound peers alive at once over all listeners; a connection accepted beyond it is reset at
         * once and counted in {@link NodeStats#inboundRefused()}. Default 10,000.
         *
         * @param connections a positive count
         * @return this builder
         * @throws IllegalArgumentException if {@code connections} is zero or negative
         */
        public Builder maxInboundConnections(int connections) {
            if (connections <= 0) {
                throw new IllegalArgumentException("maxInboundConnections must be a positive number of connections, was "
                        + connections + "; to accept none, do not call Node.listen");
            }
            this.maxInboundConnections = connections;
            return this;
        }

        /**
         * The maximum age of a queued frame: one that has waited in a peer's backlog longer is not written but
         * dropped and counted as {@link DropReason#EXPIRED}, so a peer that was away gets recent data, not a
         * long replay of stale data. Measured from when the frame was queued, on the monotonic clock. Default:
         * none (frames never expire, and no clock is read for it).
         *
         * @param age positive
         * @return this builder
         */
        public Builder maxAge(Duration age) {
            this.maxAge = positive("maxAge", age);
            return this;
        }

        /**
         * What a full backlog does with a new frame. Default {@link OverflowPolicy#REJECT_NEW}.
         *
         * @param policy refuse the new frame, or evict the oldest frames not yet taken by the writer
         * @return this builder
         */
        public Builder overflowPolicy(OverflowPolicy policy) {
            this.overflowPolicy = Objects.requireNonNull(policy, "overflowPolicy");
            return this;
        }

        /**
         * The high-water mark for producers that wait ({@code send(payload, maxWait)},
         * {@code broadcast(payload, maxWait)} and their batch forms): while a peer is connected and its writer
         * keeps up, such a call waits once the peer's queue holds this many bytes, until the writer has brought
         * it back under the mark, so a producer faster than the peer runs at the peer's pace over a short
         * queue (which stays in the cache and dies young) instead of filling the whole bound. Sends that do not wait are not
         * affected; a peer that is down, or connected but taking nothing for 20 ms, fills up to the bound as
         * before, and a call whose wait ends at the mark appends its frame if the bound has room (it is never
         * refused for the mark). Default 1 MiB; 0 turns it off (producers wait only at the bound). Has no
         * effect under {@link OverflowPolicy#DROP_OLDEST}, where nobody waits.
         *
         * @param bytes 0 or more
         * @return this builder
         */
        public Builder highWaterMark(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("highWaterMark must be 0 (off) or more bytes, got " + bytes);
            }
            this.highWaterMark = bytes;
            return this;
        }

        /**
         * Checks the rules that involve more than one setting and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the settings and the rule they break
         */
        public NodeConfig build() {
            if (hello.length > maxFrameSize) {
                throw new IllegalArgumentException("hello is " + hello.length + " bytes, more than maxFrameSize "
                        + maxFrameSize + " bytes; shorten it or raise maxFrameSize");
            }
            long leastBudget = (long) maxFrameSize + FRAME_HEADER_BYTES;
            long budget = inboundMemoryBudget;
            if (budget == 0) {
                budget = Math.max(leastBudget, Math.min(Runtime.getRuntime().maxMemory() / 4, MAX_DEFAULT_INBOUND_MEMORY_BUDGET));
            } else if (budget < leastBudget) {
                throw new IllegalArgumentException("inboundMemoryBudget is " + budget + " bytes, less than maxFrameSize + 12 ("
                        + leastBudget + " bytes), so a frame of the largest allowed size could never be received; "
                        + "raise inboundMemoryBudget or lower maxFrameSize");
            }
            Builder frozen = new Builder(this);
            frozen.resolvedBudget = budget;
            return new NodeConfig(frozen);
        }

        /**
         * Builds the configuration and starts a node with it.
         *
         * @return the running node
         * @throws IllegalArgumentException if {@link #build()} refuses the settings
         */
        public Node start() {
            return Node.start(build());
        }

        private static Duration positive(String what, Duration d) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d
                        + "; give a duration such as Duration.ofSeconds(5)");
            }
            return d;
        }

        private static OptionalInt positiveSize(String what, int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException(what + " must be a positive number of bytes, was " + bytes
                        + "; leave it unset for the operating system's default");
            }
            return OptionalInt.of(bytes);
        }
    }
}
