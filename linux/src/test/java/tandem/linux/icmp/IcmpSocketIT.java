package tandem.linux.icmp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tandem.linux.Netns;
import tandem.linux.TestNamespace;

/** Echo requests to the kernel's own ICMP in a namespace: a veth pair, IPv4 and IPv6. */
class IcmpSocketIT {
    static final String NS = "tdmicmp" + ProcessHandle.current().pid();

    @BeforeAll
    static void namespace() throws Exception {
        TestNamespace.sweep("tdmicmp");
        TestNamespace.run("ip", "netns", "add", NS);
        TestNamespace.run("ip", "-n", NS, "link", "set", "lo", "up");
        TestNamespace.run("ip", "-n", NS, "link", "add", "p0", "type", "veth", "peer", "name", "p1");
        TestNamespace.run("ip", "-n", NS, "link", "set", "p0", "up");
        TestNamespace.run("ip", "-n", NS, "link", "set", "p1", "up");
        TestNamespace.run("ip", "-n", NS, "addr", "add", "192.0.2.20/24", "dev", "p0");
        TestNamespace.run("ip", "-n", NS, "addr", "add", "2001:db8:9::20/64", "dev", "p0", "nodad");
    }

    @AfterAll
    static void remove() throws Exception {
        TestNamespace.run("ip", "netns", "del", NS);
    }

    @Test
    void anEchoRequestIsAnsweredAndOnlyOurIdentifierCounts() throws Exception {
        for (String target : new String[] {"192.0.2.20", "2001:db8:9::20"}) {
            InetAddress t = InetAddress.getByName(target);
            IcmpSocket.Reply r = Netns.call(NS, () -> {
                try (IcmpSocket s = IcmpSocket.open(target.contains(":"), null, 0x4242)) {
                    s.send(t, 17, new byte[8]);
                    IcmpSocket.Reply got;
                    do {
                        got = s.receive();
                    } while (got != null && got.sequence() != 17);
                    return got;
                }
            });
            assertThat(r).as(target).isNotNull();
            assertThat(r.source()).isEqualTo(t);
        }
    }

    @Test
    void aTargetThatDoesNotAnswerTimesOut() throws Exception {
        IcmpSocket.Reply r = Netns.call(NS, () -> {
            try (IcmpSocket s = IcmpSocket.open(false, "p0", 0x4343)) {
                s.send(InetAddress.getByName("192.0.2.99"), 1, new byte[0]);
                return s.receive();
            }
        });
        assertThat(r).isNull();
    }
}
