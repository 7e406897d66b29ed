package tandem.lab.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import tandem.lab.Lab;
import tandem.lab.LabException;
import tandem.lab.LabRunner;
import tandem.node.control.ControlClient;

/**
 * Configuration replication in the lab, as {@code tandem lab up} sets it up (fw1 and fw2 with
 * exchanged keys, the hotwire on the sync link, 20 ms adverts): fw1's shared configuration gains a
 * replicated directory, /etc/tandem/bench.d/ (check {@code test -d {}}, so the receiver stages the
 * whole directory as a real check would need it), with N files (1 000) of deterministic pseudo-random
 * text totalling M MiB (20). Measured, each from the request:
 * <ol>
 *   <li>(a) {@code config sync} of the whole set (the first one adds the item to the shared
 *       configuration, so fw1 reloads before it pushes and fw2 reloads after; then every file rewritten):
 *       the control request's reply (ok) and fw2's {@code info} saying synchronized;</li>
 *   <li>(b) 10 files changed; (c) nothing to do;</li>
 *   <li>(d) drift detection: one file changed by hand on fw2 at a random phase of the 2 s comparison;
 *       the time until fw1's and fw2's {@code info} say pending (both polled every 20 ms);</li>
 *   <li>(e) each daemon's CPU over 20 s while synchronized, with the set and after the item is removed.</li>
 * </ol>
 * Before each push of (a) and (b) both nodes have reported pending (the change was seen), so "fw2
 * synchronized" is not fw2's answer from before the change. Run as root:
 * {@code java -cp tandem.jar tandem.lab.bench.ConfigSyncBench [files] [MiB] [reps] [drifts] [--no-statesync]}.
 */
public final class ConfigSyncBench {
    static final String DIR = "/etc/tandem/bench.d";
    private static final Duration POLL = Duration.ofMillis(20);

    private ConfigSyncBench() {
    }

    /**
     * One push: its reply, when fw2 said synchronized (NaN: not waited for), and the CPU both daemons used
     * from the request to the reply (their comparisons meanwhile included), in ms.
     */
    record Push(double replyMs, double fw2Ms, double cpuMs, String detail) {
    }

    public static void main(String[] args) throws Exception {
        List<String> pos = new ArrayList<>();
        boolean stateSync = true;
        for (String a : args) {
            if (a.equals("--no-statesync")) {
                stateSync = false;
            } else {
                pos.add(a);
            }
        }
        int files = pos.size() > 0 ? Integer.parseInt(pos.get(0).replace("_", "")) : 1000;
        int mib = pos.size() > 1 ? Integer.parseInt(pos.get(1)) : 20;
        int reps = pos.size() > 2 ? Integer.parseInt(pos.get(2)) : 5;
        int drifts = pos.size() > 3 ? Integer.parseInt(pos.get(3)) : 10;
        Lab lab = new Lab("bcsync");
        lab.destroy();
        try {
            run(lab, files, (long) mib << 20, reps, drifts, stateSync);
        } finally {
            lab.destroy();
        }
    }

    static void run(Lab lab, int n, long total, int reps, int drifts, boolean stateSync) throws Exception {
        LabRunner runner = new LabRunner(lab, System.out);
        runner.up(LabRunner.Engine.TANDEM, Duration.ofMillis(20), stateSync);
        awaitState(lab, "fw1", "synchronized", Duration.ofSeconds(30));
        awaitState(lab, "fw2", "synchronized", Duration.ofSeconds(30));
        System.out.printf(Locale.ROOT, "lab up (state sync %s), replication synchronized; %d files, %d MiB in %s%n",
            stateSync ? "on" : "off", n, total >> 20, DIR);

        long[] sizes = sizes(n, total, new SplittableRandom(11));
        Path shared = lab.sharedConfig("fw1");
        String before = Files.readString(shared);
        String item = "  - path: " + DIR + "/\n    check: test -d {}\n";
        Files.writeString(shared, before.replace("    apply: nft -f {}\n", "    apply: nft -f {}\n" + item));
        writeAll(lab, "fw1", sizes, 0);

        // (a) the whole set: first with the new item (reloads on both), then every file rewritten
        List<Push> full = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            if (r > 0) {
                writeAll(lab, "fw1", sizes, r);
            }
            Push p = pushSeen(lab);
            full.add(p);
            System.out.printf(Locale.ROOT, "(a) %s %d files / %d MiB: reply %.0f ms, fw2 synchronized after %.0f ms; CPU %.0f ms (%s)%n",
                r == 0 ? "first push, item added:" : "all rewritten:", n, total >> 20, p.replyMs(), p.fw2Ms(), p.cpuMs(),
                p.detail());
        }
        // (b) 10 files changed
        List<Push> ten = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            for (int k = 0; k < 10; k++) {
                int i = (int) ((r * 10L + k) * 97 % n);
                write(file(lab, "fw1", i), sizes[i], 1000 + r * 10L + k);
            }
            Push p = pushSeen(lab);
            ten.add(p);
            System.out.printf(Locale.ROOT, "(b) 10 files changed: reply %.0f ms, fw2 synchronized after %.0f ms; CPU %.0f ms (%s)%n",
                p.replyMs(), p.fw2Ms(), p.cpuMs(), p.detail());
        }
        // (c) nothing to do
        List<Push> none = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            Push p = push(lab);
            none.add(p);
            System.out.printf(Locale.ROOT, "(c) nothing to do: reply %.0f ms; CPU %.0f ms (%s)%n", p.replyMs(), p.cpuMs(),
                p.detail());
        }
        // (d) a file changed by hand on fw2, at a random phase of the comparison
        SplittableRandom phase = new SplittableRandom(7);
        List<Double> d1 = new ArrayList<>();
        List<Double> d2 = new ArrayList<>();
        for (int r = 0; r < drifts; r++) {
            Thread.sleep(phase.nextInt(2000));
            Path f = file(lab, "fw2", r * 37 % n);
            Files.writeString(f, "# changed by hand on fw2, round " + r + "\n", StandardCharsets.US_ASCII,
                java.nio.file.StandardOpenOption.APPEND);
            long t0 = System.nanoTime();
            double at1 = Double.NaN;
            double at2 = Double.NaN;
            long end = t0 + Duration.ofSeconds(20).toNanos();
            while (Double.isNaN(at1) || Double.isNaN(at2)) {
                if (System.nanoTime() > end) {
                    throw new LabException("drift " + r + ": not pending on both within 20 s: fw1 "
                        + reason(lab, "fw1") + "; fw2 " + reason(lab, "fw2"));
                }
                if (Double.isNaN(at1) && state(lab, "fw1").equals("pending")) {
                    at1 = ms(t0);
                }
                if (Double.isNaN(at2) && state(lab, "fw2").equals("pending")) {
                    at2 = ms(t0);
                }
                Thread.sleep(POLL.toMillis());
            }
            d1.add(at1);
            d2.add(at2);
            System.out.printf(Locale.ROOT, "(d) hand change on fw2: pending on fw1 after %.0f ms, on fw2 after %.0f ms%n",
                at1, at2);
            // fw1 pushes its file back; both synchronized before the next round
            push(lab);
            awaitState(lab, "fw2", "synchronized", Duration.ofSeconds(20));
        }
        // (e) idle cost of the comparison: CPU of each daemon over 20 s, with the set and without it
        awaitState(lab, "fw1", "synchronized", Duration.ofSeconds(20));
        double[] with = cpu(lab, Duration.ofSeconds(20));
        Files.writeString(shared, before);
        Push removed = push(lab);
        awaitState(lab, "fw2", "synchronized", Duration.ofSeconds(20));
        Thread.sleep(2000);
        double[] without = cpu(lab, Duration.ofSeconds(20));
        System.out.printf(Locale.ROOT, "(e) CPU while synchronized, %% of one core over 20 s: with %s fw1 %.1f %%, fw2 %.1f %%;"
            + " item removed (%s) fw1 %.1f %%, fw2 %.1f %%%n", DIR, with[0], with[1], removed.detail(), without[0], without[1]);

        System.out.println();
        System.out.printf(Locale.ROOT, "(a) %d files / %d MiB: first push (item added, cold) reply %.0f ms, fw2 synchronized"
                + " %.0f ms; all rewritten (%d reps): reply median %s, fw2 synchronized median %s%n", n, total >> 20,
            full.getFirst().replyMs(), full.getFirst().fw2Ms(), full.size() - 1,
            stat(full.subList(1, full.size()).stream().map(Push::replyMs).toList()),
            stat(full.subList(1, full.size()).stream().map(Push::fw2Ms).toList()));
        System.out.printf(Locale.ROOT, "(b) 10 files changed (%d reps): reply median %s, fw2 synchronized median %s%n", ten.size(),
            stat(ten.stream().map(Push::replyMs).toList()), stat(ten.stream().map(Push::fw2Ms).toList()));
        System.out.printf(Locale.ROOT, "(c) nothing to do (%d reps): reply median %s%n", none.size(),
            stat(none.stream().map(Push::replyMs).toList()));
        System.out.printf(Locale.ROOT, "CPU of both daemons from request to reply: (a) all rewritten median %s, (b) %s, (c) %s%n",
            stat(full.subList(1, full.size()).stream().map(Push::cpuMs).toList()), stat(ten.stream().map(Push::cpuMs).toList()),
            stat(none.stream().map(Push::cpuMs).toList()));
        System.out.printf(Locale.ROOT, "(d) drift on fw2 (%d reps): pending on fw1 median %s, on fw2 median %s%n", drifts,
            stat(d1), stat(d2));
    }

    /** Waits until both nodes say pending (the change was seen), then pushes and waits for fw2 synchronized. */
    static Push pushSeen(Lab lab) throws Exception {
        awaitState(lab, "fw1", "pending", Duration.ofSeconds(20));
        awaitState(lab, "fw2", "pending", Duration.ofSeconds(20));
        long t0 = System.nanoTime();
        Push p = push(lab);
        awaitState(lab, "fw2", "synchronized", Duration.ofSeconds(30));
        return new Push(p.replyMs(), ms(t0), p.cpuMs(), p.detail());
    }

    /** {@code config sync} on fw1 (the control request the CLI sends); fails unless ok. */
    @SuppressWarnings("unchecked")
    static Push push(Lab lab) throws IOException {
        long p1 = ((Number) lab.info("fw1").get("pid")).longValue();
        long p2 = ((Number) lab.info("fw2").get("pid")).longValue();
        long c0 = ticks(p1) + ticks(p2);
        long t0 = System.nanoTime();
        Map<String, Object> reply = ControlClient.requestMap(lab.socket("fw1"), "config-sync");
        double ms = ms(t0);
        double cpu = (ticks(p1) + ticks(p2) - c0) * 10.0;
        List<Map<String, Object>> peers = (List<Map<String, Object>>) reply.get("peers");
        String detail = peers == null || peers.isEmpty() ? String.valueOf(reply) : String.valueOf(peers.getFirst().get("reason"));
        if (!Boolean.TRUE.equals(reply.get("ok"))) {
            throw new LabException("config sync failed after " + Math.round(ms) + " ms: " + reply);
        }
        return new Push(ms, Double.NaN, cpu, detail);
    }

    static void awaitState(Lab lab, String fw, String state, Duration max) throws Exception {
        long end = System.nanoTime() + max.toNanos();
        while (!state(lab, fw).equals(state)) {
            if (System.nanoTime() > end) {
                throw new LabException(fw + ": sync_state not " + state + " within " + max.toSeconds() + " s: "
                    + reason(lab, fw) + "\n" + lab.logTail(fw));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    static String state(Lab lab, String fw) throws IOException {
        return String.valueOf(lab.info(fw).get("sync_state"));
    }

    static String reason(Lab lab, String fw) throws IOException {
        Map<String, Object> i = lab.info(fw);
        return i.get("sync_state") + " (" + i.get("sync_state_reason") + ")";
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Log-uniform sizes (1..100 relative) scaled to {@code total} octets; the last takes the rest. */
    static long[] sizes(int n, long total, SplittableRandom rnd) {
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(rnd.nextDouble() * Math.log(100));
            sum += w[i];
        }
        long[] s = new long[n];
        long used = 0;
        for (int i = 0; i < n - 1; i++) {
            s[i] = Math.max(1, (long) (w[i] / sum * total));
            used += s[i];
        }
        s[n - 1] = total - used;
        return s;
    }

    static Path file(Lab lab, String fw, int i) {
        return lab.root(fw).resolve(DIR.substring(1)).resolve(String.format(Locale.ROOT, "%02d/file-%04d.conf", i / 100, i));
    }

    static void writeAll(Lab lab, String fw, long[] sizes, long round) throws IOException {
        for (int i = 0; i < sizes.length; i++) {
            write(file(lab, fw, i), sizes[i], round * 1_000_003L + i);
        }
    }

    /** {@code size} octets of pseudo-random text (lines of 63 characters) from {@code seed}; mode 0644. */
    static void write(Path p, long size, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 =;.".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[(int) size];
        for (int i = 0; i < b.length; i++) {
            b[i] = i % 64 == 63 ? (byte) '\n' : alphabet[rnd.nextInt(alphabet.length)];
        }
        Files.createDirectories(p.getParent());
        Files.write(p, b);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** Each firewall daemon's CPU (utime + stime) over {@code window}, in % of one core. */
    static double[] cpu(Lab lab, Duration window) throws Exception {
        long p1 = ((Number) lab.info("fw1").get("pid")).longValue();
        long p2 = ((Number) lab.info("fw2").get("pid")).longValue();
        long a1 = ticks(p1);
        long a2 = ticks(p2);
        long t0 = System.nanoTime();
        Thread.sleep(window.toMillis());
        double s = (System.nanoTime() - t0) / 1e9;
        return new double[] {(ticks(p1) - a1) / 100.0 / s * 100, (ticks(p2) - a2) / 100.0 / s * 100};
    }

    /** utime + stime of a process in clock ticks (USER_HZ 100). */
    static long ticks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** "median (min..max)" in ms. */
    static String stat(List<Double> xs) {
        if (xs.isEmpty()) {
            return "-";
        }
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return String.format(Locale.ROOT, "%.0f ms (%.0f..%.0f ms)", s.get(s.size() / 2), s.getFirst(), s.getLast());
    }
}
