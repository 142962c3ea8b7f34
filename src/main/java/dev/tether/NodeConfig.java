package dev.tether;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The immutable configuration of a {@link Node}. Build one with {@link #builder()}; derive a variant with
 * {@link #toBuilder()}. Every setting has a safe default, listed on its builder method.
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
 * @param name names the node's threads ({@code <name>-writer-7}) and log lines
 * @param messageHandler receives every frame
 * @param eventListener receives lifecycle events
 * @param connectTimeout how long one TCP connect attempt may take
 * @param reconnectInitialBackoff the delay before the first retry after a failure or a drop
 * @param reconnectMaxBackoff the cap on the delay, which doubles on each failed attempt
 * @param reconnectJitter the random share taken off each delay, from 0 (none) to 1 (anywhere between zero
 *     and the full delay); spreads the reconnects of many peers dropped at once
 * @param hello a payload written first on every outbound connection, before the backlog; empty for none
 * @param maxFrameSize the largest payload sent or accepted; a peer declaring more is disconnected
 * @param tcpNoDelay TCP_NODELAY on every socket
 * @param keepAlive SO_KEEPALIVE on every socket
 * @param sendBufferSize SO_SNDBUF, or empty for the operating system's default
 * @param receiveBufferSize SO_RCVBUF, or empty for the operating system's default
 * @param backlogLimits the bound on each peer's backlog
 * @param overflowTimeout how long a connected peer may stay at its bound before it is disconnected as a slow consumer
 * @param disconnectPolicy what an outbound peer does with its backlog while down
 * @param drainTimeout how long {@link Node#close()} waits for backlogs to be written before it closes sockets
 * @param handshakeTimeout how long the TLS and acknowledged-mode handshakes may take on a new connection
 * @param delivery plain or acknowledged delivery
 * @param ackEveryFrames in acknowledged mode, the receiver acknowledges after at most this many frames (or half
 *     its own frame bound, if that is smaller, so a sender with the same bound never waits for {@code ackInterval})
 * @param ackInterval in acknowledged mode, the receiver acknowledges at most this long after a frame arrives
 * @param dropReportInterval the least time between two {@link Event.FramesDropped} events (and WARN log lines) for one peer
 * @param tls TLS settings, or null for plain TCP
 * @param jmx whether the node registers a {@link NodeMXBean} under {@code dev.tether:type=Node,name="<name>"}
 */
public record NodeConfig(
        String name,
        MessageHandler messageHandler,
        EventListener eventListener,
        Duration connectTimeout,
        Duration reconnectInitialBackoff,
        Duration reconnectMaxBackoff,
        double reconnectJitter,
        byte[] hello,
        int maxFrameSize,
        boolean tcpNoDelay,
        boolean keepAlive,
        OptionalInt sendBufferSize,
        OptionalInt receiveBufferSize,
        BacklogLimits backlogLimits,
        Duration overflowTimeout,
        DisconnectPolicy disconnectPolicy,
        Duration drainTimeout,
        Duration handshakeTimeout,
        Delivery delivery,
        int ackEveryFrames,
        Duration ackInterval,
        Duration dropReportInterval,
        TlsConfig tls,
        boolean jmx) {

    /** The default {@link #maxFrameSize()}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 16 << 20;

    /** Checks the rules that involve more than one setting. */
    public NodeConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(messageHandler, "messageHandler");
        Objects.requireNonNull(eventListener, "eventListener");
        Objects.requireNonNull(backlogLimits, "backlogLimits");
        Objects.requireNonNull(disconnectPolicy, "disconnectPolicy");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(sendBufferSize, "sendBufferSize");
        Objects.requireNonNull(receiveBufferSize, "receiveBufferSize");
        positive("connectTimeout", connectTimeout);
        positive("reconnectInitialBackoff", reconnectInitialBackoff);
        positive("reconnectMaxBackoff", reconnectMaxBackoff);
        positive("overflowTimeout", overflowTimeout);
        notNegative("drainTimeout", drainTimeout);
        positive("handshakeTimeout", handshakeTimeout);
        positive("ackInterval", ackInterval);
        positive("dropReportInterval", dropReportInterval);
        if (reconnectMaxBackoff.compareTo(reconnectInitialBackoff) < 0) {
            throw new IllegalArgumentException("reconnectMaxBackoff (" + reconnectMaxBackoff
                    + ") must not be shorter than reconnectInitialBackoff (" + reconnectInitialBackoff + ")");
        }
        if (!(reconnectJitter >= 0 && reconnectJitter <= 1)) {
            throw new IllegalArgumentException("reconnectJitter must be between 0 and 1, was " + reconnectJitter);
        }
        if (maxFrameSize <= 0 || maxFrameSize > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("maxFrameSize must be between 1 and " + (Integer.MAX_VALUE - 64)
                    + " bytes, was " + maxFrameSize);
        }
        hello = hello == null ? new byte[0] : hello.clone();
        if (hello.length > maxFrameSize) {
            throw new IllegalArgumentException("hello is " + hello.length + " bytes, more than maxFrameSize "
                    + maxFrameSize + "; shorten it or raise maxFrameSize");
        }
        if (ackEveryFrames <= 0) {
            throw new IllegalArgumentException("ackEveryFrames must be positive, was " + ackEveryFrames);
        }
        positiveSize("sendBufferSize", sendBufferSize);
        positiveSize("receiveBufferSize", receiveBufferSize);
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
     * A copy of the hello payload.
     *
     * @return the hello, empty if none
     */
    @Override
    public byte[] hello() {
        return hello.clone();
    }

    private static void positive(String what, Duration d) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
    }

    private static void notNegative(String what, Duration d) {
        Objects.requireNonNull(d, what);
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, was " + d);
        }
    }

    private static void positiveSize(String what, OptionalInt size) {
        if (size.isPresent() && size.getAsInt() <= 0) {
            throw new IllegalArgumentException(what + " must be positive bytes, was " + size.getAsInt());
        }
    }

    /** Builds a {@link NodeConfig}; each setter checks its own value, {@link #build()} checks the rest. */
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
            hello = c.hello;
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
        }

        /**
         * Names the node's threads and log lines. Default {@code "tether"}.
         *
         * @param name a short name, such as the service's
         * @return this builder
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Receives every frame. Default: discard.
         *
         * @param handler the handler, called on reader threads
         * @return this builder
         */
        public Builder onMessage(MessageHandler handler) {
            this.messageHandler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Receives lifecycle events. Default: none.
         *
         * @param listener the listener, called on tether threads; keep it fast
         * @return this builder
         */
        public Builder onEvent(EventListener listener) {
            this.eventListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * How long one TCP connect attempt may take. Default 5 s.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * Reconnect backoff: the first retry waits {@code initial}, each further failed attempt doubles it up to
         * {@code max}, and {@code jitter} (0 to 1) takes a random share off each delay. Defaults 100 ms, 5 s, 0.5.
         *
         * @param initial the first delay
         * @param max the cap on the delay
         * @param jitter the random share taken off each delay, 0 to 1
         * @return this builder
         */
        public Builder reconnectBackoff(Duration initial, Duration max, double jitter) {
            this.reconnectInitialBackoff = initial;
            this.reconnectMaxBackoff = max;
            this.reconnectJitter = jitter;
            return this;
        }

        /**
         * A payload written first on every outbound connection, before the backlog. Never queued, never repeated. Default: none.
         *
         * @param payload the hello; copied
         * @return this builder
         */
        public Builder hello(byte[] payload) {
            this.hello = Objects.requireNonNull(payload, "payload").clone();
            return this;
        }

        /**
         * The largest payload sent or accepted. Default 16 MiB.
         *
         * @param bytes the largest payload, in bytes
         * @return this builder
         */
        public Builder maxFrameSize(int bytes) {
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
         * @param bytes the socket send buffer, in bytes
         * @return this builder
         */
        public Builder sendBufferSize(int bytes) {
            this.sendBufferSize = OptionalInt.of(bytes);
            return this;
        }

        /**
         * SO_RCVBUF in bytes. Default: the operating system's.
         *
         * @param bytes the socket receive buffer, in bytes
         * @return this builder
         */
        public Builder receiveBufferSize(int bytes) {
            this.receiveBufferSize = OptionalInt.of(bytes);
            return this;
        }

        /**
         * The bound on each peer's backlog. Default {@link BacklogLimits#DEFAULT}.
         *
         * @param limits the bound
         * @return this builder
         */
        public Builder backlogLimits(BacklogLimits limits) {
            this.backlogLimits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * How long a connected peer may stay at its bound before it is disconnected as a slow consumer. Default 10 s.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder overflowTimeout(Duration timeout) {
            this.overflowTimeout = timeout;
            return this;
        }

        /**
         * What an outbound peer does with its backlog while down. Default {@link DisconnectPolicy#KEEP_BACKLOG}.
         *
         * @param policy keep or drop the backlog while down
         * @return this builder
         */
        public Builder disconnectPolicy(DisconnectPolicy policy) {
            this.disconnectPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * How long {@link Node#close()} waits for backlogs to be written. Default 5 s; zero closes at once.
         *
         * @param timeout zero or more
         * @return this builder
         */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = timeout;
            return this;
        }

        /**
         * How long the TLS and acknowledged-mode handshakes may take. Default 10 s.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        /**
         * Plain or acknowledged delivery. Default {@link Delivery#PLAIN}.
         *
         * @param delivery plain or acknowledged
         * @return this builder
         */
        public Builder delivery(Delivery delivery) {
            this.delivery = Objects.requireNonNull(delivery, "delivery");
            return this;
        }

        /**
         * In acknowledged mode, acknowledge after at most {@code frames} frames (or half the frame bound, if
         * smaller) or {@code interval}, whichever comes first. Defaults 8192 frames, 10 ms.
         *
         * @param frames acknowledge after at most this many frames
         * @param interval acknowledge at most this long after a frame
         * @return this builder
         */
        public Builder ackBatching(int frames, Duration interval) {
            this.ackEveryFrames = frames;
            this.ackInterval = interval;
            return this;
        }

        /**
         * The least time between two drop reports for one peer. Default 1 s.
         *
         * @param interval positive
         * @return this builder
         */
        public Builder dropReportInterval(Duration interval) {
            this.dropReportInterval = interval;
            return this;
        }

        /**
         * Encrypt and authenticate every connection with TLS. Default: plain TCP.
         *
         * @param tls the TLS settings
         * @return this builder
         */
        public Builder tls(TlsConfig tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
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
         * Checks every setting and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the setting and the rule it breaks
         */
        public NodeConfig build() {
            return new NodeConfig(name, messageHandler, eventListener, connectTimeout, reconnectInitialBackoff,
                    reconnectMaxBackoff, reconnectJitter, hello, maxFrameSize, tcpNoDelay, keepAlive,
                    sendBufferSize, receiveBufferSize, backlogLimits, overflowTimeout, disconnectPolicy,
                    drainTimeout, handshakeTimeout, delivery, ackEveryFrames, ackInterval, dropReportInterval, tls, jmx);
        }

        /**
         * Builds the configuration and starts a node with it.
         *
         * @return the running node
         */
        public Node start() {
            return Node.start(build());
        }
    }
}
