package tandem.vrrp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;
import tandem.testkit.LengthField;
import tandem.testkit.Rng;

/**
 * Mutated advertisements from the keepalived captures of {@link VrrpCodecTest} (v3 over IPv4 and IPv6,
 * v2 with a password) and a few encoded ones with more addresses: the only outcomes allowed are an
 * advertisement that re-encodes to itself, or a {@link VrrpDecodeException} saying what was expected.
 * Half of the inputs get a valid checksum after mutation, so the checks behind the checksum run too.
 */
class VrrpCodecFuzzTest {
    static final int ITERATIONS = 1_000_000;
    static final InetAddress V4_SRC = ip("192.0.2.2");
    static final InetAddress V6_SRC = ip("fe80::2");

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static List<byte[]> corpus(boolean v6, ChecksumMode mode) {
        List<byte[]> c = new ArrayList<>();
        InetAddress src = v6 ? V6_SRC : V4_SRC;
        InetAddress dst = v6 ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP;
        if (v6) {
            c.add(VrrpCodecTest.KEEPALIVED_V3_IPV6);
            c.add(VrrpCodec.encode(VrrpAdvertisement.v3(9, 254, 4095, List.of(ip("2001:db8::1"), ip("2001:db8::2"),
                ip("fe80::1"))), src, dst, mode));
        } else {
            if (mode == ChecksumMode.RFC9568) {
                c.add(VrrpCodecTest.KEEPALIVED_V3_IPV4);
            }
            c.add(VrrpCodecTest.KEEPALIVED_V2_PASS);
            c.add(VrrpCodec.encode(VrrpAdvertisement.v3(200, 0, 1, List.of(ip("192.0.2.1"), ip("192.0.2.7"),
                ip("198.51.100.1"), ip("203.0.113.9"))), src, dst, mode));
            c.add(VrrpCodec.encode(new VrrpAdvertisement(VrrpVersion.V2, 1, 255, 25_500, List.of(ip("192.0.2.1"),
                ip("192.0.2.2")), AuthType.NONE, new byte[8]), src, dst, mode));
        }
        return c;
    }

    /** Mutates, then (every other input) sets the checksum the receiver will compute. */
    static Function<Rng, byte[]> generator(boolean v6, ChecksumMode mode) {
        ByteMutator m = new ByteMutator(corpus(v6, mode)).lengthFields(b -> List.of(LengthField.u8(3)));
        InetAddress src = v6 ? V6_SRC : V4_SRC;
        InetAddress dst = v6 ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP;
        return rng -> {
            byte[] b = m.apply(rng);
            if (b.length >= VrrpConstants.HEADER_LENGTH && rng.nextBoolean()) {
                b[6] = 0;
                b[7] = 0;
                VrrpVersion version = (b[0] & 0xf0) == 0x20 ? VrrpVersion.V2 : VrrpVersion.V3;
                int sum = VrrpCodec.checksum(version, mode, src, dst, b, 0, b.length);
                b[6] = (byte) (sum >>> 8);
                b[7] = (byte) sum;
            }
            return b;
        };
    }

    static Fuzz.Report fuzz(String name, boolean v6, ChecksumMode mode, int iterations) {
        InetAddress src = v6 ? V6_SRC : V4_SRC;
        InetAddress dst = v6 ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP;
        return Fuzz.runParallel(name, iterations, generator(v6, mode), VrrpDecodeException.class, in -> {
            VrrpAdvertisement adv;
            try {
                adv = VrrpCodec.decode(in, 0, in.length, src, dst, mode);
            } catch (VrrpDecodeException e) {
                // the same octets elsewhere in a larger buffer are the same drop
                byte[] shifted = new byte[in.length + 5];
                System.arraycopy(in, 0, shifted, 3, in.length);
                assertThatThrownBy(() -> VrrpCodec.decode(shifted, 3, in.length, src, dst, mode))
                    .isInstanceOfSatisfying(VrrpDecodeException.class, s -> assertThat(s.reason()).isEqualTo(e.reason()));
                throw e;
            }
            assertThat(adv.addresses()).hasSize(in[3] & 0xff)
                .allMatch(a -> a.getAddress().length == (v6 ? 16 : 4));
            assertThat(adv.vrid()).isBetween(1, 255);
            assertThat(adv.intervalCentis()).isPositive();
            byte[] again = VrrpCodec.encode(adv, src, dst, mode);
            assertThat(VrrpCodec.decode(again, 0, again.length, src, dst, mode)).isEqualTo(adv);
        });
    }

    @Test
    void aMillionMutatedIpv4AdvertisementsOfBothVersionsAreDecodedOrDropped() {
        fuzz("vrrp ipv4 v2+v3", false, ChecksumMode.RFC9568, ITERATIONS).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void aMillionMutatedIpv6AdvertisementsAreDecodedOrDropped() {
        fuzz("vrrp ipv6 v3", true, ChecksumMode.RFC9568, ITERATIONS).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void mutatedAdvertisementsWithoutPseudoHeaderChecksumAreDecodedOrDropped() {
        fuzz("vrrp ipv4 no-pseudo-header", false, ChecksumMode.NO_PSEUDO_HEADER, ITERATIONS / 4)
            .requireBothOutcomes(ITERATIONS / 4);
    }

    @Test
    void theGoldenPacketsStillDecode() throws Exception {
        for (boolean v6 : new boolean[] {false, true}) {
            for (byte[] b : corpus(v6, ChecksumMode.RFC9568)) {
                assertThat(VrrpCodec.decode(b, 0, b.length, v6 ? V6_SRC : V4_SRC,
                    v6 ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568)).isNotNull();
            }
        }
    }

    static DropReason reason(byte[] b, int off, int len) {
        try {
            VrrpCodec.decode(b, off, len, V4_SRC, VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568);
            return null;
        } catch (VrrpDecodeException e) {
            assertThat(e.getMessage()).contains("expected");
            return e.reason();
        }
    }

    @Test
    void offsetsAndLengthsOutsideTheBufferAreLengthDrops() {
        byte[] b = VrrpCodecTest.KEEPALIVED_V3_IPV4;
        assertThat(reason(b, -1, 12)).isEqualTo(DropReason.LENGTH);
        assertThat(reason(b, 0, -1)).isEqualTo(DropReason.LENGTH);
        assertThat(reason(b, 1, 12)).isEqualTo(DropReason.LENGTH);
        assertThat(reason(b, 13, 0)).isEqualTo(DropReason.LENGTH);
        assertThat(reason(b, 4, Integer.MAX_VALUE)).isEqualTo(DropReason.LENGTH);
        assertThat(reason(b, Integer.MAX_VALUE, 8)).isEqualTo(DropReason.LENGTH);
        assertThat(reason(b, 0, 12)).isNull();
    }

    @Test
    void anAddressCountBeyondThePacketIsALengthDrop() {
        byte[] b = VrrpCodecTest.KEEPALIVED_V2_PASS.clone();
        b[3] = (byte) 255;
        assertThat(reason(b, 0, b.length)).isEqualTo(DropReason.LENGTH);
    }

    @Test
    void aZeroIntervalIsAnIntervalDropInBothVersions() {
        VrrpAdvertisement v3 = VrrpAdvertisement.v3(51, 100, 100, List.of(ip("192.0.2.1")));
        byte[] b = VrrpCodec.encode(v3, V4_SRC, VrrpConstants.IPV4_GROUP, ChecksumMode.RFC9568);
        b[4] = (byte) 0xf0; // reserved bits only
        b[5] = 0;
        fixChecksum(b, VrrpVersion.V3);
        assertThat(reason(b, 0, b.length)).isEqualTo(DropReason.INTERVAL);
        byte[] v2 = VrrpCodecTest.KEEPALIVED_V2_PASS.clone();
        v2[5] = 0;
        fixChecksum(v2, VrrpVersion.V2);
        assertThat(reason(v2, 0, v2.length)).isEqualTo(DropReason.INTERVAL);
    }

    private static void fixChecksum(byte[] b, VrrpVersion version) {
        b[6] = 0;
        b[7] = 0;
        int sum = VrrpCodec.checksum(version, ChecksumMode.RFC9568, V4_SRC, VrrpConstants.IPV4_GROUP, b, 0, b.length);
        b[6] = (byte) (sum >>> 8);
        b[7] = (byte) sum;
    }
}
