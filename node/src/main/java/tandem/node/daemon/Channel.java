package tandem.node.daemon;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.linux.LinuxException;
import tandem.linux.VrrpSocket;
import tandem.vrrp.DropReason;

/**
 * The VRRP sockets of one interface and address family, the instances that listen on them (by VRID),
 * and a receiver thread that copies every packet into the daemon's loop. Drops that belong to no
 * instance (unknown VRID, unreadable packets) are counted here.
 */
final class Channel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem");

    final String ifname;
    final boolean ipv6;
    final VrrpSocket socket;
    final Map<Integer, InstanceRuntime> byVrid = new TreeMap<>();
    final Map<DropReason, LongAdder> drops = new EnumMap<>(DropReason.class);
    final LongAdder sendErrors = new LongAdder();
    private final Thread receiver;
    private volatile boolean running = true;

    /** A received packet, copied out of the socket's buffer. */
    record Received(Channel channel, byte[] data, int length, java.net.InetAddress source,
                    java.net.InetAddress destination, int ttl) {
    }

    Channel(String ifname, boolean ipv6, VrrpSocket socket, Consumer<Received> sink) {
        this.ifname = ifname;
        this.ipv6 = ipv6;
        this.socket = socket;
        for (DropReason r : DropReason.values()) {
            drops.put(r, new LongAdder());
        }
        receiver = Thread.ofPlatform().daemon().name("vrrp-rx-" + ifname + (ipv6 ? "-v6" : "-v4")).unstarted(Realtime.wrap(() -> {
            while (running) {
                try {
                    VrrpSocket.Packet p = socket.receive();
                    if (p == null) {
                        continue;
                    }
                    byte[] copy = p.length() < 0 ? new byte[0]
                        : java.util.Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.length());
                    sink.accept(new Received(this, copy, p.length(), p.source(), p.destination(), p.ttl()));
                } catch (LinuxException e) {
                    if (running) {
                        LOG.warn("{}: receive failed: {}", ifname, e.getMessage());
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.error("{}: receiver error", ifname, e);
                }
            }
        }));
    }

    void start() {
        receiver.start();
    }

    String label() {
        return ifname + (ipv6 ? "/ipv6" : "/ipv4");
    }

    @Override
    public void close() {
        running = false;
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        socket.close();
    }
}
