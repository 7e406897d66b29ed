package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service and its children do not outlive a SIGKILLed supervising JVM. */
class KilledHostTest {
    @TempDir
    Path dir;

    @Test
    void noProcessOfAServiceIsLeftAfterTheSupervisingJvmIsKilled() throws Exception {
        Path pids = dir.resolve("pids");
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> cp = new ArrayList<>();
        for (String prop : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(prop);
            if (v != null && !v.isBlank()) {
                cp.add(v);
            }
        }
        cp.add(Path.of("target/test-classes").toAbsolutePath().toString());
        cp.add(Path.of("target/classes").toAbsolutePath().toString());
        Process jvm = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", String.join(File.pathSeparator, cp),
            KilledHostMain.class.getName(), pids.toString())
            .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream()));
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.startsWith("running")) {
                seen.append(line).append('\n');
            }
            assertThat(line).as("the child JVM said: %s", seen).isNotNull();
            long guardian = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
            await().until(() -> Pids.read(pids).size() == 3 && Pids.allAlive(Pids.read(pids)));
            List<Long> service = Pids.read(pids);
            assertThat(Procs.alive(guardian)).isTrue();

            jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            jvm.waitFor();

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(service).noneMatch(Procs::alive));
            await().atMost(Duration.ofSeconds(10)).until(() -> !Procs.alive(guardian)); // its work done, it exits
        } finally {
            jvm.destroyForcibly();
        }
    }
}
