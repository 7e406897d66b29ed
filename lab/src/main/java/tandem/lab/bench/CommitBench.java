package tandem.lab.bench;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tandem.lab.Sh;
import tandem.linux.Netns;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;
import tandem.linux.ct.Ctnetlink;

/**
 * Benchmark (c) of issue 3: time to commit N replicated conntrack entries (SNAT'd UDP flows) into the
 * kernel, tandem's commit path vs conntrackd 1.4 FTFW's "conntrackd -c", in one run. Two namespaces
 * joined by a sync link; namespace A holds the N entries, B receives them. Run as root:
 * {@code java -cp tandem.jar tandem.lab.bench.CommitBench [N] [reps]}.
 */
public final class CommitBench {
    private CommitBench() {
    }

    static final String A = "bcommit-a";
    static final String B = "bcommit-b";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int ways = args.length > 2 ? Integer.parseInt(args[2])
            : Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 2);
        Path dir = Files.createTempDirectory("bcommit");
        cleanup();
        try {
            for (String ns : List.of(A, B)) {
                Sh.run("ip", "netns", "add", ns);
                Sh.run("ip", "-n", ns, "link", "set", "lo", "up");
                Sh.runIn("table ip nat {\n chain post {\n  type nat hook postrouting priority 100;\n }\n}\n",
                    "ip", "netns", "exec", ns, "nft", "-f", "-");
            }
            Sh.run("ip", "-n", A, "link", "add", "sync", "type", "veth", "peer", "name", "sync", "netns", B);
            Sh.run("ip", "-n", A, "addr", "add", "198.51.100.1/30", "dev", "sync");
            Sh.run("ip", "-n", B, "addr", "add", "198.51.100.2/30", "dev", "sync");
            Sh.run("ip", "-n", A, "link", "set", "sync", "up");
            Sh.run("ip", "-n", B, "link", "set", "sync", "up");
            List<CtEntry> entries = entries(n);
            Ctnetlink.CommitResult fill = Netns.call(A, () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.commit(entries);
                }
            });
            System.out.printf("filled %s with %d entries (%d failed)%n", A, fill.created(), fill.failed());
            List<Double> tandem = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                Sh.run("ip", "netns", "exec", B, "conntrack", "-F");
                double ms = Netns.call(B, () -> {
                    // as the daemon does: two request sockets and threads when there are two CPUs
                    List<Ctnetlink> helpers = new ArrayList<>();
                    try (Ctnetlink ct = Ctnetlink.open()) {
                        long t0 = System.nanoTime();
                        for (int i = 1; i < ways; i++) {
                            helpers.add(Ctnetlink.open());
                        }
                        Ctnetlink.CommitResult c = ct.commit(entries, helpers);
                        double t = (System.nanoTime() - t0) / 1e6;
                        if (c.failed() > 0) {
                            throw new IllegalStateException("commit failed: " + c.firstError());
                        }
                        return t;
                    } finally {
                        helpers.forEach(Ctnetlink::close);
                    }
                });
                tandem.add(ms);
                System.out.printf("tandem commit of %d entries: %.1f ms (kernel now holds %d)%n", n, ms, count(B));
            }
            List<Double> ctd = new ArrayList<>();
            if (Sh.quiet("which", "conntrackd").exit() == 0) {
                Path confA = conntrackdConf(dir, "a", "198.51.100.1", "198.51.100.2");
                Path confB = conntrackdConf(dir, "b", "198.51.100.2", "198.51.100.1");
                Sh.run("ip", "netns", "exec", A, "conntrackd", "-C", confA.toString(), "-d");
                Sh.run("ip", "netns", "exec", B, "conntrackd", "-C", confB.toString(), "-d");
                Thread.sleep(1000);
                Sh.run("ip", "netns", "exec", A, "conntrackd", "-C", confA.toString(), "-R"); // internal cache := kernel
                for (int r = 0; r < reps; r++) {
                    Sh.run("ip", "netns", "exec", A, "conntrackd", "-C", confA.toString(), "-B"); // bulk to the backup
                    long end = System.nanoTime() + 60_000_000_000L;
                    while (externalCache(confB) < n && System.nanoTime() < end) {
                        Thread.sleep(200);
                    }
                    Sh.run("ip", "netns", "exec", B, "conntrack", "-F");
                    long t0 = System.nanoTime();
                    Sh.run("ip", "netns", "exec", B, "conntrackd", "-C", confB.toString(), "-c");
                    while (count(B) < n && System.nanoTime() - t0 < 60_000_000_000L) {
                        Thread.sleep(5);
                    }
                    double ms = (System.nanoTime() - t0) / 1e6;
                    ctd.add(ms);
                    System.out.printf("conntrackd commit of %d entries (external cache %d): %.1f ms (kernel now holds %d)%n",
                        n, externalCache(confB), ms, count(B));
                }
            } else {
                System.out.println("conntrackd not installed: no comparison (apt-get install conntrackd)");
            }
            double mt = median(tandem);
            System.out.printf("%nmedian commit of %d entries: tandem (%d thread%s) %.1f ms", n, ways, ways == 1 ? "" : "s", mt);
            if (!ctd.isEmpty()) {
                System.out.printf(", conntrackd %.1f ms, ratio tandem/conntrackd %.2f", median(ctd), mt / median(ctd));
            }
            System.out.println();
        } finally {
            Sh.quiet("pkill", "-f", "conntrackd -C " + dir);
            cleanup();
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static List<CtEntry> entries(int n) throws Exception {
        List<CtEntry> out = new ArrayList<>(n);
        InetAddress server = InetAddress.getByName("203.0.113.100");
        InetAddress vip = InetAddress.getByName("203.0.113.1");
        for (int i = 0; i < n; i++) {
            InetAddress client = InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) (10 + i / 50_000)});
            int sport = 1024 + i % 50_000;
            int dport = 1 + i / 50_000;
            CtTuple orig = new CtTuple(client, server, CtTuple.UDP, sport, dport);
            CtTuple reply = new CtTuple(server, vip, CtTuple.UDP, dport, 1024 + i % 60_000);
            out.add(new CtEntry(orig, reply, CtEntry.SEEN_REPLY | CtEntry.ASSURED, 600, 0, 0, null, null, null, null,
                null, null));
        }
        return out;
    }

    static int count(String ns) {
        String c = Sh.quiet("ip", "netns", "exec", ns, "conntrack", "-C").out().strip();
        return c.isEmpty() ? 0 : Integer.parseInt(c);
    }

    static int externalCache(Path conf) {
        String out = Sh.quiet("ip", "netns", "exec", B, "conntrackd", "-C", conf.toString(), "-s", "cache").out();
        // "cache:external	active objects:	N"
        int i = out.indexOf("cache:external");
        if (i < 0) {
            return 0;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("active objects:\\s+(\\d+)")
            .matcher(out.substring(i));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    static Path conntrackdConf(Path dir, String name, String local, String peer) throws Exception {
        Path p = dir.resolve("conntrackd-" + name + ".conf");
        Files.writeString(p, tandem.lab.Lab.conntrackdConfig(local, peer, dir.resolve(name), List.of("127.0.0.1", local, peer)));
        return p;
    }

    static void cleanup() {
        for (String ns : List.of(A, B)) {
            String pids = Sh.quiet("ip", "netns", "pids", ns).out().strip();
            if (!pids.isEmpty()) {
                for (String pid : pids.split("\\s+")) {
                    Sh.quiet("kill", "-KILL", pid);
                }
            }
            Sh.quiet("ip", "netns", "del", ns);
        }
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
