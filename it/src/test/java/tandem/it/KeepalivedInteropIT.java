package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * tandem and keepalived 2.2 in one virtual router, in both roles, with takeover both ways: the master
 * is powered off (processes frozen and killed, links down) and later powered on again, and preempts.
 */
class KeepalivedInteropIT extends LabTestBase {

    enum Variant {
        V3_IPV4(3, "192.0.2.1", "24", 51, "100ms", "0.1", ""),
        V3_IPV6(3, "2001:db8:1::1", "64", 61, "100ms", "0.1", ""),
        V2_PASSWORD(2, "192.0.2.1", "24", 71, "1s", "1", "s3cret");

        final int version;
        final String vip;
        final String prefix;
        final int vrid;
        final String interval;
        final String keepalivedInterval;
        final String password;

        Variant(int version, String vip, String prefix, int vrid, String interval, String keepalivedInterval, String password) {
            this.version = version;
            this.vip = vip;
            this.prefix = prefix;
            this.vrid = vrid;
            this.interval = interval;
            this.keepalivedInterval = keepalivedInterval;
            this.password = password;
        }

        Duration takeover() {
            return version == 2 ? Duration.ofSeconds(10) : Duration.ofSeconds(5);
        }
    }

    String tandem(String fw, int priority, Variant v) {
        String body = """
            interface: lan
            vrid: %d
            version: %d
            advert-interval: %s
            virtual-addresses: [%s/%s]
            """.formatted(v.vrid, v.version, v.interval, v.vip, v.prefix);
        if (!v.password.isEmpty()) {
            body += "auth: {type: pass, password: " + v.password + "}\n";
        }
        return single(fw, priority, body);
    }

    String keepalived(String fw, int priority, Variant v) {
        String auth = v.password.isEmpty() ? "" : """
              authentication {
                auth_type PASS
                auth_pass %s
              }
            """.formatted(v.password);
        return """
            global_defs {
              router_id %s
            }
            vrrp_instance vr {
              state BACKUP
              interface lan
              virtual_router_id %d
              priority %d
              advert_int %s
              version %d
            %s  virtual_ipaddress {
                %s/%s
              }
            }
            """.formatted(fw, v.vrid, priority, v.keepalivedInterval, v.version, auth, v.vip, v.prefix);
    }

    void startTandem(String fw, int priority, Variant v) {
        lab.startTandem(fw, lab.writeConfig(fw + ".yaml", tandem(fw, priority, v)));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void tandemMasterKeepsKeepalivedInBackupAndEachTakesOverFromTheOther(Variant v) {
        startTandem("fw1", 150, v);
        awaitAddress("fw1", "lan", v.vip, true, v.takeover());
        lab.startKeepalived("fw2", keepalived("fw2", 100, v));
        // keepalived accepts tandem's adverts: it stays backup for many Master_Down_Intervals
        await().during(v.takeover()).atMost(v.takeover().plusSeconds(1)).pollInterval(java.time.Duration.ofMillis(50))
            .until(() -> !lab.hasAddress("fw2", "lan", v.vip) && lab.hasAddress("fw1", "lan", v.vip));
        assertThat(lab.logTail("fw2")).contains("(vr) Entering BACKUP STATE").doesNotContain("MASTER STATE");
        runner.powerOff("fw1");
        awaitAddress("fw2", "lan", v.vip, true, v.takeover());
        runner.awaitNoProcesses("fw1");
        startTandem("fw1", 150, v);
        lab.setLinks("fw1", true, "lan", "wan", "sync");
        awaitAddress("fw1", "lan", v.vip, true, v.takeover());
        awaitAddress("fw2", "lan", v.vip, false, v.takeover());
        Map<String, Object> vr = instance("fw1", "vr");
        assertThat(vr.get("state")).isEqualTo("master");
        assertThat(totalDrops(vr)).as("no keepalived advert was dropped").isZero();
        assertThat((Integer) vr.get("adverts_received")).as("heard keepalived as master").isPositive();
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void keepalivedMasterKeepsTandemInBackupAndEachTakesOverFromTheOther(Variant v) {
        lab.startKeepalived("fw1", keepalived("fw1", 150, v));
        awaitAddress("fw1", "lan", v.vip, true, v.takeover());
        startTandem("fw2", 100, v);
        await().atMost(v.takeover()).untilAsserted(() -> {
            Map<String, Object> vr = instance("fw2", "vr");
            assertThat(vr.get("state")).isEqualTo("backup");
            assertThat((Integer) vr.get("adverts_received")).isGreaterThan(2);
            assertThat(vr.get("master_priority")).isEqualTo(150);
        });
        String master = (String) instance("fw2", "vr").get("master");
        // IPv6 adverts come from the master's link-local address (RFC 5798 5.1.2.1)
        assertThat(master).isEqualTo(v.vip.contains(":") ? linkLocal("fw1", "lan") : "192.0.2.2");
        assertThat(totalDrops(instance("fw2", "vr"))).as("every keepalived advert accepted").isZero();
        assertThat(lab.hasAddress("fw2", "lan", v.vip)).isFalse();
        runner.powerOff("fw1");
        awaitAddress("fw2", "lan", v.vip, true, v.takeover());
        assertThat(instance("fw2", "vr").get("state")).isEqualTo("master");
        runner.awaitNoProcesses("fw1");
        lab.startKeepalived("fw1", keepalived("fw1", 150, v));
        lab.setLinks("fw1", true, "lan", "wan", "sync");
        awaitAddress("fw2", "lan", v.vip, false, v.takeover().plusSeconds(5));
        awaitAddress("fw1", "lan", v.vip, true, v.takeover());
        assertThat(instance("fw2", "vr").get("state")).isEqualTo("backup");
        assertThat(instance("fw2", "vr").get("last_transition_reason").toString()).startsWith("higher priority 150 from");
        assertThat(totalDrops(instance("fw2", "vr"))).isZero();
    }

    /** The link-local IPv6 address of an interface, as ip(8) prints it (RFC 5952). */
    String linkLocal(String fw, String ifname) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("inet6 (fe80:[0-9a-f:]+)/64")
            .matcher(lab.ip(fw, "-6", "addr", "show", "dev", ifname, "scope", "link"));
        assertThat(m.find()).as("a link-local address on %s of %s", ifname, fw).isTrue();
        return m.group(1);
    }
}
