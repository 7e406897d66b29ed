package tandem.linux.ct;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.conntrack.CtTuple;
import tandem.linux.Netlink;
import tandem.linux.NetlinkDecodeException;
import tandem.linux.NetlinkFuzz;
import tandem.linux.NetlinkSocket;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;

/**
 * A million mutated ctnetlink messages into each decoder (entries, keys, expectations, notifications),
 * built from the kernel captures of {@link CtCodecTest} and {@link CtExpectCodecTest} and from IPv6,
 * ICMP and NAT messages of the codec itself. The only outcomes allowed: a plausible result (it survives
 * the trip through the encoder) or a {@link NetlinkDecodeException} saying what was expected.
 */
class CtnetlinkFuzzTest {
    static final int ITERATIONS = 1_000_000;

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** ::ffff:a.b.c.d as an Inet6Address (InetAddress.getByName gives an Inet4Address). */
    static InetAddress mapped(String v4) {
        byte[] a = new byte[16];
        a[10] = (byte) 0xff;
        a[11] = (byte) 0xff;
        System.arraycopy(ip(v4).getAddress(), 0, a, 12, 4);
        try {
            return java.net.Inet6Address.getByAddress(null, a, -1);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] written(java.util.function.Consumer<Netlink.Writer> write) {
        Netlink.Writer w = new Netlink.Writer(512);
        write.accept(w);
        return w.toBytes();
    }

    static final CtEntry V6_TCP;
    static final CtEntry V6_ICMP;
    static final CtEntry V4_UDP_NAT;
    static final CtExpect V6_EXPECT;

    static {
        CtTuple o6 = new CtTuple(ip("2001:db8::10"), ip("2001:db8:1::20"), CtTuple.TCP, 40000, 21);
        V6_TCP = new CtEntry(o6, o6.inverted(), 0x19e, 431_999, 7, 3, new CtEntry.Tcp(3, 7, 7, 0x23, 0x23),
            new CtEntry.SeqAdj(1000, 0, 2), new CtEntry.SeqAdj(0, 0, 0), "ftp", null, new byte[16]);
        // an IPv4-mapped source: still an IPv6 flow
        CtTuple i6 = new CtTuple(mapped("192.0.2.1"), ip("2001:db8::1"), CtTuple.ICMPV6, 0x1234, 128 << 8);
        V6_ICMP = new CtEntry(i6, new CtTuple(i6.dst(), i6.src(), CtTuple.ICMPV6, 0x1234, 129 << 8), 0x18e, 30, 0, 0,
            null, null, null, null, null, null);
        CtTuple u = new CtTuple(ip("192.0.2.100"), ip("203.0.113.5"), CtTuple.UDP, 5353, 53);
        V4_UDP_NAT = new CtEntry(u, new CtTuple(ip("198.51.100.53"), ip("203.0.113.1"), CtTuple.UDP, 53, 61000),
            0x1be, 120, 1, 0, null, null, null, null,
            new CtTuple(ip("192.0.2.100"), ip("203.0.113.5"), CtTuple.TCP, 40001, 21), null);
        CtTuple m6 = new CtTuple(ip("2001:db8::10"), ip("2001:db8:1::20"), CtTuple.TCP, 40000, 21);
        CtTuple t6 = new CtTuple(ip("2001:db8:1::20"), ip("2001:db8::10"), CtTuple.TCP, 0, 50000);
        CtTuple k6 = new CtTuple(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            CtTuple.TCP, 0, 0xffff);
        V6_EXPECT = new CtExpect(m6, t6, k6, 300, CtExpect.PERMANENT, 0, 3, null, "nat-follow-master",
            new CtExpect.Nat(1, ip("2001:db8::10"), 50000));
    }

    static final int CT_NEW = CtCodec.type(CtCodec.IPCTNL_MSG_CT_NEW);
    static final int CT_DELETE = CtCodec.type(CtCodec.IPCTNL_MSG_CT_DELETE);
    static final int EXP_NEW = CtExpectCodec.type(CtExpectCodec.IPCTNL_MSG_EXP_NEW);
    static final int EXP_DELETE = CtExpectCodec.type(CtExpectCodec.IPCTNL_MSG_EXP_DELETE);

    /** Conntrack message bodies: the kernel's dumps, and the codec's update and create messages. */
    static List<byte[]> entryBodies() {
        List<byte[]> c = new ArrayList<>(List.of(CtCodecTest.KERNEL_TCP_SNAT, CtExpectCodecTest.KERNEL_FTP_CONTROL,
            CtExpectCodecTest.KERNEL_FTP_DATA));
        c.add(NetlinkFuzz.body(written(w -> CtCodec.writeNew(w, V6_TCP, false, true, 0, 1))));
        c.add(NetlinkFuzz.body(written(w -> CtCodec.writeNew(w, V6_ICMP, false, true, 0, 2))));
        c.add(NetlinkFuzz.body(written(w -> CtCodec.writeNew(w, V4_UDP_NAT, true, true, 0, 3))));
        return c;
    }

    static List<byte[]> deleteBodies() {
        return List.of(NetlinkFuzz.body(written(w -> CtCodec.writeDelete(w, V6_TCP.key(), 0, 4))),
            NetlinkFuzz.body(written(w -> CtCodec.writeDelete(w, V4_UDP_NAT.key(), 0, 5))));
    }

    static List<byte[]> expectBodies() {
        return List.of(CtExpectCodecTest.KERNEL_FTP_EXPECT,
            NetlinkFuzz.body(written(w -> CtExpectCodec.writeNew(w, V6_EXPECT, 0, 6))));
    }

    /** Whole notifications of every kind, as the kernel sends them (port id 0) or as echoes of a node's own. */
    static List<byte[]> notifications() {
        List<byte[]> c = new ArrayList<>();
        List<byte[]> entries = entryBodies();
        for (int i = 0; i < entries.size(); i++) {
            c.add(NetlinkFuzz.message(CT_NEW, i % 2 == 0 ? Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL : 0, 0,
                i % 3 == 0 ? 0 : 4242, entries.get(i)));
        }
        c.add(NetlinkFuzz.message(CT_DELETE, 0, 0, 0, CtCodecTest.KERNEL_TCP_SNAT));
        for (byte[] d : deleteBodies()) {
            c.add(NetlinkFuzz.message(CT_DELETE, 0, 0, 77, d));
        }
        for (byte[] x : expectBodies()) {
            c.add(NetlinkFuzz.message(EXP_NEW, Netlink.NLM_F_CREATE, 0, 0, x));
            c.add(NetlinkFuzz.message(EXP_DELETE, 0, 0, 0, x));
        }
        return c;
    }

    static ByteMutator bodies(List<byte[]> corpus) {
        return new ByteMutator(corpus).lengthFields(b -> NetlinkFuzz.body(b, 4));
    }

    /** An entry goes through an update message unchanged but for what updates leave out. */
    static void assertPlausible(CtEntry e) throws NetlinkDecodeException {
        assertThat(e.reply().ipv6()).isEqualTo(e.orig().ipv6());
        assertThat(e.orig().dst().getClass()).isEqualTo(e.orig().src().getClass());
        assertThat(e.reply().dst().getClass()).isEqualTo(e.reply().src().getClass());
        if (e.master() != null) {
            assertThat(e.master().ipv6()).isEqualTo(e.orig().ipv6());
        }
        assertThat(e.labels() == null || e.labels().length <= CtCodec.MAX_LABELS).isTrue();
        byte[] m = written(w -> CtCodec.writeNew(w, e, false, true, 0, 1));
        CtEntry back = CtCodec.decode(NetlinkFuzz.buffer(NetlinkFuzz.body(m)));
        assertThat(back).isEqualTo(new CtEntry(e.orig(), e.reply(), (e.status() & CtEntry.SETTABLE) | CtEntry.CONFIRMED,
            e.timeout(), e.mark(), e.zone(), e.tcp(), e.seqAdjOrig(), e.seqAdjReply(), e.helper(), null, e.labels()));
        assertThat(CtCodec.decodeKey(NetlinkFuzz.buffer(NetlinkFuzz.body(m)))).isEqualTo(e.key());
    }

    /** An expectation goes through a create message unchanged but for the helper name, which is not sent. */
    static void assertPlausible(CtExpect x) throws NetlinkDecodeException {
        assertThat(x.tuple().ipv6()).isEqualTo(x.master().ipv6());
        assertThat(x.mask().ipv6()).isEqualTo(x.master().ipv6());
        byte[] m = written(w -> CtExpectCodec.writeNew(w, x, 0, 1));
        assertThat(CtExpectCodec.decode(NetlinkFuzz.buffer(NetlinkFuzz.body(m)))).isEqualTo(new CtExpect(x.master(),
            x.tuple(), x.mask(), x.timeout(), x.flags() & ~CtExpect.USERSPACE, x.expectClass(), x.zone(), null,
            x.function(), x.nat()));
    }

    @Test
    void aMillionMutatedConntrackMessagesDecodeToPlausibleEntriesOrAreRejected() {
        Fuzz.runParallel("ctnetlink CtCodec.decode", ITERATIONS, bodies(entryBodies()), NetlinkDecodeException.class,
            in -> assertPlausible(CtCodec.decode(NetlinkFuzz.buffer(in)))).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void aMillionMutatedConntrackMessagesDecodeToKeysOrAreRejected() {
        List<byte[]> corpus = new ArrayList<>(entryBodies());
        corpus.addAll(deleteBodies());
        Fuzz.runParallel("ctnetlink CtCodec.decodeKey", ITERATIONS, bodies(corpus), NetlinkDecodeException.class, in -> {
            CtEntry.Key k = CtCodec.decodeKey(NetlinkFuzz.buffer(in));
            assertThat(k.orig().dst().getClass()).isEqualTo(k.orig().src().getClass());
            assertThat(k.zone()).isBetween(0, 0xffff);
            CtEntry e;
            try {
                e = CtCodec.decode(NetlinkFuzz.buffer(in));
            } catch (NetlinkDecodeException notAnEntry) {
                return;
            }
            assertThat(e.key()).as("the key of the whole entry").isEqualTo(k);
        }).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void aMillionMutatedExpectationMessagesDecodeToPlausibleExpectationsOrAreRejected() {
        Fuzz.runParallel("ctnetlink CtExpectCodec.decode", ITERATIONS, bodies(expectBodies()), NetlinkDecodeException.class,
            in -> assertPlausible(CtExpectCodec.decode(NetlinkFuzz.buffer(in)))).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void aMillionMutatedNotificationsAreEventsOrUndecodable() {
        ByteMutator m = new ByteMutator(notifications()).lengthFields(b -> NetlinkFuzz.datagram(b, 4));
        Fuzz.runParallel("ctnetlink Ctnetlink.event", ITERATIONS, m, NetlinkDecodeException.class, in -> {
            NetlinkSocket.Message msg = NetlinkFuzz.asMessage(in);
            if (msg == null) {
                return;
            }
            Ctnetlink.Event ev;
            try {
                ev = Ctnetlink.event(msg);
            } catch (NetlinkDecodeException e) {
                assertThat(Ctnetlink.eventOrUndecodable(msg)).as("in a batch: in the bad one's place")
                    .isEqualTo(new Ctnetlink.Undecodable(msg.type(), e.getMessage(), msg.portId()));
                throw e;
            }
            assertThat(Ctnetlink.eventOrUndecodable(msg)).isEqualTo(ev);
            switch (ev) {
                case null -> assertThat(msg.type()).isNotIn(CT_NEW, CT_DELETE, EXP_NEW, EXP_DELETE);
                case Ctnetlink.CtEvent c when c.type() == Ctnetlink.EventType.DESTROY -> {
                    assertThat(msg.type()).isEqualTo(CT_DELETE);
                    assertThat(c.entry()).isNull();
                }
                case Ctnetlink.CtEvent c -> {
                    assertThat(msg.type()).isEqualTo(CT_NEW);
                    assertThat(c.type() == Ctnetlink.EventType.NEW)
                        .isEqualTo((msg.flags() & (Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL)) != 0);
                    assertThat(c.key()).isEqualTo(c.entry().key());
                    assertPlausible(c.entry());
                }
                case Ctnetlink.ExpectEvent x -> {
                    assertThat(x.destroyed()).isEqualTo(msg.type() == EXP_DELETE);
                    assertPlausible(x.expect());
                }
                case Ctnetlink.Undecodable u -> throw new AssertionError("event() returned " + u);
            }
            if (ev != null) {
                assertThat(ev.portId()).isEqualTo(msg.portId());
            }
        }).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void theGoldenMessagesStillDecode() throws Exception {
        for (byte[] b : entryBodies()) {
            assertPlausible(CtCodec.decode(NetlinkFuzz.buffer(b)));
        }
        for (byte[] b : deleteBodies()) {
            assertThat(CtCodec.decodeKey(NetlinkFuzz.buffer(b)).orig()).isNotNull();
        }
        for (byte[] b : expectBodies()) {
            assertPlausible(CtExpectCodec.decode(NetlinkFuzz.buffer(b)));
        }
        for (byte[] b : notifications()) {
            assertThat(Ctnetlink.event(NetlinkFuzz.asMessage(b))).isNotNull();
        }
        assertThat(CtCodec.decode(NetlinkFuzz.buffer(entryBodies().get(3)))).isEqualTo(new CtEntry(V6_TCP.orig(),
            V6_TCP.reply(), 0x19e & CtEntry.SETTABLE | CtEntry.CONFIRMED, V6_TCP.timeout(), V6_TCP.mark(), V6_TCP.zone(),
            V6_TCP.tcp(), V6_TCP.seqAdjOrig(), V6_TCP.seqAdjReply(), "ftp", null, new byte[16]));
        assertThat(CtExpectCodec.decode(NetlinkFuzz.buffer(expectBodies().get(1)))).isEqualTo(V6_EXPECT);
    }
}
