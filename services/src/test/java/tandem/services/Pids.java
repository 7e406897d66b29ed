package tandem.services;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helpers for processes: pids written by test scripts, liveness as /proc sees it. */
final class Pids {
    private Pids() {
    }

    /** The pids in a file (one per line), or none while it does not exist yet. */
    static List<Long> read(Path file) {
        try {
            List<Long> out = new ArrayList<>();
            for (String l : Files.readAllLines(file)) {
                if (!l.isBlank()) {
                    out.add(Long.parseLong(l.trim()));
                }
            }
            return out;
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

    static boolean anyAlive(List<Long> pids) {
        return pids.stream().anyMatch(Procs::alive);
    }

    static boolean allAlive(List<Long> pids) {
        return !pids.isEmpty() && pids.stream().allMatch(Procs::alive);
    }
}
