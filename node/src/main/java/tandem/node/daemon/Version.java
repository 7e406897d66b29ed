package tandem.node.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This build's tandem version, as a node tells its peers (a receiver refuses a newer sender's files). */
public final class Version {
    private static final String BUILT = read();

    private Version() {
    }

    /**
     * The version: the build's, unless the system property {@code tandem.version} names another (the lab's
     * tests run a node as an older version with it).
     */
    public static String current() {
        String override = System.getProperty("tandem.version");
        return override != null && !override.isBlank() ? override.strip() : BUILT;
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("/tandem/node/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty("version", "0.0.0");
            return v.startsWith("$") ? "0.0.0" : v;
        } catch (IOException e) {
            return "0.0.0";
        }
    }
}
