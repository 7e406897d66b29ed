package tandem.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import tandem.node.daemon.InfoFormat;

/** The operations behind {@code tandem lab up|status|failover|down}. */
public final class LabRunner {
    public enum Engine { TANDEM, KEEPALIVED }

    /** Result of one measured failover and failback. */
    public record FailoverResult(String master, String newMaster, double failoverGapMs, double failbackGapMs,
                                 int replies) {
    }

    private final Lab lab;
    private final PrintStream out;

    public LabRunner(Lab lab, PrintStream out) {
        this.lab = lab;
        this.out = out;
    }

    /** Builds the lab, starts a node per firewall (fw1 priority 150, fw2 100) and waits for the election. */
    public void up(Engine engine, Duration interval) {
        lab.create();
        try {
            if (engine == Engine.TANDEM) {
                lab.startTandem("fw1", lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, interval)));
                lab.startTandem("fw2", lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, interval)));
            } else {
                lab.startKeepalived("fw1", lab.keepalivedConfig("fw1", 150, interval));
                lab.startKeepalived("fw2", lab.keepalivedConfig("fw2", 100, interval));
            }
            awaitMaster("fw1", Duration.ofSeconds(20));
        } catch (RuntimeException e) {
            lab.destroy();
            throw e;
        }
    }

    /** Waits until {@code fw} holds both VIPs and the other firewall holds none. */
    public void awaitMaster(String fw, Duration max) {
        String other = fw.equals("fw1") ? "fw2" : "fw1";
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (lab.hasAddress(fw, "lan", Lab.LAN_VIP) && lab.hasAddress(fw, "wan", Lab.WAN_VIP)
                && !lab.hasAddress(other, "lan", Lab.LAN_VIP) && !lab.hasAddress(other, "wan", Lab.WAN_VIP)) {
                return;
            }
            Lab.sleep(20);
        }
        throw new LabException("lab " + lab.prefix() + ": " + fw + " did not become master within " + max.toSeconds()
            + " s (VIP holder: " + lab.vipHolder() + ")\nfw1 log:\n" + lab.logTail("fw1") + "\nfw2 log:\n" + lab.logTail("fw2"));
    }

    public void status() {
        if (!lab.exists()) {
            throw new LabException("lab " + lab.prefix() + " is not up (expected: 'tandem lab up' first)");
        }
        for (String fw : new String[] {"fw1", "fw2"}) {
            out.println("== " + fw + " (" + lab.ns(fw) + ")");
            try {
                Map<String, Object> info = lab.info(fw);
                out.print(InfoFormat.text(info));
            } catch (IOException e) {
                out.println("no tandem answering on " + lab.socket(fw) + ": " + e.getMessage());
            }
        }
        out.println("LAN VIP " + Lab.LAN_VIP + " held by: " + lab.vipHolder());
    }

    /**
     * Powers the master off (all its links down) while the client pings the server every 5 ms through
     * the cluster, waits, powers it back on, waits for preemption and measures both gaps.
     */
    public FailoverResult failover(Duration downTime) {
        String master = lab.vipHolder();
        if (!master.equals("fw1") && !master.equals("fw2")) {
            throw new LabException("lab " + lab.prefix() + ": no single master (VIP holder: " + master + ")");
        }
        String backup = master.equals("fw1") ? "fw2" : "fw1";
        try (FailoverProbe probe = new FailoverProbe(lab, Lab.SERVER)) {
            probe.awaitFlowing(5);
            Lab.sleep(500);
            double off = FailoverProbe.now();
            lab.setLinks(master, false, "lan", "wan", "sync");
            awaitMaster(backup, Duration.ofSeconds(10));
            Lab.sleep(downTime.toMillis());
            double on = FailoverProbe.now();
            lab.setLinks(master, true, "lan", "wan", "sync");
            awaitMaster(master, Duration.ofSeconds(20));
            Lab.sleep(1000);
            double end = FailoverProbe.now();
            FailoverResult r = new FailoverResult(master, backup, probe.longestGapMs(off, on),
                probe.longestGapMs(on, end), probe.replies());
            out.printf("failover %s -> %s: longest ICMP gap %.1f ms; failback %s -> %s: %.1f ms (%d replies at 5 ms)%n",
                master, backup, r.failoverGapMs(), backup, master, r.failbackGapMs(), r.replies());
            return r;
        }
    }
}
