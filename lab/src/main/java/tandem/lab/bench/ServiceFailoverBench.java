package tandem.lab.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tandem.lab.FailoverProbe;
import tandem.lab.Lab;
import tandem.lab.LabRunner;
import tandem.lab.Sh;

/**
 * A failover caused by a service failure: fw1 and fw2 (20 ms adverts, replication, state sync) run a
 * monitored service on every node (run-on all; a failure faults the group after the hold-down); the
 * client pings the server every 5 ms through the cluster. The service on fw1 is made to fail; the bench
 * prints the longest ICMP gap from the failure to fw2 holding the addresses, the time from the failure
 * to the takeover (monitor, hold-down, VRRP), and fw2's takeover steps with their durations as
 * {@code tandem info} reports them (a service on run-on active, started by the takeover, included).
 * Run as root: {@code java -cp tandem.jar tandem.lab.bench.ServiceFailoverBench [reps] [hold-down]}.
 */
public final class ServiceFailoverBench {
    private ServiceFailoverBench() {
    }

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String hold = args.length > 1 ? args[1] : "2s";
        List<Double> gaps = new ArrayList<>();
        List<Double> toTakeover = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            Lab lab = new Lab("bsvc");
            lab.destroy();
            try {
                lab.create();
                double[] g = once(lab, hold, r + 1);
                gaps.add(g[0]);
                toTakeover.add(g[1]);
            } finally {
                lab.destroy();
            }
        }
        Collections.sort(gaps);
        Collections.sort(toTakeover);
        System.out.printf(Locale.ROOT, "%nservice failure -> failover (hold-down %s): longest ICMP gap median %.1f ms %s;"
            + " failure to takeover median %.0f ms %s%n", hold, gaps.get(gaps.size() / 2), gaps, toTakeover.get(toTakeover.size() / 2),
            toTakeover);
    }

    @SuppressWarnings("unchecked")
    static double[] once(Lab lab, String hold, int rep) throws Exception {
        LabRunner runner = new LabRunner(lab, System.out);
        Path marker = lab.dir().resolve("fail");
        String shared = Lab.clusterConfig(Duration.ofMillis(20), true, """
            trigger-hold-down: %s
            services:
              - name: watched
                run-on: all
                process: [sh, -c, 'test -e %s-$(ip netns identify) && exit 3; exec sleep 100000']
                settle: 100ms
                restart: {policy: always, delay: 100ms, max-delay: 100ms}
                monitor: {failures: 1, window: 10s, expire: 1m, action: fault}
              - name: vpn
                run-on: active
                process: [sleep, '100000']
                settle: 100ms
            """.formatted(hold, marker));
        for (String fw : List.of("fw1", "fw2")) {
            lab.writeReplicated(fw, lab.nodeLocalConfig(fw, true, ""), shared);
        }
        lab.exchangeKeys("fw1", "fw2");
        lab.startTandem("fw1", lab.nodeConfig("fw1"));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        lab.startTandem("fw2", lab.nodeConfig("fw2"));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(20));
        try (FailoverProbe probe = new FailoverProbe(lab, Lab.SERVER)) {
            probe.awaitFlowing(5);
            Thread.sleep(500);
            Map<String, Object> svc = ((List<Map<String, Object>>) lab.info("fw1").get("services")).stream()
                .filter(s -> s.get("name").equals("watched")).findFirst().orElseThrow();
            long pid = Long.parseLong(String.valueOf(svc.get("detail")).replace("pid ", ""));
            double t0 = FailoverProbe.now();
            Files.writeString(Path.of(marker + "-" + lab.ns("fw1")), "");
            Sh.run("kill", Long.toString(pid));
            runner.awaitMaster("fw2", Duration.ofSeconds(20));
            double t1 = FailoverProbe.now();
            Thread.sleep(1000);
            double gap = probe.longestGapMs(t0, FailoverProbe.now());
            Map<String, Object> group = ((List<Map<String, Object>>) lab.info("fw2").get("groups")).getFirst();
            System.out.printf(Locale.ROOT, "rep %d: longest ICMP gap %.1f ms, failure to takeover %.0f ms; fw2's takeover: %s%n",
                rep, gap, (t1 - t0) * 1000, group.get("last_transition"));
            return new double[] {gap, (t1 - t0) * 1000};
        }
    }
}
