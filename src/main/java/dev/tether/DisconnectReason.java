package dev.tether;

/**
 * Why a connection ended or could not be made. Each event that carries one also carries a detail text
 * meant for a person (the exception text, the declared length, the handshake step that failed).
 */
public enum DisconnectReason {
    /** The peer closed its side of the connection (end of stream, or a broken pipe on write). */
    PEER_CLOSED("peer closed the connection"),
    /** The peer (or something between us) reset the connection. */
    RESET("connection reset"),
    /** The peer declared a frame longer than {@link NodeConfig#maxFrameSize()}; nothing of that size was allocated. */
    FRAME_TOO_LARGE("frame too large"),
    /**
     * Receiving the rest of the peer's partly received frame would take this node past
     * {@link NodeConfig#inboundMemoryBudget()}, the bytes all its connections together may hold in read buffers.
     * The detail names the declared frame size, the budget and the bytes in use. Other connections go on.
     */
    MEMORY_BUDGET("inbound memory budget exhausted"),
    /** The peer sent bytes that are not tether frames (an unknown control frame, an acknowledgement for a frame never sent). */
    PROTOCOL_ERROR("protocol error"),
    /** The peer stayed over its backlog bound longer than {@link NodeConfig#overflowTimeout()}. */
    SLOW_CONSUMER("slow consumer"),
    /** The TCP connect was refused, timed out or failed. */
    CONNECT_FAILED("connect failed"),
    /** The TLS or acknowledged-mode handshake failed or timed out. */
    HANDSHAKE_FAILED("handshake failed"),
    /** This node closed the connection: the peer or the node was closed. */
    LOCAL_CLOSE("closed locally"),
    /** Any other I/O error; the detail holds the exception text. */
    IO_ERROR("I/O error");

    private final String description;

    DisconnectReason(String description) {
        this.description = description;
    }

    /**
     * A short lower-case description.
     *
     * @return for example "connection reset"
     */
    public String description() {
        return description;
    }
}
