package tandem.node.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.conntrack.CtTuple;
import tandem.node.config.NodeConfig;

class SyncFilterTest {
    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static NodeConfig.StateSync cfg(Set<Integer> protocols, List<NodeConfig.Cidr> ignore, int markBit, boolean skip) {
        return cfg(protocols, ignore, markBit, skip, true);
    }

    static NodeConfig.StateSync cfg(Set<Integer> protocols, List<NodeConfig.Cidr> ignore, int markBit, boolean skip,
                                    boolean expectations) {
        return new NodeConfig.StateSync(ip("198.51.100.1"), ip("198.51.100.2"), null, null, 3780, "cluster", "lab",
            "0123456789abcdef", Duration.ofSeconds(5), protocols, ignore, markBit, skip, expectations);
    }

    static CtEntry flow(int proto, String src, String dst, int dport, int mark) {
        CtTuple t = new CtTuple(ip(src), ip(dst), proto, 40000, dport);
        return new CtEntry(t, t.inverted(), 0, 60, mark, 0, null, null, null, null, null, null);
    }

    @Test
    void theNodesOwnAddressesAreNeverReplicated() {
        SyncFilter f = new SyncFilter(cfg(Set.of(), List.of(), -1, false), Set.of(ip("198.51.100.1"), ip("192.0.2.2")));
        assertThat(f.replicate(flow(6, "192.0.2.100", "203.0.113.100", 80, 0))).isTrue();
        assertThat(f.replicate(flow(17, "198.51.100.1", "198.51.100.2", 3780, 0))).as("the sync link").isFalse();
        assertThat(f.replicate(flow(6, "192.0.2.100", "192.0.2.2", 22, 0))).as("SSH to the node").isFalse();
    }

    @Test
    void protocolsPrefixesMarkBitAndDnsIcmpFilter() {
        SyncFilter f = new SyncFilter(cfg(Set.of(6, 17, 1), List.of(new NodeConfig.Cidr(ip("203.0.113.128"), 25)), 3, true),
            Set.of());
        assertThat(f.replicate(flow(6, "192.0.2.100", "203.0.113.100", 80, 8))).isTrue();
        assertThat(f.replicate(flow(6, "192.0.2.100", "203.0.113.100", 80, 0))).as("mark bit 3 unset").isFalse();
        assertThat(f.replicate(flow(132, "192.0.2.100", "203.0.113.100", 80, 8))).as("sctp not listed").isFalse();
        assertThat(f.replicate(flow(6, "192.0.2.100", "203.0.113.200", 80, 8))).as("ignored /25").isFalse();
        assertThat(f.replicate(flow(17, "192.0.2.100", "203.0.113.100", 53, 8))).as("DNS").isFalse();
        assertThat(f.replicate(flow(1, "192.0.2.100", "203.0.113.100", 0x0800, 8))).as("ICMP").isFalse();
    }

    static CtExpect ftpData(String client, String server) {
        CtTuple master = new CtTuple(ip(client), ip(server), 6, 40000, 21);
        return new CtExpect(master, new CtTuple(ip(server), ip(client), 6, 0, 50000),
            new CtTuple(ip("255.255.255.255"), ip("255.255.255.255"), 6, 0, 0xffff), 300, 0, 0, 0, "ftp", null, null);
    }

    @Test
    void anExpectationFollowsItsMasterConnectionUnlessSwitchedOff() {
        SyncFilter f = new SyncFilter(cfg(Set.of(), List.of(new NodeConfig.Cidr(ip("203.0.113.128"), 25)), -1, false),
            Set.of(ip("192.0.2.2")));
        assertThat(f.replicate(ftpData("192.0.2.100", "203.0.113.100"))).isTrue();
        assertThat(f.replicate(ftpData("192.0.2.2", "203.0.113.100"))).as("FTP from the node itself").isFalse();
        assertThat(f.replicate(ftpData("192.0.2.100", "203.0.113.200"))).as("ignored /25").isFalse();
        SyncFilter off = new SyncFilter(cfg(Set.of(), List.of(), -1, false, false), Set.of());
        assertThat(off.replicate(ftpData("192.0.2.100", "203.0.113.100"))).isFalse();
        assertThat(off.replicatesMasterOf(ftpData("192.0.2.100", "203.0.113.100"))).as("its master's seq adjust").isTrue();
        assertThat(off.replicate(flow(6, "192.0.2.100", "203.0.113.100", 21, 0))).as("the master itself still is").isTrue();
    }
}
