package tandem.services;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills the process groups of the services when the JVM dies, however it dies (SIGKILL, OOM killer,
 * a crash). The guardian is one small {@code /bin/sh} child that reads group ids from a pipe whose
 * only writer is this JVM ("+ PGID" registers, "- PGID" forgets); when the JVM is gone the kernel
 * closes the pipe, the guardian reads end-of-file and sends KILL to every group still registered,
 * then exits. It ignores INT, HUP, TERM and QUIT, so a Ctrl-C meant for a foreground tandem does
 * not take it down first.
 *
 * <p>Each service leader also carries {@code setpriv --pdeathsig KILL}, so it dies with the JVM even
 * if the guardian was killed too; the guardian is what also takes the leader's children. Children
 * that left the process group (setsid, double fork) are outside both: under systemd the cgroup of
 * tandem.service catches those (KillMode=control-group).
 */
final class Guardian {
    static final Guardian INSTANCE = new Guardian();
    private static final Logger LOG = LoggerFactory.getLogger("tandem.services");
    private static final String SCRIPT = """
        trap '' INT HUP TERM QUIT PIPE
        g=' '
        while read -r op id; do
          case "$op" in
            +) g="$g$id " ;;
            -) n=' '; for x in $g; do [ "$x" = "$id" ] || n="$n$x "; done; g=$n ;;
          esac
        done
        for x in $g; do kill -s KILL -- "-$x" "$x" 2>/dev/null; done
        """;

    private final Set<Long> groups = new LinkedHashSet<>();
    private Process process;
    private OutputStream pipe;

    private Guardian() {
    }

    /** Registers a process group to be killed if the JVM dies. */
    synchronized void register(long pgid) {
        groups.add(pgid);
        send("+ " + pgid);
    }

    /** Forgets a process group (it ended, or was handed over to a stop command). */
    synchronized void unregister(long pgid) {
        if (groups.remove(pgid) && process != null && process.isAlive()) {
            send("- " + pgid);
        }
    }

    /** The guardian's pid, or -1 before the first registration. */
    synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    synchronized List<Long> registered() {
        return List.copyOf(groups);
    }

    private void send(String line) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                if (process == null || !process.isAlive()) {
                    startGuardian();
                    return; // startGuardian sent every registered group, this one included
                }
                pipe.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                pipe.flush();
                return;
            } catch (IOException e) {
                LOG.warn("service guardian: {}; starting a new one", e.getMessage());
                process = null;
            }
        }
        LOG.error("service guardian cannot be started: the services will not be killed if tandem is killed");
    }

    private void startGuardian() throws IOException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", SCRIPT, "tandem-service-guardian")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .directory(new java.io.File("/"));
        process = Spawner.spawn(pb);
        pipe = process.getOutputStream();
        StringBuilder all = new StringBuilder();
        for (long g : groups) {
            all.append("+ ").append(g).append('\n');
        }
        pipe.write(all.toString().getBytes(StandardCharsets.US_ASCII));
        pipe.flush();
        LOG.debug("service guardian started (pid {})", process.pid());
    }
}
