package tandem.replication.bench;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import tandem.replication.Replication;
import tandem.replication.TestSite;
import tandem.replication.apply.Receiver;
import tandem.replication.hotwire.HotwireClient;
import tandem.replication.hotwire.HotwireServer;
import tandem.replication.hotwire.Keys;
import tandem.replication.hotwire.Limits;
import tandem.replication.hotwire.Peer;
import tandem.replication.hotwire.TrustedKeys;

/**
 * Not a test: pushes 1 000 files of 20 KiB (20 MiB, random content) in one directory item from fw1 to
 * fw2, two in-process nodes over loopback SSH, and prints the time from the first STATUS to the peer
 * reported synchronized; then again after 10 files changed, and a push with nothing to do.
 *
 * <pre>
 *   mvn -B -q test-compile -pl replication -am
 *   mvn -B -q dependency:build-classpath -pl replication -Dmdep.outputFile=/tmp/cp.txt
 *   java -cp replication/target/classes:replication/target/test-classes:$(cat /tmp/cp.txt) \
 *       tandem.replication.bench.SyncBench [files] [octets per file] [rounds]
 * </pre>
 */
public final class SyncBench {
    private SyncBench() {
    }

    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 20 * 1024;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("syncbench");
        try {
            run(dir, files, size, rounds);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static void run(Path dir, int files, int size, int rounds) throws Exception {
        System.out.printf(Locale.ROOT, "%d files of %d octets (%.1f MiB), %d rounds, %d processors%n", files, size,
            files * (double) size / (1 << 20), rounds, Runtime.getRuntime().availableProcessors());
        Random random = new Random(42);
        for (int round = 1; round <= rounds; round++) {
            Path d = dir.resolve("round" + round);
            TestSite fw1 = new TestSite(d, "fw1").shared("dir /etc/bench :: test -d {} :: true");
            TestSite fw2 = new TestSite(d, "fw2");
            byte[] b = new byte[size];
            for (int i = 0; i < files; i++) {
                random.nextBytes(b);
                Path f = fw1.root.resolve(String.format("etc/bench/d%02d/f%04d.conf", i % 32, i));
                Files.createDirectories(f.getParent());
                Files.write(f, b);
            }
            Keys k1 = Keys.load(fw1.state, "fw1");
            Keys k2 = Keys.load(fw2.state, "fw2");
            TrustedKeys t1 = TrustedKeys.load(fw1.state.resolve("trusted_keys"));
            TrustedKeys t2 = TrustedKeys.load(fw2.state.resolve("trusted_keys"));
            t1.trust("fw2", k2.publicKeyLine());
            t2.trust("fw1", k1.publicKeyLine());
            Receiver r2 = Receiver.open(fw2.settings());
            try (HotwireServer server = HotwireServer.start(new InetSocketAddress("127.0.0.1", 0), k2, t2, r2, Limits.DEFAULTS);
                 HotwireClient client = new HotwireClient(k1, t1, Limits.DEFAULTS)) {
                Peer peer = new Peer("fw2", "127.0.0.1", server.address().getPort());
                Replication rep = new Replication(fw1.set(), "fw1", TestSite.VERSION, client);
                long t0 = System.nanoTime();
                Replication.PeerState full = rep.push(peer);
                long t1ns = System.nanoTime();
                check(full);
                for (int i = 0; i < 10; i++) {
                    random.nextBytes(b);
                    Files.write(fw1.root.resolve(String.format("etc/bench/d%02d/f%04d.conf", (i * 97) % files % 32, (i * 97) % files)), b);
                }
                long t2ns = System.nanoTime();
                Replication.PeerState some = rep.push(peer);
                long t3ns = System.nanoTime();
                check(some);
                long t4ns = System.nanoTime();
                Replication.PeerState none = rep.push(peer);
                long t5ns = System.nanoTime();
                check(none);
                System.out.printf(Locale.ROOT, "round %d: all %d files to synchronized %.0f ms; 10 changed %.0f ms; nothing to do %.0f ms%n",
                    round, files, ms(t1ns - t0), ms(t3ns - t2ns), ms(t5ns - t4ns));
            }
        }
    }

    private static void check(Replication.PeerState s) {
        if (s.state() != Replication.State.SYNCHRONIZED) {
            throw new IllegalStateException("not synchronized: " + s.reason());
        }
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
