package tandem.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;
import tandem.testkit.Rng;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpAdvertisement;
import tandem.vrrp.VrrpCodec;
import tandem.vrrp.VrrpConstants;
import tandem.vrrp.VrrpVersion;

/**
 * Mutated configurations into {@link ConfigLoader#parse}: the documented examples and the
 * configurations of {@link ConfigLoaderTest}, changed line by line (lines deleted, duplicated, swapped,
 * re-indented; values and keys replaced by odd ones: huge and negative numbers, unicode, empty, {@code ~},
 * anchors and aliases, deep nesting, tabs, alias bombs) and octet by octet (flips, truncations). The
 * only outcomes allowed: a plausible {@link NodeConfig}, or a {@link ConfigException} whose every line
 * (one per error) names the file and says what was expected.
 */
class ConfigFuzzTest {
    static final int ITERATIONS = 1_000_000;
    static final Path FILE = Path.of("fw1.yaml");

    /** The instances of {@link ConfigLoaderTest#GOOD} one by one: small documents parse fast, so more of them. */
    static final String LAN = """
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
        """;
    static final String LAN6 = """
        node: {name: fw1}
        instances:
          - name: lan6
            interface: lan
            vrid: 51
            advert-interval: 1.5s
            preempt: false
            preempt-delay: 10s
            accept: yes
            virtual-addresses: [2001:db8:1::1/64]
            garp:
              count: 5
              delay: 10ms
              refresh: 30s
        """;
    static final String OLD = """
        node:
          name: fw1
        instances:
          - name: old
            interface: wan
            vrid: 7
            version: 2
            priority: 255
            checksum: no-pseudo-header
            auth:
              type: pass
              password: s3cret
            virtual-addresses: [203.0.113.1/24]
        """;
    static final String SYNC_PEER = """
        node: {name: fw1}
        instances:
          - {name: lan, interface: lan, vrid: 51, virtual-addresses: [192.0.2.1/24]}
        groups:
          - {name: cluster, instances: [lan]}
        """ + ConfigLoaderTest.SYNC;
    static final String SYNC_MULTICAST = """
        node: {name: fw1}
        instances:
          - {name: lan, interface: lan, vrid: 51, virtual-addresses: [192.0.2.1/24]}
          - {name: wan, interface: wan, vrid: 52, virtual-addresses: [203.0.113.1/24]}
        groups:
          - {name: cluster, instances: [lan, wan]}
        statesync:
          local: 198.51.100.1
          multicast: 239.255.37.80
          interface: sync
          port: 3781
          group: cluster
          cluster: lab
          passphrase: 0123456789abcdefXYZ
          purge-delay: 2s
          protocols: [tcp, udp, icmpv6]
          ignore: [192.0.2.0/24, 2001:db8::/32]
          mark-bit: 3
          skip-dns-icmp: yes
          expectations: off
        """;

    /**
     * The documented examples (without their comment-only lines: a mutation there changes nothing), the
     * parts of ConfigLoaderTest's configuration, and state sync both ways.
     */
    static List<String> documents() throws Exception {
        return List.of(example("fw1.yaml"), example("fw2.yaml"), LAN, LAN6, OLD, SYNC_PEER, SYNC_MULTICAST);
    }

    static String example(String name) throws Exception {
        return String.join("\n", Files.readString(Path.of("..", "docs", "examples", name)).lines()
            .filter(l -> !l.strip().startsWith("#")).toList()) + "\n";
    }

    /** Values a mutation puts in the place of a scalar. */
    static final String[] ODD_VALUES = {"99999999999999999999", "2147483648", "-2147483649", "-1", "0", "-0", "+5",
        "1e3", "0x10", "0o17", "٣", "１２", "∞", ".inf", "NaN", "", "~", "null", "''", "\"\"", "&a 5", "*a",
        "&a [1, 2]", "{a: 1}", "[]", "{}", "[[[]]]", "\"\\u0000\"", "\"\\t\"", "'quoted'", "!!binary aGVsbG8=",
        "!!int 5", "!!str 7", "!custom x", "true", "yes", "1.5s", "99999999999999999999m", "9999999999999s",
        "0.0000000001ms", "1.m", ".5s", "1 s", "20 ms", "\t", "a\tb", "192.0.2.1/99", "192.0.2.1/", "/24",
        "::ffff:192.0.2.1", "999.1.1.1", "1.2.3", "1..2", "239.1.1.1", "fe80::1%eth0", "2001:db8::1/0", "::",
        "0.0.0.0", "127.0.0.1", "ff02::12", "[192.0.2.1/24, 2001:db8::1/64]", "[2001:db8::1, 2001:db8::1]",
        "x".repeat(100), "é", "\uD83D\uDE00", "\u202e", "#", "- x", "? x", ": x", "|", ">", "|-\n  block",
        "'unterminated", "\"unterminated", "[unclosed", "{unclosed", "]", "}", "@", "`", "%", "a: b: c", "a, b",
        "none", "pass", "rfc9568", "no-pseudo-header", "tcp", "gre", "sync", "lan", "cluster", "lan6", "old",
        "/run/x.sock", "relative.sock", "0123456789abcdefXYZ", "s3cret"};

    static final String[] ODD_KEYS = {"", "~", "null", "? x", "<<", "name", "vrid", "instances", "node", "Name",
        "vrid ", " vrid", "\"vrid\"", "'node'", "vrid:", "&k vrid", "*k", "[a]", "{a: 1}", "1", "-", "é"};

    static final List<String> VALUES = List.of(ODD_VALUES);
    static final List<String> KEYS = List.of(ODD_KEYS);
    static final List<String> LINES;
    /**
     * Deep flow nesting, from harmless to beyond any bound (YamlTree's is 32, Jackson's own 1000). The
     * deepest, 100 and 1200 levels, are rare: SnakeYAML scans all the opening brackets before the first
     * event, in time quadratic in the depth.
     */
    static final List<String> DEEP = new ArrayList<>();

    static {
        for (int d : new int[] {3, 10, 40, 100, 1200}) {
            DEEP.add("[".repeat(d) + "1" + "]".repeat(d));
            DEEP.add("{a: ".repeat(d) + "1" + "}".repeat(d));
        }
        StringBuilder indented = new StringBuilder();
        for (int l = 0; l < 40; l++) {
            indented.append(" ".repeat(l)).append("k").append(l).append(":\n");
        }
        List<String> bomb = new ArrayList<>(List.of("lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"));
        for (int l = 1; l < 9; l++) {
            bomb.add("lol" + l + ": &l" + l + " [" + String.join(", ", java.util.Collections.nCopies(9, "*l" + (l - 1))) + "]");
        }
        List<String> lines = new ArrayList<>();
        lines.add(indented.append(" ".repeat(40)).append("v").toString()); // nesting by indentation
        lines.add(String.join("\n", bomb)); // a billion laughs: nine levels of nine aliases
        LINES = lines;
    }

    static final String[] ODD_LINES = {"---", "...", "%YAML 1.2", "%TAG ! tag:x,2000:", "? [a, b]", ": c", "#comment",
        "\t", "- ", "-", "[", "{", "'", "\"", "&", "*", "!", "%", "@", "`", "node: {name: x, priority: 1}",
        "instances: []", "groups: ~", "statesync: {}", "  - name: extra", "    vrid: 300", "<<: *a", "a: &a {b: 1}",
        "x: *nope", "key: |", "  block text", "key: >-", "   folded", "\uFEFF", "\u0000", "\u0085", "\u2028"};
    static final List<String> ODD_LIST = List.of(ODD_LINES);

    /** A line-level mutation of {@code lines}. */
    static void mutateLines(List<String> lines, Rng rng) {
        int i = rng.below(lines.size());
        String line = lines.get(i);
        switch (rng.below(11)) {
            case 0 -> {
                if (lines.size() > 1) {
                    lines.remove(i);
                }
            }
            case 1 -> lines.add(rng.below(lines.size() + 1), line);
            case 2 -> {
                int k = rng.below(lines.size());
                lines.set(i, lines.get(k));
                lines.set(k, line);
            }
            case 3 -> lines.set(i, switch (rng.below(4)) {
                case 0 -> " " + line;
                case 1 -> "  " + line;
                case 2 -> line.startsWith(" ") ? line.substring(1) : line;
                default -> line.replaceFirst("^ +", "\t");
            });
            case 4, 5 -> lines.set(i, replaceValue(line, rng.pick(VALUES), rng));
            case 6 -> {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    int start = line.length() - line.stripLeading().length();
                    start = line.startsWith("- ", start) ? start + 2 : start;
                    lines.set(i, line.substring(0, Math.min(start, colon)) + rng.pick(KEYS)
                        + line.substring(colon));
                }
            }
            case 7 -> {
                // an anchor on one value, an alias to it on another
                lines.set(i, replaceValue(line, "&a " + valueOf(line), rng));
                int k = rng.below(lines.size());
                lines.set(k, replaceValue(lines.get(k), "*a", rng));
            }
            case 8 -> lines.set(i, replaceValue(line, DEEP.get(rng.oneIn(32) ? rng.below(DEEP.size())
                : rng.below(DEEP.size() - 4)), rng));
            case 9 -> lines.add(i, rng.pick(LINES));
            default -> lines.add(i, rng.pick(ODD_LIST));
        }
    }

    private static String valueOf(String line) {
        int colon = line.indexOf(": ");
        return colon < 0 ? line.strip() : line.substring(colon + 2);
    }

    /** The line with its value (after "key: ", or a list item, or an element of a flow list) replaced. */
    static String replaceValue(String line, String value, Rng rng) {
        int colon = line.indexOf(": ");
        int bracket = line.indexOf('[');
        if (bracket >= 0 && rng.nextBoolean()) {
            int end = line.indexOf(']', bracket);
            String[] items = line.substring(bracket + 1, end < 0 ? line.length() : end).split(",", -1);
            items[rng.below(items.length)] = " " + value;
            return line.substring(0, bracket + 1) + String.join(",", items).strip() + (end < 0 ? "" : line.substring(end));
        }
        if (colon >= 0) {
            return line.substring(0, colon + 2) + value;
        }
        String stripped = line.stripLeading();
        if (stripped.startsWith("- ")) {
            return line.substring(0, line.length() - stripped.length() + 2) + value;
        }
        return line + " " + value;
    }

    static Function<Rng, byte[]> generator() throws Exception {
        List<String> docs = documents();
        ByteMutator bytes = new ByteMutator(docs.stream().map(d -> d.getBytes(StandardCharsets.UTF_8)).toList());
        return rng -> {
            if (rng.oneIn(8)) {
                return bytes.apply(rng);
            }
            List<String> lines = new ArrayList<>(Arrays.asList(rng.pick(docs).split("\n", -1)));
            int n = rng.oneIn(4) ? rng.between(4, 8) : rng.between(1, 3);
            for (int k = 0; k < n; k++) {
                mutateLines(lines, rng);
            }
            byte[] out = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
            return rng.oneIn(10) ? bytes.mutate(out, rng) : out;
        };
    }

    /** A configuration the daemon can run: every value in its range, and each instance's advert encodes. */
    static void assertPlausible(NodeConfig c) throws Exception {
        assertThat(c.nodeName()).matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
        assertThat(c.nodePriority()).isBetween(1, 255);
        assertThat(c.controlSocket().isAbsolute()).isTrue();
        assertThat(c.instances()).isNotEmpty();
        for (NodeConfig.Instance i : c.instances()) {
            assertThat(i.vrid()).isBetween(1, 255);
            assertThat(i.priority()).isBetween(1, 255);
            assertThat(i.virtualAddresses()).isNotEmpty().hasSizeLessThanOrEqualTo(255)
                .allMatch(a -> a.ipv6() == i.ipv6() && a.prefixLength() >= 1 && a.prefixLength() <= (i.ipv6() ? 128 : 32));
            assertThat(i.preemptDelay()).isBetween(Duration.ZERO, Duration.ofHours(1));
            assertThat(i.garp().count()).isBetween(0, 100);
            assertThat(i.garp().delay()).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(i.garp().refresh().isZero() || i.garp().refresh().toMillis() >= 100).isTrue();
            assertThat(i.tracks()).allMatch(t -> t.weight() >= 0 && t.weight() <= 254);
            long centis = i.advertInterval().toMillis() / 10;
            InetAddress src = InetAddress.getByName(i.ipv6() ? "fe80::1" : "192.0.2.254");
            byte[] password = Arrays.copyOf(i.password().getBytes(StandardCharsets.UTF_8), 8);
            VrrpAdvertisement adv = new VrrpAdvertisement(i.version(), i.vrid(), i.priority(), (int) centis,
                i.virtualAddresses().stream().map(NodeConfig.Cidr::address).toList(), i.authType(),
                i.authType() == AuthType.SIMPLE_TEXT ? password : null);
            assertThat(VrrpCodec.encode(adv, src, i.ipv6() ? VrrpConstants.IPV6_GROUP : VrrpConstants.IPV4_GROUP,
                i.checksumMode() == null ? ChecksumMode.RFC9568 : i.checksumMode())).isNotEmpty();
            if (i.version() == VrrpVersion.V2) {
                assertThat(i.ipv6()).isFalse();
            }
        }
        for (NodeConfig.Group g : c.groups()) {
            assertThat(g.instances()).isNotEmpty().allMatch(n -> c.instance(n).isPresent());
        }
        NodeConfig.StateSync s = c.stateSync();
        if (s != null) {
            assertThat(s.port()).isBetween(1, 65535);
            assertThat(s.passphrase().getBytes(StandardCharsets.UTF_8).length).isGreaterThanOrEqualTo(16);
            assertThat(s.purgeDelay()).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(s.markBit()).isBetween(-1, 31);
            assertThat(s.peer() == null).isNotEqualTo(s.multicast() == null);
            assertThat(c.groups()).anyMatch(g -> g.name().equals(s.group()));
        }
    }

    @Test
    void aMillionMutatedConfigurationsAreReadOrRejectedWithFileLineAndWhatWasExpected() throws Exception {
        Fuzz.run("config yaml", ITERATIONS, Fuzz.threads(), generator(), ConfigException.class,
            m -> m != null && m.lines().allMatch(l -> l.startsWith(FILE + ":") && l.contains("expected")),
            in -> assertPlausible(ConfigLoader.parse(FILE, new String(in, StandardCharsets.UTF_8))))
            .requireBothOutcomes(ITERATIONS);
    }

    @Test
    void theUnmutatedDocumentsAreRead() throws Exception {
        for (String d : documents()) {
            assertPlausible(ConfigLoader.parse(FILE, d));
        }
    }
}
