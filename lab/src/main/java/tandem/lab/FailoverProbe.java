package tandem.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pings the server from the client every 5 ms through the cluster (routed and SNAT'd) and measures
 * the data-path gap: the longest time between two consecutive echo replies inside a window.
 */
public final class FailoverProbe implements AutoCloseable {
    private static final Pattern REPLY = Pattern.compile("^\\[(\\d+\\.\\d+)] \\d+ bytes from .*icmp_seq=(\\d+)");
    private final Process ping;
    private final List<double[]> replies = new ArrayList<>();
    private final Thread reader;
    private volatile int sent;

    public FailoverProbe(Lab lab, String target) {
        try {
            ping = new ProcessBuilder("ip", "netns", "exec", lab.ns("client"), "ping", "-n", "-D", "-i", "0.005",
                "-W", "1", target).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new LabException("cannot start ping: " + e.getMessage());
        }
        reader = Thread.ofPlatform().daemon().start(() -> {
            try (var r = ping.inputReader(StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = REPLY.matcher(line);
                    if (m.find()) {
                        synchronized (replies) {
                            replies.add(new double[] {Double.parseDouble(m.group(1)), Integer.parseInt(m.group(2))});
                        }
                    }
                    Matcher t = Pattern.compile("(\\d+) packets transmitted").matcher(line);
                    if (t.find()) {
                        sent = Integer.parseInt(t.group(1));
                    }
                }
            } catch (IOException e) {
                // ping ended
            }
        });
    }

    /** Wall-clock seconds, the same clock as ping's -D timestamps. */
    public static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Waits until replies flow (a reply within the last 100 ms) or throws after {@code seconds}. */
    public void awaitFlowing(double seconds) {
        double end = now() + seconds;
        while (now() < end) {
            synchronized (replies) {
                if (!replies.isEmpty() && now() - replies.getLast()[0] < 0.1) {
                    return;
                }
            }
            Lab.sleep(20);
        }
        throw new LabException("no ICMP echo replies through the cluster within " + seconds + " s");
    }

    /** Longest gap in milliseconds between consecutive replies whose later one is in [from, to]. */
    public double longestGapMs(double from, double to) {
        double gap = 0;
        synchronized (replies) {
            for (int i = 1; i < replies.size(); i++) {
                double t = replies.get(i)[0];
                if (t >= from && replies.get(i - 1)[0] <= to) {
                    gap = Math.max(gap, t - replies.get(i - 1)[0]);
                }
            }
            if (!replies.isEmpty() && replies.getLast()[0] < to) {
                gap = Math.max(gap, to - Math.max(from, replies.getLast()[0]));
            }
        }
        return gap * 1000.0;
    }

    public int replies() {
        synchronized (replies) {
            return replies.size();
        }
    }

    public int sent() {
        return sent;
    }

    @Override
    public void close() {
        ping.toHandle().children().forEach(ProcessHandle::destroy);
        Sh.quiet("pkill", "-INT", "-f", "ping -n -D -i 0.005");
        ping.destroy();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
