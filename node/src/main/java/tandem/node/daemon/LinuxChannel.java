package tandem.node.daemon;

import java.net.InetAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.linux.LinuxException;
import tandem.linux.VrrpSocket;
import tandem.node.vrrp.AdvertChannel;
import tandem.node.vrrp.ChannelFactory;
import tandem.node.vrrp.Received;

/**
 * A VRRP socket of one interface and family with its receiver thread (SCHED_RR like the loop), which
 * copies every packet and hands it to the sink. {@link #close} does not block: a closer thread joins
 * the receiver (it notices within its 200 ms receive timeout) and then closes the socket.
 */
final class LinuxChannel implements AdvertChannel {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.vrrp");

    /** Opens the Linux sockets. */
    static final ChannelFactory FACTORY = LinuxChannel::new;

    private final String ifname;
    private final boolean ipv6;
    private final VrrpSocket socket;
    private final Thread receiver;
    private volatile boolean running = true;

    private LinuxChannel(String ifname, int ifindex, boolean ipv6, InetAddress source, Consumer<Received> sink) {
        this.ifname = ifname;
        this.ipv6 = ipv6;
        this.socket = VrrpSocket.open(ifname, ifindex, ipv6, source);
        this.receiver = Thread.ofPlatform().daemon().name("vrrp-rx-" + ifname + (ipv6 ? "-v6" : "-v4"))
            .unstarted(Realtime.wrap(() -> receive(sink)));
        receiver.start();
    }

    private void receive(Consumer<Received> sink) {
        while (running) {
            try {
                VrrpSocket.Packet p = socket.receive();
                if (p == null) {
                    continue;
                }
                byte[] copy = p.length() < 0 ? new byte[0]
                    : java.util.Arrays.copyOfRange(p.data(), p.offset(), p.offset() + p.length());
                sink.accept(new Received(ifname, ipv6, copy, p.length(), p.source(), p.destination(), p.ttl()));
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
                LOG.error("{}: receiver error (it goes on)", ifname, e);
            }
        }
    }

    @Override
    public InetAddress group() {
        return socket.group();
    }

    @Override
    public void send(byte[] packet) {
        socket.send(packet);
    }

    @Override
    public void close() {
        running = false;
        Thread.ofPlatform().daemon().name("vrrp-close-" + ifname).start(() -> {
            try {
                receiver.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            socket.close();
        });
    }

    /** Closes and waits for the receiver (at exit, off the loop). */
    void closeAndWait() {
        running = false;
        try {
            receiver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        socket.close();
    }
}
