package tandem.vrrp.fsm;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.DropReason;
import tandem.vrrp.VrrpAdvertisement;
import tandem.vrrp.VrrpVersion;

class VrrpRouterTest {
    static final long MS = 1_000_000L;
    static final InetAddress SELF = ip("192.0.2.2");
    static final InetAddress PEER_LOW = ip("192.0.2.1");
    static final InetAddress PEER_HIGH = ip("192.0.2.3");
    static final List<InetAddress> VIPS = List.of(ip("192.0.2.254"));

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static RouterConfig config(int priority, int intervalCentis, boolean preempt, long preemptDelay) {
        return new RouterConfig("lan", VrrpVersion.V3, 51, priority, intervalCentis, preempt, preemptDelay, true,
            VIPS, AuthType.NONE, null, ChecksumMode.RFC9568);
    }

    static VrrpAdvertisement advert(int priority, int intervalCentis) {
        return VrrpAdvertisement.v3(51, priority, intervalCentis, VIPS);
    }

    final List<Effect> out = new ArrayList<>();

    List<Effect> drain() {
        var copy = List.copyOf(out);
        out.clear();
        return copy;
    }

    @Test
    void aBackupTakesOverAfterMasterDownIntervalWhichIsThreeIntervalsPlusSkew() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF); // 20 ms
        r.startup(0, "startup", out);
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
        // Skew_Time = (256-100)*20ms/256 = 12.1875 ms; Master_Down_Interval = 72.1875 ms
        assertThat(r.skewNanos()).isEqualTo(12_187_500L);
        assertThat(r.masterDownIntervalNanos()).isEqualTo(72_187_500L);
        drain();
        r.expire(72_187_499L, out);
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
        r.expire(72_187_500L, out);
        assertThat(r.state()).isEqualTo(VrrpState.MASTER);
        assertThat(drain()).extracting(e -> e.getClass().getSimpleName())
            .containsExactly("SendAdvertisement", "AddAddresses", "Announce", "Transition");
        assertThat(r.nextDeadline()).isEqualTo(72_187_500L + 20 * MS);
    }

    @Test
    void aMasterAdvertisesEveryIntervalWithItsPriority() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        drain();
        long t = r.nextDeadline();
        for (int i = 0; i < 5; i++) {
            r.expire(t, out);
            t += 20 * MS;
            assertThat(r.nextDeadline()).isEqualTo(t);
        }
        assertThat(drain()).containsOnly(new Effect.SendAdvertisement(r, 100));
        assertThat(r.advertsSent()).isEqualTo(6);
    }

    @Test
    void aLateWakeUpDoesNotShiftTheAdvertsThatFollow() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        long grid = r.nextDeadline();
        for (int i = 0; i < 50; i++) {
            r.expire(r.nextDeadline() + 3 * MS, out); // the loop wakes 3 ms late every time
            grid += 20 * MS;
            assertThat(r.nextDeadline()).as("advert %d", i).isEqualTo(grid);
        }
        long late = r.nextDeadline() + 70 * MS; // more than a whole interval late: a new grid, no burst
        int sent = (int) r.advertsSent();
        r.expire(late, out);
        assertThat(r.advertsSent()).isEqualTo(sent + 1);
        assertThat(r.nextDeadline()).isEqualTo(late + 20 * MS);
    }

    @Test
    void aBackupLearnsTheMastersIntervalAndKeepsResettingItsTimer() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.receive(10 * MS, advert(200, 100), PEER_HIGH, out); // master says 1 s
        assertThat(r.masterAdverIntervalCentis()).isEqualTo(100);
        // 3 s + (56/256) s
        assertThat(r.nextDeadline()).isEqualTo(10 * MS + 3_000 * MS + 609_375_000L);
        assertThat(r.masterAddress()).isEqualTo(PEER_HIGH);
        r.expire(3_000 * MS, out);
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void priorityZeroFromTheMasterMakesTheBackupTakeOverAfterSkewTime() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.receive(10 * MS, advert(200, 2), PEER_HIGH, out);
        r.receive(15 * MS, advert(0, 2), PEER_HIGH, out);
        assertThat(r.nextDeadline()).isEqualTo(15 * MS + r.skewNanos());
        r.expire(15 * MS + r.skewNanos(), out);
        assertThat(r.state()).isEqualTo(VrrpState.MASTER);
        assertThat(r.lastTransitionReason())
            .isEqualTo("master 192.0.2.3 resigned (priority 0), took over after skew time 12.2 ms");
    }

    @Test
    void aMasterAnswersPriorityZeroWithAnImmediateAdvertisement() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        drain();
        r.receive(80 * MS, advert(0, 2), PEER_HIGH, out);
        assertThat(drain()).containsExactly(new Effect.SendAdvertisement(r, 100));
        assertThat(r.nextDeadline()).isEqualTo(100 * MS);
    }

    @Test
    void aMasterYieldsToHigherPriorityAndRemovesItsAddresses() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        drain();
        r.receive(100 * MS, advert(150, 2), PEER_LOW, out);
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(drain()).extracting(e -> e.getClass().getSimpleName())
            .containsExactly("RemoveAddresses", "Transition");
        assertThat(r.lastTransitionReason()).isEqualTo("higher priority 150 from 192.0.2.1");
    }

    @Test
    void onEqualPriorityTheHigherPrimaryAddressWins() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        r.receive(100 * MS, advert(100, 2), PEER_LOW, out);
        assertThat(r.state()).as("lower address is ignored").isEqualTo(VrrpState.MASTER);
        r.receive(101 * MS, advert(100, 2), PEER_HIGH, out);
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(r.lastTransitionReason()).isEqualTo("equal priority 100 and higher address from 192.0.2.3");
    }

    @Test
    void ipv6AddressesCompareAsUnsignedOctets() {
        assertThat(VrrpRouter.compareAddresses(ip("fe80::ff"), ip("fe80::2"))).isPositive();
        assertThat(VrrpRouter.compareAddresses(ip("203.0.113.200"), ip("203.0.113.3"))).isPositive();
    }

    @Test
    void withPreemptABackupIgnoresALowerPriorityMasterAndTakesOver() {
        var r = new VrrpRouter(config(200, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        long t = 0;
        for (int i = 0; i < 10; i++) {
            t += 20 * MS;
            r.receive(t, advert(100, 2), PEER_HIGH, out);
            r.expire(t, out);
        }
        assertThat(r.state()).isEqualTo(VrrpState.MASTER);
        assertThat(r.lastTransitionReason()).isEqualTo("preempting lower priority 100 master 192.0.2.3");
    }

    @Test
    void withoutPreemptALowerPriorityMasterIsKept() {
        var r = new VrrpRouter(config(200, 2, false, 0), SELF);
        r.startup(0, "startup", out);
        for (long t = 20 * MS; t < 2_000 * MS; t += 20 * MS) {
            r.receive(t, advert(100, 2), PEER_HIGH, out);
            r.expire(t, out);
        }
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(r.masterPriority()).isEqualTo(100);
    }

    @Test
    void preemptDelayHoldsOffPreemptionForThatLongAfterStartup() {
        var r = new VrrpRouter(config(200, 2, true, 500 * MS), SELF);
        r.startup(0, "startup", out);
        long t = 0;
        while (r.state() == VrrpState.BACKUP && t < 2_000 * MS) {
            t += 20 * MS;
            r.receive(t, advert(100, 2), PEER_HIGH, out);
            r.expire(t, out);
        }
        assertThat(r.state()).isEqualTo(VrrpState.MASTER);
        // the last accepted advert came at 500 ms (hold ends), takeover Master_Down_Interval later
        assertThat(r.lastTransitionNanos()).isBetween(500 * MS, 500 * MS + r.masterDownIntervalNanos() + 20 * MS);
        assertThat(r.lastTransitionNanos()).isGreaterThan(500 * MS);
    }

    @Test
    void theAddressOwnerBecomesMasterAtStartup() {
        var r = new VrrpRouter(config(255, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        assertThat(r.state()).isEqualTo(VrrpState.MASTER);
        assertThat(drain().getFirst()).isEqualTo(new Effect.SendAdvertisement(r, 255));
    }

    @Test
    void shutdownOfAMasterSendsPriorityZeroAndRemovesAddresses() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        drain();
        r.shutdown(200 * MS, "SIGTERM", out);
        assertThat(drain()).containsExactly(new Effect.SendAdvertisement(r, 0), new Effect.RemoveAddresses(r),
            new Effect.Transition(r, VrrpState.MASTER, VrrpState.INITIALIZE, "SIGTERM"));
        assertThat(r.nextDeadline()).isEqualTo(VrrpRouter.NEVER);
    }

    @Test
    void aFaultStopsAMasterAndRecoveryReturnsToBackup() {
        var r = new VrrpRouter(config(100, 2, true, 0), SELF);
        r.startup(0, "startup", out);
        r.expire(r.nextDeadline(), out);
        drain();
        r.setFault(100 * MS, true, "interface lan link down", out);
        assertThat(r.state()).isEqualTo(VrrpState.FAULT);
        assertThat(r.nextDeadline()).isEqualTo(VrrpRouter.NEVER);
        r.expire(10_000 * MS, out);
        assertThat(r.state()).isEqualTo(VrrpState.FAULT);
        r.setFault(10_000 * MS, false, "interface lan link up", out);
        assertThat(r.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(r.nextDeadline()).isEqualTo(10_000 * MS + r.masterDownIntervalNanos());
    }

    @Test
    void configurationMismatchesAreDroppedAndCountedPerReason() {
        var r = new VrrpRouter(new RouterConfig("v2", VrrpVersion.V2, 7, 100, 100, true, 0, true, VIPS,
            AuthType.SIMPLE_TEXT, java.util.Arrays.copyOf("secret".getBytes(), 8), ChecksumMode.RFC9568), SELF);
        r.startup(0, "startup", out);
        byte[] good = java.util.Arrays.copyOf("secret".getBytes(), 8);
        byte[] bad = java.util.Arrays.copyOf("secreT".getBytes(), 8);
        assertThat(r.receive(1, new VrrpAdvertisement(VrrpVersion.V2, 7, 150, 100, VIPS, AuthType.SIMPLE_TEXT, bad),
            PEER_HIGH, out)).isEqualTo(DropReason.AUTH);
        assertThat(r.receive(1, new VrrpAdvertisement(VrrpVersion.V2, 7, 150, 100, VIPS, AuthType.NONE, null),
            PEER_HIGH, out)).isEqualTo(DropReason.AUTH);
        assertThat(r.receive(1, new VrrpAdvertisement(VrrpVersion.V2, 7, 150, 100, List.of(ip("192.0.2.9")),
            AuthType.SIMPLE_TEXT, good), PEER_HIGH, out)).isEqualTo(DropReason.ADDRESSES);
        assertThat(r.receive(1, new VrrpAdvertisement(VrrpVersion.V2, 7, 150, 200, VIPS, AuthType.SIMPLE_TEXT, good),
            PEER_HIGH, out)).isEqualTo(DropReason.INTERVAL);
        assertThat(r.receive(1, VrrpAdvertisement.v3(7, 150, 100, VIPS), PEER_HIGH, out)).isEqualTo(DropReason.VERSION);
        assertThat(r.receive(1, new VrrpAdvertisement(VrrpVersion.V2, 7, 150, 100, VIPS, AuthType.SIMPLE_TEXT, good),
            PEER_HIGH, out)).isNull();
        assertThat(r.drops(DropReason.AUTH)).isEqualTo(2);
        assertThat(r.drops(DropReason.ADDRESSES)).isEqualTo(1);
        assertThat(r.drops(DropReason.INTERVAL)).isEqualTo(1);
        assertThat(r.drops(DropReason.VERSION)).isEqualTo(1);
        assertThat(r.advertsReceived()).isEqualTo(1);
    }

    @Test
    void v2TimersUseWholeSecondsAndSkewInFractionsOfASecond() {
        var r = new VrrpRouter(new RouterConfig("v2", VrrpVersion.V2, 7, 100, 100, true, 0, true, VIPS,
            AuthType.NONE, null, ChecksumMode.RFC9568), SELF);
        r.startup(0, "startup", out);
        assertThat(r.masterDownIntervalNanos()).isEqualTo(3_000 * MS + 609_375_000L);
    }

    @Test
    void aHeldPreemptionKeepsALowerPriorityMasterUntilReleasedButNotADeadOne() {
        var r = new VrrpRouter(config(200, 2, true, 0), SELF);
        r.setPreemptHeld(true);
        r.startup(0, "startup", out);
        long t = 0;
        for (; t < 1_000 * MS; t += 20 * MS) {
            r.receive(t, advert(100, 2), PEER_HIGH, out);
            r.expire(t, out);
        }
        assertThat(r.state()).as("held").isEqualTo(VrrpState.BACKUP);
        r.setPreemptHeld(false);
        for (; r.state() == VrrpState.BACKUP && t < 2_000 * MS; t += 20 * MS) {
            r.receive(t, advert(100, 2), PEER_HIGH, out);
            r.expire(t, out);
        }
        assertThat(r.state()).isEqualTo(VrrpState.MASTER);
        var dead = new VrrpRouter(config(200, 2, true, 0), SELF);
        dead.setPreemptHeld(true);
        dead.startup(0, "startup", out);
        dead.expire(dead.nextDeadline(), out);
        assertThat(dead.state()).as("no master at all: takes over while held").isEqualTo(VrrpState.MASTER);
    }
}
