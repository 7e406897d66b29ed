package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;

/** Two tandem nodes in the lab: elections, failover, handover, sync groups, restarts, reloads. */
class ClusterIT extends LabTestBase {
    static final Duration FAST = Duration.ofMillis(20);

    Process start(String fw, int priority, Duration interval) {
        return lab.startTandem(fw, lab.writeConfig(fw + ".yaml", lab.tandemConfig(fw, priority, interval)));
    }

    @Test
    void theHigherPriorityNodeBecomesMasterAndTheOtherFollowsIt() throws Exception {
        start("fw1", 150, FAST);
        start("fw2", 100, FAST);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(clusterState("fw1")).isEqualTo("master");
            assertThat(clusterState("fw2")).isEqualTo("backup");
            Map<String, Object> lan = instance("fw2", "lan");
            assertThat(lan.get("master")).isEqualTo("192.0.2.2");
            assertThat(lan.get("master_priority")).isEqualTo(150);
            assertThat((Integer) lan.get("adverts_received")).isPositive();
        });
        assertThat(totalDrops(instance("fw2", "lan"))).isZero();
        assertThat(totalDrops(instance("fw1", "wan"))).isZero();
        assertThat(info("fw1").get("node")).isEqualTo("fw1");
        assertThat(Files.getPosixFilePermissions(lab.socket("fw1")))
            .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        // the operator's view through the real CLI: the summary, then every key with --detail
        await().atMost(Duration.ofSeconds(10)).until(() -> "fw1".equals(instance("fw2", "lan").get("master_node")));
        String text = Sh.run(Lab.tandemCommand("info", "--socket", lab.socket("fw2").toString()).toArray(String[]::new));
        assertThat(text).containsPattern("(?m)^node +fw2$").containsPattern("(?m)^cluster_state +backup$")
            .containsPattern("(?m)^conntrack_sync_state +synchronized$").containsPattern("(?m)^problems +none$")
            .containsPattern("(?m)^name +group +state +vrid +priority +master +master_node +master_priority +last_transition"
                + " +last_transition_reason$")
            .containsPattern("(?m)^lan +cluster +backup +51 +100 +192\\.0\\.2\\.2 +fw1 +150 +\\S+ +\\S")
            .containsPattern("(?m)^wan +cluster +backup +52 +100 +203\\.0\\.113\\.2 +fw1 +150 ");
        assertThat(text.lines().count()).as("a summary").isLessThan(20);
        String detail = Sh.run(Lab.tandemCommand("info", "--detail", "--socket", lab.socket("fw2").toString())
            .toArray(String[]::new));
        assertThat(detail).containsPattern("(?m)^instances\\.wan\\.drops\\.checksum +0$")
            .containsPattern("(?m)^instances\\.lan\\.master_node +fw1$").containsPattern("(?m)^uptime_seconds +\\d+$")
            .containsPattern("(?m)^groups\\.cluster\\.role +standby$").containsPattern("(?m)^statesync\\.resyncs_requested +\\d+$");
        String json = Sh.run(Lab.tandemCommand("info", "--json", "--socket", lab.socket("fw1").toString()).toArray(String[]::new));
        assertThat(json).startsWith("{\"node\":\"fw1\",\"cluster_state\":\"master\"");
        assertThat(Lab.parse(json).keySet()).containsExactly("node", "cluster_state", "sync_state", "conntrack_sync_state",
            "conntrack_peer", "problems", "uptime_seconds", "instances");
        Sh.Result none = Sh.exec(Lab.tandemCommand("info", "--socket", lab.dir().resolve("nope.sock").toString()), null);
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("nope.sock").contains("expected: a running tandem daemon");
    }

    @Test
    void anUnplannedFailoverMovesBothAddressesAndPreemptionBringsThemBack() throws Exception {
        start("fw1", 150, FAST);
        start("fw2", 100, FAST);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.powerOff("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(2), false);
        assertThat(instance("fw2", "lan").get("last_transition_reason").toString())
            .satisfiesAnyOf(r -> assertThat(r).startsWith("master down timer expired"),
                r -> assertThat(r).startsWith("sync group cluster"));
        assertThat(lab.logTail("fw2")).doesNotContain("resigned (priority 0)"); // power loss: nothing was sent
        Sh.run("ip", "netns", "exec", lab.ns("client"), "ping", "-c", "1", "-W", "2", Lab.SERVER);
        runner.awaitNoProcesses("fw1");
        start("fw1", 150, FAST);
        lab.setLinks("fw1", true, "lan", "wan", "sync");
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).until(() -> "backup".equals(clusterState("fw2")));
        Sh.run("ip", "netns", "exec", lab.ns("client"), "ping", "-c", "1", "-W", "2", Lab.SERVER);
    }

    @Test
    void sigtermResignsWithPriorityZeroRemovesTheAddressesAndExitsWithZero() throws Exception {
        // 1 s adverts: the backup's Master_Down_Interval is 3.6 s, so a takeover well before that
        // can only come from the priority-0 advert (Skew_Time = 0.6 s).
        Process fw1 = start("fw1", 150, Duration.ofSeconds(1));
        start("fw2", 100, Duration.ofSeconds(1));
        runner.awaitMaster("fw1", Duration.ofSeconds(15));
        await().atMost(Duration.ofSeconds(5)).until(() -> "backup".equals(clusterState("fw2")));
        assertThat(((Number) info("fw1").get("pid")).longValue()).isEqualTo(fw1.pid());
        signal(fw1.pid(), "TERM");
        assertThat(fw1.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(fw1.exitValue()).isZero();
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).isFalse();
        assertThat(lab.hasAddress("fw1", "wan", Lab.WAN_VIP)).isFalse();
        assertThat(Files.exists(lab.socket("fw1"))).as("control socket removed").isFalse();
        runner.awaitMaster("fw2", Duration.ofSeconds(10));
        assertThat(lab.logTail("fw1")).contains("lan: master -> init (shutdown on signal)");
        // both instances arm the same skew timer on the priority-0 advert; whichever fires first takes
        // over (the sync group pulls the other along, or both expire in the same loop iteration)
        assertThat(lab.logTail("fw2"))
            .containsPattern("(lan: backup -> master \\(master 192\\.0\\.2\\.2|wan: backup -> master \\(master 203\\.0\\.113\\.2)"
                + " resigned \\(priority 0\\), took over after skew time 609\\.4 ms\\)");
    }

    @Test
    void aSyncGroupFailsOverTogetherWhenOneInterfaceLosesLink() {
        start("fw1", 150, FAST);
        start("fw2", 100, FAST);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        lab.setLinks("sw", false, "l1"); // the cable between fw1's LAN port and the LAN switch
        runner.awaitMaster("fw2", Duration.ofSeconds(3));
        assertThat(lab.hasAddress("fw1", "wan", Lab.WAN_VIP)).as("fw1's healthy WAN side gave up too").isFalse();
        assertThat(clusterState("fw1")).isEqualTo("fault");
        assertThat(instance("fw1", "wan").get("state")).isEqualTo("fault");
        assertThat(instance("fw1", "wan").get("last_transition_reason"))
            .isEqualTo("sync group cluster: lan interface lan link down");
        lab.setLinks("sw", true, "l1");
        runner.awaitMaster("fw1", Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(3)).until(() -> "master".equals(clusterState("fw1")));
    }

    @Test
    void aRestartAfterSigkillRemovesTheAddressesTheCrashedRunLeftBehind() throws Exception {
        Process fw1 = start("fw1", 150, Duration.ofSeconds(1));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        signal(fw1.pid(), "KILL");
        fw1.waitFor(5, TimeUnit.SECONDS);
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).as("left behind by the crash").isTrue();
        start("fw2", 200, Duration.ofSeconds(1)); // fw2 takes over; fw1's stale VIPs would clash
        awaitAddress("fw2", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(10));
        start("fw1", 150, Duration.ofSeconds(1));
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).isFalse();
        assertThat(lab.hasAddress("fw1", "wan", Lab.WAN_VIP)).isFalse();
        assertThat(lab.logTail("fw1")).contains("lan: removed stale virtual address 192.0.2.1/24 from lan");
        await().atMost(Duration.ofSeconds(5)).until(() -> "backup".equals(clusterState("fw1")));
    }

    @Test
    void anInvalidConfigurationExitsWithTwoAndChangesNothing() {
        Path bad = lab.writeConfig("bad.yaml", lab.tandemConfig("fw1", 150, FAST, false).replace("vrid: 52", "vrid: 520"));
        Sh.Result r = Sh.exec(command("fw1", bad), null);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("bad.yaml:14:11: instances[1] (name: wan).vrid: 520 (expected: an integer 1..255)");
        Path missing = lab.writeConfig("missing.yaml", lab.tandemConfig("fw1", 150, FAST).replace("interface: wan", "interface: dmz"));
        r = Sh.exec(command("fw1", missing), null);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("instances (name: wan): interface dmz: no such interface on this node");
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).isFalse();
        assertThat(Files.exists(lab.socket("fw1"))).isFalse();
    }

    private List<String> command(String fw, Path config) {
        List<String> c = Sh.list("ip", "netns", "exec", lab.ns(fw));
        c.addAll(Lab.tandemCommand("run", "--config", config.toString()));
        return c;
    }

    @Test
    void sighupReloadsAddressesAndPriorityWithoutAStateChange() {
        Process fw1 = start("fw1", 150, FAST);
        start("fw2", 100, FAST);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        Object before = instance("fw1", "lan").get("last_transition");
        lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 140, FAST)
            .replace("[192.0.2.1/24]", "[192.0.2.1/24, 192.0.2.50/24]"));
        signal(fw1.pid(), "HUP");
        awaitAddress("fw1", "lan", "192.0.2.50", true, Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> Integer.valueOf(140).equals(instance("fw1", "lan").get("priority")));
        assertThat(instance("fw1", "lan").get("state")).isEqualTo("master");
        assertThat(instance("fw1", "lan").get("last_transition")).isEqualTo(before);
        assertThat(lab.logTail("fw1")).contains("reloaded").contains("kept [lan, wan]");
        // a broken file is rejected and the running configuration stays
        lab.writeConfig("fw1.yaml", "node: {name: fw1}\ninstances: []\n");
        signal(fw1.pid(), "HUP");
        await().atMost(Duration.ofSeconds(5)).until(() -> lab.logTail("fw1").contains("reload rejected"));
        assertThat(fw1.isAlive()).isTrue();
        assertThat(lab.hasAddress("fw1", "lan", "192.0.2.50")).isTrue();
    }

    @Test
    void aReloadThatFailsHalfWayIsUndoneAndSaysWhatFailedAndWhatWasUndone() {
        String cfg = lab.configHeader("fw1", 150) + """
              - name: lan
                interface: lan
                vrid: 51
                advert-interval: 20ms
                virtual-addresses: [%s]
              - name: lan6
                interface: lan
                vrid: 61
                advert-interval: 20ms
                virtual-addresses: [%s]
            groups:
              - name: cluster
                instances: [lan, lan6]
            """;
        Process fw1 = lab.startTandem("fw1", lab.writeConfig("fw1.yaml",
            cfg.formatted("192.0.2.1/24", "2001:db8:1::1/64")));
        awaitAddress("fw1", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(5));
        awaitAddress("fw1", "lan", Lab.LAN6_VIP, true, Duration.ofSeconds(5));
        // the kernel will refuse the new IPv6 address: the reload adds 192.0.2.9 first, then fails
        lab.exec("fw1", "sysctl", "-qw", "net.ipv6.conf.lan.disable_ipv6=1");
        lab.writeConfig("fw1.yaml", cfg.formatted("192.0.2.1/24, 192.0.2.9/24", "2001:db8:1::1/64, 2001:db8:1::9/64"));
        signal(fw1.pid(), "HUP");
        await().atMost(Duration.ofSeconds(5)).until(() -> lab.logTail("fw1").contains("reload rejected"));
        assertThat(lab.logTail("fw1")).contains("failed after wrote the nftables table")
            .contains("virtual address 2001:db8:1::9/64 on lan").contains("rolled back: removed 192.0.2.9/24")
            .contains("restored the nftables table").contains("the running configuration stays");
        assertThat(lab.hasAddress("fw1", "lan", "192.0.2.9")).as("undone").isFalse();
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).isTrue();
        assertThat(instance("fw1", "lan").get("virtual_addresses")).isEqualTo(List.of("192.0.2.1/24"));
        assertThat(instance("fw1", "lan").get("state")).isEqualTo("master");
        assertThat(fw1.isAlive()).isTrue();
    }

    @Test
    void aTrackedInterfaceWithWeightLowersThePriorityAndHandsOver() {
        String track = """
            interface: lan
            vrid: 51
            advert-interval: 20ms
            virtual-addresses: [192.0.2.1/24]
            track-interfaces:
              - interface: sync
                weight: 60
            """;
        lab.startTandem("fw1", lab.writeConfig("fw1.yaml", single("fw1", 150, track)));
        lab.startTandem("fw2", lab.writeConfig("fw2.yaml", single("fw2", 100, track.substring(0, track.indexOf("track-")))));
        awaitAddress("fw1", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(10));
        lab.setLinks("fw2", false, "sync"); // fw1 loses carrier on its sync port: 150 - 60 = 90 < 100
        awaitAddress("fw2", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(5));
        awaitAddress("fw1", "lan", Lab.LAN_VIP, false, Duration.ofSeconds(5));
        assertThat(instance("fw1", "vr").get("priority")).isEqualTo(90);
        assertThat(instance("fw1", "vr").get("state")).isEqualTo("backup");
        lab.setLinks("fw2", true, "sync");
        awaitAddress("fw1", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(5));
        assertThat(instance("fw1", "vr").get("priority")).isEqualTo(150);
    }

    @Test
    void withAcceptModeOffTheMasterRoutesForTheVipButDoesNotAcceptPacketsAddressedToIt() throws Exception {
        String body = """
            interface: lan
            vrid: 51
            advert-interval: 20ms
            accept: %s
            virtual-addresses: [192.0.2.1/24]
            """;
        Process fw1 = lab.startTandem("fw1", lab.writeConfig("fw1.yaml", single("fw1", 150, body.formatted("false"))));
        awaitAddress("fw1", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(5));
        assertThat(Sh.exec(Sh.list("ip", "netns", "exec", lab.ns("client"), "ping", "-c", "2", "-W", "1", Lab.LAN_VIP), null)
            .exit()).as("VIP does not answer with accept: false").isNotZero();
        Sh.run("ip", "netns", "exec", lab.ns("client"), "ping", "-c", "1", "-W", "2", "203.0.113.2");
        assertThat(Sh.run("ip", "netns", "exec", lab.ns("fw1"), "nft", "list", "table", "inet", "tandem"))
            .contains("chain accept_mode").contains("ip daddr 192.0.2.1 drop");
        signal(fw1.pid(), "TERM");
        fw1.waitFor(10, TimeUnit.SECONDS);
        assertThat(Sh.run("ip", "netns", "exec", lab.ns("fw1"), "nft", "list", "tables")).as("removed at exit")
            .doesNotContain("tandem");
        lab.startTandem("fw1", lab.writeConfig("fw1.yaml", single("fw1", 150, body.formatted("true"))));
        awaitAddress("fw1", "lan", Lab.LAN_VIP, true, Duration.ofSeconds(5));
        Sh.run("ip", "netns", "exec", lab.ns("client"), "ping", "-c", "1", "-W", "2", Lab.LAN_VIP);
        assertThat(Sh.run("ip", "netns", "exec", lab.ns("fw1"), "nft", "list", "table", "inet", "tandem"))
            .doesNotContain("accept_mode").contains("chain control_output");
    }
}
