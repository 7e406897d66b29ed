package tandem.conntrack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

class AddressesTest {
    @org.junit.jupiter.api.Test
    void anIpv4MappedIpv6AddressStaysIpv6() {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        b[12] = (byte) 192;
        b[15] = 1;
        InetAddress a = Addresses.of(b, 0, 16);
        assertThat(a).isInstanceOf(java.net.Inet6Address.class);
        assertThat(a.getHostAddress()).isEqualTo("0:0:0:0:0:ffff:c000:1");
    }
}
