package tandem.services;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A byte relay from a unix socket to another, run by {@link PrivateSystemd} inside the private
 * systemd's PID namespace: systemd accepts a connection on its API socket only from a peer whose
 * pid it can see (from outside its PID namespace the peer's pid reads as 0 and systemd refuses with
 * "Incoming private connection from unprivileged client, refusing: No data available"). The D-Bus
 * conversation itself passes through unchanged.
 */
public final class UnixRelayMain {
    private UnixRelayMain() {
    }

    public static void main(String[] args) throws IOException {
        Path listen = Path.of(args[0]);
        UnixDomainSocketAddress target = UnixDomainSocketAddress.of(args[1]);
        Files.deleteIfExists(listen);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(listen));
            System.out.println("relaying");
            System.out.flush();
            while (true) {
                SocketChannel in = server.accept();
                SocketChannel out = SocketChannel.open(target);
                Thread.ofVirtual().start(() -> copy(in, out));
                Thread.ofVirtual().start(() -> copy(out, in));
            }
        }
    }

    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer b = ByteBuffer.allocate(65536);
        try {
            while (from.read(b) >= 0) {
                b.flip();
                while (b.hasRemaining()) {
                    to.write(b);
                }
                b.clear();
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
