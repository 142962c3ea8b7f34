package dev.tether.internal;

import dev.tether.NodeConfig;

/**
 * What the parts of one node share, handed to each of them: nothing here can add or find a peer (that is
 * {@link PeerRegistry}'s job) or close the node (that is {@link NodeCore}'s).
 *
 * @param config the node's configuration
 * @param sessionId random, fixed for the node's life; acknowledged mode tells peers to resume streams
 * @param state the node's own lifecycle
 * @param threads starts and tracks every thread of the node
 * @param events calls the user's listener and handler, shielding tether from what they throw
 * @param buffers write buffers shared by the writers
 * @param slabs direct memory that larger frames are encoded into once, for every writer to write without a copy;
 *     null over TLS, where each writer encrypts into a buffer of its own anyway
 * @param transports plain TCP or TLS
 * @param receiveSessions acknowledged mode: the streams this node receives, by sender
 * @param lineages plain mode: inbound connections by the id this node gave them, for a reconnecting sender to succeed
 * @param budget what the read buffers of all connections may hold beyond their first bytes
 * @param inbound the cap on live inbound peers
 */
record NodeContext(NodeConfig config, long sessionId, NodeState state, TetherThreads threads, EventDispatcher events,
                   BufferPool buffers, Slabs slabs, TransportFactory transports, ReceiveSessions receiveSessions, Lineages lineages,
                   InboundBudget budget, InboundLimit inbound) {

    boolean acknowledged() {
        return config.delivery() == dev.tether.Delivery.ACKNOWLEDGED;
    }

    NodeState nodeState() {
        return state;
    }
}
