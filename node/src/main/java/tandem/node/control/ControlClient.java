package tandem.node.control;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/** Asks a running daemon over its control socket. */
public final class ControlClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ControlClient() {
    }

    /** The JSON text of the daemon's info snapshot. */
    public static String infoJson(Path socket) throws IOException {
        return request(socket, "info");
    }

    /** Sends one request line (info, conntrack-stats, conntrack-cache) and returns the JSON reply. */
    public static String request(Path socket, String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8).trim();
        }
    }

    public static Map<String, Object> requestMap(Path socket, String request) throws IOException {
        return parse(request(socket, request));
    }

    /** A reply as a map; a reply {"error": ...} as the exception. */
    public static Map<String, Object> parse(String reply) throws IOException {
        Map<String, Object> m = JSON.readValue(reply, new TypeReference<>() { });
        if (m.containsKey("error")) {
            throw new IOException(String.valueOf(m.get("error")));
        }
        return m;
    }

    public static Map<String, Object> info(Path socket) throws IOException {
        Map<String, Object> m = JSON.readValue(infoJson(socket), new TypeReference<>() { });
        if (m.containsKey("error")) {
            throw new IOException(String.valueOf(m.get("error")));
        }
        return m;
    }
}
