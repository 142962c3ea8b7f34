package dev.tether;

/**
 * Every state a peer can be in. One enum for both directions; an inbound peer never enters
 * {@link #DISCONNECTED} because nobody reconnects it.
 *
 * <pre>
 * outbound:  CONNECTING -&gt; CONNECTED -&gt; DISCONNECTED -&gt; CONNECTING -&gt; ... -&gt; CLOSED
 * inbound:   CONNECTING -&gt; CONNECTED -&gt; CLOSED
 * </pre>
 */
public enum PeerState {
    /** Opening the TCP connection or running the TLS or acknowledgement handshake. Sends are queued. */
    CONNECTING,
    /** Connected: the writer drains the backlog onto the socket in order. */
    CONNECTED,
    /**
     * Outbound only: the connection is down and the supervisor waits out its backoff before the next
     * attempt. Sends are queued up to the backlog bound, or dropped under
     * {@link DisconnectPolicy#DROP_BACKLOG}.
     */
    DISCONNECTED,
    /** Final: the peer was closed, its inbound connection ended, or the node closed. Sends return {@link SendResult#PEER_CLOSED}. */
    CLOSED
}
