package tandem.replication.hotwire;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The framing of the tandem-sync subsystem: every frame is an 8-octet header and a payload.
 * <pre>
 *   'T' 'R' | version u8 (1) | type u8 (1 JSON, 2 DATA) | length u32 big-endian | payload
 * </pre>
 * JSON: one {@link Message} (UTF-8). DATA: a piece of the current file's content. A length above the
 * limit (default 64 MiB) is refused from the header, before anything is allocated.
 */
public final class Frames {
    public static final byte MAGIC_0 = 'T';
    public static final byte MAGIC_1 = 'R';
    public static final int VERSION = 1;
    public static final int JSON = 1;
    public static final int DATA = 2;
    public static final int HEADER = 8;
    /** DATA frames a sender writes carry at most this much. */
    public static final int CHUNK = 1 << 20;

    /** Field names from a peer are neither interned nor kept in a shared symbol table (junk names would pile up there). */
    static final ObjectMapper MAPPER = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build())
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
            .maxStringLength(Integer.MAX_VALUE).maxNestingDepth(64).build());
    }

    private static final com.fasterxml.jackson.databind.ObjectReader READER = MAPPER.readerFor(Message.class);

    /** A frame: its type and payload. */
    public record Frame(int type, byte[] payload) {
    }

    private Frames() {
    }

    // ------------------------------------------------------------------------------------- encoding

    public static byte[] encode(Message m) {
        try {
            return frame(JSON, MAPPER.writeValueAsBytes(m));
        } catch (JacksonException e) {
            throw new IllegalStateException("message " + m.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    public static byte[] frame(int type, byte[] payload) {
        byte[] b = new byte[HEADER + payload.length];
        header(b, type, payload.length);
        System.arraycopy(payload, 0, b, HEADER, payload.length);
        return b;
    }

    static void header(byte[] b, int type, int length) {
        b[0] = MAGIC_0;
        b[1] = MAGIC_1;
        b[2] = VERSION;
        b[3] = (byte) type;
        b[4] = (byte) (length >>> 24);
        b[5] = (byte) (length >>> 16);
        b[6] = (byte) (length >>> 8);
        b[7] = (byte) length;
    }

    public static void write(OutputStream out, Message m) throws IOException {
        out.write(encode(m));
        out.flush();
    }

    public static void writeData(OutputStream out, byte[] buf, int off, int len) throws IOException {
        byte[] h = new byte[HEADER];
        header(h, DATA, len);
        out.write(h);
        out.write(buf, off, len);
    }

    // ------------------------------------------------------------------------------------- decoding

    /** The next frame, or null at the end of the stream between frames; a frame cut short throws. */
    public static Frame read(InputStream in, int maxFrame) throws IOException, ProtocolException {
        byte[] h = new byte[HEADER];
        int n = in.readNBytes(h, 0, HEADER);
        if (n == 0) {
            return null;
        }
        if (n < HEADER) {
            throw new ProtocolException("frame header: " + n + " octets before the end of the stream (expected: " + HEADER + ")");
        }
        long length = checkHeader(h, 0, maxFrame);
        byte[] payload = in.readNBytes((int) length);
        if (payload.length < length) {
            throw new ProtocolException("frame: " + payload.length + " octets of payload before the end of the stream (expected: "
                + length + ")");
        }
        return new Frame(h[3], payload);
    }

    /** Checks the header at {@code off}; returns the payload length. */
    static long checkHeader(byte[] h, int off, int maxFrame) throws ProtocolException {
        if (h[off] != MAGIC_0 || h[off + 1] != MAGIC_1) {
            throw new ProtocolException(String.format("frame magic: 0x%02x%02x (expected: 0x5452, \"TR\": is this a tandem-sync peer?)",
                h[off] & 0xff, h[off + 1] & 0xff));
        }
        if (h[off + 2] != VERSION) {
            throw new ProtocolException("protocol version: " + (h[off + 2] & 0xff) + " (expected: " + VERSION
                + "; both nodes must run a tandem that speaks it)");
        }
        int type = h[off + 3];
        if (type != JSON && type != DATA) {
            throw new ProtocolException("frame type: " + (type & 0xff) + " (expected: 1 JSON or 2 DATA)");
        }
        long length = ((h[off + 4] & 0xffL) << 24) | ((h[off + 5] & 0xffL) << 16) | ((h[off + 6] & 0xffL) << 8) | (h[off + 7] & 0xffL);
        if (length > maxFrame) {
            throw new ProtocolException("frame length: " + length + " octets (expected: at most " + maxFrame + ")");
        }
        return length;
    }

    /** The message of a JSON frame. */
    public static Message message(Frame f) throws ProtocolException {
        if (f.type() != JSON) {
            throw new ProtocolException("frame type: DATA (expected: a JSON message here)");
        }
        return parse(f.payload());
    }

    /** A JSON payload as a {@link Message}; anything else throws {@link ProtocolException}. */
    public static Message parse(byte[] json) throws ProtocolException {
        if (json.length < 2 || json[0] != '{' || json[json.length - 1] != '}') {
            throw new ProtocolException("message: " + json.length + " octets not enclosed in { } (expected: a JSON object)");
        }
        try {
            Message m = READER.readValue(json);
            if (m == null) {
                throw new ProtocolException("message: null (expected: a JSON object with a type)");
            }
            return m;
        } catch (ProtocolException e) {
            throw e;
        } catch (JacksonException e) {
            throw new ProtocolException("message: " + firstLine(e.getOriginalMessage()) + " (expected: a valid JSON message)", e);
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException("message: " + firstLine(String.valueOf(e.getMessage()))
                + " (expected: a valid JSON message)", e);
        }
    }

    /**
     * One whole frame in {@code b} (header, payload, nothing after it) decoded: its message, or null for a
     * DATA frame. What the fuzz test feeds.
     */
    public static Message decode(byte[] b, int maxFrame) throws ProtocolException {
        if (b.length < HEADER) {
            throw new ProtocolException("frame: " + b.length + " octets (expected: at least the " + HEADER + "-octet header)");
        }
        long length = checkHeader(b, 0, maxFrame);
        if (b.length - HEADER != length) {
            throw new ProtocolException("frame: " + (b.length - HEADER) + " octets of payload (expected: " + length + ")");
        }
        if (b[3] == DATA) {
            return null;
        }
        byte[] json = new byte[(int) length];
        System.arraycopy(b, HEADER, json, 0, json.length);
        return parse(json);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        String t = nl < 0 ? s : s.substring(0, nl);
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }

    /** Reads the next frame, which must be a JSON message (EOF here throws). */
    public static Message readMessage(InputStream in, int maxFrame) throws IOException, ProtocolException {
        Frame f = read(in, maxFrame);
        if (f == null) {
            throw new EOFException("the peer closed the channel (expected: a message)");
        }
        return message(f);
    }
}
