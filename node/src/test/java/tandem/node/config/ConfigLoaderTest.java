package tandem.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpVersion;

class ConfigLoaderTest {
    static final Path FILE = Path.of("fw1.yaml");
    static final String GOOD = """
        node:
          name: fw1
          priority: 150
        control:
          socket: /run/tandem/fw1.sock
        instances:
          - name: lan
            interface: lan
            vrid: 51
            advert-interval: 20ms
            virtual-addresses: [192.0.2.1/24, 192.0.2.5]
            track-interfaces:
              - interface: sync
                weight: 50
          - name: lan6
            interface: lan
            vrid: 51
            advert-interval: 1.5s
            preempt: false
            preempt-delay: 10s
            virtual-addresses: [2001:db8:1::1/64]
            garp: {count: 5, delay: 10ms, refresh: 30s}
          - name: old
            interface: wan
            vrid: 7
            version: 2
            priority: 255
            checksum: no-pseudo-header
            auth: {type: pass, password: s3cret}
            virtual-addresses: [203.0.113.1/24]
        groups:
          - name: cluster
            instances: [lan, lan6]
        """;

    static String errorOf(String yaml) {
        try {
            ConfigLoader.parse(FILE, yaml);
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void aCompleteConfigurationIsReadWithDefaultsFilledIn() throws Exception {
        NodeConfig c = ConfigLoader.parse(FILE, GOOD);
        assertThat(c.nodeName()).isEqualTo("fw1");
        assertThat(c.controlSocket()).isEqualTo(Path.of("/run/tandem/fw1.sock"));
        NodeConfig.Instance lan = c.instance("lan").orElseThrow();
        assertThat(lan.priority()).as("inherits node priority").isEqualTo(150);
        assertThat(lan.version()).isEqualTo(VrrpVersion.V3);
        assertThat(lan.advertInterval()).isEqualTo(Duration.ofMillis(20));
        assertThat(lan.virtualAddresses()).extracting(Object::toString).containsExactly("192.0.2.1/24", "192.0.2.5/32");
        assertThat(lan.tracks()).containsExactly(new NodeConfig.Track("sync", 50));
        assertThat(lan.garp()).isEqualTo(NodeConfig.Garp.DEFAULT);
        assertThat(lan.preempt()).isTrue();
        NodeConfig.Instance lan6 = c.instance("lan6").orElseThrow();
        assertThat(lan6.ipv6()).isTrue();
        assertThat(lan6.advertInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(lan6.preemptDelay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(lan6.garp()).isEqualTo(new NodeConfig.Garp(5, Duration.ofMillis(10), Duration.ofSeconds(30)));
        NodeConfig.Instance old = c.instance("old").orElseThrow();
        assertThat(old.authType()).isEqualTo(AuthType.SIMPLE_TEXT);
        assertThat(old.checksumMode()).isEqualTo(ChecksumMode.NO_PSEUDO_HEADER);
        assertThat(old.toString()).doesNotContain("s3cret");
        assertThat(c.groups()).containsExactly(new NodeConfig.Group("cluster", java.util.List.of("lan", "lan6")));
        assertThat(c.hasSecrets()).isTrue();
    }

    @Test
    void unknownKeysAreErrorsWithTheirPosition() {
        assertThat(errorOf(GOOD.replace("    vrid: 51\n    advert-interval: 20ms", "    vrid: 51\n    advert_interval: 20ms")))
            .isEqualTo("fw1.yaml:10:5: instances[0].advert_interval: unknown key (expected one of: accept, advert-interval,"
                + " auth, checksum, garp, interface, name, preempt, preempt-delay, priority, track-interfaces, version,"
                + " virtual-addresses, vrid)");
        assertThat(errorOf("nodes:\n  name: x\n")).startsWith("fw1.yaml:1:1: nodes: unknown key");
    }

    @Test
    void valuesOutOfRangeNameKeyGotAndExpected() {
        assertThat(errorOf(GOOD.replace("vrid: 51\n    advert-interval: 20ms", "vrid: 300\n    advert-interval: 20ms")))
            .isEqualTo("fw1.yaml:9:11: instances[0].vrid: 300 (expected: an integer 1..255)");
        assertThat(errorOf(GOOD.replace("advert-interval: 20ms", "advert-interval: 25ms")))
            .isEqualTo("fw1.yaml:10:22: instances[0].advert-interval: 25ms (expected: 10ms..40950ms in steps of 10ms (VRRPv3 centiseconds))");
        assertThat(errorOf(GOOD.replace("advert-interval: 20ms", "advert-interval: 20")))
            .contains("instances[0].advert-interval: \"20\" (expected: a duration with unit");
        assertThat(errorOf(GOOD.replace("priority: 150", "priority: high")))
            .isEqualTo("fw1.yaml:3:13: node.priority: \"high\" (expected: an integer 1..255)");
    }

    @Test
    void addressesAreCheckedForSyntaxFamilyAndVersion() {
        assertThat(errorOf(GOOD.replace("[192.0.2.1/24, 192.0.2.5]", "[192.0.2.1/24, 2001:db8::5]")))
            .contains("instances[0].virtual-addresses[1]: 2001:db8::5/128 (expected: IPv4 like the first address");
        assertThat(errorOf(GOOD.replace("[192.0.2.1/24, 192.0.2.5]", "[192.0.2.1/33]")))
            .contains("instances[0].virtual-addresses[0]: \"192.0.2.1/33\" (expected: a prefix length 1..32)");
        assertThat(errorOf(GOOD.replace("[192.0.2.1/24, 192.0.2.5]", "[gateway.example]")))
            .contains("(expected: an IPv4 or IPv6 address literal");
        assertThat(errorOf(GOOD.replace("[203.0.113.1/24]", "[2001:db8::1/64]")))
            .contains("(expected: IPv4 for version 2");
    }

    @Test
    void authIsOnlyForVersion2AndPasswordsAreAtMostEightOctets() {
        assertThat(errorOf(GOOD.replace("    version: 2\n", ""))).contains("instances[2].auth: auth with version 3");
        assertThat(errorOf(GOOD.replace("password: s3cret", "password: waytoolongpw")))
            .contains("instances[2].auth.password: 12 octets (expected: 1..8 octets");
        assertThat(errorOf(GOOD.replace("version: 2\n    priority: 255", "version: 2\n    advert-interval: 1500ms")))
            .contains("(expected: whole seconds 1s..255s for version 2)");
    }

    @Test
    void groupsReferToExistingInstancesOnce() {
        assertThat(errorOf(GOOD.replace("instances: [lan, lan6]", "instances: [lan, dmz]")))
            .isEqualTo("fw1.yaml:33:22: groups[0].instances[1]: \"dmz\" (expected: the name of an instance defined under"
                + " instances (lan, lan6, old))");
        assertThat(errorOf(GOOD + "  - name: second\n    instances: [lan]\n"))
            .contains("groups[1].instances[0]: \"lan\" (expected: an instance that is in no other group (already in cluster))");
    }

    @Test
    void duplicateNamesVridsAndKeysAreRejected() {
        assertThat(errorOf(GOOD.replace("name: lan6", "name: lan"))).contains("instances[1].name: \"lan\" (expected: a name no other instance has)");
        assertThat(errorOf(GOOD.replace("[2001:db8:1::1/64]", "[192.0.2.77/24]")))
            .contains("instances[1].vrid: 51 (expected: a VRID not used by instance lan on the same interface and address family)");
        assertThat(errorOf("node:\n  name: a\n  name: b\n")).isEqualTo("fw1.yaml:3:3: name: duplicate key (expected: each key once, first at 2:3)");
    }

    @Test
    void missingRequiredKeysAndSyntaxErrorsHavePositions() {
        assertThat(errorOf("node:\n  priority: 5\n")).isEqualTo("fw1.yaml:2:3: node.name: missing (expected: a value for name)");
        assertThat(errorOf("node: [unclosed\n"))
            .isEqualTo("fw1.yaml:1:16: YAML syntax: while parsing a flow sequence; expected ',' or ']', but got <stream end>");
        assertThat(errorOf("node:\n  name: fw1\n")).contains("instances: missing");
    }

    @Test
    void aWorldReadableFileWithAPasswordIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fw1.yaml");
        Files.writeString(f, GOOD);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
            .hasMessage(f + ": mode 0644 lets every user read the VRRP password (expected: no access for others, e.g. chmod 600)");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        assertThat(ConfigLoader.load(f).nodeName()).isEqualTo("fw1");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml")))
            .hasMessageEndingWith("missing.yaml: no such file (expected: a readable YAML configuration)");
    }

    static final String SYNC = """
        statesync:
          local: 198.51.100.1
          peer: 198.51.100.2
          cluster: lab
          passphrase: 0123456789abcdefXYZ
        """;

    @Test
    void stateSyncTakesAPeerOrAMulticastGroupWithItsInterface() throws Exception {
        NodeConfig uni = ConfigLoader.parse(FILE, GOOD + SYNC);
        assertThat(uni.stateSync().peer()).isEqualTo(java.net.InetAddress.getByName("198.51.100.2"));
        assertThat(uni.stateSync().group()).isEqualTo("cluster");
        assertThat(uni.stateSync().port()).isEqualTo(3780);
        assertThat(uni.stateSync().toString()).doesNotContain("0123456789");
        NodeConfig multi = ConfigLoader.parse(FILE, GOOD + SYNC.replace("peer: 198.51.100.2",
            "multicast: 239.255.37.80\n  interface: sync"));
        assertThat(multi.stateSync().multicast()).isEqualTo(java.net.InetAddress.getByName("239.255.37.80"));
        assertThat(multi.stateSync().interfaceName()).isEqualTo("sync");
        assertThat(errorOf(GOOD + SYNC.replace("peer: 198.51.100.2", "multicast: 198.51.100.9\n  interface: sync")))
            .contains("statesync.multicast: \"198.51.100.9\" (expected: a multicast group of local's family");
        assertThat(errorOf(GOOD + SYNC.replace("peer: 198.51.100.2", "multicast: 239.255.37.80")))
            .contains("statesync.interface: missing");
        assertThat(errorOf(GOOD + SYNC.replace("peer: 198.51.100.2", "peer: 198.51.100.2\n  multicast: 239.255.37.80")))
            .contains("statesync.peer/multicast: both (expected: peer for two nodes or multicast for more");
        assertThat(errorOf(GOOD + SYNC.replace("0123456789abcdefXYZ", "short")))
            .contains("statesync.passphrase: 5 octets (expected: at least 16 octets)");
    }

    @Test
    void expectationsAreReplicatedUnlessSwitchedOff() throws Exception {
        assertThat(ConfigLoader.parse(FILE, GOOD + SYNC).stateSync().expectations()).isTrue();
        assertThat(ConfigLoader.parse(FILE, GOOD + SYNC + "  expectations: false\n").stateSync().expectations()).isFalse();
        assertThat(errorOf(GOOD + SYNC + "  expectations: sometimes\n")).contains("statesync.expectations");
    }
}
