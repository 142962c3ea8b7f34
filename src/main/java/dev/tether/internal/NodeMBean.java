package dev.tether.internal;

import dev.tether.NodeMXBean;
import dev.tether.NodeStats;
import dev.tether.PeerState;
import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/** The JMX view of a node: each attribute reads a fresh statistics snapshot. */
final class NodeMBean implements NodeMXBean {
    private final NodeCore node;
    private final ObjectName name;

    private NodeMBean(NodeCore node, ObjectName name) {
        this.node = node;
        this.name = name;
    }

    static ObjectName objectName(String nodeName) {
        try {
            return new ObjectName("dev.tether:type=Node,name=" + ObjectName.quote(nodeName));
        } catch (JMException e) {
            throw new IllegalArgumentException("node name " + nodeName + " cannot be part of a JMX ObjectName", e);
        }
    }

    /** Registers the node's bean; throws if another node already uses the name. */
    static NodeMBean register(NodeCore node) {
        ObjectName name = objectName(node.config().name());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        NodeMBean bean = new NodeMBean(node, name);
        try {
            server.registerMBean(bean, name);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException("a tether node named \"" + node.config().name() + "\" is already registered in JMX as "
                    + name + ": give each node a distinct NodeConfig.name", e);
        } catch (JMException e) {
            throw new IllegalStateException("cannot register " + name + " in JMX", e);
        }
        return bean;
    }

    void unregister() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (JMException ignored) {
            // already gone
        }
    }

    private NodeStats stats() {
        return node.stats();
    }

    @Override
    public int getPeers() {
        return stats().peers();
    }

    @Override
    public int getPeersConnecting() {
        return stats().peersByState().get(PeerState.CONNECTING);
    }

    @Override
    public int getPeersConnected() {
        return stats().peersByState().get(PeerState.CONNECTED);
    }

    @Override
    public int getPeersDisconnected() {
        return stats().peersByState().get(PeerState.DISCONNECTED);
    }

    @Override
    public long getQueuedFrames() {
        return stats().queuedFrames();
    }

    @Override
    public long getQueuedBytes() {
        return stats().queuedBytes();
    }

    @Override
    public long getFramesWritten() {
        return stats().framesWritten();
    }

    @Override
    public long getBytesWritten() {
        return stats().bytesWritten();
    }

    @Override
    public long getFramesReceived() {
        return stats().framesReceived();
    }

    @Override
    public long getFramesDropped() {
        return stats().framesDropped();
    }

    @Override
    public long getDroppedBacklogFull() {
        return stats().droppedBacklogFull();
    }

    @Override
    public long getDroppedDisconnected() {
        return stats().droppedDisconnected();
    }

    @Override
    public long getDroppedClosed() {
        return stats().droppedClosed();
    }

    @Override
    public long getDroppedExpired() {
        return stats().droppedExpired();
    }

    @Override
    public long getDroppedEvicted() {
        return stats().droppedEvicted();
    }

    @Override
    public long getReconnects() {
        return stats().reconnects();
    }

    @Override
    public long getHandlerErrors() {
        return stats().handlerErrors();
    }

    @Override
    public long getInboundRefused() {
        return stats().inboundRefused();
    }
}
