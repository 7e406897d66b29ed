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
            .isEqualTo("fw1.yaml:10:5: instances[0] (name: lan).advert_interval: unknown key (did you mean advert-interval?"
                + " expected one of: accept, advert-interval,"
                + " auth, checksum, garp, interface, name, preempt, preempt-delay, priority, track-interfaces, version,"
                + " virtual-addresses, vrid)");
        assertThat(errorOf("nodes:\n  name: x\n")).startsWith("fw1.yaml:1:1: nodes: unknown key");
    }

    @Test
    void valuesOutOfRangeNameKeyGotAndExpected() {
        assertThat(errorOf(GOOD.replace("vrid: 51\n    advert-interval: 20ms", "vrid: 300\n    advert-interval: 20ms")))
            .isEqualTo("fw1.yaml:9:11: instances[0] (name: lan).vrid: 300 (expected: an integer 1..255)");
        assertThat(errorOf(GOOD.replace("advert-interval: 20ms", "advert-interval: 25ms")))
            .isEqualTo("fw1.yaml:10:22: instances[0] (name: lan).advert-interval: 25ms (expected: 10ms..40950ms in steps of 10ms (VRRPv3 centiseconds))");
        assertThat(errorOf(GOOD.replace("advert-interval: 20ms", "advert-interval: 20")))
            .contains("instances[0] (name: lan).advert-interval: \"20\" (expected: a duration with unit");
        assertThat(errorOf(GOOD.replace("priority: 150", "priority: high")))
            .isEqualTo("fw1.yaml:3:13: node.priority: \"high\" (expected: an integer 1..255)");
    }

    @Test
    void addressesAreCheckedForSyntaxFamilyAndVersion() {
        assertThat(errorOf(GOOD.replace("[192.0.2.1/24, 192.0.2.5]", "[192.0.2.1/24, 2001:db8::5]")))
            .contains("instances[0] (name: lan).virtual-addresses[1]: 2001:db8::5/128 (expected: IPv4 like the first address");
        assertThat(errorOf(GOOD.replace("[192.0.2.1/24, 192.0.2.5]", "[192.0.2.1/33]")))
            .contains("instances[0] (name: lan).virtual-addresses[0]: \"192.0.2.1/33\" (expected: a prefix length 1..32)");
        assertThat(errorOf(GOOD.replace("[192.0.2.1/24, 192.0.2.5]", "[gateway.example]")))
            .contains("(expected: an IPv4 or IPv6 address literal");
        assertThat(errorOf(GOOD.replace("[203.0.113.1/24]", "[2001:db8::1/64]")))
            .contains("(expected: IPv4 for version 2");
    }

    @Test
    void authIsOnlyForVersion2AndPasswordsAreAtMostEightOctets() {
        assertThat(errorOf(GOOD.replace("    version: 2\n", ""))).contains("instances[2] (name: old).auth: auth with version 3");
        assertThat(errorOf(GOOD.replace("password: s3cret", "password: waytoolongpw")))
            .contains("instances[2] (name: old).auth.password: 12 octets (expected: 1..8 octets");
        assertThat(errorOf(GOOD.replace("version: 2\n    priority: 255", "version: 2\n    advert-interval: 1500ms")))
            .contains("(expected: whole seconds 1s..255s for version 2)");
    }

    @Test
    void groupsReferToExistingInstancesOnce() {
        assertThat(errorOf(GOOD.replace("instances: [lan, lan6]", "instances: [lan, dmz]")))
            .isEqualTo("fw1.yaml:33:22: groups[0] (name: cluster).instances[1]: \"dmz\" (expected: the name of an instance defined under"
                + " instances (lan, lan6, old))");
        assertThat(errorOf(GOOD + "  - name: second\n    instances: [lan]\n"))
            .contains("groups[1] (name: second).instances[0]: \"lan\" (expected: an instance that is in no other group (already in cluster))");
    }

    @Test
    void duplicateNamesVridsAndKeysAreRejected() {
        assertThat(errorOf(GOOD.replace("name: lan6", "name: lan"))).contains("instances[1].name: \"lan\" (expected: a name no other instance has)");
        assertThat(errorOf(GOOD.replace("[2001:db8:1::1/64]", "[192.0.2.77/24]")))
            .contains("instances[1] (name: lan6).vrid: 51 (expected: a VRID not used by instance lan on the same interface and address family)");
        assertThat(errorOf(GOOD.replace("  name: fw1\n", "  name: fw1\n  name: fw2\n")))
            .isEqualTo("fw1.yaml:3:3: name: duplicate key (expected: each key once, first at 2:3)");
    }

    @Test
    void missingRequiredKeysAndSyntaxErrorsHavePositions() {
        assertThat(errorOf("node:\n  priority: 5\n")).isEqualTo("fw1.yaml:1:1: instances: missing (expected: a value for"
            + " instances)\nfw1.yaml:2:3: node.name: missing (expected: a value for name)");
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
            .hasMessage(f + ": mode 0644 lets every user read the VRRPv2 password (instance old) (expected: no access for"
                + " others, e.g. chmod 600)");
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

    static final String SEVERAL = """
        node:
          name: fw1
          priority: 300
        instances:
          - name: lan
            interface: lan
            vrid: 0
            advert-interval: 25ms
            virtual-addresses: [192.0.2.1/24, 192.0.2.999]
          - name: wan
            interface: wan
            vrid: 52
            preempt: maybe
            virtual-addresses: [203.0.113.1/24]
        groups:
          - name: cluster
            instances: [lan, wan, dmz]
        statesync:
          local: 198.51.100.1
          peer: 198.51.100.2
          cluster: lab
          passphrase: short
        """;

    @Test
    void everyIndependentErrorIsReportedOnALineOfItsOwnInFileOrder() {
        assertThat(errorOf(SEVERAL).lines()).containsExactly(
            "fw1.yaml:3:13: node.priority: 300 (expected: an integer 1..255)",
            "fw1.yaml:7:11: instances[0] (name: lan).vrid: 0 (expected: an integer 1..255)",
            "fw1.yaml:8:22: instances[0] (name: lan).advert-interval: 25ms (expected: 10ms..40950ms in steps of 10ms"
                + " (VRRPv3 centiseconds))",
            "fw1.yaml:9:39: instances[0] (name: lan).virtual-addresses[1]: \"192.0.2.999\" (expected: an IPv4 or IPv6"
                + " address literal, e.g. 192.0.2.1/24)",
            "fw1.yaml:13:14: instances[1] (name: wan).preempt: \"maybe\" (expected: true or false)",
            "fw1.yaml:17:27: groups[0] (name: cluster).instances[2]: \"dmz\" (expected: the name of an instance defined"
                + " under instances (lan, wan))",
            "fw1.yaml:22:15: statesync.passphrase: 5 octets (expected: at least 16 octets)");
        try {
            ConfigLoader.parse(FILE, SEVERAL);
        } catch (ConfigException e) {
            assertThat(e.errors()).hasSize(7);
            assertThat(String.join("\n", e.errors())).isEqualTo(e.getMessage());
        }
    }

    @Test
    void anErrorThatLeavesNothingToCheckEndsTheReading() {
        assertThat(errorOf("node: {name: fw1, priority: 0}\ninstances: [unclosed\n")).isEqualTo("fw1.yaml:2:21: YAML"
            + " syntax: while parsing a flow sequence; expected ',' or ']', but got <stream end>");
        assertThat(errorOf("- node\n- instances\n"))
            .isEqualTo("fw1.yaml:1:1: (top level): a list (expected: a mapping of keys)");
    }

    @Test
    void checksThatDependOnAWrongValueAreSkipped() {
        // the interval's range depends on the version: only the version is reported
        assertThat(errorOf(GOOD.replace("vrid: 51\n    advert-interval: 20ms", "vrid: 51\n    version: 4\n"
            + "    advert-interval: 25ms"))).isEqualTo("fw1.yaml:10:14: instances[0] (name: lan).version: 4 (expected:"
            + " an integer 2..3)");
        // an instance without a valid name may be the one a group means: no guess that the member is undefined
        assertThat(errorOf(GOOD.replace("name: lan6", "name: -lan6").replace("[lan, lan6]", "[lan, -lan6]")))
            .isEqualTo("fw1.yaml:15:11: instances[1].name: \"-lan6\" (expected: 1..64 of A-Z a-z 0-9 . _ - starting with"
                + " a letter or digit)");
        // groups that cannot be read: state sync's group is not judged
        assertThat(errorOf(GOOD.replace("groups:\n  - name: cluster\n    instances: [lan, lan6]\n", "groups: cluster\n")
            + SYNC).lines()).containsExactly("fw1.yaml:31:9: groups: \"cluster\" (expected: a list)");
    }

    @Test
    void errorsInsideAnInstanceNameItWhenItsNameIsValid() {
        assertThat(errorOf(GOOD.replace("vrid: 7", "vrid: x7")))
            .isEqualTo("fw1.yaml:25:11: instances[2] (name: old).vrid: \"x7\" (expected: an integer 1..255)");
        assertThat(errorOf(GOOD.replace("name: old", "name: old wan").replace("vrid: 7", "vrid: x7")).lines())
            .containsExactly("fw1.yaml:23:11: instances[2].name: \"old wan\" (expected: 1..64 of A-Z a-z 0-9 . _ -"
                    + " starting with a letter or digit)",
                "fw1.yaml:25:11: instances[2].vrid: \"x7\" (expected: an integer 1..255)");
        assertThat(errorOf(GOOD.replace("    interface: wan\n", ""))).isEqualTo("fw1.yaml:23:5: instances[2] (name: old)"
            + ".interface: missing (expected: a value for interface)");
    }

    @Test
    void unknownKeysGetASuggestionWhenOneIsClose() {
        assertThat(errorOf(GOOD.replace("vrid: 7", "vird: 7"))).contains("instances[2] (name: old).vird: unknown key (did"
            + " you mean vrid? expected one of: accept,").contains("instances[2] (name: old).vrid: missing");
        assertThat(errorOf(GOOD.replace("priority: 255", "Priority: 255")))
            .contains("instances[2] (name: old).Priority: unknown key (did you mean priority?");
        assertThat(errorOf(GOOD.replace("track-interfaces:", "track_interface:")))
            .contains("instances[0] (name: lan).track_interface: unknown key (did you mean track-interfaces?");
        assertThat(errorOf(GOOD.replace("virtual-addresses: [2001", "virtual-address: [2001")))
            .contains("instances[1] (name: lan6).virtual-address: unknown key (did you mean virtual-addresses?");
        assertThat(errorOf(GOOD.replace("node:", "nodes:"))).contains("fw1.yaml:1:1: nodes: unknown key (did you mean node?");
        assertThat(errorOf(GOOD + SYNC.replace("passphrase:", "pass-phrase:")))
            .contains("statesync.pass-phrase: unknown key (did you mean passphrase?");
        assertThat(errorOf(GOOD.replace("priority: 255", "colour: blue")))
            .contains("instances[2] (name: old).colour: unknown key (expected one of: accept, advert-interval,");
    }

    @Test
    void keepalivedKeysAreNamedWithTheirTandemKeys() {
        String[][] cases = {
            {"advert_int: 1", "did you mean advert-interval?"},
            {"virtual_router_id: 7", "did you mean vrid?"},
            {"virtual_ipaddress: [203.0.113.9]", "did you mean virtual-addresses?"},
            {"track_interface: [sync]", "did you mean track-interfaces?"},
            {"auth_type: PASS", "did you mean auth.type?"},
            {"auth_pass: s3cret", "did you mean auth.password?"},
            {"nopreempt: true", "did you mean preempt: false?"},
            {"preempt_delay: 10", "did you mean preempt-delay?"},
            {"garp_master_delay: 5", "did you mean garp.delay?"},
            {"state: MASTER", "tandem has no initial state: an instance starts as backup"},
        };
        for (String[] c : cases) {
            String key = c[0].substring(0, c[0].indexOf(':'));
            assertThat(errorOf(GOOD.replace("priority: 255", c[0]))).as(key)
                .startsWith("fw1.yaml:27:5: instances[2] (name: old)." + key + ": unknown key (" + c[1])
                .endsWith(" expected one of: accept, advert-interval, auth, checksum, garp, interface, name, preempt,"
                    + " preempt-delay, priority, track-interfaces, version, virtual-addresses, vrid)");
        }
    }

    @Test
    void everyDuplicateKeyIsReported() {
        assertThat(errorOf(GOOD.replace("    vrid: 51\n    advert-interval: 20ms", "    vrid: 51\n    vrid: 52\n"
            + "    advert-interval: 20ms").replace("    version: 2\n", "    version: 2\n    version: 2\n")).lines())
            .containsExactly("fw1.yaml:10:5: vrid: duplicate key (expected: each key once, first at 9:5)",
                "fw1.yaml:28:5: version: duplicate key (expected: each key once, first at 27:5)");
    }

    @Test
    void keysAndValuesWithLineBreaksCannotStartALineOfTheirOwn() {
        String e = errorOf(GOOD + "\"evil\\nfw1.yaml:1:1: fake\": 1\n");
        assertThat(e).doesNotContain("\n").contains("evil\\nfw1.yaml:1:1: fake: unknown key");
        assertThat(errorOf(GOOD.replace("vrid: 7", "vrid: \"7\\n8\""))).doesNotContain("\n").contains(": \"7\\n8\" (expected");
    }

    @Test
    void theFileModeMessageNamesTheSecretsTheFileHolds(@TempDir Path dir) throws Exception {
        String noPassword = GOOD.substring(0, GOOD.indexOf("  - name: old")) + GOOD.substring(GOOD.indexOf("groups:"));
        Path f = dir.resolve("fw1.yaml");
        Files.writeString(f, noPassword + SYNC);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ConfigLoader.load(f)).hasMessage(f + ": mode 0644 lets every user read the state-sync"
            + " passphrase (expected: no access for others, e.g. chmod 600)");
        Files.writeString(f, GOOD + SYNC);
        assertThatThrownBy(() -> ConfigLoader.load(f)).hasMessage(f + ": mode 0644 lets every user read the state-sync"
            + " passphrase and the VRRPv2 password (instance old) (expected: no access for others, e.g. chmod 600)");
        Files.writeString(f, noPassword);
        assertThat(ConfigLoader.load(f).stateSync()).as("no secret: any mode").isNull();
        // with other errors: the mode is reported too, after them
        Files.writeString(f, GOOD.replace("vrid: 7", "vrid: 700") + SYNC);
        assertThatThrownBy(() -> ConfigLoader.load(f)).isInstanceOf(ConfigException.class)
            .satisfies(x -> assertThat(((ConfigException) x).errors()).containsExactly(
                f + ":25:11: instances[2] (name: old).vrid: 700 (expected: an integer 1..255)",
                f + ": mode 0644 lets every user read the state-sync passphrase and the VRRPv2 password (instance old)"
                    + " (expected: no access for others, e.g. chmod 600)"));
    }

    @Test
    void theValidPartsOfAnInvalidFileAreKeptForTheSystemChecks(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fw1.yaml");
        Files.writeString(f, GOOD.replace("vrid: 7", "vrid: 700"));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        ConfigLoader.Checked c = ConfigLoader.check(f);
        assertThat(c.config()).isNull();
        assertThat(c.errors()).hasSize(1);
        assertThat(c.validParts().instances()).extracting(NodeConfig.Instance::name).containsExactly("lan", "lan6");
        assertThat(c.validParts().groups()).extracting(NodeConfig.Group::name).containsExactly("cluster");
        Files.writeString(f, GOOD);
        ConfigLoader.Checked ok = ConfigLoader.check(f);
        assertThat(ok.errors()).isEmpty();
        assertThat(ok.config()).isEqualTo(ok.validParts());
        assertThat(ConfigLoader.check(dir.resolve("none.yaml")).validParts()).isNull();
    }

    @Test
    void nearnessAllowsOneTypoInShortKeysAndMoreInLongOnes() {
        java.util.Set<String> keys = java.util.Set.of("vrid", "priority", "virtual-addresses", "advert-interval");
        assertThat(ConfigLoader.nearest("vird", keys)).isEqualTo("vrid");
        assertThat(ConfigLoader.nearest("id", keys)).isNull();
        assertThat(ConfigLoader.nearest("ADVERT_INTERVAL", keys)).isEqualTo("advert-interval");
        assertThat(ConfigLoader.nearest("prioirty", keys)).isEqualTo("priority");
        assertThat(ConfigLoader.nearest("virtual-adresses", keys)).isEqualTo("virtual-addresses");
        assertThat(ConfigLoader.nearest("x".repeat(1000), keys)).isNull();
        assertThat(ConfigLoader.distance("ca", "abc", 9)).isEqualTo(3);
        assertThat(ConfigLoader.distance("vrid", "vird", 9)).isEqualTo(1);
    }
}
