package tandem.lab;

import java.io.IOException;
import java.nio.file.Path;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tandem.node.control.InfoFormat;

/** The operations behind {@code tandem lab up|status|failover|down}. */
public final class LabRunner {
    public enum Engine { TANDEM, KEEPALIVED, KEEPALIVED_CONNTRACKD }

    /** Result of one measured failover and failback. */
    public record FailoverResult(String master, String newMaster, double failoverGapMs, double failbackGapMs,
                                 int replies, double tcpFailoverGapMs, double tcpFailbackGapMs, String tcpFailure) {
    }

    private final Lab lab;
    private final PrintStream out;

    public LabRunner(Lab lab, PrintStream out) {
        this.lab = lab;
        this.out = out;
    }

    /** Builds the lab, starts a node per firewall (fw1 priority 150, fw2 100) and waits for the election. */
    public void up(Engine engine, Duration interval) {
        up(engine, interval, engine == Engine.TANDEM);
    }

    /** Like {@link #up(Engine, Duration)}; {@code stateSync} enables tandem's connection-state sync. */
    public void up(Engine engine, Duration interval, boolean stateSync) {
        lab.create();
        try {
            lab.writeConfig("engine", engine.name() + " " + interval.toMillis() + " "
                + (stateSync || engine == Engine.KEEPALIVED_CONNTRACKD) + "\n");
            start("fw1", engine, interval, stateSync);
            start("fw2", engine, interval, stateSync);
            awaitMaster("fw1", Duration.ofSeconds(20));
        } catch (RuntimeException e) {
            lab.destroy();
            throw e;
        }
    }

    private void start(String fw, Engine engine, Duration interval, boolean stateSync) {
        int priority = fw.equals("fw1") ? 150 : 100;
        if (engine == Engine.TANDEM) {
            // configuration replication over the sync link (the hotwire); a node powered on again keeps its files
            if (!java.nio.file.Files.exists(lab.nodeConfig(fw))) {
                lab.writeReplicated(fw, lab.nodeLocalConfig(fw, stateSync, ""), Lab.clusterConfig(interval, stateSync, ""));
                if (java.nio.file.Files.exists(lab.nodeConfig(fw.equals("fw1") ? "fw2" : "fw1"))) {
                    lab.exchangeKeys("fw1", "fw2");
                }
            }
            lab.startTandem(fw, lab.nodeConfig(fw));
        } else if (engine == Engine.KEEPALIVED) {
            lab.startKeepalived(fw, lab.keepalivedConfig(fw, priority, interval));
        } else {
            Path ctd = lab.startConntrackd(fw);
            String notify = "  notify \"" + lab.conntrackdNotifyScript(fw, ctd) + "\"\n";
            lab.startKeepalived(fw, lab.keepalivedConfig(fw, priority, interval)
                .replace("vrrp_sync_group cluster {\n", "vrrp_sync_group cluster {\n" + notify)
                .replace("global_defs {\n", "global_defs {\n  enable_script_security\n  script_user root\n"));
        }
    }

    /** How the lab was brought up. */
    private record Setup(Engine engine, Duration interval, boolean stateSync) {
    }

    private Setup setup() {
        try {
            String[] s = java.nio.file.Files.readString(lab.dir().resolve("engine")).trim().split(" ");
            return new Setup(Engine.valueOf(s[0]), Duration.ofMillis(Long.parseLong(s[1])), Boolean.parseBoolean(s[2]));
        } catch (IOException | RuntimeException e) {
            throw new LabException("lab " + lab.prefix() + " is not up (expected: 'tandem lab up' first)");
        }
    }

    /**
     * Power loss: every process of the node is frozen at once (SIGSTOP, so none can react, e.g. to a
     * parent-death signal, and resign gracefully), all its links go down, then the processes are killed.
     */
    public void powerOff(String fw) {
        String[] pids = Sh.quiet("ip", "netns", "pids", lab.ns(fw)).out().strip().split("\\s+");
        StringBuilder list = new StringBuilder();
        for (String pid : pids) {
            if (!pid.isBlank()) {
                list.append(' ').append(pid);
            }
        }
        // one shell: every process frozen, then every cable pulled by one ip process - a millisecond or two
        // apart, as close to a power cut as a lab gets (separate process starts would leave tens of ms)
        String links = "link set lan down\nlink set wan down\nlink set sync down\n";
        Sh.runIn(links, "sh", "-c", (list.isEmpty() ? "" : "kill -STOP" + list + "; ") + "exec ip -n " + lab.ns(fw)
            + " -batch -");
        if (!list.isEmpty()) {
            Sh.quiet(("kill -KILL" + list).split(" "));
        }
    }

    /** Waits until the killed processes of a node are gone (a restarted keepalived refuses a live pid file). */
    public void awaitNoProcesses(String fw) {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!Sh.quiet("ip", "netns", "pids", lab.ns(fw)).out().isBlank()) {
            if (System.nanoTime() > end) {
                throw new LabException(fw + ": processes still running 5 s after SIGKILL");
            }
            Lab.sleep(20);
        }
    }

    /** Power on: the node boots with its links still down, starts its daemon, then the links come up. */
    public void powerOn(String fw) {
        awaitNoProcesses(fw);
        Setup e = setup();
        start(fw, e.engine(), e.interval(), e.stateSync());
        lab.setLinks(fw, true, "lan", "wan", "sync");
    }

    /** Waits until {@code fw} holds both VIPs and the other firewall holds none. */
    public void awaitMaster(String fw, Duration max) {
        awaitMaster(fw, max, true);
    }

    /** Like {@link #awaitMaster(String, Duration)}; {@code otherClear=false} ignores a powered-off peer. */
    public void awaitMaster(String fw, Duration max, boolean otherClear) {
        String other = fw.equals("fw1") ? "fw2" : "fw1";
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (lab.hasAddress(fw, "lan", Lab.LAN_VIP) && lab.hasAddress(fw, "wan", Lab.WAN_VIP)
                && (!otherClear || !lab.hasAddress(other, "lan", Lab.LAN_VIP) && !lab.hasAddress(other, "wan", Lab.WAN_VIP))) {
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
                out.print(InfoFormat.summaryText(InfoFormat.summary(info)));
            } catch (IOException e) {
                out.println("no tandem answering on " + lab.socket(fw) + ": " + e.getMessage());
            }
        }
        out.println("LAN VIP " + Lab.LAN_VIP + " held by: " + lab.vipHolder());
    }

    /**
     * Powers the master off (its daemon killed, all its links down) while the client pings the server
     * every 5 ms through the cluster, waits {@code downTime}, powers it back on, waits for it to preempt
     * and measures both data-path gaps.
     */
    public FailoverResult failover(Duration downTime) {
        Setup setup = setup();
        String master = lab.vipHolder();
        if (!master.equals("fw1") && !master.equals("fw2")) {
            throw new LabException("lab " + lab.prefix() + ": no single master (VIP holder: " + master + ")");
        }
        String backup = master.equals("fw1") ? "fw2" : "fw1";
        try (FailoverProbe probe = new FailoverProbe(lab, Lab.SERVER);
             TcpProbe tcp = new TcpProbe(lab, 5001 + (int) (System.nanoTime() % 1000))) {
            probe.awaitFlowing(5);
            if (setup.stateSync() && setup.engine() == Engine.TANDEM) {
                awaitSynchronized(backup, Duration.ofSeconds(10));
            } else if (setup.stateSync()) {
                Lab.sleep(1000); // conntrackd has no "synchronized" query; give the events time to arrive
            }
            Lab.sleep(500);
            double off = FailoverProbe.now();
            powerOff(master);
            awaitMaster(backup, Duration.ofSeconds(10), false);
            Lab.sleep(downTime.toMillis());
            double on = FailoverProbe.now();
            powerOn(master);
            awaitMaster(master, Duration.ofSeconds(20));
            Lab.sleep(1000);
            double end = FailoverProbe.now();
            FailoverResult r = new FailoverResult(master, backup, probe.longestGapMs(off, on),
                probe.longestGapMs(on, end), probe.replies(), tcp.longestGapMs(off, on), tcp.longestGapMs(on, end),
                tcp.failure() != null ? tcp.failure() : tcp.flowing(500) ? null : "stalled: no echo for "
                    + Math.round((FailoverProbe.now() - tcp.lastEcho()) * 1000) + " ms");
            out.printf("failover %s -> %s (power off): longest ICMP gap %.1f ms; failback %s -> %s (power on, preempt):"
                + " %.1f ms (%d replies at 5 ms)%n", master, backup, r.failoverGapMs(), backup, master,
                r.failbackGapMs(), r.replies());
            out.printf("TCP stream through NAT (translated port %d, state sync %s): longest gap %.1f ms at failover,"
                + " %.1f ms at failback; %s%n", tcp.translatedPort(), setup.stateSync() ? "on" : "off",
                r.tcpFailoverGapMs(), r.tcpFailbackGapMs(), r.tcpFailure() == null ? "the connection survived"
                    : "the connection broke: " + r.tcpFailure());
            return r;
        }
    }

    /** Waits until a node's state sync reports synchronized. */
    public void awaitSynchronized(String fw, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        String last = "no answer";
        while (System.nanoTime() < end) {
            try {
                last = String.valueOf(lab.info(fw).get("conntrack_sync_state"));
                if (last.equals("synchronized")) {
                    return;
                }
            } catch (IOException e) {
                last = e.getMessage();
            }
            Lab.sleep(50);
        }
        throw new LabException(fw + ": state sync not synchronized within " + max.toSeconds() + " s (last: " + last + ")");
    }
}
