package tandem.node.vrrp;

import java.net.InetAddress;
import java.util.function.Consumer;

/** Opens VRRP sockets; the Linux one uses raw sockets and a receiver thread, tests an in-memory wire. */
@FunctionalInterface
public interface ChannelFactory {
    /**
     * Opens the socket of {@code ifname} for one family; every packet received goes to {@code sink}
     * (from the channel's own thread: the sink hands it to the loop).
     */
    AdvertChannel open(String ifname, int ifindex, boolean ipv6, InetAddress source, Consumer<Received> sink);
}
