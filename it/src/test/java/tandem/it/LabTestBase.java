package tandem.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import tandem.lab.Lab;
import tandem.lab.LabRunner;
import tandem.lab.Sh;

/** Each test gets its own freshly built lab with a random prefix; it is removed even when the test fails. */
abstract class LabTestBase {
    protected Lab lab;
    protected LabRunner runner;

    /** Labs of an earlier test run that was killed (its JVM is gone) are removed first. */
    @org.junit.jupiter.api.BeforeAll
    static void sweepAbandonedLabs() {
        List<String> swept = Lab.sweepAbandoned();
        if (!swept.isEmpty()) {
            System.out.println("removed labs left by a killed test run: " + swept);
        }
    }

    @BeforeEach
    void buildLab() {
        String prefix = "t" + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36), 36);
        lab = new Lab(prefix);
        lab.create();
        lab.ownedBy(ProcessHandle.current().pid());
        runner = new LabRunner(lab, System.out);
    }

    @AfterEach
    void removeLab(org.junit.jupiter.api.TestInfo test) throws IOException {
        if (lab == null) {
            return;
        }
        try {
            java.nio.file.Path keep = java.nio.file.Path.of("target", "lab-logs",
                test.getTestClass().map(Class::getSimpleName).orElse("") + "." + test.getDisplayName()
                    .replaceAll("[^A-Za-z0-9._-]+", "_"));
            java.nio.file.Files.createDirectories(keep);
            try (var files = java.nio.file.Files.list(lab.dir())) {
                for (java.nio.file.Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                    java.nio.file.Files.copy(f, keep.resolve(f.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } finally {
            lab.destroy();
        }
    }

    /** A one-instance tandem configuration. */
    String single(String fw, int priority, String body) {
        return lab.configHeader(fw, priority) + "  - name: vr\n" + body.indent(4);
    }

    Map<String, Object> info(String fw) {
        try {
            return lab.info(fw);
        } catch (IOException e) {
            throw new AssertionError("no info from " + fw + ": " + e.getMessage() + "\n" + lab.logTail(fw), e);
        }
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> instance(String fw, String name) {
        return ((List<Map<String, Object>>) info(fw).get("instances")).stream()
            .filter(i -> i.get("name").equals(name)).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> channel(String fw, String ifname) {
        return ((List<Map<String, Object>>) info(fw).get("channels")).stream()
            .filter(i -> i.get("interface").equals(ifname)).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    long drops(Map<String, Object> m, String reason) {
        return ((Number) ((Map<String, Object>) m.get("drops")).get(reason)).longValue();
    }

    @SuppressWarnings("unchecked")
    long totalDrops(Map<String, Object> m) {
        return ((Map<String, Object>) m.get("drops")).values().stream().mapToLong(v -> ((Number) v).longValue()).sum();
    }

    String clusterState(String fw) {
        return (String) info(fw).get("cluster_state");
    }

    void awaitAddress(String fw, String ifname, String address, boolean present, Duration max) {
        await().atMost(max).pollInterval(Duration.ofMillis(20)).until(() -> lab.hasAddress(fw, ifname, address) == present);
    }

    static void signal(long pid, String sig) {
        Sh.run("kill", "-" + sig, Long.toString(pid));
    }
}
