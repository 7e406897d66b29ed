package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;
import tandem.linux.Libc;
import tandem.linux.Netns;
import tandem.linux.SockAddr;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.InternetChecksum;
import tandem.vrrp.VrrpAdvertisement;
import tandem.vrrp.VrrpCodec;
import tandem.vrrp.VrrpConstants;

/** What tandem puts on the wire, as tshark sees it, and what it does with malformed input. */
class ProtocolIT extends LabTestBase {

    @Test
    void advertsOfEveryVersionAndFamilyAreDecodedByTsharkWithGoodChecksumsAndNoWarnings() throws Exception {
        String cfg = """
            node: {name: fw1, priority: 150}
            control: {socket: %s}
            instances:
              - {name: v4, interface: lan, vrid: 51, advert-interval: 50ms, virtual-addresses: [192.0.2.1/24, 192.0.2.5/24]}
              - {name: v6, interface: lan, vrid: 52, advert-interval: 50ms, virtual-addresses: [2001:db8:1::1/64]}
              - name: v2
                interface: lan
                vrid: 53
                version: 2
                auth: {type: pass, password: s3cret}
                virtual-addresses: [192.0.2.53/24]
            """.formatted(lab.socket("fw1"));
        lab.startTandem("fw1", lab.writeConfig("fw1.yaml", cfg));
        await().atMost(Duration.ofSeconds(10)).until(() -> "master".equals(clusterState("fw1")));
        Path pcap = lab.dir().resolve("vrrp.pcap");
        Sh.run("ip", "netns", "exec", lab.ns("fw2"), "tshark", "-q", "-i", "lan", "-a", "duration:3",
            "-f", "ip proto 112 or ip6 proto 112", "-w", pcap.toString());
        String fields = Sh.run("tshark", "-r", pcap.toString(), "-Y", "vrrp", "-T", "fields", "-E", "separator=|",
            "-e", "vrrp.version", "-e", "vrrp.virt_rtr_id", "-e", "vrrp.checksum.status", "-e", "ip.ttl",
            "-e", "ipv6.hlim", "-e", "_ws.expert");
        List<String> lines = fields.lines().toList();
        assertThat(lines).as("adverts of all three instances were captured")
            .anyMatch(l -> l.startsWith("3|51|")).anyMatch(l -> l.startsWith("3|52|")).anyMatch(l -> l.startsWith("2|53|"));
        for (String l : lines) {
            String[] f = l.split("\\|", -1);
            assertThat(f[2]).as("checksum status Good in " + l).isEqualTo("1");
            assertThat(f[3] + f[4]).as("TTL / hop limit in " + l).isEqualTo("255");
            assertThat(f[5]).as("no expert info (warnings) in " + l).isEmpty();
        }
        String verbose = Sh.run("tshark", "-r", pcap.toString(), "-Y", "vrrp.virt_rtr_id == 53", "-V");
        assertThat(verbose).contains("Auth Type: Simple Text Authentication").contains("s3cret");
    }

    @Test
    void malformedAdvertsAreDroppedCountedByReasonAndTheDaemonKeepsRunning() throws Exception {
        String body = """
            interface: lan
            vrid: 51
            advert-interval: 20ms
            virtual-addresses: [192.0.2.1/24]
            """;
        Process fw2 = lab.startTandem("fw2", lab.writeConfig("fw2.yaml", single("fw2", 100, body)));
        awaitAddress("fw2", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(5));
        InetAddress src = InetAddress.getByName("192.0.2.100");
        InetAddress group = VrrpConstants.IPV4_GROUP;
        // A higher-priority advert would take over if it were accepted: every one below must be dropped.
        byte[] valid = VrrpCodec.encode(VrrpAdvertisement.v3(51, 254, 2, List.of(InetAddress.getByName(Lab.LAN_VIP))),
            src, group, ChecksumMode.RFC9568);
        byte[] badChecksum = valid.clone();
        badChecksum[7] ^= 0x55;
        byte[] badVersion = withChecksum(valid, 0, (byte) 0x41, src);
        byte[] badType = withChecksum(valid, 0, (byte) 0x32, src);
        byte[] truncated = java.util.Arrays.copyOf(valid, 6);
        byte[] unknownVrid = VrrpCodec.encode(VrrpAdvertisement.v3(99, 254, 2,
            List.of(InetAddress.getByName(Lab.LAN_VIP))), src, group, ChecksumMode.RFC9568);
        byte[] wrongAddresses = VrrpCodec.encode(VrrpAdvertisement.v3(51, 254, 2,
            List.of(InetAddress.getByName("192.0.2.9"))), src, group, ChecksumMode.RFC9568);
        Netns.call(lab.ns("client"), () -> {
            int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_RAW, 255 /* IPPROTO_RAW: we write the IP header */, "raw sender");
            try (Arena a = Arena.ofConfined()) {
                Libc.bindToDevice(fd, "eth0", "raw sender");
                MemorySegment to = SockAddr.inet(a, group, 0);
                for (int i = 0; i < 3; i++) {
                    send(fd, a, to, src, 64, valid);            // wrong TTL
                    send(fd, a, to, src, 255, badChecksum);
                    send(fd, a, to, src, 255, badVersion);
                    send(fd, a, to, src, 255, badType);
                    send(fd, a, to, src, 255, truncated);
                    send(fd, a, to, src, 255, unknownVrid);
                    send(fd, a, to, src, 255, wrongAddresses);
                }
            } finally {
                Libc.close(fd);
            }
            return null;
        });
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, Object> vr = instance("fw2", "vr");
            for (String reason : List.of("ttl", "checksum", "version", "type", "length", "addresses")) {
                assertThat(drops(vr, reason)).as(reason).isEqualTo(3);
            }
            assertThat(drops(channel("fw2", "lan"), "vrid")).isEqualTo(3);
        });
        assertThat(fw2.isAlive()).isTrue();
        assertThat(instance("fw2", "vr").get("state")).as("no malformed advert took effect").isEqualTo("master");
        assertThat(instance("fw2", "vr").get("adverts_received")).isEqualTo(0);
        assertThat(lab.logTail("fw2")).contains("vr ttl: dropped advert: ttl: 64 from 192.0.2.100 (expected: 255)")
            .contains("vr checksum: dropped advert: checksum: ");
        // and a well-formed advert is still processed: the higher priority takes over
        Netns.call(lab.ns("client"), () -> {
            int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_RAW, 255, "raw sender");
            try (Arena a = Arena.ofConfined()) {
                Libc.bindToDevice(fd, "eth0", "raw sender");
                send(fd, a, SockAddr.inet(a, group, 0), src, 255, valid);
            } finally {
                Libc.close(fd);
            }
            return null;
        });
        // it yields, and with no further adverts takes over again one Master_Down_Interval (61 ms) later
        await().atMost(Duration.ofSeconds(2)).until(() -> Integer.valueOf(1).equals(instance("fw2", "vr").get("adverts_received")));
        await().atMost(Duration.ofSeconds(2)).until(() -> lab.logTail("fw2").contains(
            "vr: master -> backup (higher priority 254 from 192.0.2.100)"));
    }

    private static byte[] withChecksum(byte[] base, int index, byte value, InetAddress src) {
        byte[] b = base.clone();
        b[index] = value;
        b[6] = 0;
        b[7] = 0;
        int sum = InternetChecksum.withPseudoHeader(src, VrrpConstants.IPV4_GROUP, 112, b, 0, b.length);
        b[6] = (byte) (sum >>> 8);
        b[7] = (byte) sum;
        return b;
    }

    /** Sends one IPv4 packet with our own header (the kernel fills in the header checksum). */
    private static void send(int fd, Arena a, MemorySegment to, InetAddress src, int ttl, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = (byte) ttl;
        p[9] = 112;
        System.arraycopy(src.getAddress(), 0, p, 12, 4);
        System.arraycopy(VrrpConstants.IPV4_GROUP.getAddress(), 0, p, 16, 4);
        System.arraycopy(payload, 0, p, 20, payload.length);
        MemorySegment buf = a.allocate(p.length);
        MemorySegment.copy(p, 0, buf, ValueLayout.JAVA_BYTE, 0, p.length);
        Libc.sendto(fd, buf, p.length, to, "raw VRRP");
    }
}
