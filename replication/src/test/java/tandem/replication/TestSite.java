package tandem.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import tandem.replication.apply.Bundle;
import tandem.replication.apply.NodeStatus;
import tandem.replication.apply.Receiver;
import tandem.replication.apply.SharedConfigParser;
import tandem.replication.model.Exceptions;
import tandem.replication.model.ReplicatedItem;
import tandem.replication.model.ReplicationSet;

/**
 * A node in a test: a root directory standing for "/", a state directory, and a shared configuration in
 * a small line format the tests' {@link #PARSER} reads:
 * <pre>
 *   file /etc/nftables.conf :: check command :: apply command
 *   dir /etc/ipsec.d
 * </pre>
 * Commands run with the root as working directory, so they name files relative to it.
 */
public final class TestSite {
    public static final String SHARED = "etc/tandem/shared.conf";
    public static final String VERSION = "0.3.0";

    /** The tests' shared configuration format: "file|dir /path [:: check [:: apply]]" per line, # comments. */
    public static final SharedConfigParser PARSER = text -> {
        List<ReplicatedItem> items = new ArrayList<>();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("::", -1);
            String[] head = parts[0].strip().split("\\s+");
            if (head.length != 2 || !(head[0].equals("file") || head[0].equals("dir"))) {
                throw new IllegalArgumentException("line " + n + ": " + line.strip() + " (expected: file|dir /path [:: check [:: apply]])");
            }
            items.add(new ReplicatedItem(Path.of(head[1]), head[0].equals("dir"), parts.length > 1 ? parts[1] : null,
                parts.length > 2 ? parts[2] : null));
        }
        return items;
    };

    public final Path root;
    public final Path state;
    public final String node;
    public Exceptions exceptions = Exceptions.none();

    public TestSite(Path dir, String node) {
        this.node = node;
        this.root = dir.resolve(node + "-root");
        this.state = dir.resolve(node + "-state");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public TestSite write(String rel, String content) {
        return write(rel, content, "rw-r--r--");
    }

    public TestSite write(String rel, String content, String mode) {
        try {
            Path p = root.resolve(rel);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public TestSite shared(String... lines) {
        return write(SHARED, String.join("\n", lines) + "\n");
    }

    public String read(String rel) {
        try {
            return Files.readString(root.resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String mode(String rel) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(rel)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean exists(String rel) {
        return Files.exists(root.resolve(rel), LinkOption.NOFOLLOW_LINKS);
    }

    public void delete(String rel) {
        try {
            Files.delete(root.resolve(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The items of this node's shared configuration. */
    public ReplicationSet set() {
        try {
            return new ReplicationSet(root, SHARED, PARSER.items(read(SHARED)), exceptions);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public Receiver.Settings settings() {
        return new Receiver.Settings(state, root, SHARED, PARSER, exceptions, node, VERSION);
    }

    public Receiver receiver() throws IOException, InterruptedException {
        return Receiver.open(settings());
    }

    /** A replication facade without a client: for bundles. */
    public Replication replication() {
        return new Replication(set(), node, VERSION, null);
    }

    /** The bundle that brings {@code to} to this node's files (what differs from its status). */
    public Bundle bundleFor(NodeStatus to) throws IOException {
        Replication r = replication();
        return r.bundle(to, r.manifest(), false);
    }
}
