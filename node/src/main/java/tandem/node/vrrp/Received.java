package tandem.node.vrrp;

import java.net.InetAddress;

/**
 * A packet read from a VRRP socket, copied out of its buffer: the VRRP message in
 * {@code data[0, length)} ({@code length} -1 when the IP header was unreadable), with the IP
 * source, destination and TTL / hop limit.
 */
public record Received(String ifname, boolean ipv6, byte[] data, int length, InetAddress source,
                       InetAddress destination, int ttl) {
}
