package tandem.vrrp.fsm;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpAdvertisement;
import tandem.vrrp.VrrpVersion;

class SyncGroupTest {
    static final long MS = 1_000_000L;
    final List<Effect> out = new ArrayList<>();
    final VrrpRouter lan = router("lan", 51, "192.0.2.254");
    final VrrpRouter wan = router("wan", 52, "203.0.113.254");
    final SyncGroup group = new SyncGroup("fw", List.of(lan, wan));

    static VrrpRouter router(String name, int vrid, String vip) {
        return new VrrpRouter(new RouterConfig(name, VrrpVersion.V3, vrid, 100, 2, true, 0, true,
            List.of(VrrpRouterTest.ip(vip)), AuthType.NONE, null, ChecksumMode.RFC9568), VrrpRouterTest.ip("192.0.2.2"));
    }

    void fire(long now) {
        List<Effect> own = new ArrayList<>();
        lan.expire(now, own);
        wan.expire(now, own);
        group.propagate(now, own, out);
    }

    @Test
    void whenOneMemberBecomesMasterTheWholeGroupDoes() {
        group.startup(0, out);
        List<Effect> own = new ArrayList<>();
        wan.receive(1 * MS, VrrpAdvertisement.v3(52, 200, 2, wan.config().virtualAddresses()),
            VrrpRouterTest.ip("203.0.113.3"), own); // wan sees a master, lan does not
        group.propagate(1 * MS, own, out);
        fire(lan.nextDeadline());
        assertThat(lan.state()).isEqualTo(VrrpState.MASTER);
        assertThat(wan.state()).isEqualTo(VrrpState.MASTER);
        assertThat(wan.lastTransitionReason()).isEqualTo("sync group fw: lan became master");
    }

    @Test
    void aLinkFaultOnOneMemberPutsTheWholeGroupInFaultAndTheMastersResign() {
        group.startup(0, out);
        fire(lan.nextDeadline());
        assertThat(wan.state()).isEqualTo(VrrpState.MASTER);
        out.clear();
        group.setFault(500 * MS, lan, true, "interface lan link down", out);
        assertThat(lan.state()).isEqualTo(VrrpState.FAULT);
        assertThat(wan.state()).isEqualTo(VrrpState.FAULT);
        assertThat(wan.lastTransitionReason()).isEqualTo("sync group fw: lan interface lan link down");
        assertThat(out).contains(new Effect.SendAdvertisement(wan, 0), new Effect.RemoveAddresses(wan));
        out.clear();
        group.setFault(900 * MS, lan, false, "interface lan link up", out);
        assertThat(lan.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(wan.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void theGroupStaysInFaultUntilEveryMemberIsHealthy() {
        group.startup(0, out);
        group.setFault(1, lan, true, "interface lan link down", out);
        group.setFault(2, wan, true, "interface wan link down", out);
        group.setFault(3, lan, false, "interface lan link up", out);
        assertThat(lan.state()).isEqualTo(VrrpState.FAULT);
        group.setFault(4, wan, false, "interface wan link up", out);
        assertThat(lan.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(wan.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void aMasterThatYieldsPullsTheOtherMembersDownWithPriorityZero() {
        group.startup(0, out);
        fire(lan.nextDeadline());
        out.clear();
        List<Effect> own = new ArrayList<>();
        lan.receive(300 * MS, VrrpAdvertisement.v3(51, 250, 2, lan.config().virtualAddresses()),
            VrrpRouterTest.ip("192.0.2.3"), own);
        group.propagate(300 * MS, own, out);
        assertThat(wan.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(out).contains(new Effect.SendAdvertisement(wan, 0));
    }

    @Test
    void aGroupStartedWithAFaultStartsInFault() {
        group.setFault(0, lan, true, "interface lan link down", out);
        group.startup(0, out);
        assertThat(lan.state()).isEqualTo(VrrpState.FAULT);
        assertThat(wan.state()).isEqualTo(VrrpState.FAULT);
    }

    @Test
    void aMemberThatStopsHearingTheMasterWhileAnotherStillHearsItStaysBackupAndTheGroupDoesNotFlap() {
        group.startup(0, out);
        InetAddress master = VrrpRouterTest.ip("192.0.2.3");
        long t = 0;
        // both hear the master, then lan's adverts stop arriving (filtered on that link only)
        for (; t < 100 * MS; t += 20 * MS) {
            advert(lan, 51, t, master);
            advert(wan, 52, t, master);
            group.expire(t, out);
        }
        for (; t < 2_000 * MS; t += MS) {
            if (t % (20 * MS) == 0) {
                advert(wan, 52, t, master);
            }
            group.expire(t, out);
        }
        assertThat(out).noneMatch(e -> e instanceof Effect.Transition tr && tr.to() == VrrpState.MASTER);
        assertThat(lan.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(lan.masterDownHeld()).isPositive();
        assertThat(lan.masterDownHeldReason()).isEqualTo("sync group fw: wan still hears master 192.0.2.3");
        // the master dies: neither member hears it, the group takes over within one Master_Down_Interval
        long died = t;
        while (lan.state() != VrrpState.MASTER) {
            t += MS;
            group.expire(t, out);
            assertThat(t - died).as("took over").isLessThan(2 * lan.masterDownIntervalNanos());
        }
        assertThat(wan.state()).isEqualTo(VrrpState.MASTER);
    }

    @Test
    void preemptingALowerPriorityMasterIsNotHeldByAMemberThatStillHearsIt() {
        VrrpRouter a = router("a", 1, "192.0.2.254");
        VrrpRouter b = router("b", 2, "203.0.113.254");
        SyncGroup g = new SyncGroup("g", List.of(a, b));
        g.startup(0, out);
        InetAddress low = VrrpRouterTest.ip("192.0.2.3");
        long t = 0;
        for (; a.state() != VrrpState.MASTER && t < 1_000 * MS; t += MS) {
            if (t % (20 * MS) == 0) {
                List<Effect> own = new ArrayList<>();
                a.receive(t, VrrpAdvertisement.v3(1, 50, 2, a.config().virtualAddresses()), low, own); // lower: preempt
                b.receive(t, VrrpAdvertisement.v3(2, 150, 2, b.config().virtualAddresses()), low, own); // higher: accept
                g.propagate(t, own, out);
            }
            g.expire(t, out);
        }
        assertThat(a.state()).isEqualTo(VrrpState.MASTER);
        assertThat(a.masterDownHeld()).isZero();
    }

    void advert(VrrpRouter r, int vrid, long t, InetAddress from) {
        List<Effect> own = new ArrayList<>();
        r.receive(t, VrrpAdvertisement.v3(vrid, 200, 2, r.config().virtualAddresses()), from, own);
        group.propagate(t, own, out);
    }

    /** The group's members hear master 192.0.2.3 (priority 200, 20 ms adverts), lan's at 2 ms, wan's at 16 ms into each interval. */
    void hearMasterUntil(long until) {
        for (long t = 0; t < until; t += 20 * MS) {
            deliver(lan, t + 2 * MS);
            deliver(wan, t + 16 * MS);
        }
    }

    void deliver(VrrpRouter r, long at) {
        List<Effect> own = new ArrayList<>();
        r.receive(at, VrrpAdvertisement.v3(r.config().vrid(), 200, 2, r.config().virtualAddresses()),
            VrrpRouterTest.ip(r == lan ? "192.0.2.3" : "203.0.113.3"), own);
        group.propagate(at, own, out);
    }

    /** Runs the group's timers from {@code from} to {@code to} in 1 ms steps. */
    void run(long from, long to) {
        for (long t = from; t <= to; t += MS) {
            group.expire(t, out);
        }
    }

    @Test
    void whenTheHotwireLosesCarrierAndTheAdvertsStopTheGroupTakesOverAfterOneAdvertInterval() {
        group.startup(0, out);
        hearMasterUntil(1000 * MS); // last adverts: lan 982 ms, wan 996 ms
        long off = 1000 * MS;
        lan.peerLinkLost(off);
        wan.peerLinkLost(off);
        run(off, off + 6 * MS);
        assertThat(lan.state()).isEqualTo(VrrpState.BACKUP);
        // lan's last advert came at 982 ms: its next was due at 1002 ms; a quarter interval later, at 1007 ms,
        // the whole group is master (wan's advert of 996 ms came before the carrier loss: it holds nothing)
        run(off + 7 * MS, off + 7 * MS);
        assertThat(lan.state()).isEqualTo(VrrpState.MASTER);
        assertThat(wan.state()).isEqualTo(VrrpState.MASTER);
        assertThat(wan.lastTransitionReason() + lan.lastTransitionReason()).contains("hotwire lost carrier and no advert from master");
    }

    @Test
    void whenOnlyTheHotwireFailsAndTheAdvertsGoOnNothingIsTakenOver() {
        group.startup(0, out);
        hearMasterUntil(1000 * MS);
        lan.peerLinkLost(1000 * MS);
        wan.peerLinkLost(1000 * MS);
        for (long t = 1000 * MS; t < 11_000 * MS; t += 20 * MS) {
            deliver(lan, t + 2 * MS);
            deliver(wan, t + 16 * MS);
            run(t, t + 19 * MS);
        }
        assertThat(lan.state()).isEqualTo(VrrpState.BACKUP);
        assertThat(wan.state()).isEqualTo(VrrpState.BACKUP);
    }

    @Test
    void anAdvertFromBeforeTheCarrierLossDoesNotCountAsHearingTheMaster() {
        group.startup(0, out);
        hearMasterUntil(1000 * MS);
        lan.peerLinkLost(1000 * MS);
        wan.peerLinkLost(1000 * MS);
        // at 1007 ms lan's shortened timer runs out while wan's last advert (996 ms) is recent: that advert came
        // before the carrier loss, so it does not hold lan back for another Master_Down_Interval
        run(1000 * MS, 1030 * MS);
        assertThat(lan.masterDownHeld()).isZero();
        assertThat(lan.state()).isEqualTo(VrrpState.MASTER);
    }

    @Test
    void withoutACarrierLossTheMasterDownIntervalApplies() {
        group.startup(0, out);
        hearMasterUntil(1000 * MS);
        run(1000 * MS, 1050 * MS);
        assertThat(lan.state()).isEqualTo(VrrpState.BACKUP);
        run(1050 * MS, 1100 * MS);
        assertThat(lan.state()).isEqualTo(VrrpState.MASTER);
    }
}
