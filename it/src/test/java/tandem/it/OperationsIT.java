package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;

/**
 * Cluster operations in the lab with real daemons: a DHCP server (dnsmasq) that runs only on the
 * active node, interfaces down while standby, layer-2 takeover (arping), the standby's route through the
 * active node, ping checks, a monitored service, the hotwire's fast takeover and split-link arbitration
 * over three HA interfaces.
 */
class OperationsIT extends LabTestBase {
    static final Duration INTERVAL = Duration.ofMillis(100);

    /** The lab's shared configuration: instances lan ({@code lanVips}) and wan in group cluster, with {@code groupExtra}. */
    static String instances(Duration interval, String lanVips, String groupExtra) {
        return "cluster: lab\npreferred-master: fw1\ninstances:\n" + Lab.instancesAndGroup(interval, lanVips)
            + groupExtra.indent(4);
    }

    void startPair(String shared) {
        startPair(shared, "");
    }

    void startPair(String shared, String nodeExtra) {
        for (String fw : List.of("fw1", "fw2")) {
            lab.writeReplicated(fw, lab.nodeLocalConfig(fw, false, nodeExtra), shared);
        }
        lab.exchangeKeys("fw1", "fw2");
        lab.startTandem("fw1", lab.nodeConfig("fw1"));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        lab.startTandem("fw2", lab.nodeConfig("fw2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> "backup".equals(clusterState("fw2")));
    }

    /** Stops a node's daemon gracefully (SIGTERM: it resigns and releases). */
    void stop(String fw) {
        long pid = ((Number) info(fw).get("pid")).longValue();
        signal(pid, "TERM");
        await().atMost(Duration.ofSeconds(20)).until(() -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    String sh(String role, String... cmd) {
        return lab.exec(role, cmd);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> trigger(String fw, String name) {
        return ((List<Map<String, Object>>) info(fw).get("triggers")).stream().filter(t -> t.get("name").equals(name))
            .findFirst().orElseThrow(() -> new AssertionError("no trigger " + name + " in " + info(fw).get("triggers")));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> service(String fw, String name) {
        return ((List<Map<String, Object>>) info(fw).get("services")).stream().filter(t -> t.get("name").equals(name))
            .findFirst().orElseThrow();
    }

    // ---------------------------------------------------------------- services

    @Test
    void aDhcpServerRunsOnlyOnTheActiveNodeAndItsClientRenewsTheSameAddressFromTheNewMaster() throws Exception {
        // dnsmasq on the cluster address 192.0.2.129/25 (its server identifier, so renewals follow the role),
        // authoritative, so the new master acknowledges a lease it did not give (dnsmasq's own mechanism)
        // (never /dev/null as the pid file: dnsmasq removes its pid file when it ends)
        Path leases = lab.dir().resolve("leases");
        String shared = instances(INTERVAL, "192.0.2.1/24, 192.0.2.129/25", "") + """
            services:
              - name: dhcp
                run-on: active
                process:
                  - sh
                  - -c
                  - exec dnsmasq -k --conf-file=/dev/null --port=0 --interface=lan --bind-interfaces
                    --dhcp-range=192.0.2.150,192.0.2.199,255.255.255.128,1h --dhcp-authoritative
                    --dhcp-option=option:router,192.0.2.129 --user=root
                    --pid-file=%s-$(ip netns identify).pid --dhcp-leasefile=%s-$(ip netns identify)
                stop-timeout: 5s
            """.formatted(leases, leases);
        startPair(shared);
        await().atMost(Duration.ofSeconds(10)).until(() -> "running".equals(service("fw1", "dhcp").get("state")));
        assertThat(service("fw2", "dhcp").get("state")).isEqualTo("stopped");
        assertThat(Sh.quiet("ip", "netns", "pids", lab.ns("fw2")).out()).doesNotContain(pidOf("fw1", "dnsmasq"));

        Path events = lab.dir().resolve("dhcp-events");
        Path script = lab.dir().resolve("udhcpc.sh");
        Files.writeString(script, """
            #!/bin/sh
            echo "$1 $ip $serverid" >> %s
            case "$1" in bound|renew) ip addr replace $ip/24 dev $interface ;; esac
            """.formatted(events));
        script.toFile().setExecutable(true);
        Process client = new ProcessBuilder(Sh.list("ip", "netns", "exec", lab.ns("client"), "udhcpc", "-i", "eth0", "-f",
            "-s", script.toString())).redirectErrorStream(true).redirectOutput(lab.dir().resolve("udhcpc.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(events) && Files.readString(events).contains("bound"));
            String bound = Files.readString(events).lines().filter(l -> l.startsWith("bound")).findFirst().orElseThrow();
            String address = bound.split(" ")[1];
            assertThat(bound).endsWith(" 192.0.2.129");
            assertThat(Files.readString(Path.of(leases + "-" + lab.ns("fw1")))).contains(address);

            // failover: fw1 powered off, fw2 takes over and starts dnsmasq; the client renews (SIGUSR1)
            runner.powerOff("fw1");
            runner.awaitMaster("fw2", Duration.ofSeconds(10), false);
            await().atMost(Duration.ofSeconds(10)).until(() -> "running".equals(service("fw2", "dhcp").get("state")));
            Sh.run("kill", "-USR1", Long.toString(client.pid()));
            await().atMost(Duration.ofSeconds(15)).until(() -> Files.readString(events).contains("renew"));
            String renew = Files.readString(events).lines().filter(l -> l.startsWith("renew")).findFirst().orElseThrow();
            assertThat(renew).isEqualTo("renew " + address + " 192.0.2.129");
            assertThat(Files.readString(Path.of(leases + "-" + lab.ns("fw2")))).contains(address);
            // the takeover's steps, with the time to the service running, are in info
            assertThat(String.valueOf(info("fw2").get("groups"))).contains("services", "activate");
        } finally {
            client.destroy();
        }
    }

    String pidOf(String fw, String name) {
        return Sh.quiet("ip", "netns", "exec", lab.ns(fw), "pgrep", "-x", name).out().strip();
    }

    @Test
    void aMonitoredServiceThatKeepsFailingDemotesItsNodeAndTheFailureExpires() throws Exception {
        Path marker = lab.dir().resolve("fail");
        String shared = instances(INTERVAL, "192.0.2.1/24", "") + """
            trigger-hold-down: 500ms
            services:
              - name: probe
                run-on: all
                process: [sh, -c, 'test -e %s-$(ip netns identify) && exit 3; exec sleep 100000']
                settle: 200ms
                restart: {policy: always, delay: 200ms, max-delay: 400ms}
                monitor: {failures: 3, window: 30s, expire: 6s, action: demote 60}
            """.formatted(marker);
        startPair(shared);
        await().atMost(Duration.ofSeconds(10)).until(() -> "running".equals(service("fw1", "probe").get("state")));
        Files.writeString(Path.of(marker + "-" + lab.ns("fw1")), "");
        long pid = Long.parseLong(String.valueOf(service("fw1", "probe").get("detail")).replace("pid ", ""));
        Sh.run("kill", Long.toString(pid));
        runner.awaitMaster("fw2", Duration.ofSeconds(20));
        Map<String, Object> t = trigger("fw1", "service:probe");
        assertThat(t.get("state")).isEqualTo("failing");
        assertThat(t.get("action")).isEqualTo("demote 60");
        assertThat(instance("fw1", "lan").get("priority")).isEqualTo(90);
        Files.delete(Path.of(marker + "-" + lab.ns("fw1")));
        // running again, and 6 s after the last failure the verdict expires: fw1 preempts back
        runner.awaitMaster("fw1", Duration.ofSeconds(30));
        assertThat(trigger("fw1", "service:probe").get("state")).isEqualTo("ok");
    }

    // ---------------------------------------------------------------- interfaces and routes

    @Test
    void anInterfaceThatIsDownWhileStandbyIsUpOnlyOnTheActiveNodeAndItsLinkIsNoFailure() throws Exception {
        for (String fw : List.of("fw1", "fw2")) {
            lab.ip(fw, "link", "add", "up0", "type", "veth", "peer", "name", "up0p");
            lab.ip(fw, "link", "set", "up0p", "up");
        }
        String shared = instances(INTERVAL, "192.0.2.1/24", "") + "standby-down-interfaces: [up0]\n";
        startPair(shared);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(lab.ip("fw1", "-br", "link", "show", "up0")).contains(" UP ");
            assertThat(lab.ip("fw2", "-br", "link", "show", "up0")).contains(" DOWN ");
        });
        assertThat(clusterState("fw2")).isEqualTo("backup");
        stop("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(10), false);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(lab.ip("fw2", "-br", "link", "show", "up0")).contains(" UP ");
            assertThat(lab.ip("fw1", "-br", "link", "show", "up0")).contains(" DOWN ");
        });
    }

    @Test
    void theStandbyReachesTheInternetThroughTheActiveNodeAndTheRouteFollowsTheRole() throws Exception {
        // an Internet host beyond the server; each node's own route to it goes through the server
        lab.ip("server", "addr", "add", "198.51.100.200/32", "dev", "eth0");
        for (String fw : List.of("fw1", "fw2")) {
            lab.ip(fw, "route", "add", "198.51.100.200/32", "via", "203.0.113.100", "metric", "100");
        }
        String shared = instances(INTERVAL, "192.0.2.1/24", "")
            + "standby-routes:\n  - {to: 198.51.100.200/32, via: 192.0.2.1, metric: 10}\n";
        startPair(shared);
        await().atMost(Duration.ofSeconds(5)).until(() -> lab.ip("fw2", "route", "get", "198.51.100.200").contains("via 192.0.2.1"));
        assertThat(lab.ip("fw1", "route", "get", "198.51.100.200")).contains("via 203.0.113.100");
        // the standby's own traffic leaves through fw1, translated to the cluster's WAN address
        sh("fw2", "ping", "-c", "2", "-W", "1", "198.51.100.200");
        assertThat(sh("fw1", "conntrack", "-L", "-p", "icmp")).contains("src=192.0.2.3 dst=198.51.100.200")
            .contains("src=198.51.100.200 dst=203.0.113.1");

        stop("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(10), false);
        await().atMost(Duration.ofSeconds(5)).until(() -> lab.ip("fw2", "route", "get", "198.51.100.200").contains("via 203.0.113.100"));
        // fw2 stops too: nothing of tandem's is left in its routing table
        stop("fw2");
        assertThat(lab.ip("fw2", "route", "show", "198.51.100.200")).doesNotContain("192.0.2.1");
    }

    @Test
    void withLayer2TakeoverBothNodesHoldTheAddressesAndOnlyTheActiveOneAnswersArp() throws Exception {
        String shared = instances(INTERVAL, "192.0.2.1/24", "takeover: layer2");
        startPair(shared);
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).isTrue();
        assertThat(lab.hasAddress("fw2", "lan", Lab.LAN_VIP)).isTrue();
        String mac1 = mac("fw1");
        String mac2 = mac("fw2");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(arping()).isEqualTo(List.of(mac1)));
        // traffic through the cluster uses the active node
        sh("client", "ping", "-c", "1", "-W", "1", Lab.SERVER);
        stop("fw1");
        await().atMost(Duration.ofSeconds(10)).until(() -> "master".equals(clusterState("fw2")));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(arping()).isEqualTo(List.of(mac2)));
        assertThat(lab.hasAddress("fw2", "lan", Lab.LAN_VIP)).isTrue();
        assertThat(lab.hasAddress("fw1", "lan", Lab.LAN_VIP)).as("a stopped node removes its addresses").isFalse();
        sh("client", "ping", "-c", "1", "-W", "1", Lab.SERVER);
    }

    String mac(String fw) {
        return lab.ip(fw, "-br", "link", "show", "lan").split("\\s+")[2].toLowerCase(java.util.Locale.ROOT);
    }

    /** The MAC addresses that answer ARP for the LAN cluster address, as the client sees them. */
    List<String> arping() {
        String out = Sh.quiet("ip", "netns", "exec", lab.ns("client"), "arping", "-c", "3", "-w", "2", "-I", "eth0",
            Lab.LAN_VIP).out();
        return out.lines().filter(l -> l.contains("reply from")).map(l -> l.replaceAll(".*\\[([0-9a-fA-F:]+)\\].*", "$1")
            .toLowerCase(java.util.Locale.ROOT)).distinct().toList();
    }

    // ---------------------------------------------------------------- triggers

    @Test
    void aPingCheckThatFailsOnTheMasterMovesTheRoleAndWhenBothFailPriorityDecides() throws Exception {
        String shared = instances(INTERVAL, "192.0.2.1/24", "") + """
            trigger-hold-down: 1s
            ping-checks:
              - {name: uplink, targets: [203.0.113.100], interface: wan, interval: 200ms, misses: 3, successes: 3,
                 action: demote, weight: 60}
            """;
        startPair(shared);
        await().atMost(Duration.ofSeconds(5)).until(() -> "ok".equals(trigger("fw1", "ping:uplink").get("state")));
        // the server stops answering fw1
        Sh.runIn("table inet t {\n chain in {\n  type filter hook input priority 0;\n  ip saddr 203.0.113.2 icmp type echo-request drop\n }\n}\n",
            "ip", "netns", "exec", lab.ns("server"), "nft", "-f", "-");
        runner.awaitMaster("fw2", Duration.ofSeconds(10));
        assertThat(trigger("fw1", "ping:uplink")).containsEntry("state", "failing").containsEntry("action", "demote 60");
        assertThat(String.valueOf(info("fw1").get("problems"))).contains("ping:uplink");
        // and fw2 too: both demoted alike, priority decides
        Sh.run("ip", "netns", "exec", lab.ns("server"), "nft", "add", "rule", "inet", "t", "in", "ip", "saddr",
            "203.0.113.3", "icmp", "type", "echo-request", "drop");
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).until(() -> "failing".equals(trigger("fw2", "ping:uplink").get("state")));
        assertThat(instance("fw1", "lan").get("priority")).isEqualTo(90);
        assertThat(instance("fw2", "lan").get("priority")).isEqualTo(40);
        Sh.run("ip", "netns", "exec", lab.ns("server"), "nft", "delete", "table", "inet", "t");
        await().atMost(Duration.ofSeconds(10)).until(() -> Integer.valueOf(150).equals(instance("fw1", "lan").get("priority")));
        runner.awaitMaster("fw1", Duration.ofSeconds(5));
    }

    @Test
    void whenTheMasterIsPoweredOffTheHotwireLetsTheBackupTakeOverAfterOneAdvertInterval() throws Exception {
        startPair(instances(Duration.ofMillis(20), "192.0.2.1/24", ""));
        assertThat(info("fw2").get("hotwire")).isEqualTo("up");
        runner.powerOff("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(5), false);
        // the group took over because the hotwire lost carrier and no advert came within one interval
        assertThat(String.valueOf(info("fw2").get("groups"))).contains("hotwire lost carrier");
        assertThat(info("fw2").get("hotwire")).isEqualTo("down");
        assertThat(trigger("fw2", "hotwire:sync").get("state")).isEqualTo("failing");
    }

    @Test
    void whenOnlyTheHotwireFailsNothingIsTakenOverAndInfoSaysTheHotwireIsDown() throws Exception {
        startPair(instances(Duration.ofMillis(20), "192.0.2.1/24", ""));
        lab.setLinks("fw1", false, "sync");
        await().atMost(Duration.ofSeconds(5)).until(() -> "down".equals(info("fw2").get("hotwire")));
        assertThat(String.valueOf(info("fw2").get("problems"))).contains("hotwire sync down");
        String before = transitions();
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
            .untilAsserted(() -> {
                assertThat(transitions()).as("no state change while only the hotwire is down").isEqualTo(before);
                assertThat(lab.vipHolder()).isEqualTo("fw1");
            });
        lab.setLinks("fw1", true, "sync");
        await().atMost(Duration.ofSeconds(5)).until(() -> "up".equals(info("fw2").get("hotwire")));
    }

    @Test
    void withThreeHaInterfacesTheNodeWithMoreLinksUpIsActiveAndBothOnlyWhenTheyShareNone() throws Exception {
        lab.addDmz();
        String shared = """
            cluster: lab
            preferred-master: fw1
            instances:
              - {name: lan, interface: lan, vrid: 51, advert-interval: 100ms, virtual-addresses: [192.0.2.1/24]}
              - {name: wan, interface: wan, vrid: 52, advert-interval: 100ms, virtual-addresses: [203.0.113.1/24]}
              - {name: dmz, interface: dmz, vrid: 53, advert-interval: 100ms, virtual-addresses: [198.51.100.20/28]}
            groups:
              - {name: ha, instances: [lan, wan, dmz], split-link: arbitrate, link-weight: 60}
            """;
        startPair(shared);
        // the rows of the appliance's table (HA interfaces lan, wan, dmz; true = that node's cable is in)
        row(up(true, true, true), up(true, true, true), "fw1");
        row(up(false, true, true), up(true, true, true), "fw2");
        row(up(false, true, true), up(false, true, true), "fw1");
        row(up(false, true, false), up(false, false, false), "both");
        row(up(false, false, false), up(false, false, false), "both");
        row(up(true, true, true), up(true, true, true), "fw1");
    }

    static boolean[] up(boolean a, boolean b, boolean c) {
        return new boolean[] {a, b, c};
    }

    /**
     * How long each row of the split-link table must hold without a state change: 5 s in the suite;
     * {@code -Dtandem.it.split-link-hold=60s} for the appliance's minute (six rows: about 6.5 minutes).
     */
    static final Duration SPLIT_LINK_HOLD = Duration.parse("PT" + System.getProperty("tandem.it.split-link-hold", "5s")
        .toUpperCase(java.util.Locale.ROOT));

    /** Sets both nodes' HA links, waits for the expected active node(s) and checks the hold without a change. */
    void row(boolean[] one, boolean[] two, String active) throws Exception {
        String[] ifs = {"lan", "wan", "dmz"};
        for (int i = 0; i < 3; i++) {
            lab.setLinks("fw1", one[i], ifs[i]);
            lab.setLinks("fw2", two[i], ifs[i]);
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
            assertThat(activeNodes()).as("active with " + java.util.Arrays.toString(one) + " / " + java.util.Arrays.toString(two))
                .isEqualTo(active));
        String before = transitions();
        await().during(SPLIT_LINK_HOLD).atMost(SPLIT_LINK_HOLD.plusSeconds(5)).pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> {
                assertThat(activeNodes()).isEqualTo(active);
                assertThat(transitions()).as("no state change within " + SPLIT_LINK_HOLD.toSeconds() + " s").isEqualTo(before);
            });
    }

    @SuppressWarnings("unchecked")
    String activeNodes() {
        boolean a = ((List<Map<String, Object>>) info("fw1").get("groups")).getFirst().get("role").equals("active");
        boolean b = ((List<Map<String, Object>>) info("fw2").get("groups")).getFirst().get("role").equals("active");
        return a && b ? "both" : a ? "fw1" : b ? "fw2" : "none";
    }

    @SuppressWarnings("unchecked")
    String transitions() {
        StringBuilder sb = new StringBuilder();
        for (String fw : List.of("fw1", "fw2")) {
            for (Map<String, Object> i : (List<Map<String, Object>>) info(fw).get("instances")) {
                sb.append(fw).append(' ').append(i.get("name")).append(' ').append(i.get("state")).append(' ')
                    .append(i.get("last_transition")).append('\n');
            }
        }
        return sb.toString();
    }
}
