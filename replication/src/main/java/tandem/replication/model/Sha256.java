package tandem.replication.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 as lower-case hex (the JDK's MessageDigest). */
public final class Sha256 {
    private static final HexFormat HEX = HexFormat.of();

    private Sha256() {
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256: not available (expected: every JDK has it)", e);
        }
    }

    public static String hex(byte[] data) {
        return HEX.formatHex(digest().digest(data));
    }

    public static String hex(String text) {
        return hex(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String hex(MessageDigest d) {
        return HEX.formatHex(d.digest());
    }

    /** The file's hash; {@code size} is filled with the octets read. */
    public static String of(Path file, long[] size) throws IOException {
        MessageDigest d = digest();
        long n = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = in.read(buf)) > 0; ) {
                d.update(buf, 0, r);
                n += r;
            }
        }
        if (size != null) {
            size[0] = n;
        }
        return hex(d);
    }

    /** True for 64 lower-case hex digits. */
    public static boolean valid(String s) {
        if (s == null || s.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
