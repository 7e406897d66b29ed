package tandem.vrrp.fsm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the members of a sync group in one state (keepalived's vrrp_sync_group, the appliances'
 * "all HA interfaces move together"): a member that becomes master pulls the others to master, a
 * master that steps down pulls the others down, and a fault on any member puts the whole group in
 * FAULT until every member is healthy again. A virtual router that is not in a configured group is
 * alone in a group of its own.
 *
 * <p>Pure like {@link VrrpRouter}: callers pass every effect list through {@link #propagate}.
 */
public final class SyncGroup {
    private final String name;
    private final List<VrrpRouter> members;
    private final Map<VrrpRouter, String> faults = new LinkedHashMap<>();

    public SyncGroup(String name, List<VrrpRouter> members) {
        this.name = name;
        this.members = List.copyOf(members);
    }

    public String name() {
        return name;
    }

    public List<VrrpRouter> members() {
        return members;
    }

    /** Starts all members; when any has a fault the whole group starts in FAULT. */
    public void startup(long now, List<Effect> out) {
        boolean groupFault = !faults.isEmpty();
        List<Effect> own = new ArrayList<>();
        for (VrrpRouter r : members) {
            r.setFault(now, groupFault, faultReason(), own);
            r.startup(now, groupFault ? faultReason() : "startup", own);
        }
        propagate(now, own, out);
    }

    /**
     * Sets or clears a member's own fault (e.g. its interface lost link). The group is in FAULT while
     * any member has one.
     */
    public void setFault(long now, VrrpRouter member, boolean failed, String reason, List<Effect> out) {
        boolean before = !faults.isEmpty();
        if (failed) {
            faults.put(member, reason);
        } else {
            faults.remove(member);
        }
        boolean after = !faults.isEmpty();
        if (before == after) {
            return;
        }
        List<Effect> own = new ArrayList<>();
        String why = after ? faultReason() : reason;
        for (VrrpRouter r : members) {
            r.setFault(now, after, members.size() > 1 && r != member && after ? why : reason, own);
        }
        propagate(now, own, out);
    }

    public boolean hasFault(VrrpRouter member) {
        return faults.containsKey(member);
    }

    /** True while any member has a fault of its own (the whole group is then in FAULT). */
    public boolean faulted() {
        return !faults.isEmpty();
    }

    private String faultReason() {
        if (faults.isEmpty()) {
            return "";
        }
        Map.Entry<VrrpRouter, String> first = faults.entrySet().iterator().next();
        return members.size() == 1 ? first.getValue()
            : "sync group " + name + ": " + first.getKey().name() + " " + first.getValue();
    }

    /**
     * Fires the members' due timers. A backup whose Master_Down_Timer ran out because no advertisement
     * came, while another member of the group still hears the master, does not take over: it is held for another interval (see
     * {@link VrrpRouter#holdMasterDown}). Otherwise one member that cannot hear the master (its adverts
     * filtered or lost on that link only) would pull the whole group to master, the master's other
     * adverts would push it back, and the group would flap for as long as the link is half broken.
     */
    public void expire(long now, List<Effect> out) {
        List<Effect> own = new ArrayList<>();
        for (VrrpRouter r : members) {
            if (r.nextDeadline() > now) {
                continue;
            }
            if (members.size() > 1 && r.masterSilent(now)) {
                VrrpRouter hearing = members.stream().filter(m -> m != r && m.hearsMaster(now)).findFirst().orElse(null);
                if (hearing != null) {
                    r.holdMasterDown(now, "sync group " + name + ": " + hearing.name() + " still hears master "
                        + tandem.vrrp.AddressText.format(hearing.masterAddress()));
                    continue;
                }
            }
            r.expire(now, own);
        }
        if (!own.isEmpty()) {
            propagate(now, own, out);
        }
    }

    /**
     * Copies {@code effects} to {@code out} and, for every member transition in them, moves the other
     * members along. Forced transitions are not propagated again.
     */
    public void propagate(long now, List<Effect> effects, List<Effect> out) {
        out.addAll(effects);
        if (members.size() < 2) {
            return;
        }
        for (Effect e : effects) {
            if (!(e instanceof Effect.Transition t) || !members.contains(t.router())) {
                continue;
            }
            String why = "sync group " + name + ": " + t.router().name() + " became " + t.to().label();
            for (VrrpRouter other : members) {
                if (other == t.router()) {
                    continue;
                }
                if (t.to() == VrrpState.MASTER) {
                    other.forceMaster(now, why, out);
                } else if (t.to() == VrrpState.BACKUP && t.from() == VrrpState.MASTER) {
                    other.forceBackup(now, why, out);
                }
            }
        }
    }
}
