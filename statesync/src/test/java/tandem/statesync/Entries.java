package tandem.statesync;

import java.net.InetAddress;
import java.util.Random;
import tandem.linux.ct.CtEntry;
import tandem.linux.ct.CtTuple;

/** Seeded generator of conntrack entries covering every optional field. */
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
}
