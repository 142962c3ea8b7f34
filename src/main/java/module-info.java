/**
 * tether: framed messages over TCP to many peers, on virtual threads, without losing them when a peer goes
 * away for a while. The API is the {@code dev.tether} package; everything else is internal.
 */
module dev.tether {
    requires org.slf4j;

    exports dev.tether;
}
