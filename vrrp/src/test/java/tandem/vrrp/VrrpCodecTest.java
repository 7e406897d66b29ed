package tandem.vrrp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VrrpCodecTest {
    static final HexFormat HEX = HexFormat.of();
    // Captured with tcpdump from keepalived 2.2.7 (see docs/design/vrrp.txt, "golden bytes").
    static final byte[] KEEPALIVED_V3_IPV4 = HEX.parseHex("31336401006405d4c0000201");
    static final byte[] KEEPALIVED_V3_IPV6 = HEX.parseHex("3134640100643e8b20010db8000100000000000000000001");
    static final byte[] KEEPALIVED_V2_PASS = HEX.parseHex("2135640101017b78c00002357333637265740000");

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void decodesKeepalivedV3Ipv4AdvertisementIncludingPseudoHeaderChecksum() throws Exception {
        var adv = VrrpCodec.decode(KEEPALIVED_V3_IPV4, 0, KEEPALIVED_V3_IPV4.length, ip("192.0.2.2"),
            VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568);
        assertThat(adv).isEqualTo(VrrpAdvertisement.v3(51, 100, 100, List.of(ip("192.0.2.1"))));
    }

    @Test
    void encodesTheSameBytesAsKeepalivedForV3Ipv4() throws Exception {
        byte[] out = VrrpCodec.encode(VrrpAdvertisement.v3(51, 100, 100, List.of(ip("192.0.2.1"))),
            ip("192.0.2.2"), VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568);
        assertThat(HEX.formatHex(out)).isEqualTo(HEX.formatHex(KEEPALIVED_V3_IPV4));
    }

    @Test
    void encodesTheSameBytesAsKeepalivedForV3Ipv6() throws Exception {
        byte[] out = VrrpCodec.encode(VrrpAdvertisement.v3(52, 100, 100, List.of(ip("2001:db8:1::1"))),
            ip("fe80::2"), VrrpConstants.IPV6_GROUP, ChecksumMode.RFC9568);
        assertThat(HEX.formatHex(out)).isEqualTo(HEX.formatHex(KEEPALIVED_V3_IPV6));
        var back = VrrpCodec.decode(out, 0, out.length, ip("fe80::2"), VrrpConstants.IPV6_GROUP, ChecksumMode.RFC9568);
        assertThat(back.addresses()).containsExactly(ip("2001:db8:1::1"));
    }

    @Test
    void ipv6ChecksumAlwaysUsesThePseudoHeaderWhateverTheMode() throws Exception {
        var adv = VrrpCodec.decode(KEEPALIVED_V3_IPV6, 0, KEEPALIVED_V3_IPV6.length, ip("fe80::2"),
            VrrpConstants.IPV6_GROUP, ChecksumMode.NO_PSEUDO_HEADER);
        assertThat(adv.vrid()).isEqualTo(52);
    }

    @Test
    void encodesTheSameBytesAsKeepalivedForV2WithSimplePassword() throws Exception {
        byte[] pass = java.util.Arrays.copyOf("s3cret".getBytes(), 8);
        var adv = new VrrpAdvertisement(VrrpVersion.V2, 53, 100, 100, List.of(ip("192.0.2.53")),
            AuthType.SIMPLE_TEXT, pass);
        byte[] out = VrrpCodec.encode(adv, ip("192.0.2.2"), VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568);
        assertThat(HEX.formatHex(out)).isEqualTo(HEX.formatHex(KEEPALIVED_V2_PASS));
        assertThat(VrrpCodec.decode(out, 0, out.length, ip("192.0.2.2"), VrrpConstants.IPV4_GROUP,
            ChecksumMode.RFC9568)).isEqualTo(adv);
    }

    @Test
    void noPseudoHeaderModeRejectsKeepalivedV3Ipv4AndAcceptsItsOwnEncoding() throws Exception {
        assertThatThrownBy(() -> VrrpCodec.decode(KEEPALIVED_V3_IPV4, 0, 12, ip("192.0.2.2"),
            VrrpConstants.IPV4_GROUP, ChecksumMode.NO_PSEUDO_HEADER))
            .isInstanceOfSatisfying(VrrpDecodeException.class, e -> assertThat(e.reason()).isEqualTo(DropReason.CHECKSUM));
        var adv = VrrpAdvertisement.v3(51, 100, 100, List.of(ip("192.0.2.1")));
        byte[] out = VrrpCodec.encode(adv, ip("192.0.2.2"), VrrpConstants.IPV4_GROUP, ChecksumMode.NO_PSEUDO_HEADER);
        assertThat(InternetChecksum.of(out, 0, out.length)).isZero();
    }

    @Test
    void seededRandomAdvertisementsRoundTripInEveryVersionAndFamily() throws Exception {
        Random rnd = new Random(5798);
        for (int i = 0; i < 2000; i++) {
            boolean v6 = rnd.nextBoolean();
            VrrpVersion version = v6 || rnd.nextBoolean() ? VrrpVersion.V3 : VrrpVersion.V2;
            int n = 1 + rnd.nextInt(v6 ? 8 : 20);
            List<InetAddress> addrs = new java.util.ArrayList<>();
            for (int k = 0; k < n; k++) {
                byte[] b = new byte[v6 ? 16 : 4];
                rnd.nextBytes(b);
                addrs.add(InetAddress.getByAddress(b));
            }
            int interval = version == VrrpVersion.V3 ? 1 + rnd.nextInt(4095) : 100 * (1 + rnd.nextInt(255));
            byte[] auth = new byte[8];
            rnd.nextBytes(auth);
            var adv = version == VrrpVersion.V3
                ? VrrpAdvertisement.v3(1 + rnd.nextInt(255), rnd.nextInt(256), interval, addrs)
                : new VrrpAdvertisement(version, 1 + rnd.nextInt(255), rnd.nextInt(256), interval, addrs,
                    AuthType.SIMPLE_TEXT, auth);
            InetAddress src = v6 ? ip("fe80::" + Integer.toHexString(1 + rnd.nextInt(0xfffe))) : ip("198.51.100." + rnd.nextInt(255));
            InetAddress dst = v6 ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP;
            byte[] wire = VrrpCodec.encode(adv, src, dst, ChecksumMode.RFC9568);
            assertThat(VrrpCodec.decode(wire, 0, wire.length, src, dst, ChecksumMode.RFC9568)).isEqualTo(adv);
        }
    }

    private static DropReason reasonOf(byte[] b, int len, String src) {
        try {
            VrrpCodec.decode(b, 0, len, ip(src), src.contains(":") ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP,
                ChecksumMode.RFC9568);
            return null;
        } catch (VrrpDecodeException e) {
            assertThat(e.getMessage()).contains("expected");
            return e.reason();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void truncatedPacketsAreLengthDrops() {
        assertThat(reasonOf(KEEPALIVED_V3_IPV4, 7, "192.0.2.2")).isEqualTo(DropReason.LENGTH);
        assertThat(reasonOf(KEEPALIVED_V3_IPV4, 11, "192.0.2.2")).isEqualTo(DropReason.LENGTH);
        assertThat(reasonOf(KEEPALIVED_V2_PASS, 19, "192.0.2.2")).isEqualTo(DropReason.LENGTH);
        assertThat(reasonOf(KEEPALIVED_V3_IPV6, 23, "fe80::2")).isEqualTo(DropReason.LENGTH);
    }

    @Test
    void aFlippedBitIsAChecksumDrop() {
        byte[] b = KEEPALIVED_V3_IPV4.clone();
        b[2] ^= 1;
        assertThat(reasonOf(b, b.length, "192.0.2.2")).isEqualTo(DropReason.CHECKSUM);
        assertThat(reasonOf(KEEPALIVED_V3_IPV4, 12, "192.0.2.9")).as("other source in pseudo-header")
            .isEqualTo(DropReason.CHECKSUM);
    }

    private static byte[] withFixedChecksum(byte[] b, String src) throws Exception {
        b[6] = 0;
        b[7] = 0;
        int sum = InternetChecksum.withPseudoHeader(ip(src), VrrpConstants.IPV4_GROUP, 112, b, 0, b.length);
        b[6] = (byte) (sum >>> 8);
        b[7] = (byte) sum;
        return b;
    }

    @Test
    void unknownVersionIsAVersionDropAndV2OverIpv6Too() throws Exception {
        byte[] b = KEEPALIVED_V3_IPV4.clone();
        b[0] = 0x41;
        assertThat(reasonOf(withFixedChecksum(b, "192.0.2.2"), 12, "192.0.2.2")).isEqualTo(DropReason.VERSION);
        byte[] v2on6 = KEEPALIVED_V3_IPV6.clone();
        v2on6[0] = 0x21;
        // 24 octets hold 1 IPv6 address + no room for v2 auth data: the length check fires first
        assertThat(reasonOf(v2on6, v2on6.length, "fe80::2")).isEqualTo(DropReason.LENGTH);
    }

    @Test
    void unknownTypeIsATypeDrop() throws Exception {
        byte[] b = KEEPALIVED_V3_IPV4.clone();
        b[0] = 0x32;
        assertThat(reasonOf(withFixedChecksum(b, "192.0.2.2"), 12, "192.0.2.2")).isEqualTo(DropReason.TYPE);
    }

    @Test
    void vridZeroIsAVridDrop() throws Exception {
        byte[] b = KEEPALIVED_V3_IPV4.clone();
        b[1] = 0;
        assertThat(reasonOf(withFixedChecksum(b, "192.0.2.2"), 12, "192.0.2.2")).isEqualTo(DropReason.VRID);
    }

    @Test
    void checksOrderCheapFirstLengthBeatsChecksum() throws Exception {
        byte[] b = KEEPALIVED_V3_IPV4.clone();
        b[3] = 5; // claims five addresses, has one; checksum now wrong as well
        assertThat(reasonOf(b, 12, "192.0.2.2")).isEqualTo(DropReason.LENGTH);
    }

    @Test
    void encodeRejectsIntervalsOutsideTheField() throws Exception {
        assertThatThrownBy(() -> VrrpCodec.encode(VrrpAdvertisement.v3(1, 100, 4096, List.of(ip("192.0.2.1"))),
            ip("192.0.2.2"), VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568))
            .hasMessage("v3 max advertise interval: 4096 centiseconds (expected: 1..4095)");
    }
}
