package dev.tether;

/**
 * The statistics of one node over JMX (JConsole, VisualVM, any JMX exporter). Registered when
 * {@link NodeConfig#jmx()} is on, under the ObjectName {@code dev.tether:type=Node,name="<node name>"}, and
 * unregistered when the node closes. Every attribute is read from a fresh {@link NodeStats} snapshot.
 */
public interface NodeMXBean {
    /**
     * Live peers.
     *
     * @return the current value
     */
    int getPeers();

    /**
     * Peers connecting (TCP, TLS or handshake in progress).
     *
     * @return the current value
     */
    int getPeersConnecting();

    /**
     * Peers connected.
     *
     * @return the current value
     */
    int getPeersConnected();

    /**
     * Outbound peers down and waiting to reconnect.
     *
     * @return the current value
     */
    int getPeersDisconnected();

    /**
     * Frames queued over all peers.
     *
     * @return the current value
     */
    long getQueuedFrames();

    /**
     * Bytes queued over all peers.
     *
     * @return the current value
     */
    long getQueuedBytes();

    /**
     * Frames written over all peers.
     *
     * @return the current value
     */
    long getFramesWritten();

    /**
     * Bytes written over all peers.
     *
     * @return the current value
     */
    long getBytesWritten();

    /**
     * Frames received over all peers.
     *
     * @return the current value
     */
    long getFramesReceived();

    /**
     * Frames dropped for any reason.
     *
     * @return the current value
     */
    long getFramesDropped();

    /**
     * Frames rejected at a backlog bound.
     *
     * @return the current value
     */
    long getDroppedBacklogFull();

    /**
     * Frames dropped because a peer was down.
     *
     * @return the current value
     */
    long getDroppedDisconnected();

    /**
     * Frames dropped because a peer or the node closed.
     *
     * @return the current value
     */
    long getDroppedClosed();

    /**
     * Frames dropped because they waited longer than the maximum age.
     *
     * @return the current value
     */
    long getDroppedExpired();

    /**
     * Frames evicted at the bound for newer ones (drop-oldest).
     *
     * @return the current value
     */
    long getDroppedEvicted();

    /**
     * Reconnects over all peers.
     *
     * @return the current value
     */
    long getReconnects();

    /**
     * Exceptions thrown by the message handler or the event listener.
     *
     * @return the current value
     */
    long getHandlerErrors();

    /**
     * Inbound connections refused because the node had {@link NodeConfig#maxInboundConnections()} inbound peers.
     *
     * @return the current value
     */
    long getInboundRefused();
}
