package dev.tether;

import java.time.Instant;

/**
 * Why a peer's last connect attempt failed or its last connection ended, for a person to act on.
 *
 * @param reason the kind of failure
 * @param detail what happened and, where tether knows, what to change
 * @param refused whether the peer itself refused the connection (a mode mismatch, a TLS alert, a full
 *     listener); frames written to a connection it refused are written again on the next one
 * @param at when it happened
 */
public record PeerFailure(DisconnectReason reason, String detail, boolean refused, Instant at) {

    @Override
    public String toString() {
        return reason.description() + ": " + detail;
    }
}
