package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;
import tandem.lab.TcpProbe;
import tandem.linux.Netns;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;
import tandem.linux.ct.Ctnetlink;
import tandem.node.control.ControlClient;

/**
 * Connection-state sync in the lab: the firewalls accept new TCP only with SYN and run with
 * nf_conntrack_tcp_loose=0, so an established connection passes a new master only if its state was
 * replicated.
 */
class StateSyncIT extends LabTestBase {
    static final Duration FAST = Duration.ofMillis(20);

    Process start(String fw, int priority, boolean sync) {
        return lab.startTandem(fw, lab.writeConfig(fw + ".yaml", lab.tandemConfig(fw, priority, FAST, sync)));
    }

    void startCluster(boolean sync) {
        start("fw1", 150, sync);
        start("fw2", 100, sync);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        if (sync) {
            runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        }
    }

    /** Entries of the flows to the server in a node's kernel, as conntrack -L prints them without timeout/id. */
    String conntrackL(String role) {
        return Sh.run("ip", "netns", "exec", lab.ns(role), "conntrack", "-L", "-s", "192.0.2.100", "-d", Lab.SERVER)
            .lines().filter(l -> !l.isBlank()).map(l -> l.replaceAll("^(\\S+\\s+\\d+\\s+)\\d+ ", "$1")
                .replaceAll(" use=\\d+", "").replaceAll(" id=\\d+", "")).sorted().collect(Collectors.joining("\n"));
    }

    static List<CtEntry> dump(String ns) throws Exception {
        return Netns.call(ns, () -> {
            try (Ctnetlink ct = Ctnetlink.open()) {
                return ct.dump();
            }
        });
    }

    @Test
    void aNatTcpStreamSurvivesAnUnplannedFailoverAndKeepsItsTranslatedPort() throws Exception {
        startCluster(true);
        try (TcpProbe tcp = new TcpProbe(lab, 6001)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            await().atMost(Duration.ofSeconds(5)).until(() -> dump(lab.ns("fw1")).stream()
                .anyMatch(e -> e.orig().dstPort() == 6001 && e.tcp() != null && e.tcp().state() == CtEntry.Tcp.ESTABLISHED));
            String before = conntrackL("fw1");
            runner.powerOff("fw1");
            runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            assertThat(tcp.failure()).isNull();
            CtEntry onFw2 = dump(lab.ns("fw2")).stream().filter(e -> e.orig().dstPort() == 6001).findFirst().orElseThrow();
            assertThat(onFw2.reply().dstPort()).as("translated port kept").isEqualTo(tcp.translatedPort());
            assertThat(onFw2.reply().dst()).isEqualTo(InetAddress.getByName(Lab.WAN_VIP));
            // the committed copy is the master's entry (timeouts and ids aside)
            String tcpLine = before.lines().filter(l -> l.contains("dport=6001")).findFirst().orElseThrow();
            assertThat(conntrackL("fw2").lines().filter(l -> l.contains("dport=6001")).findFirst().orElseThrow()
                .replaceAll("ESTABLISHED", "")).isEqualTo(tcpLine.replaceAll("ESTABLISHED", ""));
            assertThat(lab.logTail("fw2")).containsPattern("statesync: committed \\d+ entries and \\d+ expectations into the kernel");
        }
    }

    @Test
    void withoutStateSyncTheSameStreamBreaks() throws Exception {
        startCluster(false);
        try (TcpProbe tcp = new TcpProbe(lab, 6002)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            runner.powerOff("fw1");
            runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
            // without replicated state the new master drops the old connection: it stalls for good
            await().atMost(Duration.ofSeconds(6)).until(() -> tcp.failure() != null || !tcp.flowing(2000));
        }
    }

    @Test
    void aPlannedHandoverKeepsTheStream() throws Exception {
        Process fw1 = start("fw1", 150, true);
        start("fw2", 100, true);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        try (TcpProbe tcp = new TcpProbe(lab, 6003)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            await().atMost(Duration.ofSeconds(5)).until(() -> dump(lab.ns("fw1")).stream()
                .anyMatch(e -> e.orig().dstPort() == 6003 && e.tcp() != null && e.tcp().state() == CtEntry.Tcp.ESTABLISHED));
            await().atMost(Duration.ofSeconds(5)).until(() -> standbyHas("fw2", ":6003 | reply", "tcp state 3"));
            signal(fw1.pid(), "TERM");
            assertThat(fw1.waitFor(10, TimeUnit.SECONDS)).isTrue();
            runner.awaitMaster("fw2", Duration.ofSeconds(3));
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            assertThat(tcp.failure()).isNull();
        }
    }

    @SuppressWarnings("unchecked")
    boolean standbyHas(String fw, String... parts) throws Exception {
        Map<String, Object> m = ControlClient.requestMap(lab.socket(fw), "conntrack-cache");
        return ((List<String>) m.get("cache")).stream().anyMatch(l -> java.util.Arrays.stream(parts).allMatch(l::contains));
    }

    /** Opens {@code n} UDP flows client -> server through the master (SNAT'd), one per source port. */
    void udpFlows(int n, int basePort) throws Exception {
        Netns.call(lab.ns("client"), () -> {
            for (int i = 0; i < n; i++) {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("192.0.2.100", basePort + i))) {
                    s.send(new DatagramPacket(new byte[] {1}, 1, new InetSocketAddress(Lab.SERVER, 9)));
                }
            }
            return null;
        });
    }

    Set<String> masterFlows(String fw, int basePort, int n) throws Exception {
        return dump(lab.ns(fw)).stream().filter(e -> e.orig().protocol() == CtTuple.UDP
                && e.orig().srcPort() >= basePort && e.orig().srcPort() < basePort + n)
            .map(e -> e.orig() + " | reply " + e.reply()).collect(Collectors.toCollection(TreeSet::new));
    }

    @SuppressWarnings("unchecked")
    Set<String> cacheFlows(String fw, int basePort, int n) throws Exception {
        Map<String, Object> m = ControlClient.requestMap(lab.socket(fw), "conntrack-cache");
        return ((List<String>) m.get("cache")).stream().map(l -> l.substring(0, l.indexOf(" timeout")))
            .filter(l -> l.startsWith("udp 192.0.2.100:")).filter(l -> {
                int port = Integer.parseInt(l.substring("udp 192.0.2.100:".length(), l.indexOf(' ', 4)));
                return port >= basePort && port < basePort + n;
            }).map(l -> l.replaceFirst(" tcp state \\d+", "")).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void aRestartedBackupIsFullyResynced() throws Exception {
        start("fw1", 150, true);
        Process fw2 = start("fw2", 100, true);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        udpFlows(200, 40000);
        await().atMost(Duration.ofSeconds(5)).until(() -> cacheFlows("fw2", 40000, 200).size() == 200);
        signal(fw2.pid(), "KILL");
        fw2.waitFor(5, TimeUnit.SECONDS);
        udpFlows(100, 41000); // changes while the backup is down
        start("fw2", 100, true);
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        assertThat(cacheFlows("fw2", 40000, 200)).isEqualTo(masterFlows("fw1", 40000, 200)).hasSize(200);
        assertThat(cacheFlows("fw2", 41000, 100)).isEqualTo(masterFlows("fw1", 41000, 100)).hasSize(100);
        assertThat(lab.logTail("fw1")).contains("statesync: sending a full resync of");
    }

    @Test
    void aStandbyFollowsARestartedMasterWhoseNewStreamIsShorterThanItsLastOne() throws Exception {
        startCluster(true);
        // fw1's stream gets long: 300 flows created and deleted (600 and more sequence numbers)
        udpFlows(300, 42000);
        await().atMost(Duration.ofSeconds(5)).until(() -> cacheFlows("fw2", 42000, 300).size() == 300);
        lab.exec("fw1", "conntrack", "-D", "-p", "udp", "-s", "192.0.2.100");
        await().atMost(Duration.ofSeconds(5)).until(() -> cacheFlows("fw2", 42000, 300).isEmpty());
        runner.powerOff("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
        runner.awaitNoProcesses("fw1");
        start("fw1", 150, true);
        lab.setLinks("fw1", true, "lan", "wan", "sync");
        runner.awaitMaster("fw1", Duration.ofSeconds(20));
        // the restarted fw1 counts from 1 again and its resync is a few numbers long: fw2 follows it,
        // not waiting for numbers only the old stream had
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        udpFlows(5, 43000);
        await().atMost(Duration.ofSeconds(5)).until(() -> cacheFlows("fw2", 43000, 5).size() == 5);
        assertThat(lab.info("fw2").get("conntrack_sync_state")).isEqualTo("synchronized");
    }

    @Test
    void kernelEventsLostWhileTheMasterStalledAreRecoveredByAResync() throws Exception {
        Process fw1 = lab.startTandem("fw1", lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, FAST, true)));
        Process fw2 = lab.startTandem("fw2", lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, FAST, true)));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        // adverts every 5 s from here (a reload, no state change): the master may stall for seconds
        // without a failover (the backup's Master_Down_Interval becomes about 17 s)
        Duration slow = Duration.ofSeconds(5);
        lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, slow, true));
        lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, slow, true));
        signal(fw1.pid(), "HUP");
        signal(fw2.pid(), "HUP");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
            .until(() -> ((Number) instance("fw2", "lan").get("master_advert_interval_ms")).longValue() == 5000);
        // the kernel's conntrack limit (one value for every namespace; Debian's default is 262 144)
        // must hold every flow, or the table drops flows
        Path max = Path.of("/proc/sys/net/netfilter/nf_conntrack_max");
        String max0;
        try (var in = Files.newInputStream(max)) { // Files.readString reads a procfs file's first byte only
            max0 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
        }
        if (Long.parseLong(max0) < 1_000_000) {
            Files.writeString(max, "1000000");
        }
        for (String fw : List.of("fw1", "fw2")) {
            // one-packet UDP flows stay 30 s (unreplied): long enough here, but not if the test is slow
            lab.exec(fw, "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=300");
        }
        try {
            // the master's event reader cannot read while the process is frozen: new flows go on until
            // its event socket overflows (the kernel counts the drops in /proc/net/netlink)
            signal(fw1.pid(), "STOP");
            int sent = 0;
            try {
                while (eventSocketDrops("fw1") == 0) {
                    assertThat(sent).as("flows sent without overflowing the event socket").isLessThan(600_000);
                    int from = sent;
                    Netns.call(lab.ns("client"), () -> {
                        udpBurst(from, 20_000);
                        return null;
                    });
                    sent += 20_000;
                }
            } finally {
                signal(fw1.pid(), "CONT");
            }
            // the standby's cache converges to the master's table, whatever reached the table
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        Set<String> master = masterFlowsFrom39000("fw1");
                        return master.size() > 10_000 && cacheFlowsFrom39000("fw2").equals(master);
                    });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the standby's cache did not converge: master table "
                    + masterFlowsFrom39000("fw1").size() + " flows, cache " + cacheFlowsFrom39000("fw2").size()
                    + "\nfw1 " + ControlClient.requestMap(lab.socket("fw1"), "conntrack-stats")
                    + "\nfw2 " + ControlClient.requestMap(lab.socket("fw2"), "conntrack-stats"), e);
            }
        } finally {
            // the namespaces' tables go with the lab; the host gets its own limit back
            Files.writeString(max, max0);
        }
        Map<String, Object> stats = ControlClient.requestMap(lab.socket("fw1"), "conntrack-stats");
        assertThat(((Number) stats.get("kernel_events_lost")).longValue()).as("ENOBUFS seen").isPositive();
        assertThat(((Number) stats.get("kernel_event_resyncs")).longValue()).as("resync sent").isPositive();
        assertThat(((Number) stats.get("resyncs_restarted")).longValue()).as("a resync making progress restarted").isZero();
        Map<String, Object> standby = ControlClient.requestMap(lab.socket("fw2"), "conntrack-stats");
        assertThat(((Number) standby.get("resyncs_restarted_seen")).longValue()).isZero();
        assertThat(lab.logTail("fw1")).contains("conntrack events lost (ENOBUFS)");
        runner.awaitMaster("fw1", Duration.ofSeconds(1));
    }

    /** {@code n} new UDP flows from 192.0.2.100:39000.. to the server, numbered from {@code from}. */
    static void udpBurst(int from, int n) throws java.io.IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        for (int i = from; i < from + n; ) {
            int sport = 39000 + i / 50_000;
            try (DatagramChannel c = DatagramChannel.open()) {
                c.bind(new InetSocketAddress("192.0.2.100", sport));
                for (; i < from + n && 39000 + i / 50_000 == sport; i++) {
                    c.send(one.clear(), new InetSocketAddress(Lab.SERVER, 10000 + i % 50_000));
                }
            }
        }
    }

    /** Drops the kernel counted on a node's conntrack event socket (NETLINK_NETFILTER with groups). */
    long eventSocketDrops(String fw) {
        return Sh.run("ip", "netns", "exec", lab.ns(fw), "cat", "/proc/net/netlink").lines().skip(1)
            .map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 10 && f[1].equals("12") && !f[3].equals("00000000"))
            .mapToLong(f -> Long.parseLong(f[8])).sum();
    }

    /** "sport dport" of the flows from 192.0.2.100:39000..39099 in the master's kernel. */
    Set<String> masterFlowsFrom39000(String fw) throws Exception {
        return dump(lab.ns(fw)).stream().filter(e -> e.orig().protocol() == CtTuple.UDP && e.orig().srcPort() / 100 == 390)
            .map(e -> e.orig().srcPort() + " " + e.orig().dstPort()).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The same from a standby's cache. */
    @SuppressWarnings("unchecked")
    Set<String> cacheFlowsFrom39000(String fw) throws Exception {
        Map<String, Object> m = ControlClient.requestMap(lab.socket(fw), "conntrack-cache");
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("^udp 192\\.0\\.2\\.100:(390\\d\\d) > "
            + java.util.regex.Pattern.quote(Lab.SERVER) + ":(\\d+) ");
        return ((List<String>) m.get("cache")).stream().map(p::matcher).filter(java.util.regex.Matcher::find)
            .map(x -> x.group(1) + " " + x.group(2)).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void twentyPercentLossOnTheSyncLinkStillConverges() throws Exception {
        startCluster(true);
        // 20 % random loss of sync datagrams in both directions (nftables numgen: this kernel has no sch_netem)
        for (String fw : List.of("fw1", "fw2")) {
            Sh.runIn("""
                table inet loss {
                  chain in {
                    type filter hook input priority -300;
                    iifname "sync" udp dport 3780 numgen random mod 100 < 20 drop
                  }
                }
                """, "ip", "netns", "exec", lab.ns(fw), "nft", "-f", "-");
        }
        udpFlows(500, 42000);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
            .until(() -> cacheFlows("fw2", 42000, 500).equals(masterFlows("fw1", 42000, 500)));
        assertThat(cacheFlows("fw2", 42000, 500)).hasSize(500);
        // the counters are published every 100 ms
        await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            Map<String, Object> stats = ControlClient.requestMap(lab.socket("fw2"), "conntrack-stats");
            assertThat(((Number) stats.get("nacks_sent")).longValue()).as("loss was repaired by NACKs").isPositive();
            Map<String, Object> master = ControlClient.requestMap(lab.socket("fw1"), "conntrack-stats");
            assertThat(((Number) master.get("ops_retransmitted")).longValue()).isPositive();
        });
    }

    @Test
    void withMulticastOnTheSyncLinkTheStreamSurvivesTooAndTheStandbyIsSynchronized() throws Exception {
        for (String fw : List.of("fw1", "fw2")) {
            String cfg = lab.tandemConfig(fw, fw.equals("fw1") ? 150 : 100, FAST, false);
            lab.startTandem(fw, lab.writeConfig(fw + ".yaml", Lab.stateSyncMulticastConfig(fw) + cfg));
        }
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        assertThat(String.valueOf(info("fw1").get("conntrack_peer"))).contains("239.255.37.80").contains("multicast; heard fw2");
        try (TcpProbe tcp = new TcpProbe(lab, 6004)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            await().atMost(Duration.ofSeconds(5)).until(() -> standbyHas("fw2", ":6004 | reply", "tcp state 3"));
            runner.powerOff("fw1");
            runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
            await().atMost(Duration.ofSeconds(5)).until(() -> tcp.flowing(50));
            assertThat(tcp.failure()).isNull();
        }
    }

    @Test
    void withThreeNodesOnMulticastBothStandbysAreSynchronizedAndFollowANewMaster() throws Exception {
        lab.addThirdFirewall();
        Map<String, Integer> priority = Map.of("fw1", 150, "fw2", 100, "fw3", 50);
        for (String fw : List.of("fw1", "fw2", "fw3")) {
            String cfg = lab.tandemConfig(fw, priority.get(fw), FAST, false);
            lab.startTandem(fw, lab.writeConfig(fw + ".yaml", Lab.stateSyncMulticastConfig(fw) + cfg));
        }
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw3", Duration.ofSeconds(10));
        assertThat(String.valueOf(info("fw1").get("conntrack_peer"))).contains("fw2").contains("fw3");
        udpFlows(300, 43000);
        Set<String> flows = masterFlows("fw1", 43000, 300);
        assertThat(flows).hasSize(300);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> cacheFlows("fw2", 43000, 300).equals(flows) && cacheFlows("fw3", 43000, 300).equals(flows));

        runner.powerOff("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
        // fw3's master-down timer runs out only Skew_Time difference (3.9 ms) after fw2's: on a busy
        // machine both may take over until fw3 hears fw2's higher priority (VRRP's transient)
        await().atMost(Duration.ofSeconds(1))
            .until(() -> !lab.hasAddress("fw3", "lan", Lab.LAN_VIP) && !lab.hasAddress("fw3", "wan", Lab.WAN_VIP));
        assertThat(masterFlows("fw2", 43000, 300)).as("fw2 committed its cache").isEqualTo(flows);
        udpFlows(100, 44000); // through the new master
        Set<String> newFlows = masterFlows("fw2", 44000, 100);
        assertThat(newFlows).hasSize(100);
        await().atMost(Duration.ofSeconds(10))
            .until(() -> cacheFlows("fw3", 44000, 100).equals(newFlows) && cacheFlows("fw3", 43000, 300).equals(flows));
        runner.awaitSynchronized("fw3", Duration.ofSeconds(5));
        assertThat(String.valueOf(info("fw2").get("conntrack_peer"))).contains("fw3");
    }

    // ---------------------------------------------------------------- FTP: helpers and expectations

    /**
     * The FTP client's address: "192,0,2,10" is one octet shorter than the WAN VIP's "203,0,113,1", so
     * the firewall's rewrite of PORT shifts the control connection's sequence numbers (seq adjust).
     */
    static final String FTP_CLIENT = "192.0.2.10";
    static final byte[] FILE = new java.util.Random(5).ints(300_000, 0, 256).collect(java.io.ByteArrayOutputStream::new,
        (o, b) -> o.write(b), (a, b) -> a.writeBytes(b.toByteArray())).toByteArray();

    /** Cluster with state sync (expectations on or off) and the FTP server sending at most {@code rate} B/s. */
    void ftpCluster(boolean expectations, int rate) throws Exception {
        for (String fw : List.of("fw1", "fw2")) {
            String cfg = lab.tandemConfig(fw, fw.equals("fw1") ? 150 : 100, FAST, true);
            if (!expectations) {
                cfg = cfg.replace("  purge-delay: 2s\n", "  purge-delay: 2s\n  expectations: false\n");
            }
            lab.startTandem(fw, lab.writeConfig(fw + ".yaml", cfg));
        }
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        lab.ip("client", "addr", "add", FTP_CLIENT + "/24", "dev", "eth0");
        lab.startFtpServer(FILE, rate);
    }

    /** The control connection (with its sequence adjustment) is in the standby's cache. */
    boolean standbyHasControlWithSeqAdjust(String fw) throws Exception {
        return standbyHas(fw, "tcp " + FTP_CLIENT + ":", " > " + Lab.SERVER + ":21 | reply", "tcp state 3");
    }

    @Test
    void anFtpDataConnectionAnnouncedBeforeAFailoverIsLetInByTheNewMasterThroughTheReplicatedExpectation() throws Exception {
        ftpCluster(true, 0);
        try (FtpSession ftp = FtpSession.login(lab, FTP_CLIENT)) {
            int port = ftp.announcePort();
            // fw1's FTP helper rewrote PORT to the VIP and expects the server at 203.0.113.1:port
            await().atMost(Duration.ofSeconds(5)).until(() -> standbyHas("fw2", "expect tcp " + Lab.SERVER + ":0 > "
                + Lab.WAN_VIP + ":" + port, "helper ftp", "nat nat-follow-master"));
            await().atMost(Duration.ofSeconds(5)).until(() -> standbyHasControlWithSeqAdjust("fw2"));
            runner.powerOff("fw1");
            runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
            // after the failover the server connects back; only the replicated expectation lets it in,
            // translated back to the client; the RETR itself crosses fw2 with the replicated seq adjust
            assertThat(ftp.retrieve("pub/file.bin")).isEqualTo(FILE);
            assertThat(ftp.command("NOOP")).startsWith("200");
        }
        assertThat(lab.logTail("fw2")).containsPattern("statesync: committed \\d+ entries and 1 expectations into the kernel");
        CtEntry data = dump(lab.ns("fw2")).stream().filter(e -> e.orig().srcPort() == 20 && e.master() != null)
            .findFirst().orElseThrow();
        assertThat(data.master().src()).as("related to the control connection").isEqualTo(InetAddress.getByName(FTP_CLIENT));
        assertThat(data.reply().src()).as("translated back to the client").isEqualTo(InetAddress.getByName(FTP_CLIENT));
    }

    @Test
    void withoutExpectationSyncTheAnnouncedDataConnectionIsRefusedWhileTheControlConnectionSurvives() throws Exception {
        ftpCluster(false, 0);
        try (FtpSession ftp = FtpSession.login(lab, FTP_CLIENT)) {
            ftp.announcePort();
            await().atMost(Duration.ofSeconds(5)).until(() -> standbyHasControlWithSeqAdjust("fw2"));
            assertThat(standbyHas("fw2", "expect ")).isFalse();
            runner.powerOff("fw1");
            runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
            // the server cannot connect back through fw2 (no expectation: a new connection from the WAN)
            assertThat(ftp.command("RETR pub/file.bin")).startsWith("425");
            assertThat(ftp.command("NOOP")).as("the control connection itself was replicated").startsWith("200");
        }
    }

    @Test
    void anFtpDownloadRunningAcrossAFailoverCompletes() throws Exception {
        ftpCluster(true, 100_000); // 300 000 octets at 100 kB/s: about 3 s
        try (FtpSession ftp = FtpSession.login(lab, FTP_CLIENT)) {
            int port = ftp.announcePort();
            try (java.net.Socket data = ftp.startRetrieve("pub/file.bin")) {
                java.util.concurrent.CompletableFuture<byte[]> got = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return data.getInputStream().readAllBytes();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                // the data connection (related to the control connection, NAT'd back) is replicated
                await().atMost(Duration.ofSeconds(3)).until(() -> standbyHas("fw2", "tcp " + Lab.SERVER + ":20 > "
                    + Lab.WAN_VIP + ":" + port + " | reply", "tcp state 3"));
                runner.powerOff("fw1");
                runner.awaitMaster("fw2", Duration.ofSeconds(3), false);
                // committed as a related entry: the master tuple came with NEW only, the updates kept it
                CtEntry committed = dump(lab.ns("fw2")).stream()
                    .filter(e -> e.orig().srcPort() == 20 && e.orig().dstPort() == port).findFirst().orElseThrow();
                assertThat(committed.master()).isNotNull();
                assertThat(committed.master().dstPort()).isEqualTo(21);
                assertThat(got.get(20, TimeUnit.SECONDS)).isEqualTo(FILE);
            }
            assertThat(ftp.transferReply()).startsWith("226");
            assertThat(ftp.command("NOOP")).startsWith("200");
        }
    }

    // ---------------------------------------------------------------- a long commit

    @Test
    void whileTheNewMasterCommitsItKeepsAdvertisingAnswersInfoAndAddsTheVipsOnlyAfterwards() throws Exception {
        // 50 ms adverts; a third VRRP node on the LAN (keepalived, priority 50) watches: it takes over
        // if the new master goes silent for its Master_Down_Interval while committing 200 000 entries
        Duration interval = Duration.ofMillis(50);
        lab.startTandem("fw1", lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, interval, true)));
        lab.startTandem("fw2", lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, interval, true)));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        int n = 200_000;
        lab.manyUdpFlows(n);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
            ((Number) ControlClient.requestMap(lab.socket("fw2"), "conntrack-stats").get("cache_entries")).intValue() >= n);
        lab.startKeepalived("client", """
            vrrp_instance watcher {
              state BACKUP
              interface eth0
              virtual_router_id 51
              priority 50
              advert_int 0.05
              version 3
              virtual_ipaddress {
                192.0.2.1/24
              }
            }
            """);
        await().atMost(Duration.ofSeconds(10)).until(() -> lab.logTail("client").contains("(watcher) Entering BACKUP STATE"));
        // 100 info requests to the new master while it takes over
        List<Long> answered = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<Throwable> failed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        runner.powerOff("fw1");
        java.util.concurrent.atomic.AtomicBoolean vip = new java.util.concurrent.atomic.AtomicBoolean();
        Thread infos = Thread.ofPlatform().start(() -> {
            // at least 100 requests, and on until the takeover is done (the commit is inside that time)
            for (int i = 0; i < 100 || !vip.get(); i++) {
                try {
                    ControlClient.info(lab.socket("fw2"));
                    answered.add(System.currentTimeMillis());
                } catch (Exception e) {
                    failed.add(e);
                }
            }
        });
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2))
            .until(() -> lab.hasAddress("fw2", "lan", Lab.LAN_VIP));
        long vipSeen = System.currentTimeMillis();
        vip.set(true);
        infos.join(30_000);
        assertThat(failed).as("info requests that failed").isEmpty();
        assertThat(answered).hasSizeGreaterThanOrEqualTo(100);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
            "(\\S+) INFO  statesync: committed (\\d+) entries and \\d+ expectations into the kernel in (\\d+) ms")
            .matcher(lab.logTail("fw2"));
        assertThat(m.find()).as(lab.logTail("fw2")).isTrue();
        assertThat(Integer.parseInt(m.group(2))).isGreaterThanOrEqualTo(n);
        long committedAt = java.time.Instant.parse(m.group(1)).toEpochMilli();
        long commitStart = committedAt - Long.parseLong(m.group(3));
        assertThat(vipSeen).as("the VIP appears after the commit finished").isGreaterThanOrEqualTo(committedAt);
        assertThat(answered).as("info answered while the commit ran").anyMatch(t -> t >= commitStart && t <= committedAt);
        // the watcher heard the new master all along: it never left backup
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
            .until(() -> !lab.logTail("client").contains("(watcher) Entering MASTER STATE"));
        assertThat(lab.hasAddress("client", "eth0", Lab.LAN_VIP)).isFalse();
    }
}
