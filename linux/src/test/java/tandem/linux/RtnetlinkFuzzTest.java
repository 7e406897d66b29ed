package tandem.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;
import tandem.testkit.LengthField;

/**
 * A million mutated link messages, address messages and datagrams, built from a capture of Linux 6.18
 * (RTM_GETLINK and RTM_GETADDR dumps in a network namespace with a veth pair: lan0, 02:00:00:00:00:01,
 * 192.0.2.10/24, 192.0.2.99/24 secondary, 2001:db8::10/64), into the rtnetlink parsers and into
 * NetlinkSocket's split of a datagram into messages. The only outcomes allowed: a plausible result or a
 * {@link NetlinkDecodeException} saying what was expected.
 */
class RtnetlinkFuzzTest {
    static final int ITERATIONS = 1_000_000;
    static final HexFormat HEX = HexFormat.of();

    /** RTM_NEWLINK of lan0 (ifindex 3, up, veth), with every attribute the kernel sends. */
    static final byte[] KERNEL_LINK_LAN0 = HEX.parseHex(
        "d80500001000020007000000786f000000000100030000004310010000000000090003006c616e300000000008000d00e803000005001000"
        + "060000000500110000000000050043000000000008000400dc050000080032004400000008003300ffff000008001b000000000008001e00"
        + "0000000008003d000000000008001f000200000008002800ffff0000080029000000010008003a000000010008003f000000010008004000"
        + "0000010008003b00f8ff070008003c00ffff0000080042000000000008002000020000000500210001000000080023000200000008002f00"
        + "0100000008003000010000000600440000000000060045000000000005002700000000000a00010002000000000100000a000200ffffffff"
        + "ffff0000cc001700060000000000000005000000000000000402000000000000e60100000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000064000700060000000500000004020000"
        + "e601000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "000000000000000000000000000000000000000000000000000000000c002b00050002000000000010001200090001007665746800000000"
        + "08000500020000000c0006006e6f71756575650030031a008c00020088000100000000000000000000000000010000000100000001000000"
        + "0100000000000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "00000000000000000000000000000000000000000000000010270000e80300000000000000000000000000000000000001000000a0020a00"
        + "080001001000008014000500ffff00005ce00100d4520000e8030000f40002000000000040000000dc050000010000000100000001000000"
        + "01000000ffffffffa00f0000e803000000000000803a09008051010003000000580200001000000000000000010000000100000001000000"
        + "60ea000000000000000000000000000000000000000000000000000001000000000000000000000010270000e80300000100000000000000"
        + "00000000010000000000000000000000010000000000000000000000000000000000000080ee360000000000000000000100000000000000"
        + "000000000000000000000000000000000004000000000000ffff0000ffffffff010000000000000000000000000000003401030026000000"
        + "000000000600000000000000b001000000000000000000000000000006000000000000000000000000000000000000000000000000000000"
        + "0000000005000000000000000500000000000000a00100000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006000000"
        + "00000000050000000000000000000000000000000000000000000000b001000000000000a001000000000000000000000000000000000000"
        + "00000000000000000000000000000000000000003c0006000700000000000000000000000000000000000000000000000500000000000000"
        + "0000000000000000000000000000000000000000000000001400070000000000000000000000000000000000050008000000000024000e00"
        + "000000000000000000000000000000000000000000000000000000000000000004003e8004004180");

    /** RTM_NEWADDR: 192.0.2.10/24 and 192.0.2.99/24 (secondary) on lan0, fe80::/64 on lan1, 2001:db8::10/64 and fe80::/64 on lan0. */
    static final byte[][] KERNEL_ADDRESSES = {
        HEX.parseHex("500000001400020007000000786f0000021880000300000008000100c000020a08000200c000020a090003006c616e300000000008000800"
            + "8000000014000600ffffffffffffffff5ce001005ce00100"),
        HEX.parseHex("500000001400020007000000786f0000021881000300000008000100c000026308000200c0000263090003006c616e300000000008000800"
            + "8100000014000600ffffffffffffffff5ce001005ce00100"),
        HEX.parseHex("500000001400020007000000786f00000a4080fd0200000014000100fe80000000000000942cc0fffe635e0214000600ffffffffffffffff"
            + "5ce001005ce00100080008008000000005000b0003000000"),
        HEX.parseHex("480000001400020007000000786f00000a408200030000001400010020010db800000000000000000000001014000600ffffffffffffffff"
            + "5ce001005ce001000800080082000000"),
        HEX.parseHex("500000001400020007000000786f00000a4080fd0300000014000100fe80000000000000000000fffe00000114000600ffffffffffffffff"
            + "5ce001005ce00100080008008000000005000b0003000000")
    };

    /** A small RTM_DELLINK: ifinfomsg, name and MAC only. */
    static final byte[] SMALL_DELLINK = new Netlink.Writer(64).message(Rtnetlink.RTM_DELLINK, 0, 0)
        .raw(new byte[] {0, 0, 1, 0, 9, 0, 0, 0, 0x43, 0x10, 1, 0, 0, 0, 0, 0})
        .string(Rtnetlink.IFLA_IFNAME, "wan").bytes(Rtnetlink.IFLA_ADDRESS, new byte[] {2, 0, 0, 0, 0, 9})
        .endMessage().toBytes();

    static final byte[] DONE = NetlinkFuzz.message(Netlink.NLMSG_DONE, Netlink.NLM_F_MULTI, 7, 0x6f78, new byte[4]);

    /** Family header octets of a message type: ifinfomsg 16, ifaddrmsg 8, nfgenmsg 4. */
    static int familyHeader(byte[] message) {
        int type = message.length < 6 ? 0 : (message[4] & 0xff) | (message[5] & 0xff) << 8;
        return type >= 16 && type <= 19 ? 16 : type >= 20 && type <= 23 ? 8 : 4;
    }

    static List<byte[]> linkBodies() {
        return List.of(NetlinkFuzz.body(KERNEL_LINK_LAN0), NetlinkFuzz.body(SMALL_DELLINK));
    }

    static List<byte[]> addressBodies() {
        List<byte[]> c = new ArrayList<>();
        for (byte[] m : KERNEL_ADDRESSES) {
            c.add(NetlinkFuzz.body(m));
        }
        return c;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Datagrams as dumps and notifications come: one message, several, and a dump's end. */
    static List<byte[]> datagrams() {
        return List.of(KERNEL_LINK_LAN0, SMALL_DELLINK, concat(KERNEL_ADDRESSES), concat(KERNEL_ADDRESSES[3], DONE),
            KERNEL_ADDRESSES[0], DONE);
    }

    /** Length fields of a datagram: nlmsg_len and the attributes after each message's family header. */
    static List<LengthField> datagramFields(byte[] b) {
        List<LengthField> out = new ArrayList<>();
        int off = 0;
        while (off + 16 <= b.length) {
            LengthField len = LengthField.u32le(off);
            out.add(len);
            long n = len.read(b);
            if (n < 16 || n > b.length - off) {
                break;
            }
            NetlinkFuzz.attributes(b, off + 16 + familyHeader(java.util.Arrays.copyOfRange(b, off, off + 6)),
                off + (int) n, out);
            off += (int) ((n + 3) & ~3);
        }
        return out;
    }

    static void assertPlausible(Rtnetlink.Link l) {
        assertThat(l.index()).isPositive();
        assertThat(l.name() == null || !l.name().isEmpty() && l.name().length() <= Rtnetlink.MAX_IFNAME).isTrue();
        assertThat(l.mac().length).isLessThanOrEqualTo(Rtnetlink.MAX_LINK_ADDRESS);
    }

    static void assertPlausible(Rtnetlink.IfAddress a, byte[] body) {
        boolean v6 = (body[0] & 0xff) == Libc.AF_INET6;
        assertThat(a.address() instanceof Inet6Address).isEqualTo(v6);
        assertThat(a.prefixLength()).isBetween(0, v6 ? 128 : 32);
        assertThat(a.index()).isPositive();
    }

    @Test
    void aMillionMutatedLinkMessagesAreLinksOrRejected() {
        ByteMutator m = new ByteMutator(linkBodies()).lengthFields(b -> NetlinkFuzz.body(b, 16));
        Fuzz.runParallel("rtnetlink link", ITERATIONS, m, NetlinkDecodeException.class,
            in -> assertPlausible(Rtnetlink.parseLink(NetlinkFuzz.buffer(in)))).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void aMillionMutatedAddressMessagesAreAddressesOrRejected() {
        ByteMutator m = new ByteMutator(addressBodies()).lengthFields(b -> NetlinkFuzz.body(b, 8));
        Fuzz.runParallel("rtnetlink address", ITERATIONS, m, NetlinkDecodeException.class, in -> {
            Rtnetlink.IfAddress a = Rtnetlink.parseAddress(NetlinkFuzz.buffer(in));
            if (a == null) {
                assertThat(in[0] & 0xff).isNotIn(Libc.AF_INET, Libc.AF_INET6);
            } else {
                assertPlausible(a, in);
            }
        }).requireBothOutcomes(ITERATIONS);
    }

    /**
     * Splits {@code in} as it were a datagram at offset 5 of a receive buffer with other octets around
     * it, checks the messages against a split of the plain array, and returns them.
     */
    static List<NetlinkSocket.Message> split(byte[] in) throws NetlinkDecodeException {
        byte[] slot = new byte[in.length + 11];
        java.util.Arrays.fill(slot, (byte) 0x5a);
        System.arraycopy(in, 0, slot, 5, in.length);
        List<NetlinkSocket.Message> plain = new ArrayList<>();
        NetlinkDecodeException plainError = null;
        try {
            NetlinkSocket.split(in, 0, in.length, plain);
        } catch (NetlinkDecodeException e) {
            plainError = e;
        }
        List<NetlinkSocket.Message> out = new ArrayList<>();
        try {
            NetlinkSocket.split(slot, 5, 5 + in.length, out);
        } catch (NetlinkDecodeException e) {
            assertThat(e.getMessage()).isEqualTo(plainError == null ? null : plainError.getMessage());
            assertThat(out).hasSameSizeAs(plain);
            throw e;
        }
        assertThat(plainError).isNull();
        assertThat(out).hasSameSizeAs(plain);
        // the messages cover the datagram: headers and bodies in place, each aligned to 4 octets
        int at = 0;
        for (int i = 0; i < out.size(); i++) {
            NetlinkSocket.Message m = out.get(i);
            NetlinkSocket.Message p = plain.get(i);
            byte[] again = NetlinkFuzz.message(m.type(), m.flags(), m.seq(), m.portId(), bytes(m.body()));
            assertThat(java.util.Arrays.copyOfRange(in, at, at + again.length)).isEqualTo(again);
            assertThat(bytes(p.body())).isEqualTo(bytes(m.body()));
            at += Math.min(in.length - at, (again.length + 3) & ~3);
        }
        assertThat(at).isEqualTo(in.length);
        return out;
    }

    static byte[] bytes(java.nio.ByteBuffer b) {
        byte[] v = new byte[b.limit()];
        b.get(0, v);
        return v;
    }

    @Test
    void aMillionMutatedDatagramsSplitIntoTheirMessagesOrAreRejected() {
        ByteMutator m = new ByteMutator(datagrams()).lengthFields(RtnetlinkFuzzTest::datagramFields);
        Fuzz.runParallel("netlink datagram split", ITERATIONS, m, NetlinkDecodeException.class, in -> split(in))
            .requireBothOutcomes(ITERATIONS);
    }

    @Test
    void mutatedNotificationsAreEventsOrRejected() {
        ByteMutator m = new ByteMutator(datagrams()).lengthFields(RtnetlinkFuzzTest::datagramFields);
        Fuzz.runParallel("rtnetlink notification", ITERATIONS / 4, m, NetlinkDecodeException.class, in -> {
            for (NetlinkSocket.Message msg : split(in)) {
                Rtnetlink.Event e = Rtnetlink.event(msg);
                switch (e) {
                    case null -> {
                    }
                    case Rtnetlink.LinkEvent l -> {
                        assertThat(l.deleted()).isEqualTo(msg.type() == Rtnetlink.RTM_DELLINK);
                        assertPlausible(l.link());
                    }
                    case Rtnetlink.AddressEvent a -> {
                        assertThat(a.deleted()).isEqualTo(msg.type() == Rtnetlink.RTM_DELADDR);
                        assertPlausible(a.address(), bytes(msg.body()));
                    }
                }
            }
        }).requireBothOutcomes(ITERATIONS / 4);
    }

    @Test
    void theCapturedMessagesStillDecode() throws Exception {
        Rtnetlink.Link lan0 = Rtnetlink.parseLink(NetlinkFuzz.buffer(NetlinkFuzz.body(KERNEL_LINK_LAN0)));
        assertThat(lan0.index()).isEqualTo(3);
        assertThat(lan0.name()).isEqualTo("lan0");
        assertThat(lan0.mac()).isEqualTo(new byte[] {2, 0, 0, 0, 0, 1});
        assertThat(lan0.operational()).isTrue();
        List<String> addresses = new ArrayList<>();
        for (byte[] b : addressBodies()) {
            Rtnetlink.IfAddress a = Rtnetlink.parseAddress(NetlinkFuzz.buffer(b));
            addresses.add(a.address().getHostAddress() + "/" + a.prefixLength() + " " + a.index()
                + (a.secondary() ? " secondary" : ""));
        }
        assertThat(addresses).containsExactly("192.0.2.10/24 3", "192.0.2.99/24 3 secondary",
            "fe80:0:0:0:942c:c0ff:fe63:5e02/64 2", "2001:db8:0:0:0:0:0:10/64 3", "fe80:0:0:0:0:ff:fe00:1/64 3");
        assertThat(split(concat(KERNEL_ADDRESSES))).hasSize(5);
        assertThat(Rtnetlink.event(NetlinkFuzz.asMessage(SMALL_DELLINK)))
            .isInstanceOfSatisfying(Rtnetlink.LinkEvent.class, e -> assertThat(e.deleted()).isTrue());
    }

    @Test
    void aLyingMessageLengthIsRejectedSayingWhatWasGotAndExpected() {
        byte[] d = concat(KERNEL_ADDRESSES[0], KERNEL_ADDRESSES[1]);
        LengthField.u32le(80).write(d, 0x7ffffff8L); // second message: nlmsg_len beyond the datagram (and int range)
        List<NetlinkSocket.Message> out = new ArrayList<>();
        assertThatThrownBy(() -> NetlinkSocket.split(d, 0, d.length, out))
            .isInstanceOf(NetlinkDecodeException.class)
            .hasMessage("netlink datagram: nlmsg_len 2147483640 at octet 80, 80 octets left (expected: 16..80)");
        assertThat(out).as("the message before the lie").hasSize(1);
        LengthField.u32le(80).write(d, 12);
        assertThatThrownBy(() -> NetlinkSocket.split(d, 0, d.length, new ArrayList<>()))
            .hasMessage("netlink datagram: nlmsg_len 12 at octet 80, 80 octets left (expected: 16..80)");
        assertThatThrownBy(() -> NetlinkSocket.split(d, 0, 90, new ArrayList<>()))
            .hasMessage("netlink datagram: 10 octets at octet 80 (expected: a 16-octet nlmsghdr)");
    }

    @Test
    void aTruncatedAddressMessageIsRejectedNamingItsLength() {
        assertThatThrownBy(() -> Rtnetlink.parseAddress(NetlinkFuzz.buffer(new byte[] {2, 24, 0})))
            .isInstanceOf(NetlinkDecodeException.class)
            .hasMessage("address message: 3 octets (expected: at least the 8-octet ifaddrmsg)");
        byte[] v4with16 = NetlinkFuzz.body(KERNEL_ADDRESSES[3]).clone();
        v4with16[0] = (byte) Libc.AF_INET;
        assertThatThrownBy(() -> Rtnetlink.parseAddress(NetlinkFuzz.buffer(v4with16)))
            .hasMessageStartingWith("address message: prefix length 64 (expected: 0..32)");
    }
}
