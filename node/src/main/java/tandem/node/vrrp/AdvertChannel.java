package tandem.node.vrrp;

import java.net.InetAddress;

/**
 * The VRRP socket of one interface and address family: adverts out; received packets go to the
 * sink the {@link ChannelFactory} was given. Closing must not block the caller (the receiver thread
 * is joined elsewhere).
 */
public interface AdvertChannel extends AutoCloseable {
    /** 224.0.0.18 or ff02::12. */
    InetAddress group();

    /** Sends one VRRP message (the IP header is the kernel's). */
    void send(byte[] packet);

    @Override
    void close();
}
