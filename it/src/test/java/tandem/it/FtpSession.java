package tandem.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import tandem.lab.Lab;
import tandem.linux.Netns;

/**
 * A small FTP client for the lab tests (RFC 959, active mode): the control connection and the data
 * listener are opened inside the client namespace from a chosen address, so a test decides when each
 * step crosses the cluster - e.g. PORT before a failover, RETR after it.
 */
final class FtpSession implements AutoCloseable {
    private final Lab lab;
    private final String address;
    private final Socket control;
    private final BufferedReader in;
    private final OutputStream out;
    private ServerSocket listener;

    private FtpSession(Lab lab, String address, Socket control) throws IOException {
        this.lab = lab;
        this.address = address;
        this.control = control;
        this.control.setSoTimeout(10_000);
        this.in = new BufferedReader(new InputStreamReader(control.getInputStream(), StandardCharsets.US_ASCII));
        this.out = control.getOutputStream();
    }

    /** Connects from {@code address} (on the client) to the lab's FTP server and logs in anonymously. */
    static FtpSession login(Lab lab, String address) throws Exception {
        Socket s = Netns.call(lab.ns("client"), () -> {
            Socket c = new Socket();
            c.bind(new InetSocketAddress(address, 0));
            c.connect(new InetSocketAddress(Lab.SERVER, 21), 5000);
            return c;
        });
        FtpSession f = new FtpSession(lab, address, s);
        f.expect(f.reply(), "220");
        f.expect(f.command("USER anonymous"), "331", "230");
        if (f.last.startsWith("331")) {
            f.expect(f.command("PASS tandem@"), "230");
        }
        f.expect(f.command("TYPE I"), "200");
        return f;
    }

    private String last = "";

    /** Sends a command, returns the final line of the reply. */
    String command(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    /** Reads one reply (multi-line replies up to their last line "NNN text"). */
    String reply() throws IOException {
        String l = in.readLine();
        if (l == null) {
            throw new IOException("FTP control connection closed (expected: a reply)");
        }
        if (l.length() > 3 && l.charAt(3) == '-') {
            String end = l.substring(0, 3) + " ";
            while (l != null && !l.startsWith(end)) {
                l = in.readLine();
            }
        }
        last = l;
        return l;
    }

    private void expect(String reply, String... codes) throws IOException {
        for (String c : codes) {
            if (reply.startsWith(c)) {
                return;
            }
        }
        throw new IOException("FTP reply: \"" + reply + "\" (expected: " + String.join(" or ", codes) + ")");
    }

    /**
     * Listens on the client and announces it with PORT: the firewall's FTP helper rewrites the address
     * to the VIP and expects the server's data connection.
     *
     * @return the announced port
     */
    int announcePort() throws Exception {
        listener = Netns.call(lab.ns("client"), () -> new ServerSocket(0, 1, InetAddress.getByName(address)));
        listener.setSoTimeout(10_000);
        int p = listener.getLocalPort();
        expect(command("PORT " + address.replace('.', ',') + "," + (p >> 8) + "," + (p & 0xff)), "200");
        return p;
    }

    /** RETR over the announced port: waits for the server's data connection and reads the file. */
    byte[] retrieve(String path) throws Exception {
        expect(command("RETR " + path), "150", "125");
        byte[] data;
        try (Socket d = listener.accept(); InputStream is = d.getInputStream()) {
            data = is.readAllBytes();
        } finally {
            listener.close();
        }
        expect(reply(), "226");
        return data;
    }

    /** Starts RETR over the announced port and returns the accepted data connection's stream. */
    Socket startRetrieve(String path) throws Exception {
        expect(command("RETR " + path), "150", "125");
        try {
            return listener.accept();
        } finally {
            listener.close();
        }
    }

    /** The reply after a data transfer: 226 when it completed. */
    String transferReply() throws IOException {
        return reply();
    }

    @Override
    public void close() throws IOException {
        if (listener != null) {
            listener.close();
        }
        control.close();
    }
}
