package tandem.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * systemd's readiness protocol (sd_notify(3)): one datagram to the AF_UNIX socket named by
 * {@code $NOTIFY_SOCKET}, e.g. "READY=1". Does nothing when the variable is unset (not under systemd).
 */
public final class SdNotify {
    private SdNotify() {
    }

    /** @return true when a message was sent */
    public static boolean notify(String state) {
        String path = System.getenv("NOTIFY_SOCKET");
        if (path == null || path.isEmpty()) {
            return false;
        }
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        if (name.length > 107) {
            throw new IllegalArgumentException("NOTIFY_SOCKET: " + name.length + " octets (expected: at most 107)");
        }
        if (name[0] == '@') {
            name[0] = 0; // abstract namespace
        }
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM, 0, "sd_notify");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment addr = a.allocate(2 + name.length, 2);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_UNIX);
            MemorySegment.copy(name, 0, addr, ValueLayout.JAVA_BYTE, 2, name.length);
            byte[] msg = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment buf = a.allocate(msg.length);
            MemorySegment.copy(msg, 0, buf, ValueLayout.JAVA_BYTE, 0, msg.length);
            Libc.sendto(fd, buf, msg.length, addr, "sd_notify " + path);
            return true;
        } finally {
            Libc.close(fd);
        }
    }
}
