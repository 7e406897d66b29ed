package tandem.lab.bench;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import tandem.lab.Lab;
import tandem.lab.LabRunner;
import tandem.linux.Libc;
import tandem.linux.Netns;
import tandem.linux.VrrpSocket;
import tandem.node.control.ControlClient;

/**
 * The new master's adverts while it commits N replicated connections and answers 100 info requests:
 * fw1 (master, 50 ms adverts) forwards N UDP flows, fw2 replicates them; fw1 is powered off; a
 * listener on the LAN records fw2's adverts, a client asks fw2 for info 100 times meanwhile. Prints the
 * commit time, the info requests' latencies and the longest gap between adverts (Master_Down_Interval
 * of a priority-50 backup: 190 ms). Run as root:
 * {@code java -cp tandem.jar tandem.lab.bench.CommitGapBench [N] [reps]}.
 */
public final class CommitGapBench {
    private CommitGapBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 200_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<Long> maxGaps = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            Lab lab = new Lab("bgap");
            lab.destroy();
            try {
                lab.create();
                maxGaps.add(once(lab, n, r + 1));
            } finally {
                lab.destroy();
            }
        }
        Collections.sort(maxGaps);
        System.out.printf(Locale.ROOT, "%nlongest advert gap during a commit of %d entries: median %d ms (all: %s)%n", n,
            maxGaps.get(maxGaps.size() / 2), maxGaps);
    }

    static long once(Lab lab, int n, int rep) throws Exception {
        LabRunner runner = new LabRunner(lab, System.out);
        Duration interval = Duration.ofMillis(50);
        lab.startTandem("fw1", lab.writeConfig("fw1.yaml", lab.tandemConfig("fw1", 150, interval, true)));
        lab.startTandem("fw2", lab.writeConfig("fw2.yaml", lab.tandemConfig("fw2", 100, interval, true)));
        runner.awaitMaster("fw1", Duration.ofSeconds(10));
        runner.awaitSynchronized("fw2", Duration.ofSeconds(10));
        lab.manyUdpFlows(n);
        long end = System.nanoTime() + 60_000_000_000L;
        while (((Number) ControlClient.requestMap(lab.socket("fw2"), "conntrack-stats").get("cache_entries")).intValue() < n) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("fw2 did not replicate " + n + " flows within 60 s");
            }
            Thread.sleep(200);
        }
        List<Long> adverts = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean listening = new AtomicBoolean(true);
        VrrpSocket socket = Netns.call(lab.ns("client"), () -> VrrpSocket.open("eth0", Libc.ifNameToIndex("eth0"), false,
            InetAddress.getByName("192.0.2.100")));
        InetAddress fw2 = InetAddress.getByName("192.0.2.3");
        Thread rx = Thread.ofPlatform().start(() -> {
            while (listening.get()) {
                VrrpSocket.Packet p = socket.receive();
                if (p != null && fw2.equals(p.source())) {
                    adverts.add(System.nanoTime());
                }
            }
        });
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        try {
            runner.powerOff("fw1");
            Thread infos = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 100; i++) {
                    long t0 = System.nanoTime();
                    try {
                        ControlClient.info(lab.socket("fw2"));
                        latencies.add((System.nanoTime() - t0) / 1e6);
                    } catch (Exception e) {
                        latencies.add(-1.0);
                    }
                }
            });
            runner.awaitMaster("fw2", Duration.ofSeconds(20), false);
            infos.join();
            Thread.sleep(200);
        } finally {
            listening.set(false);
            rx.join();
            socket.close();
        }
        long maxGap = 0;
        for (int i = 1; i < adverts.size(); i++) {
            maxGap = Math.max(maxGap, (adverts.get(i) - adverts.get(i - 1)) / 1_000_000);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("committed (\\d+) entries .* in (\\d+) ms")
            .matcher(lab.logTail("fw2"));
        List<Double> sorted = new ArrayList<>(latencies);
        sorted.sort(null);
        System.out.printf(Locale.ROOT, "rep %d: commit %s, %d adverts from fw2, longest gap %d ms; info: %d answered,"
                + " median %.1f ms, max %.1f ms%n", rep, m.find() ? m.group(1) + " entries in " + m.group(2) + " ms" : "?",
            adverts.size(), maxGap, sorted.stream().filter(x -> x >= 0).count(), sorted.get(sorted.size() / 2),
            sorted.getLast());
        return maxGap;
    }
}
