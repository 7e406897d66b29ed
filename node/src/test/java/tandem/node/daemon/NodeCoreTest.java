package tandem.node.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.node.role.Phase;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;

/** The node's core (engine, pipelines, health, failures, reload) on virtual time with an in-memory wire. */
class NodeCoreTest {
    final VirtualCluster net = new VirtualCluster();

    VirtualCluster.Node node(String name, int priority, String ip) throws Exception {
        return net.new Node(name, VirtualCluster.config(name, priority, ""), InetAddress.getByName(ip));
    }

    /** A connection-state stand-in whose calls the test completes by hand. */
    static final class ManualState implements RoleBound {
        final List<String> calls = new ArrayList<>();
        final List<CompletableFuture<Void>> pending = new ArrayList<>();

        @Override
        public String name() {
            return "statesync";
        }

        @Override
        public Phase phase() {
            return Phase.STATE;
        }

        @Override
        public Duration budget() {
            return Duration.ofSeconds(30);
        }

        @Override
        public CompletionStage<Void> activate(RoleChange c) {
            return call("activate " + c.epoch());
        }

        @Override
        public CompletionStage<Void> deactivate(RoleChange c) {
            return call("deactivate " + c.epoch());
        }

        private CompletionStage<Void> call(String what) {
            calls.add(what);
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }
    }

    @Test
    void theHigherPriorityNodeBecomesMasterAndOnlyItHoldsTheAddresses() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(2));
        assertThat(fw1.state("lan")).isEqualTo("master");
        assertThat(fw1.state("wan")).isEqualTo("master");
        assertThat(fw2.state("lan")).isEqualTo("backup");
        assertThat(fw1.holds("192.0.2.1/24")).isTrue();
        assertThat(fw1.holds("203.0.113.1/24")).isTrue();
        assertThat(fw2.addresses).isEmpty();
        assertThat(fw1.announced).contains(VirtualCluster.ifindex("lan") + " 192.0.2.1");
        assertThat(fw1.core.view().groups()).singleElement().satisfies(g -> {
            assertThat(g.role()).isEqualTo("active");
            assertThat(g.lastTransition()).extracting(s -> s.component()).containsExactly("addresses", "announce");
        });
    }

    @Test
    void whenTheMasterIsCutOffTheBackupTakesOverAndPreemptionHandsBack() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(1));
        fw1.link(false);
        net.run(Duration.ofMillis(500));
        assertThat(fw2.state("lan")).isEqualTo("master");
        assertThat(fw2.holds("192.0.2.1/24")).isTrue();
        fw1.link(true);
        net.run(Duration.ofMillis(500));
        assertThat(fw1.state("lan")).isEqualTo("master");
        assertThat(fw2.state("lan")).isEqualTo("backup");
        assertThat(fw2.addresses).as("released").isEmpty();
    }

    @Test
    void theAddressesWaitForTheConnectionStateAndAStaleCompletionNeverActsForALaterTakeover() throws Exception {
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        ManualState state = new ManualState();
        fw2.core.addRoleBound("cluster", state);
        fw2.start();
        net.run(Duration.ofSeconds(1)); // alone: master after Master_Down_Interval
        assertThat(fw2.state("lan")).isEqualTo("master");
        assertThat(state.calls).containsExactly("activate 1");
        assertThat(fw2.addresses).as("held until the commit is done").isEmpty();
        // a higher-priority node appears during the commit: release, then it resigns: take over again
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        fw1.start();
        net.run(Duration.ofMillis(500)); // fw1 preempts after its Master_Down_Interval
        assertThat(fw2.state("lan")).isEqualTo("backup");
        assertThat(state.calls).containsExactly("activate 1", "deactivate 2");
        fw1.loop.execute("stop", () -> fw1.core.stop("test"));
        net.run(Duration.ofMillis(100));
        assertThat(fw2.state("lan")).isEqualTo("master");
        assertThat(state.calls).containsExactly("activate 1", "deactivate 2", "activate 3");
        state.pending.get(0).complete(null); // the first commit finishes late
        state.pending.get(1).complete(null);
        net.run(Duration.ofMillis(10));
        assertThat(fw2.addresses).as("the first commit's completion must not add or remove anything").isEmpty();
        state.pending.get(2).complete(null);
        net.run(Duration.ofMillis(10));
        assertThat(fw2.holds("192.0.2.1/24")).isTrue();
        assertThat(fw2.holds("203.0.113.1/24")).isTrue();
    }

    @Test
    void aComponentThatOverrunsItsBudgetDoesNotStopTheTakeover() throws Exception {
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        ManualState state = new ManualState();
        fw2.core.addRoleBound("cluster", state);
        fw2.start();
        net.run(Duration.ofSeconds(1));
        assertThat(fw2.addresses).isEmpty();
        net.run(Duration.ofSeconds(30));
        assertThat(fw2.holds("192.0.2.1/24")).isTrue();
        assertThat(fw2.core.view().groups().getFirst().lastTransition()).first()
            .satisfies(s -> assertThat(s.outcome()).isEqualTo("over budget"));
    }

    @Test
    void aFailingTaskIsLoggedAndTheLoopGoesOn() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        fw1.start();
        net.run(Duration.ofSeconds(1));
        fw1.loop.execute("a broken task", () -> {
            throw new IllegalStateException("boom");
        });
        net.run(Duration.ofSeconds(1));
        assertThat(fw1.failures).containsExactly("a broken task: java.lang.IllegalStateException: boom");
        assertThat(fw1.exitCode).isNull();
        assertThat(fw1.state("lan")).isEqualTo("master");
    }

    @Test
    void aFailureInsideTheVrrpTimersResignsRemovesTheAddressesAndStopsWithOne() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(1));
        assertThat(fw1.holds("192.0.2.1/24")).isTrue();
        int sentBefore = fw1.channels.get("lan/4").sent.size();
        fw1.failNextSend = new StackOverflowError("injected");
        net.run(Duration.ofMillis(150));
        assertThat(fw1.exitCode).isEqualTo(1);
        assertThat(fw1.addresses).as("never stops holding the addresses").isEmpty();
        List<byte[]> after = fw1.channels.get("lan/4").sent.subList(sentBefore, fw1.channels.get("lan/4").sent.size());
        assertThat(after).as("resigned with priority 0").anySatisfy(p -> assertThat(p[2]).isZero());
        net.run(Duration.ofMillis(100));
        assertThat(fw2.state("lan")).as("the peer took over after Skew_Time").isEqualTo("master");
    }

    @Test
    void manyFailingTasksWithinTenSecondsStopTheNode() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        fw1.start();
        net.run(Duration.ofSeconds(1));
        for (int i = 0; i <= NodeCore.MAX_FAILURES; i++) {
            fw1.loop.execute("broken " + i, () -> {
                throw new IllegalStateException("again");
            });
        }
        net.run(Duration.ofMillis(10));
        assertThat(fw1.exitCode).isEqualTo(1);
        assertThat(fw1.addresses).isEmpty();
    }

    @Test
    void aStopResignsReleasesAndEndsWithZero() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(1));
        fw1.loop.execute("stop", () -> fw1.core.stop("SIGTERM"));
        net.run(Duration.ofMillis(100)); // Skew_Time at priority 100: 61 ms, Master_Down_Interval: 361 ms
        assertThat(fw1.exitCode).isZero();
        assertThat(fw1.addresses).isEmpty();
        assertThat(fw2.state("lan")).as("took over after Skew_Time, not Master_Down_Interval").isEqualTo("master");
    }

    @Test
    void aLinkDownFaultsTheGroupAndAWeightDemotes() throws Exception {
        String yaml = VirtualCluster.config("fw1", 150, "").replace("    virtual-addresses: [192.0.2.1/24]\n",
            "    virtual-addresses: [192.0.2.1/24]\n    track-interfaces:\n      - interface: sync\n        weight: 60\n");
        VirtualCluster.Node fw1 = net.new Node("fw1", yaml, InetAddress.getByName("192.0.2.2"));
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(1));
        fw1.loop.execute("link", () -> fw1.core.linkChanged("sync", 5, null, false));
        net.run(Duration.ofMillis(500));
        assertThat(fw1.instance("lan").priority()).isEqualTo(90);
        assertThat(fw2.state("lan")).isEqualTo("master");
        fw1.loop.execute("link", () -> fw1.core.linkChanged("sync", 5, null, true));
        fw1.loop.execute("link", () -> fw1.core.linkChanged("wan", VirtualCluster.ifindex("wan"), null, false));
        net.run(Duration.ofMillis(500));
        assertThat(fw1.state("lan")).as("the whole sync group").isEqualTo("fault");
        assertThat(fw1.core.view().health()).anySatisfy(r -> assertThat(r.health().reason())
            .isEqualTo("interface wan link down"));
    }

    @Test
    void aReloadWhoseAddressChangeFailsChangesNothing() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        fw1.start();
        net.run(Duration.ofSeconds(1));
        assertThat(fw1.holds("192.0.2.1/24")).isTrue();
        NodeConfig next = ConfigLoader.parse(Path.of("fw1.yaml"), VirtualCluster.config("fw1", 150, "")
            .replace("[192.0.2.1/24]", "[192.0.2.1/24, 192.0.2.9/24]").replace("[203.0.113.1/24]", "[203.0.113.7/24]"));
        fw1.refuseAdd.add("203.0.113.7/24");
        java.util.Set<String> before = new java.util.LinkedHashSet<>(fw1.addresses);
        CompletableFuture<Object> result = new CompletableFuture<>();
        fw1.loop.execute("reload", () -> {
            try {
                result.complete(fw1.core.commitReload(next, fw1.core.plan(next), fw1.placements(next), java.util.Map.of()));
            } catch (RuntimeException e) {
                result.complete(e);
            }
        });
        net.run(Duration.ofMillis(10));
        assertThat(result.join()).isInstanceOf(IllegalStateException.class).asString()
            .contains("203.0.113.7/24 on wan").contains("Permission denied").contains("rolled back: removed 192.0.2.9/24");
        assertThat(fw1.addresses).isEqualTo(before);
        assertThat(fw1.core.vrrp().config().instances().getFirst().virtualAddresses()).hasSize(1);
    }

    @Test
    void aReloadAddsAndRemovesTheAddressesOfAnActiveGroupWithoutAStateChange() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        fw1.start();
        net.run(Duration.ofSeconds(1));
        NodeConfig next = ConfigLoader.parse(Path.of("fw1.yaml"), VirtualCluster.config("fw1", 150, "")
            .replace("[203.0.113.1/24]", "[203.0.113.7/24]"));
        fw1.loop.execute("reload", () -> fw1.core.commitReload(next, fw1.core.plan(next), fw1.placements(next), java.util.Map.of()));
        net.run(Duration.ofMillis(10));
        assertThat(fw1.holds("203.0.113.7/24")).isTrue();
        assertThat(fw1.holds("203.0.113.1/24")).isFalse();
        assertThat(fw1.holds("192.0.2.1/24")).isTrue();
        assertThat(fw1.state("wan")).isEqualTo("master");
        assertThat(fw1.announced).contains(VirtualCluster.ifindex("wan") + " 203.0.113.7");
    }

    @Test
    void aPreemptionGateKeepsALowerPriorityMasterUntilItOpens() throws Exception {
        VirtualCluster.Node fw2 = node("fw2", 100, "192.0.2.3");
        fw2.start();
        net.run(Duration.ofSeconds(1));
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        fw1.loop.execute("gate", () -> fw1.core.holdPreemption("statesync", "cluster", true, "not synchronized"));
        fw1.start();
        net.run(Duration.ofSeconds(2));
        assertThat(fw2.state("lan")).isEqualTo("master");
        assertThat(fw1.instance("lan").preemptHeld()).isTrue();
        fw1.loop.execute("gate", () -> fw1.core.holdPreemption("statesync", "cluster", false, "synchronized"));
        net.run(Duration.ofSeconds(1));
        assertThat(fw1.state("lan")).isEqualTo("master");
    }

    @Test
    void theViewIsPublishedWithoutAskingTheLoop() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        assertThat(fw1.core.view().clusterState()).isEqualTo("init");
        fw1.start();
        net.run(Duration.ofSeconds(1));
        assertThat(fw1.core.view().clusterState()).isEqualTo("master");
        assertThatThrownBy(() -> fw1.core.view().instances().add(null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aPeerConfiguredWithOtherAddressesForTheVridIsShownAsAProblemWhileItLasts() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        VirtualCluster.Node fw2 = net.new Node("fw2", VirtualCluster.config("fw2", 100, "").replace("[192.0.2.1/24]",
            "[192.0.2.99/24]").replace("advert-interval: 100ms\n    virtual-addresses: [203", "advert-interval: 200ms\n"
            + "    virtual-addresses: [203"), InetAddress.getByName("192.0.2.3"));
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(2));
        assertThat(fw2.instance("lan").configMismatch()).containsExactly(
            "peer 192.0.2.2: addresses [192.0.2.1] (ours [192.0.2.99])");
        assertThat(fw2.instance("wan").configMismatch()).containsExactly(
            "peer 192.0.2.2: advert interval 100 ms (ours 200 ms)");
        // fw2 drops fw1's lan adverts, but its wan still hears fw1: the group stays backup, no dual master
        assertThat(fw2.state("lan")).isEqualTo("backup");
        assertThat(fw2.addresses).isEmpty();
        fw1.link(false); // the peer goes away: fw2 takes over, the problem expires
        net.run(Duration.ofSeconds(11));
        assertThat(fw2.state("lan")).isEqualTo("master");
        assertThat(fw2.instance("lan").configMismatch()).isEmpty();
    }

    @Test
    void aMismatchEndsAtThePeersNextAdvertOnceTheConfigurationsAreEqual() throws Exception {
        VirtualCluster.Node fw1 = node("fw1", 150, "192.0.2.2");
        VirtualCluster.Node fw2 = net.new Node("fw2", VirtualCluster.config("fw2", 100, "").replace("[192.0.2.1/24]",
            "[192.0.2.99/24]"), InetAddress.getByName("192.0.2.3"));
        fw1.start();
        fw2.start();
        net.run(Duration.ofSeconds(2));
        assertThat(fw2.instance("lan").configMismatch()).containsExactly(
            "peer 192.0.2.2: addresses [192.0.2.1] (ours [192.0.2.99])");
        NodeConfig equal = ConfigLoader.parse(Path.of("fw2.yaml"), VirtualCluster.config("fw2", 100, ""));
        fw2.loop.execute("reload", () -> fw2.core.commitReload(equal, fw2.core.plan(equal), fw2.placements(equal),
            java.util.Map.of()));
        net.run(Duration.ofMillis(500)); // a few adverts, far less than the 10 s after which a mismatch expires
        assertThat(fw2.instance("lan").configMismatch()).isEmpty();
        assertThat(fw2.state("lan")).isEqualTo("backup");
    }
}
