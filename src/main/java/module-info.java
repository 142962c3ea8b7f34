/**
 * tether: framed messages over TCP to many peers, on virtual threads, without losing them when a peer goes
 * away for a while. The API is the {@code dev.tether} package; everything else is internal. The only
 * library it needs is SLF4J; {@code jdk.jfr} (flight recorder events) and {@code java.management} (the
 * optional JMX bean) are modules of the JDK itself.
 */
module dev.tether {
    requires org.slf4j;
    requires jdk.jfr;
    requires java.management;

    exports dev.tether;
}
