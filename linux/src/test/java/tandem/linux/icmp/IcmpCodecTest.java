package tandem.linux.icmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;

class IcmpCodecTest {
    /** An echo reply as an IPv4 raw socket delivers it (IP header, then ICMP), from ping 192.0.2.11. */
    static final byte[] V4_REPLY = HexFormat.of().parseHex(
        "4500001c1a2b00004001dc5dc000020bc000020a" + "0000f2cc0d330000");
    static final byte[] V6_REPLY = HexFormat.of().parseHex("8100abcd0d330007");

    @Test
    void anEchoRequestCarriesIdentifierSequenceAndAValidChecksum() {
        byte[] r = IcmpCodec.echoRequest(false, 0x0d33, 7, new byte[] {1, 2, 3});
        assertThat(r).startsWith(8, 0).hasSize(11);
        assertThat(IcmpCodec.checksum(r, 0, r.length)).isZero();
        assertThat(IcmpCodec.echoRequest(true, 0x0d33, 7, new byte[0])).containsExactly(0x80, 0, 0, 0, 0x0d, 0x33, 0, 7);
    }

    @Test
    void repliesOfBothFamiliesDecode() throws Exception {
        byte[] v4 = V4_REPLY.clone();
        int sum = IcmpCodec.checksum(v4, 20, 8);
        assertThat(sum).as("the capture's checksum").isZero();
        assertThat(IcmpCodec.decodeReply(v4, v4.length, false)).isEqualTo(new IcmpCodec.EchoReply(0x0d33, 0));
        assertThat(IcmpCodec.decodeReply(V6_REPLY, V6_REPLY.length, true)).isEqualTo(new IcmpCodec.EchoReply(0x0d33, 7));
    }

    @Test
    void otherPacketsAreRefusedSayingWhatWasExpected() {
        byte[] request = IcmpCodec.echoRequest(true, 1, 1, new byte[0]);
        assertThatThrownBy(() -> IcmpCodec.decodeReply(request, request.length, true))
            .hasMessage("ICMP type 128 code 0 (expected: echo reply, type 129 code 0)");
        byte[] bad = V4_REPLY.clone();
        bad[26] ^= 1;
        assertThatThrownBy(() -> IcmpCodec.decodeReply(bad, bad.length, false)).hasMessageContaining("checksum");
        assertThatThrownBy(() -> IcmpCodec.decodeReply(V4_REPLY, 10, false)).hasMessageContaining("at least 20 octets");
    }

    @Test
    void aMillionMutatedRepliesAreDecodedOrRefused() {
        for (boolean v6 : new boolean[] {false, true}) {
            ByteMutator m = new ByteMutator(List.of(v6 ? V6_REPLY : V4_REPLY,
                IcmpCodec.echoRequest(v6, 5, 9, new byte[16])));
            Fuzz.runParallel("icmp reply " + (v6 ? "v6" : "v4"), 500_000, rng -> {
                byte[] b = m.apply(rng);
                if (!v6 && b.length >= 28 && rng.nextBoolean()) { // a valid checksum now and then
                    int ihl = (b[0] & 0x0f) * 4;
                    if (ihl >= 20 && ihl + 8 <= b.length) {
                        b[ihl + 2] = 0;
                        b[ihl + 3] = 0;
                        int s = IcmpCodec.checksum(b, ihl, b.length - ihl);
                        b[ihl + 2] = (byte) (s >>> 8);
                        b[ihl + 3] = (byte) s;
                    }
                }
                return b;
            }, IcmpDecodeException.class, in -> IcmpCodec.decodeReply(in, in.length, v6)).requireBothOutcomes(500_000);
        }
    }
}
