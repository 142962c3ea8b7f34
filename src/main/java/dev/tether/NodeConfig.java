package dev.tether;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
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
 * <p>The settings, their defaults and units (each builder method checks its value when called and throws
 * {@link NullPointerException} or {@link IllegalArgumentException} naming the setting; {@link Builder#build()}
 * checks the rules that involve more than one setting):
 * <ul>
 *   <li>{@link #name()}: {@code "tether"}; names threads and log lines.</li>
 *   <li>{@link #messageHandler()}: {@link MessageHandler#DISCARD}.</li>
 *   <li>{@link #eventListener()}: {@link EventListener#NONE}.</li>
 *   <li>{@link #connectTimeout()}: 5 s per TCP connect attempt.</li>
 *   <li>{@link #reconnectInitialBackoff()}, {@link #reconnectMaxBackoff()}, {@link #reconnectJitter()}:
 *       100 ms, 5 s, 0.5 (a share of each delay, 0 to 1).</li>
 *   <li>{@link #hello()}: none (empty); at most {@link #maxFrameSize()} bytes.</li>
 *   <li>{@link #maxFrameSize()}: {@link #DEFAULT_MAX_FRAME_SIZE}, 16 MiB of payload.</li>
 *   <li>{@link #tcpNoDelay()}: on. {@link #keepAlive()}: on.</li>
 *   <li>{@link #sendBufferSize()}, {@link #receiveBufferSize()}: the operating system's default; bytes.</li>
 *   <li>{@link #backlogLimits()}: {@link BacklogLimits#DEFAULT}, 1,000,000 frames and 64 MiB per peer.</li>
 *   <li>{@link #overflowTimeout()}: 10 s.</li>
 *   <li>{@link #disconnectPolicy()}: {@link DisconnectPolicy#KEEP_BACKLOG}.</li>
 *   <li>{@link #drainTimeout()}: 5 s; zero closes at once.</li>
 *   <li>{@link #handshakeTimeout()}: 10 s.</li>
 *   <li>{@link #delivery()}: {@link Delivery#PLAIN}.</li>
 *   <li>{@link #ackEveryFrames()}, {@link #ackInterval()}: 8192 frames, 10 ms.</li>
 *   <li>{@link #dropReportInterval()}: 1 s.</li>
 *   <li>{@link #tls()}: none (plain TCP).</li>
 *   <li>{@link #jmx()}: off.</li>
 *   <li>{@link #inboundMemoryBudget()}: a quarter of the heap ({@link Runtime#maxMemory()}), at most 1 GiB and
 *       at least {@link #maxFrameSize()} + 12; bytes, over all connections.</li>
 *   <li>{@link #maxInboundConnections()}: 10,000 live inbound peers.</li>
 * </ul>
 *
 * <p>Two configurations are equal when every setting is: the hello by content, the handler, listener and
 * TLS settings by their own {@code equals} (for lambdas: the same instance).
 */
public final class NodeConfig {

    /** The default {@link #maxFrameSize()}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 16 << 20;

    /** The largest {@link #maxFrameSize()}: leaves room for the header within a Java array. */
    private static final int MAX_FRAME_SIZE_LIMIT = Integer.MAX_VALUE - 64;

    private static final int HELLO_PREVIEW_BYTES = 16;

    /** The header in front of every frame on the wire: a frame of maxFrameSize takes this much more buffer. */
    private static final int FRAME_HEADER_BYTES = 12;

    /** The default {@link #maxInboundConnections()}. */
    private static final int DEFAULT_MAX_INBOUND_CONNECTIONS = 10_000;

    /** The most {@link #inboundMemoryBudget()} defaults to, whatever the heap. */
    private static final long MAX_DEFAULT_INBOUND_MEMORY_BUDGET = 1L << 30;

    private final String name;
    private final MessageHandler messageHandler;
    private final EventListener eventListener;
    private final Duration connectTimeout;
    private final Duration reconnectInitialBackoff;
    private final Duration reconnectMaxBackoff;
    private final double reconnectJitter;
    private final byte[] hello;
    private final int maxFrameSize;
    private final boolean tcpNoDelay;
    private final boolean keepAlive;
    private final OptionalInt sendBufferSize;
    private final OptionalInt receiveBufferSize;
    private final BacklogLimits backlogLimits;
    private final Duration overflowTimeout;
    private final DisconnectPolicy disconnectPolicy;
    private final Duration drainTimeout;
    private final Duration handshakeTimeout;
    private final Delivery delivery;
    private final int ackEveryFrames;
    private final Duration ackInterval;
    private final Duration dropReportInterval;
    private final TlsConfig tls;
    private final boolean jmx;
    private final long inboundMemoryBudget;
    private final boolean inboundMemoryBudgetDefaulted; // so a derived builder works the default out again
    private final int maxInboundConnections;

    private NodeConfig(Builder b, long inboundMemoryBudget) {
        name = b.name;
        messageHandler = b.messageHandler;
        eventListener = b.eventListener;
        connectTimeout = b.connectTimeout;
        reconnectInitialBackoff = b.reconnectInitialBackoff;
        reconnectMaxBackoff = b.reconnectMaxBackoff;
        reconnectJitter = b.reconnectJitter;
        hello = b.hello.clone();
        maxFrameSize = b.maxFrameSize;
        tcpNoDelay = b.tcpNoDelay;
        keepAlive = b.keepAlive;
        sendBufferSize = b.sendBufferSize;
        receiveBufferSize = b.receiveBufferSize;
        backlogLimits = b.backlogLimits;
        overflowTimeout = b.overflowTimeout;
        disconnectPolicy = b.disconnectPolicy;
        drainTimeout = b.drainTimeout;
        handshakeTimeout = b.handshakeTimeout;
        delivery = b.delivery;
        ackEveryFrames = b.ackEveryFrames;
        ackInterval = b.ackInterval;
        dropReportInterval = b.dropReportInterval;
        tls = b.tls;
        jmx = b.jmx;
        this.inboundMemoryBudget = inboundMemoryBudget;
        inboundMemoryBudgetDefaulted = b.inboundMemoryBudget == 0;
        maxInboundConnections = b.maxInboundConnections;
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
        return new Builder(this);
    }

    /**
     * Names the node's threads ({@code <name>-writer-7}) and log lines. Default {@code "tether"}.
     *
     * @return the node's name, never blank
     */
    public String name() {
        return name;
    }

    /**
     * Receives every frame, on reader threads. Default {@link MessageHandler#DISCARD}.
     *
     * @return the handler
     */
    public MessageHandler messageHandler() {
        return messageHandler;
    }

    /**
     * Receives lifecycle events. Default {@link EventListener#NONE}.
     *
     * @return the listener
     */
    public EventListener eventListener() {
        return eventListener;
    }

    /**
     * How long one TCP connect attempt may take. Default 5 s.
     *
     * @return a positive duration
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The delay before the first retry after a failure or a drop. Default 100 ms.
     *
     * @return a positive duration
     */
    public Duration reconnectInitialBackoff() {
        return reconnectInitialBackoff;
    }

    /**
     * The cap on the reconnect delay, which doubles on each failed attempt. Default 5 s.
     *
     * @return a positive duration, not shorter than {@link #reconnectInitialBackoff()}
     */
    public Duration reconnectMaxBackoff() {
        return reconnectMaxBackoff;
    }

    /**
     * The random share taken off each reconnect delay, from 0 (none) to 1 (anywhere between zero and the full
     * delay); spreads the reconnects of many peers dropped at once. Default 0.5.
     *
     * @return a share from 0 to 1
     */
    public double reconnectJitter() {
        return reconnectJitter;
    }

    /**
     * A payload written first on every outbound connection, before the backlog. Default: none.
     *
     * @return a copy of the hello, empty if none
     */
    public byte[] hello() {
        return hello.clone();
    }

    /**
     * The largest payload sent or accepted, in bytes; a peer declaring more is disconnected. Default
     * {@link #DEFAULT_MAX_FRAME_SIZE} (16 MiB).
     *
     * @return the largest payload, in bytes
     */
    public int maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * TCP_NODELAY on every socket. Default on.
     *
     * @return true if Nagle's algorithm is disabled
     */
    public boolean tcpNoDelay() {
        return tcpNoDelay;
    }

    /**
     * SO_KEEPALIVE on every socket. Default on.
     *
     * @return true if TCP keep-alive probes are on
     */
    public boolean keepAlive() {
        return keepAlive;
    }

    /**
     * SO_SNDBUF, in bytes. Default: the operating system's.
     *
     * @return the size, or empty for the operating system's default
     */
    public OptionalInt sendBufferSize() {
        return sendBufferSize;
    }

    /**
     * SO_RCVBUF, in bytes. Default: the operating system's.
     *
     * @return the size, or empty for the operating system's default
     */
    public OptionalInt receiveBufferSize() {
        return receiveBufferSize;
    }

    /**
     * The bound on each peer's backlog. Default {@link BacklogLimits#DEFAULT}.
     *
     * @return the bound
     */
    public BacklogLimits backlogLimits() {
        return backlogLimits;
    }

    /**
     * How long a connected peer may stay at its bound before it is disconnected as a slow consumer. Default 10 s.
     *
     * @return a positive duration
     */
    public Duration overflowTimeout() {
        return overflowTimeout;
    }

    /**
     * What an outbound peer does with its backlog while down. Default {@link DisconnectPolicy#KEEP_BACKLOG}.
     *
     * @return the policy
     */
    public DisconnectPolicy disconnectPolicy() {
        return disconnectPolicy;
    }

    /**
     * How long {@link Node#close()} waits for backlogs to be written before it closes sockets. Default 5 s.
     *
     * @return zero or more
     */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /**
     * How long the TLS and acknowledged-mode handshakes may take on a new connection. Default 10 s.
     *
     * @return a positive duration
     */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /**
     * Plain or acknowledged delivery. Default {@link Delivery#PLAIN}.
     *
     * @return the delivery mode
     */
    public Delivery delivery() {
        return delivery;
    }

    /**
     * In acknowledged mode, the receiver acknowledges after at most this many frames (or half its own frame
     * bound, if that is smaller, so a sender with the same bound never waits for {@link #ackInterval()}).
     * Default 8192.
     *
     * @return a positive count of frames
     */
    public int ackEveryFrames() {
        return ackEveryFrames;
    }

    /**
     * In acknowledged mode, the receiver acknowledges at most this long after a frame arrives. Default 10 ms.
     *
     * @return a positive duration
     */
    public Duration ackInterval() {
        return ackInterval;
    }

    /**
     * The least time between two {@link Event.FramesDropped} events (and WARN log lines) for one peer. Default 1 s.
     *
     * @return a positive duration
     */
    public Duration dropReportInterval() {
        return dropReportInterval;
    }

    /**
     * TLS settings. Default: none, plain TCP.
     *
     * @return the TLS settings, or null for plain TCP
     */
    public TlsConfig tls() {
        return tls;
    }

    /**
     * Whether the node registers a {@link NodeMXBean} under {@code dev.tether:type=Node,name="<name>"}. Default off.
     *
     * @return true if the bean is registered
     */
    public boolean jmx() {
        return jmx;
    }

    /**
     * The most bytes all of this node's connections together may hold in read buffers beyond each
     * connection's small initial buffer (2 KiB): what partly received frames may cost at once. A connection
     * whose partial frame would need more is closed with {@link DisconnectReason#MEMORY_BUDGET}; the others go
     * on. Default: a quarter of {@link Runtime#maxMemory()}, at most 1 GiB, and never less than
     * {@link #maxFrameSize()} + 12, so one frame of the largest size always fits.
     *
     * @return the budget, in bytes, at least {@link #maxFrameSize()} + 12
     */
    public long inboundMemoryBudget() {
        return inboundMemoryBudget;
    }

    /**
     * The most inbound peers (accepted connections, handshaking or connected) alive at once over all of this
     * node's listeners. A connection accepted beyond it is closed at once (reset), never becomes a peer, and
     * is counted in {@link NodeStats#inboundRefused()}. Default 10,000.
     *
     * @return a positive count of connections
     */
    public int maxInboundConnections() {
        return maxInboundConnections;
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
        return this == o || o instanceof NodeConfig c
                && name.equals(c.name)
                && messageHandler.equals(c.messageHandler)
                && eventListener.equals(c.eventListener)
                && connectTimeout.equals(c.connectTimeout)
                && reconnectInitialBackoff.equals(c.reconnectInitialBackoff)
                && reconnectMaxBackoff.equals(c.reconnectMaxBackoff)
                && Double.compare(reconnectJitter, c.reconnectJitter) == 0
                && Arrays.equals(hello, c.hello)
                && maxFrameSize == c.maxFrameSize
                && tcpNoDelay == c.tcpNoDelay
                && keepAlive == c.keepAlive
                && sendBufferSize.equals(c.sendBufferSize)
                && receiveBufferSize.equals(c.receiveBufferSize)
                && backlogLimits.equals(c.backlogLimits)
                && overflowTimeout.equals(c.overflowTimeout)
                && disconnectPolicy == c.disconnectPolicy
                && drainTimeout.equals(c.drainTimeout)
                && handshakeTimeout.equals(c.handshakeTimeout)
                && delivery == c.delivery
                && ackEveryFrames == c.ackEveryFrames
                && ackInterval.equals(c.ackInterval)
                && dropReportInterval.equals(c.dropReportInterval)
                && Objects.equals(tls, c.tls)
                && jmx == c.jmx
                && inboundMemoryBudget == c.inboundMemoryBudget
                && maxInboundConnections == c.maxInboundConnections;
    }

    /**
     * A hash over every setting, consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        int h = Objects.hash(name, messageHandler, eventListener, connectTimeout, reconnectInitialBackoff,
                reconnectMaxBackoff, reconnectJitter, maxFrameSize, tcpNoDelay, keepAlive, sendBufferSize,
                receiveBufferSize, backlogLimits, overflowTimeout, disconnectPolicy, drainTimeout, handshakeTimeout,
                delivery, ackEveryFrames, ackInterval, dropReportInterval, tls, jmx, inboundMemoryBudget,
                maxInboundConnections);
        return 31 * h + Arrays.hashCode(hello);
    }

    /**
     * Every setting, readably: durations as {@link Duration} prints them, the hello as its length and a short
     * preview, the handler and listener as {@code custom} or {@code none}.
     *
     * @return a description of this configuration
     */
    @Override
    public String toString() {
        return "NodeConfig[name=" + name
                + ", messageHandler=" + (messageHandler == MessageHandler.DISCARD ? "none" : "custom")
                + ", eventListener=" + (eventListener == EventListener.NONE ? "none" : "custom")
                + ", connectTimeout=" + connectTimeout
                + ", reconnectInitialBackoff=" + reconnectInitialBackoff
                + ", reconnectMaxBackoff=" + reconnectMaxBackoff
                + ", reconnectJitter=" + reconnectJitter
                + ", hello=" + describeHello(hello)
                + ", maxFrameSize=" + maxFrameSize + " bytes"
                + ", tcpNoDelay=" + tcpNoDelay
                + ", keepAlive=" + keepAlive
                + ", sendBufferSize=" + describeSize(sendBufferSize)
                + ", receiveBufferSize=" + describeSize(receiveBufferSize)
                + ", backlogLimits=" + backlogLimits
                + ", overflowTimeout=" + overflowTimeout
                + ", disconnectPolicy=" + disconnectPolicy
                + ", drainTimeout=" + drainTimeout
                + ", handshakeTimeout=" + handshakeTimeout
                + ", delivery=" + delivery
                + ", ackEveryFrames=" + ackEveryFrames
                + ", ackInterval=" + ackInterval
                + ", dropReportInterval=" + dropReportInterval
                + ", tls=" + (tls == null ? "none" : "on(clientAuth=" + tls.clientAuth() + ", verifyHostname="
                        + tls.verifyHostname() + ", protocols=" + tls.protocols() + ", cipherSuites=" + tls.cipherSuites() + ")")
                + ", jmx=" + jmx
                + ", inboundMemoryBudget=" + inboundMemoryBudget + " bytes"
                + ", maxInboundConnections=" + maxInboundConnections + "]";
    }

    /** Length plus the text if it is short printable ASCII, else the first bytes in hex. */
    private static String describeHello(byte[] hello) {
        if (hello.length == 0) {
            return "0 bytes";
        }
        int shown = Math.min(hello.length, HELLO_PREVIEW_BYTES);
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

    private static String describeSize(OptionalInt size) {
        return size.isPresent() ? size.getAsInt() + " bytes" : "os default";
    }

    /** Builds a {@link NodeConfig}; each setter checks its own value when called, {@link #build()} checks the rest. */
    public static final class Builder {
        private String name = "tether";
        private MessageHandler messageHandler = MessageHandler.DISCARD;
        private EventListener eventListener = EventListener.NONE;
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
        private Duration drainTimeout = Duration.ofSeconds(5);
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Delivery delivery = Delivery.PLAIN;
        private int ackEveryFrames = 8192;
        private Duration ackInterval = Duration.ofMillis(10);
        private Duration dropReportInterval = Duration.ofSeconds(1);
        private TlsConfig tls;
        private boolean jmx;
        private long inboundMemoryBudget; // 0: the default, worked out from the heap and maxFrameSize at build()
        private int maxInboundConnections = DEFAULT_MAX_INBOUND_CONNECTIONS;

        private Builder() {
        }

        private Builder(NodeConfig c) {
            name = c.name;
            messageHandler = c.messageHandler;
            eventListener = c.eventListener;
            connectTimeout = c.connectTimeout;
            reconnectInitialBackoff = c.reconnectInitialBackoff;
            reconnectMaxBackoff = c.reconnectMaxBackoff;
            reconnectJitter = c.reconnectJitter;
            hello = c.hello.clone();
            maxFrameSize = c.maxFrameSize;
            tcpNoDelay = c.tcpNoDelay;
            keepAlive = c.keepAlive;
            sendBufferSize = c.sendBufferSize;
            receiveBufferSize = c.receiveBufferSize;
            backlogLimits = c.backlogLimits;
            overflowTimeout = c.overflowTimeout;
            disconnectPolicy = c.disconnectPolicy;
            drainTimeout = c.drainTimeout;
            handshakeTimeout = c.handshakeTimeout;
            delivery = c.delivery;
            ackEveryFrames = c.ackEveryFrames;
            ackInterval = c.ackInterval;
            dropReportInterval = c.dropReportInterval;
            tls = c.tls;
            jmx = c.jmx;
            inboundMemoryBudget = c.inboundMemoryBudgetDefaulted ? 0 : c.inboundMemoryBudget;
            maxInboundConnections = c.maxInboundConnections;
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
            return this;
        }

        /**
         * Receives lifecycle events. Default: none.
         *
         * @param listener the listener, called on tether threads; keep it fast
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder onEvent(EventListener listener) {
            this.eventListener = Objects.requireNonNull(listener, "onEvent listener; use EventListener.NONE for none");
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
         * How long the TLS and acknowledged-mode handshakes may take. Default 10 s.
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
            return new NodeConfig(this, budget);
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
