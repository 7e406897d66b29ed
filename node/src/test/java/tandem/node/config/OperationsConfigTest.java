package tandem.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.services.MonitorAction;
import tandem.services.ProcessSpec;
import tandem.services.RestartPolicy;
import tandem.services.RunOn;

/** The cluster-operations keys: group options, standby interfaces and routes, ping checks, services. */
class OperationsConfigTest {
    static final String BASE = """
        node:
          name: fw1
        instances:
          - {name: lan, interface: lan, vrid: 51, virtual-addresses: [192.0.2.1/24]}
          - {name: wan, interface: wan, vrid: 52, virtual-addresses: [203.0.113.1/24]}
          - {name: dmz, interface: dmz, vrid: 53, virtual-addresses: [198.51.100.1/24]}
        groups:
          - name: ha
            instances: [lan, wan, dmz]
        """;

    static NodeConfig parse(String text) throws ConfigException {
        return ConfigLoader.parse(Path.of("t.yaml"), text);
    }

    static List<String> errors(String text) {
        try {
            parse(text);
            return List.of();
        } catch (ConfigException e) {
            return e.errors();
        }
    }

    @Test
    void everyOperationsKeyIsReadWithItsDefaults() throws Exception {
        NodeConfig c = parse(BASE.replace("    instances: [lan, wan, dmz]\n", """
                instances: [lan, wan, dmz]
                split-link: arbitrate
                link-weight: 55
                takeover: layer2
                layer2-drop: all
            """) + """
            standby-down-interfaces: [ppp0]
            standby-routes:
              - {to: default, via: 192.0.2.1}
              - {to: 2001:db8:9::/48, via: 2001:db8:1::1, metric: 5, group: ha}
            ping-checks:
              - {name: uplink, targets: [203.0.113.254, 2001:db8::1], interface: wan, action: demote, weight: 50}
            trigger-hold-down: 3s
            services:
              - name: dhcp
                run-on: active
                process: [dnsmasq, -k]
                restart: always
                monitor: {failures: 2, window: 30s, expire: 2m, action: demote 40}
              - name: vpn
                run-on: standby
                commands: {start: /etc/init.d/x start, stop: /etc/init.d/x stop, status: /etc/init.d/x status}
              - name: proxy
                run-on: all
                systemd: squid
            """);
        NodeConfig.Group g = c.groups().getFirst();
        assertThat(g.splitLink()).isEqualTo(NodeConfig.SplitLink.ARBITRATE);
        assertThat(g.linkWeight()).isEqualTo(55);
        assertThat(g.takeover()).isEqualTo(NodeConfig.Takeover.LAYER2);
        assertThat(g.layer2DropAll()).isTrue();
        NodeConfig.Operations ops = c.operations();
        assertThat(ops.standbyDown()).containsExactly(new NodeConfig.StandbyDown("ppp0", "ha"));
        assertThat(ops.standbyRoutes()).hasSize(2);
        assertThat(ops.standbyRoutes().getFirst().destination().toString()).isEqualTo("0.0.0.0/0");
        assertThat(ops.standbyRoutes().getFirst().metric()).isEqualTo(10);
        assertThat(ops.standbyRoutes().get(1).destination().toString()).isEqualTo("2001:db8:9::/48");
        NodeConfig.PingCheck p = ops.pingChecks().getFirst();
        assertThat(p.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(p.misses()).isEqualTo(3);
        assertThat(p.successes()).isEqualTo(3);
        assertThat(p.weight()).isEqualTo(50);
        assertThat(p.groups()).containsExactly("ha");
        assertThat(ops.holdDown()).isEqualTo(Duration.ofSeconds(3));
        assertThat(ops.services()).extracting(NodeConfig.Service::name).containsExactly("dhcp", "vpn", "proxy");
        NodeConfig.Service dhcp = ops.services().getFirst();
        assertThat(dhcp.group()).isEqualTo("ha");
        assertThat(dhcp.spec().runOn()).isEqualTo(RunOn.ACTIVE);
        assertThat(((ProcessSpec) dhcp.spec().kind()).argv()).containsExactly("dnsmasq", "-k");
        assertThat(dhcp.spec().restart().policy()).isEqualTo(RestartPolicy.ALWAYS);
        assertThat(dhcp.spec().monitor().orElseThrow().action()).isEqualTo(MonitorAction.demote(40));
        assertThat(ops.services().get(2).spec().kind().toString()).contains("squid.service");
    }

    @Test
    void withoutTheseKeysNothingChanges() throws Exception {
        NodeConfig c = parse(BASE);
        assertThat(c.operations()).isEqualTo(NodeConfig.Operations.NONE);
        assertThat(c.groups().getFirst().splitLink()).isEqualTo(NodeConfig.SplitLink.FAULT);
        assertThat(c.groups().getFirst().takeover()).isEqualTo(NodeConfig.Takeover.ADDRESSES);
    }

    @Test
    void badValuesSayWhatWasGotAndWhatWasExpected() {
        assertThat(errors(BASE.replace("    instances: [lan, wan, dmz]\n", "    instances: [lan, wan, dmz]\n    split-link: vote\n")))
            .singleElement().asString().contains("groups[0] (name: ha).split-link: \"vote\"", "one of [fault, arbitrate]");
        assertThat(errors(BASE.replace("    instances: [lan, wan, dmz]\n", "    instances: [lan, wan, dmz]\n    link-weight: 50\n")))
            .singleElement().asString().contains("no link-weight without split-link: arbitrate");
        assertThat(errors(BASE.replace("    instances: [lan, wan, dmz]\n", "    instances: [lan, wan, dmz]\n    layer2-drop: all\n")))
            .singleElement().asString().contains("no layer2-drop without takeover: layer2");
        assertThat(errors(BASE + "standby-down-interfaces: [lan]\n")).singleElement().asString()
            .contains("not the interface of an instance (lan advertises on it");
        assertThat(errors(BASE + "standby-routes:\n  - {to: 2001:db8::/32, via: 192.0.2.1}\n")).singleElement().asString()
            .contains("a prefix of the family of via");
        assertThat(errors(BASE + "ping-checks:\n  - {name: up, targets: [192.0.2.9], action: demote}\n")).singleElement()
            .asString().contains("ping-checks[0] (name: up).weight: missing");
        assertThat(errors(BASE + "ping-checks:\n  - {name: up, targets: [192.0.2.9], action: fault, timeout: 2s}\n"))
            .singleElement().asString().contains("timeout: 2s (expected: more than 0 and at most the interval (1000 ms))");
        assertThat(errors(BASE + "ping-checks:\n  - {name: up, targets: [192.0.2.9], action: fault, groups: [nope]}\n"))
            .singleElement().asString().contains("\"nope\" (expected: a group or an instance in no group: one of [ha])");
        assertThat(errors(BASE + "services:\n  - {name: x, run-on: master, process: [a]}\n")).singleElement().asString()
            .contains("services[0] (name: x).run-on", "master");
        assertThat(errors(BASE + "services:\n  - {name: x, run-on: all, process: [a], systemd: b}\n")).singleElement()
            .asString().contains("kind: process and systemd (expected: exactly one of process");
        assertThat(errors(BASE + "services:\n  - {name: x, run-on: all, process: 'dnsmasq -k'}\n")).singleElement()
            .asString().contains("expected: a list: the program and its arguments");
        assertThat(errors(BASE + "services:\n  - {name: x, run-on: all, systemd: y, stop-timeout: 3s}\n")).singleElement()
            .asString().contains("no stop-timeout for a systemd service");
        assertThat(errors(BASE + "services:\n  - {name: x, run-on: all, process: [a], command: b}\n")).singleElement()
            .asString().contains("did you mean process");
        assertThat(errors(BASE + "services:\n  - {name: x, run-on: all, process: [a]}\n  - {name: x, run-on: all, process: [b]}\n"))
            .singleElement().asString().contains("services[1].name", "a name no other service has");
        assertThat(errors(BASE + "ping-checks:\n  - {name: up, targets: [192.0.2.9], action: fault}\n"
            + "  - {name: up, targets: [192.0.2.8], action: fault}\n"))
            .singleElement().asString().contains("ping-checks[1].name", "a name no other ping check has");
        assertThat(errors(BASE + "standby-down-interfaces: [ppp0, ppp0]\n")).singleElement().asString()
            .contains("standby-down-interfaces[1]", "an interface listed once");
        assertThat(errors(BASE + "standby-down-interfaces: [wan]\n")).singleElement().asString()
            .contains("standby-down-interfaces[0]", "not the interface of an instance (wan");
        assertThat(errors(BASE + "services: {name: x}\n")).singleElement().asString().contains("services");
    }

    @Test
    void aReferenceToAGroupIsNeededOnlyWhenThereIsMoreThanOne() {
        String two = BASE.replace("  - name: ha\n    instances: [lan, wan, dmz]\n", "  - {name: ha, instances: [lan, wan]}\n");
        // dmz is now a group of its own: ha and dmz
        assertThat(errors(two + "standby-down-interfaces: [ppp0]\n")).singleElement().asString()
            .contains("{interface: ppp0, group: NAME} since there is more than one group [ha, dmz]");
        assertThat(errors(two + "standby-down-interfaces: [{interface: ppp0, group: dmz}]\n")).isEmpty();
        assertThat(errors(two + "services:\n  - {name: x, run-on: all, process: [a]}\n")).singleElement().asString()
            .contains("group: missing (expected: the group it follows, one of [ha, dmz]");
    }

    @Test
    void splitLinkArbitrationChecksItsWeightAgainstThePriorities(@TempDir Path dir) throws Exception {
        String node = """
            shared: cluster.yaml
            node: {name: fw1, priority-high: 150, priority-low: 100}
            """;
        String shared = """
            cluster: lab
            preferred-master: fw1
            instances:
              - {name: lan, interface: lan, vrid: 51, virtual-addresses: [192.0.2.1/24]}
              - {name: wan, interface: wan, vrid: 52, virtual-addresses: [203.0.113.1/24]}
              - {name: dmz, interface: dmz, vrid: 53, virtual-addresses: [198.51.100.1/24]}
            groups:
              - {name: ha, instances: [lan, wan, dmz], split-link: arbitrate, link-weight: WEIGHT}
            """;
        assertThat(SplitConfigTest.errors(dir, node, shared.replace("WEIGHT", "60"))).isEmpty();
        assertThat(SplitConfigTest.errors(dir, node, shared.replace("WEIGHT", "50"))).singleElement().asString()
            .contains("link-weight: 50 with node.priority-high 150, priority-low 100 and 3 links (expected: 51..74");
        assertThat(SplitConfigTest.errors(dir, node, shared.replace("WEIGHT", "75"))).singleElement().asString()
            .contains("(expected: 51..74");
    }

    @Test
    void aSystemdServiceOnANodeWithoutSystemdCannotBeUsedAndItsMessageSaysSo() {
        assertThatThrownBy(() -> {
            throw new ConfigException(tandem.services.ServiceHost.preflight(parse(BASE
                + "services:\n  - {name: proxy, run-on: all, systemd: squid}\n").operations().services().getFirst().spec()));
        }).hasMessageContaining("service 'proxy' (systemd unit squid.service): systemd is not running on this node");
    }
}
