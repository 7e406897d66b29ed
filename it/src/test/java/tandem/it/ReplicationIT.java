package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;
import tandem.node.control.ControlClient;

/**
 * Configuration replication between two nodes of the lab over the hotwire (the sync link), with the
 * real SSH server and client of the daemons, real check and apply commands (nft) and the real CLI.
 */
class ReplicationIT extends LabTestBase {
    static final Duration INTERVAL = Duration.ofMillis(100);

    /** Starts fw1 and fw2 with replication: keys exchanged, the same shared configuration and ruleset. */
    void startPair(String sharedExtra, String fw1Extra, String fw2Extra) {
        startPair(sharedExtra, fw1Extra, fw2Extra, List.of());
    }

    void startPair(String sharedExtra, String fw1Extra, String fw2Extra, List<String> fw2Flags) {
        lab.writeReplicated("fw1", lab.nodeLocalConfig("fw1", false, fw1Extra), Lab.clusterConfig(INTERVAL, false, sharedExtra));
        lab.writeReplicated("fw2", lab.nodeLocalConfig("fw2", false, fw2Extra), Lab.clusterConfig(INTERVAL, false, sharedExtra));
        lab.exchangeKeys("fw1", "fw2");
        lab.startTandem("fw1", lab.nodeConfig("fw1"));
        lab.startTandem("fw2", lab.nodeConfig("fw2"), fw2Flags);
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
    }

    String syncState(String fw) {
        return String.valueOf(info(fw).get("sync_state"));
    }

    String reason(String fw) {
        return String.valueOf(info(fw).get("sync_state_reason"));
    }

    void awaitSyncState(String fw, String state, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
            assertThat(syncState(fw)).as(fw + ": " + reason(fw)).isEqualTo(state));
    }

    Path file(String fw, String path) {
        return lab.root(fw).resolve(path.substring(1));
    }

    void write(String fw, String path, String text) throws IOException {
        Path p = file(fw, path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** The lab ruleset with one more rule in its forward chain. */
    static String rulesetWith(String rule) {
        return Lab.rulesetFile().replace("    ct state established,related accept\n",
            "    ct state established,related accept\n    " + rule + "\n");
    }

    Map<String, Object> configRequest(String fw, String verb) throws IOException {
        return ControlClient.parse(ControlClient.request(lab.socket(fw), verb));
    }

    /** Runs the real CLI; returns exit code and output. */
    Sh.Result cli(String... args) {
        return Sh.exec(Lab.tandemCommand(args), null);
    }

    String ruleset(String fw) {
        return lab.exec(fw, "nft", "list", "table", "inet", "lab");
    }

    @Test
    void nodesWithExchangedKeysAreSynchronizedAndSayWhereTheHotwireIs() {
        startPair("", "", "");
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(10));
        awaitSyncState("fw2", "synchronized", Duration.ofSeconds(10));
        Map<String, Object> i = info("fw2");
        assertThat(i.get("hotwire_dev")).isEqualTo("sync");
        assertThat(i.get("hotwire")).isEqualTo("up");
        assertThat(i.get("conntrack_sync_state")).isEqualTo("disabled");
        assertThat(reason("fw1")).isEqualTo("identical on 1 peer(s)");
        String text = Sh.run(Lab.tandemCommand("info", "--socket", lab.socket("fw1").toString()).toArray(String[]::new));
        assertThat(text).containsPattern("(?m)^sync_state +synchronized$").containsPattern("(?m)^hotwire_dev +sync$")
            .containsPattern("(?m)^sync_state_reason +identical on 1 peer\\(s\\)$");
    }

    @Test
    void aChangeOnFw1IsPendingOnBothUntilConfigSyncMakesItLiveOnFw2() throws Exception {
        startPair("", "", "");
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(10));
        write("fw1", Lab.RULESET, rulesetWith("tcp dport 8443 counter accept"));
        awaitSyncState("fw1", "pending", Duration.ofSeconds(5));
        awaitSyncState("fw2", "pending", Duration.ofSeconds(5));
        assertThat(reason("fw1")).contains("fw2: 1 file(s) differ from fw2 (/etc/tandem/lab.nft)");

        // the diff, through the real CLI: exit 1 (files differ), a unified diff from fw2's file to fw1's
        Sh.Result diff = cli("config", "diff", "--socket", lab.socket("fw1").toString());
        assertThat(diff.exit()).isEqualTo(1);
        assertThat(diff.out()).contains("fw2: 1 file(s) differ", "--- a/etc/tandem/lab.nft", "+++ b/etc/tandem/lab.nft",
            "+    tcp dport 8443 counter accept");

        Sh.Result sync = cli("config", "sync", "--socket", lab.socket("fw1").toString());
        assertThat(sync.exit()).as(sync.out() + sync.err()).isZero();
        assertThat(sync.out()).contains("fw2 (198.51.100.2): synchronized");
        assertThat(ruleset("fw2")).contains("tcp dport 8443 counter");
        assertThat(Files.readString(file("fw2", Lab.RULESET))).isEqualTo(Files.readString(file("fw1", Lab.RULESET)));
        awaitSyncState("fw2", "synchronized", Duration.ofSeconds(5));
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(5));
        assertThat(cli("config", "diff", "--socket", lab.socket("fw2").toString()).out()).contains("fw1: no differences");
    }

    @Test
    void aRulesetThatFailsNftCheckOnTheReceiverChangesNothingThereAndTheSyncFailsWithTheNftError() throws Exception {
        startPair("", "", "");
        // a rule on an interface only fw1 has: it loads on fw1, nft -c refuses it on fw2
        lab.ip("fw1", "link", "add", "only1", "type", "veth", "peer", "name", "only1p");
        String bad = rulesetWith("iif \"only1\" counter accept");
        write("fw1", Lab.RULESET, bad);
        lab.exec("fw1", "nft", "-f", file("fw1", Lab.RULESET).toString());
        String before = Files.readString(file("fw2", Lab.RULESET));
        String live = ruleset("fw2");

        Map<String, Object> r = configRequest("fw1", "config-sync");
        assertThat(r.get("ok")).isEqualTo(false);
        assertThat(String.valueOf(r.get("peers"))).contains("nft -c -f", "only1");
        assertThat(Files.readString(file("fw2", Lab.RULESET))).isEqualTo(before);
        assertThat(ruleset("fw2")).isEqualTo(live);
        Sh.Result cliSync = cli("config", "sync", "--socket", lab.socket("fw1").toString());
        assertThat(cliSync.exit()).isEqualTo(1);
        assertThat(cliSync.out()).contains("fw2 (198.51.100.2): error", "only1");
        awaitSyncState("fw1", "error", Duration.ofSeconds(5));
        awaitSyncState("fw2", "error", Duration.ofSeconds(5));
        assertThat(reason("fw2")).contains("failed");
    }

    @Test
    void anApplyThatFailsIsRolledBackAndReappliedOnTheReceiver() throws Exception {
        // an item whose apply fails on fw2 while a marker file is there (not replicated: not declared)
        startPair("", "", "");
        write("fw1", "/etc/tandem/extra.nft", "table inet extra\ndelete table inet extra\ntable inet extra {\n"
            + "  chain c {\n    type filter hook input priority 10;\n  }\n}\n");
        Files.writeString(lab.sharedConfig("fw1"), Files.readString(lab.sharedConfig("fw1"))
            + "  - path: /etc/tandem/extra.nft\n    apply: test ! -e \"$(dirname {})/block-apply\" && nft -f {}\n");
        // the shared configuration gains the item and the file arrives with it
        assertThat(configRequest("fw1", "config-sync").get("ok")).isEqualTo(true);
        assertThat(lab.exec("fw2", "nft", "list", "table", "inet", "extra")).contains("chain c");
        write("fw2", "/etc/tandem/block-apply", "");
        String oldRules = Files.readString(file("fw2", "/etc/tandem/extra.nft"));

        write("fw1", "/etc/tandem/extra.nft", "table inet extra\ndelete table inet extra\ntable inet extra {\n"
            + "  chain c {\n    type filter hook input priority 10;\n    tcp dport 9999 counter\n  }\n}\n");
        Map<String, Object> r = configRequest("fw1", "config-sync");
        assertThat(r.get("ok")).isEqualTo(false);
        assertThat(String.valueOf(r.get("peers"))).contains("rolled back");
        assertThat(Files.readString(file("fw2", "/etc/tandem/extra.nft"))).isEqualTo(oldRules);
        assertThat(lab.exec("fw2", "nft", "list", "table", "inet", "extra")).doesNotContain("9999");
        awaitSyncState("fw2", "error", Duration.ofSeconds(5));

        // once the cause is gone, the same push goes through
        Files.delete(file("fw2", "/etc/tandem/block-apply"));
        assertThat(configRequest("fw1", "config-sync").get("ok")).isEqualTo(true);
        assertThat(lab.exec("fw2", "nft", "list", "table", "inet", "extra")).contains("tcp dport 9999");
        awaitSyncState("fw2", "synchronized", Duration.ofSeconds(5));
    }

    @Test
    void aFileDeletedInAReplicatedDirectoryIsDeletedOnThePeerAndANodeLocalExceptionIsNeverTouched() throws Exception {
        String dir = """
              - path: /etc/tandem/conf.d/
            """;
        startPair("", "", "exceptions: [/etc/tandem/conf.d/local.conf]\n");
        Files.writeString(lab.sharedConfig("fw1"), Files.readString(lab.sharedConfig("fw1")) + dir);
        write("fw1", "/etc/tandem/conf.d/a.conf", "a\n");
        write("fw1", "/etc/tandem/conf.d/b.conf", "b\n");
        write("fw1", "/etc/tandem/conf.d/local.conf", "fw1's own\n");
        write("fw2", "/etc/tandem/conf.d/local.conf", "fw2's own\n");
        // fw1 reloads its changed shared configuration and pushes it with the directory; fw2 reloads what it got
        assertThat(configRequest("fw1", "config-sync").get("ok")).as("first push").isEqualTo(true);
        assertThat(Files.readString(file("fw2", "/etc/tandem/conf.d/b.conf"))).isEqualTo("b\n");
        assertThat(Files.readString(file("fw2", "/etc/tandem/conf.d/local.conf"))).isEqualTo("fw2's own\n");

        Files.delete(file("fw1", "/etc/tandem/conf.d/b.conf"));
        Files.writeString(file("fw1", "/etc/tandem/conf.d/local.conf"), "fw1's own, changed\n");
        assertThat(configRequest("fw1", "config-sync").get("ok")).isEqualTo(true);
        assertThat(file("fw2", "/etc/tandem/conf.d/b.conf")).doesNotExist();
        assertThat(file("fw2", "/etc/tandem/conf.d/a.conf")).exists();
        assertThat(Files.readString(file("fw2", "/etc/tandem/conf.d/local.conf"))).isEqualTo("fw2's own\n");
        String files = cli("config", "files", "--socket", lab.socket("fw2").toString()).out();
        assertThat(files).contains("/etc/tandem/conf.d/a.conf", "exceptions (never sent, never overwritten):",
            "  /etc/tandem/conf.d/local.conf").doesNotContain("conf.d/b.conf");
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(5));
    }

    @Test
    void anUntrustedKeyIsAnErrorAndNothingIsApplied() throws Exception {
        startPair("", "", "");
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(10));
        Sh.Result untrust = cli("cluster", "untrust", "fw1", "--config", lab.nodeConfig("fw2").toString());
        assertThat(untrust.exit()).as(untrust.err()).isZero();
        write("fw1", Lab.RULESET, rulesetWith("tcp dport 7777 counter accept"));
        Map<String, Object> r = configRequest("fw1", "config-sync");
        assertThat(r.get("ok")).isEqualTo(false);
        assertThat(ruleset("fw2")).doesNotContain("7777");
        assertThat(Files.readString(file("fw2", Lab.RULESET))).doesNotContain("7777");
        awaitSyncState("fw1", "error", Duration.ofSeconds(5));
        assertThat(reason("fw1")).containsIgnoringCase("trust");
    }

    @Test
    void aPeerWithAnOlderVersionRefusesTheNewerConfigurationAndSaysSo() throws Exception {
        startPair("", "", "", List.of("-Dtandem.version=0.0.1"));
        write("fw1", Lab.RULESET, rulesetWith("tcp dport 6666 counter accept"));
        Map<String, Object> r = configRequest("fw1", "config-sync");
        assertThat(r.get("ok")).isEqualTo(false);
        assertThat(String.valueOf(r.get("peers"))).contains("fw2 runs tandem 0.0.1", "update fw2 first");
        assertThat(ruleset("fw2")).doesNotContain("6666");
        awaitSyncState("fw1", "error", Duration.ofSeconds(5));
        assertThat(reason("fw1")).contains("update fw2 first");
        awaitSyncState("fw2", "error", Duration.ofSeconds(5));
        assertThat(reason("fw2")).contains("runs tandem 0.1", "update this node first");
    }

    @Test
    void inAutomaticModeAChangeReachesAPeerThatWasDownWhenItComesBack() throws Exception {
        startPair("auto-sync: {enabled: true, debounce: 500ms}\n", "", "");
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(10));
        write("fw1", Lab.RULESET, rulesetWith("tcp dport 5555 counter accept"));
        await().atMost(Duration.ofSeconds(10)).until(() -> ruleset("fw2").contains("5555"));

        runner.powerOff("fw2");
        runner.awaitNoProcesses("fw2");
        write("fw1", Lab.RULESET, rulesetWith("tcp dport 5556 counter accept"));
        awaitSyncState("fw1", "error", Duration.ofSeconds(10));
        lab.setLinks("fw2", true, "lan", "wan", "sync");
        lab.startTandem("fw2", lab.nodeConfig("fw2"));
        await().atMost(Duration.ofSeconds(15)).until(() -> ruleset("fw2").contains("5556"));
        awaitSyncState("fw1", "synchronized", Duration.ofSeconds(10));
        awaitSyncState("fw2", "synchronized", Duration.ofSeconds(10));
    }

    @Test
    void aChangeMadeByHandOnFw2IsPendingOnBothNodes() throws Exception {
        startPair("", "", "");
        awaitSyncState("fw2", "synchronized", Duration.ofSeconds(10));
        write("fw2", Lab.RULESET, rulesetWith("tcp dport 4444 counter accept"));
        awaitSyncState("fw2", "pending", Duration.ofSeconds(5));
        awaitSyncState("fw1", "pending", Duration.ofSeconds(5));
        assertThat(reason("fw2")).contains("/etc/tandem/lab.nft");
    }

    @Test
    void syncingAConfigurationThatNamesAnotherPreferredMasterMovesTheMasterRole() throws Exception {
        startPair("", "", "");
        assertThat(instance("fw2", "lan").get("priority")).isEqualTo(100);
        Files.writeString(lab.sharedConfig("fw1"), Files.readString(lab.sharedConfig("fw1"))
            .replace("preferred-master: fw1", "preferred-master: fw2"));
        // config sync reloads this node's changed shared configuration, then pushes it: the peer reloads it too
        assertThat(configRequest("fw1", "config-sync").get("ok")).isEqualTo(true);
        runner.awaitMaster("fw2", Duration.ofSeconds(10));
        assertThat(instance("fw2", "lan").get("priority")).isEqualTo(150);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
            assertThat(instance("fw1", "lan").get("priority")).isEqualTo(100));
    }
}
