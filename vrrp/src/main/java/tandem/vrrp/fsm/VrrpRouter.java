package tandem.vrrp.fsm;

import java.net.InetAddress;
import java.security.MessageDigest;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import tandem.vrrp.AuthType;
import tandem.vrrp.DropReason;
import tandem.vrrp.VrrpAdvertisement;
import tandem.vrrp.VrrpConstants;
import tandem.vrrp.VrrpVersion;

/**
 * One virtual router's state machine, RFC 5798 section 6.4 line by line, plus a FAULT state.
 *
 * <p>Pure: no sockets, threads or clocks. Every input carries {@code now} (monotonic nanoseconds) and
 * appends the {@link Effect}s it causes to a sink; {@link #nextDeadline()} tells the caller when to
 * call {@link #expire} next. Only one thread may drive an instance. The timers of section 6.2 are
 * absolute deadlines; {@link #recomputeTimers} is the one place that derives intervals.
 */
public final class VrrpRouter {
    /** Deadline of a timer that is not running. */
    public static final long NEVER = Long.MAX_VALUE;
    private static final long NANOS_PER_CENTI = 10_000_000L;

    private RouterConfig config;
    private InetAddress primaryAddress;
    private int priority;

    private VrrpState state = VrrpState.INITIALIZE;
    private int masterAdverIntervalCentis;
    private long skewNanos;
    private long masterDownIntervalNanos;
    private long adverTimer = NEVER;
    private long masterDownTimer = NEVER;
    private long preemptHoldUntil = Long.MIN_VALUE;
    private InetAddress masterAddress;
    private int masterPriority;
    /** Why the Master_Down_Timer runs shorter than Master_Down_Interval, for the transition reason. */
    private String masterDownCause;
    private boolean fault;
    private boolean preemptHeld;
    /** When the last advertisement this backup accepted from its master arrived. */
    private long lastAcceptedAdvert = Long.MIN_VALUE;
    private long masterDownHeld;
    private String masterDownHeldReason;
    /** When the partner's direct link (the hotwire) lost carrier, or {@code Long.MIN_VALUE} while it has it. */
    private long peerLinkLostAt = Long.MIN_VALUE;
    /** The Master_Down_Timer was shortened because the hotwire lost carrier ({@link #peerLinkLost}). */
    private boolean fastDeadline;

    private long advertsSent;
    private long advertsReceived;
    private final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
    private long lastTransitionNanos;
    private String lastTransitionReason = "not started";

    public VrrpRouter(RouterConfig config, InetAddress primaryAddress) {
        this.config = config;
        this.primaryAddress = primaryAddress;
        this.priority = config.priority();
        recomputeTimers(config.advertIntervalCentis());
    }

    // ---- RFC 5798 section 6.4.1: Initialize ----

    /** Startup event. In FAULT (or with a fault pending) the router enters FAULT instead. */
    public void startup(long now, String reason, List<Effect> out) {
        if (state != VrrpState.INITIALIZE) {
            return;
        }
        preemptHoldUntil = config.preemptDelayNanos() > 0 ? now + config.preemptDelayNanos() : Long.MIN_VALUE;
        if (fault) {
            transition(now, VrrpState.FAULT, reason, out);
            return;
        }
        if (priority == VrrpConstants.PRIORITY_OWNER) {
            // If the Priority = 255: send an ADVERTISEMENT, broadcast gratuitous ARP, set the
            // Adver_Timer to Advertisement_Interval, transition to Master.
            becomeMaster(now, reason + ", address owner (priority 255)", out);
        } else {
            // Else: Master_Adver_Interval := Advertisement_Interval, Master_Down_Timer :=
            // Master_Down_Interval, transition to Backup.
            recomputeTimers(config.advertIntervalCentis());
            masterDownTimer = now + masterDownIntervalNanos;
            masterDownCause = null;
            masterAddress = null;
            transition(now, VrrpState.BACKUP, reason, out);
        }
    }

    /** Shutdown event (sections 6.4.2 and 6.4.3): a master resigns with priority 0. */
    public void shutdown(long now, String reason, List<Effect> out) {
        switch (state) {
            case MASTER -> {
                adverTimer = NEVER;
                send(0, out);
                out.add(new Effect.RemoveAddresses(this));
            }
            case BACKUP -> masterDownTimer = NEVER;
            case FAULT, INITIALIZE -> {
            }
        }
        if (state != VrrpState.INITIALIZE) {
            transition(now, VrrpState.INITIALIZE, reason, out);
        }
    }

    // ---- timers ----

    /** The earliest running timer, or {@link #NEVER}. */
    public long nextDeadline() {
        return Math.min(adverTimer, masterDownTimer);
    }

    /** Fires the timers whose deadline is at or before {@code now}. */
    public void expire(long now, List<Effect> out) {
        if (state == VrrpState.BACKUP && masterDownTimer <= now) {
            // 6.4.2: If the Master_Down_Timer fires: send an ADVERTISEMENT, broadcast gratuitous ARP,
            // set the Adver_Timer, transition to Master.
            String reason = masterDownCause != null ? masterDownCause
                : fastDeadline ? "hotwire lost carrier and no advert from master "
                + (masterAddress == null ? "" : tandem.vrrp.AddressText.format(masterAddress) + " ")
                + "for " + (now - lastAcceptedAdvert) / 1_000_000 + " ms (fast takeover)"
                : "master down timer expired after " + masterDownIntervalNanos / 1_000_000 + " ms ("
                + (masterAddress == null ? "no master seen" : "last master " + tandem.vrrp.AddressText.format(masterAddress)) + ")";
            becomeMaster(now, reason, out);
        } else if (state == VrrpState.MASTER && adverTimer <= now) {
            // 6.4.3: If the Adver_Timer fires: send an ADVERTISEMENT, reset the Adver_Timer - from its
            // deadline, not from now, so a late wake-up does not shift every later advert (a wake-up
            // more than a whole interval late starts a new grid instead of sending a burst)
            send(priority, out);
            long interval = config.advertIntervalCentis() * NANOS_PER_CENTI;
            long next = adverTimer + interval;
            adverTimer = next > now ? next : now + interval;
        }
    }

    /**
     * Whether this backup's Master_Down_Timer has run out: the next {@link #expire} would make it
     * master.
     */
    public boolean masterDownDue(long now) {
        return state == VrrpState.BACKUP && masterDownTimer <= now;
    }

    /**
     * Whether the Master_Down_Timer ran out because no advertisement came - not because this backup
     * preempts a lower-priority master or the master resigned.
     */
    public boolean masterSilent(long now) {
        return masterDownDue(now) && masterDownCause == null;
    }

    /**
     * Whether this backup hears a master it accepts: an advertisement from it arrived within two of
     * its advertisement intervals (a dead master's last advert is three intervals and the skew old
     * when its peers' timers run out).
     */
    public boolean hearsMaster(long now) {
        return state == VrrpState.BACKUP && masterDownCause == null && masterAddress != null && masterPriority > 0
            && lastAcceptedAdvert != Long.MIN_VALUE && now - lastAcceptedAdvert <= 2L * masterAdverIntervalCentis * NANOS_PER_CENTI
            && (peerLinkLostAt == Long.MIN_VALUE || lastAcceptedAdvert >= peerLinkLostAt);
    }

    /**
     * The partner's direct link (the hotwire) lost carrier. A master that is powered off loses its
     * cable and stops advertising at once; so this backup takes over when no advertisement follows
     * the last one within one advertisement interval (and a quarter for jitter), instead of after the
     * Master_Down_Interval. An advertisement that still arrives resets the ordinary timer: only the
     * hotwire failed, nothing is taken over. While the carrier is lost, only advertisements that came
     * after the loss count as hearing the master (for the sync group's hold, {@link #hearsMaster}).
     */
    public void peerLinkLost(long now) {
        peerLinkLostAt = now;
        if (state != VrrpState.BACKUP || masterAddress == null || masterPriority == 0 || masterDownCause != null
            || lastAcceptedAdvert == Long.MIN_VALUE) {
            return;
        }
        long interval = masterAdverIntervalCentis * NANOS_PER_CENTI;
        long deadline = Math.max(now, lastAcceptedAdvert + interval + interval / 4);
        if (deadline < masterDownTimer) {
            masterDownTimer = deadline;
            fastDeadline = true;
        }
    }

    /** The hotwire has carrier again: the Master_Down_Interval applies as before. */
    public void peerLinkRestored() {
        peerLinkLostAt = Long.MIN_VALUE;
    }

    /** Whether the hotwire is known to have lost carrier. */
    public boolean peerLinkLost() {
        return peerLinkLostAt != Long.MIN_VALUE;
    }

    /**
     * Sync group: another member still hears the master, so this one, whose Master_Down_Timer ran out,
     * stays backup for another Master_Down_Interval instead of taking over (the master lost this link
     * only towards us, e.g. its adverts on it are filtered; taking over would make the group flap).
     */
    public void holdMasterDown(long now, String reason) {
        if (state != VrrpState.BACKUP) {
            return;
        }
        masterDownTimer = now + masterDownIntervalNanos;
        fastDeadline = false;
        masterDownHeld++;
        masterDownHeldReason = reason;
    }

    /** How often {@link #holdMasterDown} kept this backup from taking over. */
    public long masterDownHeld() {
        return masterDownHeld;
    }

    /** Why it was held last, or null. */
    public String masterDownHeldReason() {
        return masterDownHeldReason;
    }

    // ---- receiving ----

    /**
     * Checks an advertisement that passed the packet-local checks against this router's configuration
     * (version, auth, addresses, interval) and, when it passes, runs the state machine.
     *
     * @return the drop reason, or {@code null} when the advertisement was accepted
     */
    public DropReason receive(long now, VrrpAdvertisement adv, InetAddress source, List<Effect> out) {
        DropReason reason = validate(adv);
        if (reason != null) {
            countDrop(reason);
            return reason;
        }
        advertsReceived++;
        switch (state) {
            case BACKUP -> receiveInBackup(now, adv, source, out);
            case MASTER -> receiveInMaster(now, adv, source, out);
            case INITIALIZE, FAULT -> {
            }
        }
        return null;
    }

    /** Counts a drop attributed to this router by the caller (e.g. TTL, checksum). */
    public void countDrop(DropReason reason) {
        drops.merge(reason, 1L, Long::sum);
    }

    private DropReason validate(VrrpAdvertisement adv) {
        if (adv.version() != config.version()) {
            return DropReason.VERSION;
        }
        if (config.version() == VrrpVersion.V2) {
            if (adv.authType() != config.authType()) {
                return DropReason.AUTH;
            }
            if (config.authType() == AuthType.SIMPLE_TEXT
                && !MessageDigest.isEqual(adv.authData(), config.password())) {
                return DropReason.AUTH;
            }
        }
        if (adv.addresses().size() != config.virtualAddresses().size()
            || !new HashSet<>(adv.addresses()).equals(new HashSet<>(config.virtualAddresses()))) {
            return DropReason.ADDRESSES;
        }
        if (config.version() == VrrpVersion.V2 && adv.intervalCentis() != config.advertIntervalCentis()) {
            return DropReason.INTERVAL;
        }
        return null;
    }

    private void receiveInBackup(long now, VrrpAdvertisement adv, InetAddress source, List<Effect> out) {
        if (adv.priority() == VrrpConstants.PRIORITY_STOP) {
            // If the Priority in the ADVERTISEMENT is zero: set the Master_Down_Timer to Skew_Time.
            masterDownTimer = now + skewNanos;
            masterDownCause = "master " + tandem.vrrp.AddressText.format(source) + " resigned (priority 0), took over after skew time "
                + String.format(java.util.Locale.ROOT, "%.1f", skewNanos / 1e6) + " ms";
            masterAddress = source;
            masterPriority = 0;
            return;
        }
        boolean preempting = config.preempt() && now >= preemptHoldUntil && !preemptHeld;
        if (!preempting || adv.priority() >= priority) {
            // If Preempt_Mode is False, or the Priority in the ADVERTISEMENT is greater than or equal to
            // the local Priority: Master_Adver_Interval := Adver Interval of the ADVERTISEMENT,
            // recompute Master_Down_Interval, reset the Master_Down_Timer.
            recomputeTimers(config.version() == VrrpVersion.V3 ? adv.intervalCentis() : config.advertIntervalCentis());
            masterDownTimer = now + masterDownIntervalNanos;
            masterDownCause = null;
            fastDeadline = false;
            masterAddress = source;
            masterPriority = adv.priority();
            lastAcceptedAdvert = now;
        } else if (masterDownCause == null) {
            // Else: discard the ADVERTISEMENT (the Master_Down_Timer runs out and we preempt).
            masterDownCause = "preempting lower priority " + adv.priority() + " master " + tandem.vrrp.AddressText.format(source);
        }
    }

    private void receiveInMaster(long now, VrrpAdvertisement adv, InetAddress source, List<Effect> out) {
        if (adv.priority() == VrrpConstants.PRIORITY_STOP) {
            // If the Priority in the ADVERTISEMENT is zero: send an ADVERTISEMENT, reset the Adver_Timer.
            send(priority, out);
            adverTimer = now + config.advertIntervalCentis() * NANOS_PER_CENTI;
            return;
        }
        boolean higher = adv.priority() > priority;
        boolean tieLost = adv.priority() == priority && compareAddresses(source, primaryAddress) > 0;
        if (higher || tieLost) {
            // Cancel Adver_Timer, Master_Adver_Interval := Adver Interval, recompute Skew_Time and
            // Master_Down_Interval, set the Master_Down_Timer, transition to Backup.
            adverTimer = NEVER;
            recomputeTimers(config.version() == VrrpVersion.V3 ? adv.intervalCentis() : config.advertIntervalCentis());
            masterDownTimer = now + masterDownIntervalNanos;
            masterDownCause = null;
            masterAddress = source;
            masterPriority = adv.priority();
            lastAcceptedAdvert = now;
            out.add(new Effect.RemoveAddresses(this));
            transition(now, VrrpState.BACKUP, (higher ? "higher priority " + adv.priority()
                : "equal priority " + adv.priority() + " and higher address") + " from "
                + tandem.vrrp.AddressText.format(source), out);
        }
        // Else: discard the ADVERTISEMENT.
    }

    // ---- fault and sync-group control ----

    /** Enters or leaves FAULT. Leaving goes through Initialize, i.e. to BACKUP (or MASTER when owner). */
    public void setFault(long now, boolean newFault, String reason, List<Effect> out) {
        if (newFault == fault) {
            return;
        }
        fault = newFault;
        if (fault) {
            if (state == VrrpState.MASTER) {
                adverTimer = NEVER;
                send(0, out);
                out.add(new Effect.RemoveAddresses(this));
            }
            masterDownTimer = NEVER;
            adverTimer = NEVER;
            masterAddress = null;
            if (state != VrrpState.INITIALIZE) {
                transition(now, VrrpState.FAULT, reason, out);
            }
        } else if (state == VrrpState.FAULT) {
            state = VrrpState.INITIALIZE;
            startup(now, reason, out);
        }
    }

    /** Sync group: a peer member became master, so this backup takes over too. */
    public void forceMaster(long now, String reason, List<Effect> out) {
        if (state == VrrpState.BACKUP) {
            becomeMaster(now, reason, out);
        }
    }

    /** Sync group: a peer member lost mastership, so this master resigns with priority 0. */
    public void forceBackup(long now, String reason, List<Effect> out) {
        if (state != VrrpState.MASTER) {
            return;
        }
        adverTimer = NEVER;
        send(0, out);
        out.add(new Effect.RemoveAddresses(this));
        recomputeTimers(config.advertIntervalCentis());
        masterDownTimer = now + masterDownIntervalNanos;
        masterDownCause = null;
        masterAddress = null;
        transition(now, VrrpState.BACKUP, reason, out);
    }

    /**
     * Holds preemption while {@code held}: a lower-priority master is kept as if Preempt_Mode were
     * false (e.g. until the connection-state cache is synchronized). Taking over a master that stops
     * advertising is not affected.
     */
    public void setPreemptHeld(boolean held) {
        preemptHeld = held;
    }

    public boolean preemptHeld() {
        return preemptHeld;
    }

    /** New effective priority (configured priority minus tracking weights); takes effect on the next advert. */
    public void setPriority(int newPriority) {
        if (newPriority < 1 || newPriority > 255) {
            throw new IllegalArgumentException("priority: " + newPriority + " (expected: 1..255)");
        }
        priority = newPriority;
        if (state == VrrpState.MASTER) {
            masterPriority = newPriority;
        }
        if (state == VrrpState.BACKUP) {
            recomputeTimers(masterAdverIntervalCentis);
        }
    }

    /** Reload: same identity (version, VRID, family), other settings may change. */
    public void reconfigure(RouterConfig newConfig) {
        if (!config.sameIdentity(newConfig)) {
            throw new IllegalArgumentException("reconfigure " + config.name() + ": identity changed");
        }
        config = newConfig;
        if (state != VrrpState.BACKUP) {
            recomputeTimers(config.advertIntervalCentis());
        }
    }

    public void setPrimaryAddress(InetAddress address) {
        primaryAddress = address;
        if (state == VrrpState.MASTER) {
            masterAddress = address;
        }
    }

    // ---- helpers ----

    private void becomeMaster(long now, String reason, List<Effect> out) {
        masterDownTimer = NEVER;
        masterDownCause = null;
        recomputeTimers(config.advertIntervalCentis());
        send(priority, out);
        out.add(new Effect.AddAddresses(this));
        out.add(new Effect.Announce(this));
        adverTimer = now + config.advertIntervalCentis() * NANOS_PER_CENTI;
        masterAddress = primaryAddress;
        masterPriority = priority;
        transition(now, VrrpState.MASTER, reason, out);
    }

    private void send(int advertPriority, List<Effect> out) {
        advertsSent++;
        out.add(new Effect.SendAdvertisement(this, advertPriority));
    }

    private void transition(long now, VrrpState to, String reason, List<Effect> out) {
        fastDeadline = false;
        VrrpState from = state;
        state = to;
        lastTransitionNanos = now;
        lastTransitionReason = reason;
        out.add(new Effect.Transition(this, from, to, reason));
    }

    /**
     * RFC 5798 section 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 and
     * Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. RFC 3768 (v2) uses the same shape
     * with the configured interval in seconds: Skew_Time = (256 - Priority) / 256 s.
     */
    private void recomputeTimers(int masterAdverCentis) {
        masterAdverIntervalCentis = masterAdverCentis;
        long intervalNanos = masterAdverCentis * NANOS_PER_CENTI;
        skewNanos = config.version() == VrrpVersion.V3
            ? (256 - priority) * intervalNanos / 256
            : (256 - priority) * 1_000_000_000L / 256;
        masterDownIntervalNanos = 3 * intervalNanos + skewNanos;
    }

    static int compareAddresses(InetAddress a, InetAddress b) {
        if (b == null) {
            return 1;
        }
        byte[] x = a.getAddress();
        byte[] y = b.getAddress();
        if (x.length != y.length) {
            return Integer.compare(x.length, y.length);
        }
        return java.util.Arrays.compareUnsigned(x, y);
    }

    // ---- observation ----

    public RouterConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public VrrpState state() {
        return state;
    }

    public int priority() {
        return priority;
    }

    public boolean fault() {
        return fault;
    }

    public InetAddress primaryAddress() {
        return primaryAddress;
    }

    /** Address of the current master as last seen ({@code null} when unknown). */
    public InetAddress masterAddress() {
        return masterAddress;
    }

    public int masterPriority() {
        return masterPriority;
    }

    public int masterAdverIntervalCentis() {
        return masterAdverIntervalCentis;
    }

    public long skewNanos() {
        return skewNanos;
    }

    public long masterDownIntervalNanos() {
        return masterDownIntervalNanos;
    }

    public long advertsSent() {
        return advertsSent;
    }

    public long advertsReceived() {
        return advertsReceived;
    }

    public long drops(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    public long lastTransitionNanos() {
        return lastTransitionNanos;
    }

    public String lastTransitionReason() {
        return lastTransitionReason;
    }

    @Override
    public String toString() {
        return config.name() + "[" + state.label() + ", vrid " + config.vrid() + ", priority " + priority + "]";
    }
}
