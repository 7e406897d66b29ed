package tandem.linux;

import java.io.IOException;

/**
 * Test namespaces are named {@code <prefix><pid of the test JVM>}; {@link #sweep} removes those of a
 * prefix whose JVM is gone (left by a killed test run) before a test class makes its own.
 */
public final class TestNamespace {
    private TestNamespace() {
    }

    public static void sweep(String prefix) throws IOException, InterruptedException {
        for (String line : run("ip", "netns", "list").split("\n")) {
            String ns = line.split(" ")[0];
            if (ns.startsWith(prefix) && ns.substring(prefix.length()).matches("\\d+")) {
                long pid = Long.parseLong(ns.substring(prefix.length()));
                if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    run("ip", "netns", "del", ns);
                }
            }
        }
    }

    public static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
        return out;
    }
}
