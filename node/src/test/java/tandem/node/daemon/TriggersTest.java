package tandem.node.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.node.health.Health;
import tandem.node.health.HealthSink;
import tandem.node.health.HealthSource;

/**
 * Failover triggers on virtual time: split-link arbitration over three HA links (the Securepoint table),
 * the fast takeover when the hotwire loses carrier, and the trigger hold-down.
 */
class TriggersTest {
    static final long MS = VirtualCluster.MS;
    final VirtualCluster net = new VirtualCluster();

    /** Three HA links (ha1..ha3) in one group that arbitrates, 100 ms adverts. */
    static String threeLinks(String node, int priority, String extra) {
        return """
            node:
              name: %s
              priority: %d
            instances:
              - {name: i1, interface: ha1, vrid: 51, advert-interval: 100ms, virtual-addresses: [192.0.2.1/24]}
              - {name: i2, interface: ha2, vrid: 52, advert-interval: 100ms, virtual-addresses: [198.51.100.1/24]}
              - {name: i3, interface: ha3, vrid: 53, advert-interval: 100ms, virtual-addresses: [203.0.113.1/24]}
            groups:
              - name: ha
                instances: [i1, i2, i3]
                split-link: arbitrate
                link-weight: 60
            """.formatted(node, priority) + extra;
    }

    VirtualCluster.Node fw1;
    VirtualCluster.Node fw2;

    void pair(String extra) throws Exception {
        fw1 = net.new Node("fw1", threeLinks("fw1", 150, extra), InetAddress.getByName("192.0.2.2"));
        fw2 = net.new Node("fw2", threeLinks("fw2", 100, extra), InetAddress.getByName("192.0.2.3"));
        fw1.start();
        net.run(Duration.ofSeconds(1));
        fw2.start();
        net.run(Duration.ofSeconds(2));
    }

    static boolean active(VirtualCluster.Node n) {
        return n.core.view().groups().getFirst().role().equals("active");
    }

    /** Sets the links of both nodes: for each of ha1..ha3, whether fw1's and fw2's cable is in. */
    void links(boolean[] one, boolean[] two) {
        for (int i = 0; i < 3; i++) {
            fw1.link("ha" + (i + 1), one[i]);
            fw2.link("ha" + (i + 1), two[i]);
        }
    }

    /**
     * Puts both nodes in a row of the table, lets it settle for 5 s, then watches 60 s: the roles must be
     * the expected ones and no instance may change state in that minute.
     */
    void row(boolean[] one, boolean[] two, boolean fw1Active, boolean fw2Active) {
        links(one, two);
        net.run(Duration.ofSeconds(5));
        List<String> before = states();
        net.run(Duration.ofSeconds(60));
        assertThat(states()).as("no state change within 60 s").isEqualTo(before);
        assertThat(active(fw1)).as("fw1 active").isEqualTo(fw1Active);
        assertThat(active(fw2)).as("fw2 active").isEqualTo(fw2Active);
    }

    /** Every instance's state and last transition time on both nodes. */
    List<String> states() {
        List<String> out = new ArrayList<>();
        for (VirtualCluster.Node n : List.of(fw1, fw2)) {
            n.core.view().instances().forEach(i -> out.add(n.name + " " + i.name() + " " + i.state() + " " + i.lastTransition()));
        }
        return out;
    }

    static boolean[] up(boolean a, boolean b, boolean c) {
        return new boolean[] {a, b, c};
    }

    @Test
    void theNodeWithMoreHaLinksUpIsActiveWhileTheNodesStillHearEachOtherAndBothOnlyWhenTheyHearNothing() throws Exception {
        pair("");
        // row 1: every link up on both: the higher priority is active
        row(up(true, true, true), up(true, true, true), true, false);
        // row 2: fw1 lost ha1, fw2 has all: fw2 has more links up
        row(up(false, true, true), up(true, true, true), false, true);
        // row 3: both lost ha1: a tie in links, priority decides
        row(up(false, true, true), up(false, true, true), true, false);
        // row 4: ha1 and ha3 down on both, ha2 only on fw1: they hear each other on no link: both active
        row(up(false, true, false), up(false, false, false), true, true);
        // row 5: everything down: both active
        row(up(false, false, false), up(false, false, false), true, true);
        // and with three links: fw1 lost ha1, fw2 lost ha2 - two each, they still share ha3: priority decides
        row(up(false, true, true), up(true, false, true), true, false);
        // all back: fw1 as at the start
        row(up(true, true, true), up(true, true, true), true, false);
    }

    @Test
    void withoutArbitrationALinkDownFaultsTheGroupAsKeepalivedDoes() throws Exception {
        fw1 = net.new Node("fw1", threeLinks("fw1", 150, "").replace("    split-link: arbitrate\n    link-weight: 60\n", ""),
            InetAddress.getByName("192.0.2.2"));
        fw2 = net.new Node("fw2", threeLinks("fw2", 100, "").replace("    split-link: arbitrate\n    link-weight: 60\n", ""),
            InetAddress.getByName("192.0.2.3"));
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(3));
        fw1.link("ha1", false);
        fw2.link("ha1", false);
        net.run(Duration.ofSeconds(3));
        assertThat(fw1.state("i2")).isEqualTo("fault");
        assertThat(fw2.state("i2")).isEqualTo("fault");
    }

    @Test
    void whenTheHotwireLosesCarrierAndTheAdvertsStopTheBackupTakesOverWithinAboutOneAdvertInterval() throws Exception {
        for (boolean hotwire : new boolean[] {false, true}) {
            VirtualCluster n = new VirtualCluster();
            VirtualCluster.Node a = n.new Node("fw1", VirtualCluster.config("fw1", 150, ""), InetAddress.getByName("192.0.2.2"));
            VirtualCluster.Node b = n.new Node("fw2", VirtualCluster.config("fw2", 100, ""), InetAddress.getByName("192.0.2.3"));
            if (hotwire) {
                b.loop.execute("hotwire", () -> {
                    b.core.hotwireInterface("sync");
                    b.core.linkChanged("sync", 99, new byte[] {2, 0, 0, 0, 0, 2}, true);
                });
            }
            a.start();
            n.run(Duration.ofSeconds(1));
            b.start();
            n.run(Duration.ofSeconds(2));
            assertThat(b.state("lan")).isEqualTo("backup");
            // power off: fw1's adverts stop and (with a hotwire) fw2's hotwire loses carrier at the same moment
            long off = n.clock.nanos();
            a.link(false);
            if (hotwire) {
                b.loop.execute("carrier", () -> b.core.linkChanged("sync", 99, new byte[] {2, 0, 0, 0, 0, 2}, false));
            }
            long took = -1;
            for (int step = 0; step < 1000 && took < 0; step++) {
                n.run(Duration.ofMillis(1));
                if (b.state("lan").equals("master")) {
                    took = (n.clock.nanos() - off) / MS;
                }
            }
            if (hotwire) {
                // the last advert came up to 100 ms before; one interval and a quarter after it at the latest
                assertThat(took).as("takeover with the hotwire").isBetween(1L, 126L);
                assertThat(b.instance("lan").lastTransitionReason()).contains("hotwire lost carrier");
            } else {
                // VRRP alone: Master_Down_Interval, 3 x 100 ms + skew
                assertThat(took).as("takeover by VRRP alone").isGreaterThan(250L);
            }
        }
    }

    @Test
    void whenOnlyTheHotwireFailsAndTheAdvertsGoOnTheBackupStaysBackupAndSaysTheHotwireIsDown() throws Exception {
        VirtualCluster.Node a = net.new Node("fw1", VirtualCluster.config("fw1", 150, ""), InetAddress.getByName("192.0.2.2"));
        VirtualCluster.Node b = net.new Node("fw2", VirtualCluster.config("fw2", 100, ""), InetAddress.getByName("192.0.2.3"));
        b.loop.execute("hotwire", () -> {
            b.core.hotwireInterface("sync");
            b.core.linkChanged("sync", 99, new byte[] {2, 0, 0, 0, 0, 2}, true);
        });
        a.start();
        net.run(Duration.ofSeconds(1));
        b.start();
        net.run(Duration.ofSeconds(2));
        b.loop.execute("carrier", () -> b.core.linkChanged("sync", 99, new byte[] {2, 0, 0, 0, 0, 2}, false));
        net.run(Duration.ofSeconds(30));
        assertThat(b.state("lan")).isEqualTo("backup");
        assertThat(b.core.view().hotwire().carrier()).isFalse();
        assertThat(b.core.view().triggers()).anySatisfy(t -> {
            assertThat(t.name()).isEqualTo("hotwire:sync");
            assertThat(t.state()).isEqualTo("failing");
        });
    }

    /** A health source the test drives. */
    static final class Manual implements HealthSource {
        HealthSink sink;

        @Override
        public String name() {
            return "manual";
        }

        @Override
        public void start(HealthSink s) {
            sink = s;
        }
    }

    /** A check reports for every member of the group (lan and wan), as ping checks and services do. */
    static void both(Manual check, Health h) {
        check.sink.report("lan", "ping:up", h);
        check.sink.report("wan", "ping:up", h);
    }

    @Test
    void aTriggerThatIsNotALinkLossDemotesOnlyAfterItsHoldDownAndAShortFailureMovesNothing() throws Exception {
        VirtualCluster.Node a = net.new Node("fw1", VirtualCluster.config("fw1", 150, "trigger-hold-down: 2s\n"),
            InetAddress.getByName("192.0.2.2"));
        VirtualCluster.Node b = net.new Node("fw2", VirtualCluster.config("fw2", 100, "trigger-hold-down: 2s\n"),
            InetAddress.getByName("192.0.2.3"));
        Manual check = new Manual();
        a.core.addHealthSource(check);
        a.start();
        net.run(Duration.ofSeconds(1));
        b.start();
        net.run(Duration.ofSeconds(2));
        // a failure of 1.5 s: held, then gone - fw1 stays master, its priority never drops
        a.loop.execute("fail", () -> both(check, Health.demote(60, "ping up failing")));
        net.run(Duration.ofMillis(100));
        assertThat(a.core.view().triggers()).anySatisfy(t -> {
            assertThat(t.name()).isEqualTo("ping:up");
            assertThat(t.state()).isEqualTo("held");
        });
        net.run(Duration.ofMillis(1400));
        a.loop.execute("ok", () -> both(check, Health.OK));
        net.run(Duration.ofSeconds(5));
        assertThat(a.instance("lan").priority()).isEqualTo(150);
        assertThat(a.state("lan")).isEqualTo("master");
        // a failure that stays: after 2 s fw1 is demoted below fw2, which takes over
        a.loop.execute("fail", () -> both(check, Health.demote(60, "ping up failing")));
        net.run(Duration.ofMillis(1900));
        assertThat(a.instance("lan").priority()).isEqualTo(150);
        net.run(Duration.ofSeconds(3));
        assertThat(a.instance("lan").priority()).isEqualTo(90);
        assertThat(b.state("lan")).isEqualTo("master");
        assertThat(a.core.view().triggers()).anySatisfy(t -> {
            assertThat(t.name()).isEqualTo("ping:up");
            assertThat(t.state()).isEqualTo("failing");
            assertThat(t.action()).isEqualTo("demote 60");
        });
        // recovery is immediate (the view is published every 50 ms)
        a.loop.execute("ok", () -> both(check, Health.OK));
        net.run(Duration.ofMillis(60));
        assertThat(a.instance("lan").priority()).isEqualTo(150);
    }
}
