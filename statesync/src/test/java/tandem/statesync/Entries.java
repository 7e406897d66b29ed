package tandem.statesync;

import java.net.InetAddress;
import java.util.Random;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.conntrack.CtTuple;

/** Seeded generator of conntrack entries and expectations covering every optional field. */
final class Entries {
    private Entries() {
    }

    static InetAddress addr(Random r, boolean v6) {
        byte[] b = new byte[v6 ? 16 : 4];
        r.nextBytes(b);
        try {
            return InetAddress.getByAddress(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static CtEntry random(Random r) {
        boolean v6 = r.nextInt(4) == 0;
        int proto = switch (r.nextInt(4)) {
            case 0 -> CtTuple.UDP;
            case 1 -> v6 ? CtTuple.ICMPV6 : CtTuple.ICMP;
            default -> CtTuple.TCP;
        };
        CtTuple orig = new CtTuple(addr(r, v6), addr(r, v6), proto, r.nextInt(65536), r.nextInt(65536));
        CtTuple reply = r.nextBoolean() ? orig.inverted()
            : new CtTuple(orig.dst(), addr(r, v6), proto, orig.dstPort(), r.nextInt(65536));
        CtEntry.Tcp tcp = proto == CtTuple.TCP ? new CtEntry.Tcp(r.nextInt(10), r.nextInt(15), r.nextInt(15),
            r.nextInt(64), r.nextInt(64)) : null;
        return new CtEntry(orig, reply, r.nextInt(), r.nextInt(500_000), r.nextInt(), r.nextInt(4) == 0 ? r.nextInt(65536) : 0,
            tcp, r.nextInt(5) == 0 ? new CtEntry.SeqAdj(r.nextInt(), r.nextInt(), r.nextInt()) : null,
            r.nextInt(5) == 0 ? new CtEntry.SeqAdj(r.nextInt(), r.nextInt(), r.nextInt()) : null,
            r.nextInt(5) == 0 ? "ftp" : null,
            r.nextInt(6) == 0 ? new CtTuple(orig.src(), orig.dst(), proto, 21, r.nextInt(65536)) : null,
            r.nextInt(6) == 0 ? new byte[] {1, 2, 3, (byte) r.nextInt()} : null);
    }

    /** An expectation of a random FTP-like master; mask, helper, function and NAT vary. */
    static CtExpect randomExpect(Random r) {
        boolean v6 = r.nextInt(4) == 0;
        CtTuple master = new CtTuple(addr(r, v6), addr(r, v6), CtTuple.TCP, r.nextInt(65536), 21);
        CtTuple tuple = new CtTuple(master.dst(), addr(r, v6), CtTuple.TCP, 0, r.nextInt(65536));
        byte[] ones = new byte[v6 ? 16 : 4];
        java.util.Arrays.fill(ones, (byte) 0xff);
        InetAddress all;
        try {
            all = InetAddress.getByAddress(ones);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        CtTuple mask = new CtTuple(all, all, CtTuple.TCP, r.nextBoolean() ? 0 : 0xffff, 0xffff);
        return new CtExpect(master, tuple, mask, r.nextInt(300), r.nextInt(4), r.nextInt(2),
            r.nextInt(4) == 0 ? r.nextInt(65536) : 0, r.nextInt(3) == 0 ? null : "ftp",
            r.nextBoolean() ? "nat-follow-master" : null,
            r.nextBoolean() ? new CtExpect.Nat(r.nextInt(2), addr(r, v6), r.nextInt(65536)) : null);
    }
}
