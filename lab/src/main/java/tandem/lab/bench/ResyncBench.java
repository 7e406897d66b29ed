package tandem.lab.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tandem.conntrack.CtEntry;
import tandem.lab.Lab;
import tandem.lab.LabRunner;
import tandem.linux.Netns;
import tandem.linux.ct.Ctnetlink;
import tandem.node.control.ControlClient;

/**
 * A full resync of N connections to a standby, in the lab: fw1 is master and holds N SNAT'd UDP
 * entries (written into its kernel directly); fw2 starts empty and asks for a resync. Measured from
 * the moment fw2's control socket answers to fw2 reporting synchronized with all N in its cache:
 * time, entries/s, datagrams, and resyncs sent, requested and restarted (target: 0 restarts). Run as
 * root: {@code java -cp tandem.jar tandem.lab.bench.ResyncBench [N] [reps]}.
 */
public final class ResyncBench {
    private ResyncBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 250_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path max = Path.of("/proc/sys/net/netfilter/nf_conntrack_max");
        String max0;
        try (var in = Files.newInputStream(max)) {
            max0 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).strip();
        }
        Lab lab = new Lab("bresync");
        lab.destroy();
        try {
            if (Long.parseLong(max0) < 3L * n) {
                Files.writeString(max, Long.toString(3L * n));
            }
            lab.create();
            LabRunner runner = new LabRunner(lab, System.out);
            Duration slow = Duration.ofSeconds(1);
            lab.startTandem("fw1", lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, slow, true)));
            runner.awaitMaster("fw1", Duration.ofSeconds(15));
            List<CtEntry> entries = CommitBench.entries(n);
            long t0 = System.nanoTime();
            Ctnetlink.CommitResult fill = Netns.call(lab.ns("fw1"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.commit(entries);
                }
            });
            System.out.printf(Locale.ROOT, "fw1 holds %d entries (%d failed), written in %.1f s%n", fill.created(),
                fill.failed(), (System.nanoTime() - t0) / 1e9);
            List<Double> times = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                Map<String, Object> before = stats(lab, "fw1");
                Process fw2 = lab.startTandem("fw2", lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, slow, true)));
                long start = System.nanoTime();
                Map<String, Object> s2;
                while (true) {
                    s2 = stats(lab, "fw2");
                    if ("synchronized".equals(s2.get("sync_state")) && num(s2, "cache_entries") >= n) {
                        break;
                    }
                    if (System.nanoTime() - start > 300_000_000_000L) {
                        throw new IllegalStateException("fw2 not synchronized after 300 s: " + s2);
                    }
                    Thread.sleep(20);
                }
                double secs = (System.nanoTime() - start) / 1e9;
                times.add(secs);
                Map<String, Object> s1 = stats(lab, "fw1");
                System.out.printf(Locale.ROOT, "rep %d: %d entries synchronized in %.2f s (%.0f entries/s); fw1 sent %d"
                        + " datagrams, %d resync(s) (%d joined, %d restarted); fw2 received %d datagrams, asked %d time(s),"
                        + " saw %d restart(s), %d NACKs%n", r + 1, num(s2, "cache_entries"), secs, n / secs,
                    num(s1, "datagrams_sent") - num(before, "datagrams_sent"),
                    num(s1, "resyncs_sent") - num(before, "resyncs_sent"),
                    num(s1, "resyncs_joined") - num(before, "resyncs_joined"),
                    num(s1, "resyncs_restarted") - num(before, "resyncs_restarted"),
                    num(s2, "datagrams_received"), num(s2, "resyncs_requested"), num(s2, "resyncs_restarted_seen"),
                    num(s2, "nacks_sent"));
                fw2.destroy();
                fw2.waitFor();
                runner.awaitNoProcesses("fw2");
            }
            times.sort(null);
            double median = times.get(times.size() / 2);
            System.out.printf(Locale.ROOT, "%nmedian resync of %d entries: %.2f s (%.0f entries/s), %d reps%n", n, median,
                n / median, reps);
        } finally {
            lab.destroy();
            Files.writeString(max, max0);
        }
    }

    static Map<String, Object> stats(Lab lab, String fw) throws Exception {
        return ControlClient.requestMap(lab.socket(fw), "conntrack-stats");
    }

    static long num(Map<String, Object> m, String k) {
        return ((Number) m.get(k)).longValue();
    }
}
