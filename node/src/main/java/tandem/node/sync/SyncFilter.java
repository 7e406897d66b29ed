package tandem.node.sync;

import java.net.InetAddress;
import java.util.Set;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.conntrack.CtTuple;
import tandem.node.config.NodeConfig;

/**
 * Which flows are replicated. Never: flows from or to one of the node's own addresses (the sync link
 * itself, management sessions such as SSH to the node); configured prefixes; protocols not listed;
 * entries without the configured mark bit; DNS and ICMP when asked. Expectations follow their master
 * connection, unless switched off. Pure.
 */
public final class SyncFilter {
    private final NodeConfig.StateSync cfg;
    private final Set<InetAddress> own;

    public SyncFilter(NodeConfig.StateSync cfg, Set<InetAddress> ownAddresses) {
        this.cfg = cfg;
        this.own = Set.copyOf(ownAddresses);
    }

    public boolean replicate(CtEntry e) {
        return replicate(e.key()) && (cfg.markBit() < 0 || (e.mark() & (1 << cfg.markBit())) != 0);
    }

    /**
     * An expectation follows its master connection (by key: the master's mark is not known here; a
     * standby commits an expectation only when its master is in the cache).
     */
    public boolean replicate(CtExpect x) {
        return cfg.expectations() && replicate(x.masterKey());
    }

    /**
     * Whether the expectation's master connection is replicated: its helper announced the expectation
     * and may have changed the master's sequence adjustment, expectations replicated or not.
     */
    public boolean replicatesMasterOf(CtExpect x) {
        return replicate(x.masterKey());
    }

    /** The checks that need only the key (for DESTROY events). */
    public boolean replicate(CtEntry.Key k) {
        CtTuple t = k.orig();
        if (own.contains(t.src()) || own.contains(t.dst())) {
            return false;
        }
        if (!cfg.protocols().isEmpty() && !cfg.protocols().contains(t.protocol())) {
            return false;
        }
        if (cfg.skipDnsIcmp() && (t.icmp() || (t.protocol() == CtTuple.UDP || t.protocol() == CtTuple.TCP)
            && t.dstPort() == 53)) {
            return false;
        }
        for (NodeConfig.Cidr c : cfg.ignore()) {
            if (contains(c, t.src()) || contains(c, t.dst())) {
                return false;
            }
        }
        return true;
    }

    static boolean contains(NodeConfig.Cidr c, InetAddress a) {
        byte[] n = c.address().getAddress();
        byte[] x = a.getAddress();
        if (n.length != x.length) {
            return false;
        }
        int bits = c.prefixLength();
        for (int i = 0; i < n.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((n[i] & mask) != (x[i] & mask)) {
                return false;
            }
        }
        return true;
    }
}
