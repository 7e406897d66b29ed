package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;

/**
 * tandem's own control traffic against the admin's rules: the Securepoint manual's "NAT in the
 * cluster configuration" makes the HideNAT rule use the cluster IP, {@code oifname "wan" snat to
 * <WAN VIP>}, which also catches the nodes' own VRRP adverts. With tandem's notrack rules they never
 * meet conntrack or NAT.
 */
class ControlTrafficIT extends LabTestBase {
    static final Duration INTERVAL = Duration.ofMillis(100);

    @Test
    void aHideNatRuleOnTheWanInterfaceNeitherBreaksTheAdvertsNorMakesTheGroupFlap() throws Exception {
        for (String fw : List.of("fw1", "fw2")) {
            Sh.runIn("""
                table ip hidenat {
                  chain postrouting {
                    type nat hook postrouting priority srcnat;
                    oifname "wan" snat to %s
                  }
                }
                """.formatted(Lab.WAN_VIP), "ip", "netns", "exec", lab.ns(fw), "nft", "-f", "-");
        }
        lab.startTandem("fw1", lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, INTERVAL, true)));
        lab.startTandem("fw2", lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, INTERVAL, true)));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(5)).until(() -> instance("fw2", "wan").get("state").equals("backup"));
        Map<String, String> transitions = Map.of(
            "fw1 lan", String.valueOf(instance("fw1", "lan").get("last_transition")),
            "fw1 wan", String.valueOf(instance("fw1", "wan").get("last_transition")),
            "fw2 lan", String.valueOf(instance("fw2", "lan").get("last_transition")),
            "fw2 wan", String.valueOf(instance("fw2", "wan").get("last_transition")));
        // 30 s without a single transition on either node
        await().during(Duration.ofSeconds(30)).atMost(Duration.ofSeconds(35)).pollInterval(Duration.ofMillis(250))
            .until(() -> lab.vipHolder().equals("fw1") && transitions.equals(Map.of(
                "fw1 lan", String.valueOf(instance("fw1", "lan").get("last_transition")),
                "fw1 wan", String.valueOf(instance("fw1", "wan").get("last_transition")),
                "fw2 lan", String.valueOf(instance("fw2", "lan").get("last_transition")),
                "fw2 wan", String.valueOf(instance("fw2", "wan").get("last_transition")))));
        for (String fw : List.of("fw1", "fw2")) {
            assertThat(((Number) channel(fw, "wan").get("send_errors")).longValue()).as(fw + " send errors").isZero();
            assertThat(drops(instance(fw, "wan"), "checksum")).as(fw + " checksum drops").isZero();
            assertThat(drops(channel(fw, "wan"), "checksum")).isZero();
        }
        assertThat(((Number) instance("fw2", "wan").get("adverts_received")).longValue()).isPositive();
        assertThat(Sh.run("ip", "netns", "exec", lab.ns("fw1"), "conntrack", "-L"))
            .as("no conntrack entry for VRRP").doesNotContain("224.0.0.18");
        // and failover still works
        runner.powerOff("fw1");
        runner.awaitMaster("fw2", Duration.ofSeconds(5), false);
    }
}
