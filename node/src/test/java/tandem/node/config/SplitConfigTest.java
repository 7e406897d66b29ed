package tandem.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node-local file and the shared file it names: each key only in its own file. */
class SplitConfigTest {
    static final String NODE = """
        node:
          name: fw1
        hotwire:
          local: 198.51.100.5
          peers:
            - {node: fw2, address: 198.51.100.6}
        statesync:
          local: 198.51.100.1
          peer: 198.51.100.2
          passphrase: lab-passphrase-0123456789
        exceptions: [/etc/ssl/private/ca.key]
        shared: cluster.yaml
        """;
    static final String SHARED = """
        cluster: lab
        preferred-master: fw1
        instances:
          - name: lan
            interface: lan
            vrid: 51
            virtual-addresses: [192.0.2.1/24]
        groups:
          - {name: cluster, instances: [lan]}
        statesync:
          protocols: [tcp, udp]
        replicate:
          - path: /etc/nftables.conf
            check: nft -c -f {}
            apply: nft -f /etc/nftables.conf
          - path: /etc/dnsmasq.d/
            apply: systemctl reload dnsmasq
        auto-sync: {enabled: true, debounce: 3s}
        """;

    static Path write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    static List<String> errors(Path dir, String node, String shared) throws Exception {
        write(dir, "cluster.yaml", shared);
        return ConfigLoader.check(write(dir, "fw1.yaml", node)).errors();
    }

    @Test
    void theSharedFileHoldsTheClusterAndTheNodeFileWhatStaysOnThisNode(@TempDir Path dir) throws Exception {
        write(dir, "cluster.yaml", SHARED);
        NodeConfig c = ConfigLoader.load(write(dir, "fw1.yaml", NODE));
        assertThat(c.nodeName()).isEqualTo("fw1");
        assertThat(c.instances()).singleElement().satisfies(i -> assertThat(i.priority()).as("preferred master: high")
            .isEqualTo(150));
        assertThat(c.stateSync().cluster()).isEqualTo("lab");
        assertThat(c.stateSync().protocols()).containsExactlyInAnyOrder(6, 17);
        NodeConfig.Replication r = c.replication();
        assertThat(r.sharedFile()).isEqualTo(dir.resolve("cluster.yaml"));
        assertThat(r.preferredMaster()).isEqualTo("fw1");
        assertThat(r.items()).extracting(NodeConfig.Replicated::path)
            .containsExactly(Path.of("/etc/nftables.conf"), Path.of("/etc/dnsmasq.d"));
        assertThat(r.items().get(1).directory()).isTrue();
        assertThat(r.items().getFirst().check()).isEqualTo("nft -c -f {}");
        assertThat(r.exceptions()).containsExactly(Path.of("/etc/ssl/private/ca.key"));
        assertThat(r.autoSync()).isTrue();
        assertThat(r.debounce()).hasSeconds(3);
        assertThat(r.hotwire().port()).isEqualTo(ConfigLoader.HOTWIRE_PORT);
        assertThat(r.hotwire().peers()).singleElement().satisfies(p -> assertThat(p.node()).isEqualTo("fw2"));
    }

    @Test
    void theOtherNodeGetsItsLowPriorityFromTheSameSharedFile(@TempDir Path dir) throws Exception {
        write(dir, "cluster.yaml", SHARED);
        NodeConfig c = ConfigLoader.load(write(dir, "fw2.yaml", NODE.replace("name: fw1", "name: fw2\n  priority-low: 90")));
        assertThat(c.instances().getFirst().priority()).isEqualTo(90);
    }

    @Test
    void aNodeLocalSettingInTheSharedFileIsAnErrorNamingWhereItBelongs(@TempDir Path dir) throws Exception {
        List<String> e = errors(dir, NODE, SHARED + "node:\n  name: fw9\nhotwire: {}\n");
        assertThat(e).anySatisfy(l -> assertThat(l).contains("cluster.yaml").contains("node: a node-local setting in the"
            + " shared configuration (expected: it in " + dir.resolve("fw1.yaml") + ", which stays on this node)"));
        assertThat(e).anySatisfy(l -> assertThat(l).contains("hotwire: a node-local setting"));
    }

    @Test
    void aSharedSettingInTheNodeFileIsAnErrorNamingTheSharedFile(@TempDir Path dir) throws Exception {
        List<String> e = errors(dir, NODE + "instances: []\n", SHARED);
        assertThat(e).singleElement().asString().contains("fw1.yaml").contains("instances: a shared setting in the"
            + " node-local file (expected: it in " + dir.resolve("cluster.yaml") + ", which is replicated to the peers)");
    }

    @Test
    void stateSyncKeysAreSplitTooAndThePassphraseIsNeverShared(@TempDir Path dir) throws Exception {
        List<String> e = errors(dir, NODE.replace("  passphrase:", "  protocols: [tcp]\n  passphrase:"),
            SHARED.replace("  protocols: [tcp, udp]", "  protocols: [tcp, udp]\n  passphrase: lab-passphrase-0123456789"));
        assertThat(e).anySatisfy(l -> assertThat(l).contains("statesync.protocols: a setting of the whole cluster in the"
            + " node-local file"));
        assertThat(e).anySatisfy(l -> assertThat(l).contains("statesync.passphrase: a node-local setting in the shared"
            + " configuration"));
    }

    @Test
    void aPriorityInTheSharedFileIsRefused(@TempDir Path dir) throws Exception {
        List<String> e = errors(dir, NODE, SHARED.replace("    vrid: 51\n", "    vrid: 51\n    priority: 200\n"));
        assertThat(e).singleElement().asString().contains("instances[0] (name: lan).priority: 200 (expected: no priority"
            + " in the shared configuration: a node-local setting");
    }

    @Test
    void aMissingSharedFileIsNamed(@TempDir Path dir) throws Exception {
        List<String> e = ConfigLoader.check(write(dir, "fw1.yaml", NODE)).errors();
        assertThat(e).singleElement().asString().isEqualTo(dir.resolve("cluster.yaml") + ": no such file (expected: the"
            + " shared configuration " + dir.resolve("fw1.yaml") + " names)");
    }

    @Test
    void nodePriorityAndAPreferredMasterContradictEachOther(@TempDir Path dir) throws Exception {
        List<String> e = errors(dir, NODE.replace("name: fw1", "name: fw1\n  priority: 120"), SHARED);
        assertThat(e).singleElement().asString().contains("node.priority: 120 (expected: no node.priority when the shared"
            + " configuration names preferred-master (fw1)");
    }

    @Test
    void aVrrpPasswordMakesTheSharedFileSecretAndThePassphraseTheNodeFile(@TempDir Path dir) throws Exception {
        write(dir, "cluster.yaml", SHARED.replace("    vrid: 51\n", "    vrid: 51\n    version: 2\n    auth: {type: pass,"
            + " password: secret}\n").replace("virtual-addresses: [192.0.2.1/24]", "virtual-addresses: [192.0.2.1/24]\n"
            + "    advert-interval: 1s"));
        Path node = write(dir, "fw1.yaml", NODE);
        Files.setPosixFilePermissions(dir.resolve("cluster.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(ConfigLoader.check(node).errors()).singleElement().asString()
            .startsWith(dir.resolve("cluster.yaml") + ": mode 0644 lets every user read the VRRPv2 password");
    }
}
