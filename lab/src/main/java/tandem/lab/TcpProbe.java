package tandem.lab;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import tandem.linux.Netns;

/**
 * A long-lived TCP stream client to server through the cluster (routed, SNAT'd to the WAN VIP): the
 * client sends a counter every 5 ms, the server echoes it; the probe records when each echo arrives.
 * Sockets are created inside the namespaces (setns), so the test JVM drives real traffic.
 */
public final class TcpProbe implements AutoCloseable {
    private final ServerSocket server;
    private final Socket client;
    private Socket accepted;
    private final List<Double> echoes = new ArrayList<>();
    private final Thread writer;
    private final Thread reader;
    private final Thread echo;
    private volatile boolean running = true;
    private volatile String failure;
    private final int serverSeenPort;

    public TcpProbe(Lab lab, int port) {
        try {
            server = Netns.call(lab.ns("server"), () -> new ServerSocket(port, 5, InetAddress.getByName(Lab.SERVER)));
            client = Netns.call(lab.ns("client"), () -> {
                Socket s = new Socket();
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(Lab.SERVER, port), 5000);
                return s;
            });
            accepted = server.accept();
            accepted.setTcpNoDelay(true);
        } catch (Exception e) {
            close();
            throw new LabException("TCP probe: cannot connect client to " + Lab.SERVER + ":" + port + ": " + e);
        }
        serverSeenPort = accepted.getPort();
        echo = Thread.ofPlatform().daemon().name("tcp-echo").start(() -> {
            try (DataInputStream in = new DataInputStream(accepted.getInputStream());
                 DataOutputStream out = new DataOutputStream(accepted.getOutputStream())) {
                while (running) {
                    out.writeLong(in.readLong());
                    out.flush();
                }
            } catch (IOException e) {
                fail("server side: " + e.getMessage());
            }
        });
        reader = Thread.ofPlatform().daemon().name("tcp-reader").start(() -> {
            try (DataInputStream in = new DataInputStream(client.getInputStream())) {
                while (running) {
                    in.readLong();
                    synchronized (echoes) {
                        echoes.add(FailoverProbe.now());
                    }
                }
            } catch (IOException e) {
                fail("client side: " + e.getMessage());
            }
        });
        writer = Thread.ofPlatform().daemon().name("tcp-writer").start(() -> {
            try {
                DataOutputStream out = new DataOutputStream(client.getOutputStream());
                for (long i = 0; running; i++) {
                    out.writeLong(i);
                    out.flush();
                    Thread.sleep(5);
                }
            } catch (IOException e) {
                fail("client send: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private void fail(String why) {
        if (running && failure == null) {
            failure = why;
        }
    }

    /** The client port the server sees (the translated source port). */
    public int translatedPort() {
        return serverSeenPort;
    }

    /** The error that ended the stream, or null while it runs. */
    public String failure() {
        return failure;
    }

    public double lastEcho() {
        synchronized (echoes) {
            return echoes.isEmpty() ? 0 : echoes.getLast();
        }
    }

    /** Longest gap (ms) between consecutive echoes ending in [from, to], counting a stall until {@code to}. */
    public double longestGapMs(double from, double to) {
        double gap = 0;
        synchronized (echoes) {
            for (int i = 1; i < echoes.size(); i++) {
                if (echoes.get(i) >= from && echoes.get(i - 1) <= to) {
                    gap = Math.max(gap, echoes.get(i) - echoes.get(i - 1));
                }
            }
            if (!echoes.isEmpty() && echoes.getLast() < to) {
                gap = Math.max(gap, to - Math.max(from, echoes.getLast()));
            }
        }
        return gap * 1000;
    }

    /** Whether echoes arrived within the last {@code ms}. */
    public boolean flowing(double ms) {
        return FailoverProbe.now() - lastEcho() < ms / 1000;
    }

    @Override
    public void close() {
        running = false;
        for (AutoCloseable c : new AutoCloseable[] {client, accepted, server}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing
            }
        }
    }
}
