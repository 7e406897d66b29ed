package tandem.replication;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.Bundle;
import tandem.replication.apply.Contents;
import tandem.replication.apply.NodeStatus;
import tandem.replication.apply.Outcome;
import tandem.replication.hotwire.HotwireClient;
import tandem.replication.hotwire.HotwireException;
import tandem.replication.hotwire.Message;
import tandem.replication.hotwire.Peer;
import tandem.replication.model.Exceptions;
import tandem.replication.model.Manifest;
import tandem.replication.model.ReplicationSet;
import tandem.replication.model.TandemVersion;

/**
 * What the daemon calls: this node's manifest, and per peer its state (synchronized, pending, error with
 * a reason), a push of what differs, and the differences file by file. Every call blocks on the hotwire
 * (bounded by the client's limits): call it from a worker thread, never from the VRRP loop.
 *
 * <p>Comparisons leave out the exceptions of both nodes (paths one node keeps to itself are neither
 * sent, nor deleted for their absence, nor counted as a difference). A push is reported synchronized
 * only when a STATUS after it shows the peer's files equal to this node's: never on the strength of the
 * push alone.
 */
public final class Replication {
    /** Files larger than this are not shown as a unified diff. */
    public static final int MAX_DIFF_FILE = 1 << 20;

    /** A peer's replication state, as `tandem config status` shows it. */
    public enum State {
        /** The peer's files are this node's (same hashes). */
        SYNCHRONIZED,
        /** Reachable, trusted, different: a push would bring it in line. */
        PENDING,
        /** Unreachable, key not trusted, version conflict, or its last transaction failed: see the reason. */
        ERROR
    }

    /**
     * A peer's state.
     *
     * @param peer        the peer's node name
     * @param state       synchronized, pending or error
     * @param reason      for people: why (what differs, what failed, what to do)
     * @param localHash   this node's manifest hash, without the peer's exceptions ("" when unknown); after a
     *                    push whose answer did not come, the hash of what was sent (the peer may have
     *                    applied it: when it reports that hash later, it holds this node's content)
     * @param peerHash    the peer's, without this node's exceptions ("" when unknown)
     * @param status      what the peer reported, or null when it could not be asked
     * @param differences what a push would change on the peer (added, changed, deleted there)
     * @param push        the result of the push this state follows, or null
     */
    public record PeerState(String peer, State state, String reason, String localHash, String peerHash, NodeStatus status,
                            Manifest.Diff differences, ApplyResult push) {
    }

    /**
     * One file that differs.
     *
     * @param path    relative to the root
     * @param change  "added" (only here: a push creates it there), "changed", "deleted" (only there: a push
     *                deletes it there)
     * @param unified a unified diff from the peer's file (a/) to this node's (b/), or a note for binary
     *                or large files
     */
    public record FileDiff(String path, String change, String unified) {
    }

    private final ReplicationSet local;
    private final String node;
    private final String version;
    private final HotwireClient client;

    public Replication(ReplicationSet local, String node, String version, HotwireClient client) {
        this.local = local;
        this.node = node;
        this.version = version;
        TandemVersion.parse(version);
        this.client = client;
    }

    /** This node's manifest now. */
    public Manifest manifest() throws IOException {
        return local.manifest();
    }

    /** The peer's state (never throws: failures are an ERROR state with the reason). */
    public PeerState status(Peer peer) {
        NodeStatus st;
        try {
            st = client.status(peer);
        } catch (HotwireException e) {
            return error(peer, e.getMessage(), null, null);
        }
        try {
            return compare(peer, st, manifest(), null);
        } catch (IOException e) {
            return error(peer, "this node's files: " + e.getMessage(), st, null);
        }
    }

    /** Pushes what differs (nothing when synchronized); the state afterwards, by a fresh STATUS. */
    public PeerState push(Peer peer) {
        return push(peer, false);
    }

    /** Pushes every file, whatever the peer has (e.g. after a restore on the peer). */
    public PeerState pushAll(Peer peer) {
        return push(peer, true);
    }

    private PeerState push(Peer peer, boolean everything) {
        ApplyResult last = null;
        Manifest sent = null;
        NodeStatus st = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            Manifest ours;
            try {
                st = client.status(peer);
            } catch (HotwireException e) {
                return error(peer, e.getMessage(), null, last);
            }
            try {
                ours = manifest();
                PeerState before = compare(peer, st, ours, null);
                if (!everything && before.state() == State.SYNCHRONIZED || versionConflict(st) != null) {
                    return before;
                }
                Bundle b = bundle(st, ours, everything);
                sent = ours;
                last = client.push(peer, b, contents());
            } catch (HotwireException e) {
                if (sent == null) {
                    return error(peer, e.getMessage(), st, last);
                }
                // the reply did not come: the peer may have applied it all the same (its power cut after the
                // apply); the hash sent lets a later comparison recognise this node's content there
                return new PeerState(peer.node(), State.ERROR, e.getMessage(), sentHash(sent, st), "", st,
                    new Manifest.Diff(List.of(), List.of(), List.of()), last);
            } catch (IOException e) {
                return error(peer, "this node's files: " + e.getMessage(), st, last);
            }
            if (last.outcome() != Outcome.BASE_CHANGED) {
                break;
            }
        }
        if (!last.ok()) {
            return error(peer, peer.node() + ": " + last.message(), null, last);
        }
        try {
            return compare(peer, client.status(peer), sent, last);
        } catch (HotwireException e) {
            // the peer applied what was sent: its hash is this node's as sent (what a later comparison starts from)
            String sentHash = sentHash(sent, st);
            return new PeerState(peer.node(), State.ERROR, "pushed (" + last.message() + "), but the status after it failed: "
                + e.getMessage(), sentHash, sentHash, null, new Manifest.Diff(List.of(), List.of(), List.of()), last);
        }
    }

    /** The hash of what was sent as the peer compares it: without the files it keeps as its own exceptions. */
    private static String sentHash(Manifest sent, NodeStatus st) {
        Exceptions theirs = Exceptions.of(st.exceptions());
        return sent.filter(p -> !theirs.matches(p)).hash();
    }

    /**
     * The bundle that makes the peer's files this node's: the files that differ from the peer's status
     * (all of them when {@code everything}), the deletions, the shared configuration, the manifest
     * without the peer's exceptions.
     */
    public Bundle bundle(NodeStatus peer, Manifest ours, boolean everything) throws IOException {
        Exceptions theirs = Exceptions.of(peer.exceptions());
        Manifest target = ours.filter(p -> !theirs.matches(p));
        String shared = local.sharedConfig();
        if (target.entry(shared) == null) {
            throw new IOException("no shared configuration at /" + shared + " on " + node + " (expected: the file to replicate)");
        }
        String text = utf8(Files.readAllBytes(local.resolve(shared)), shared);
        List<String> files = new ArrayList<>();
        for (Manifest.Entry e : target.entries()) {
            if (!e.path().equals(shared) && (everything || !e.sameAs(peer.manifest().entry(e.path())))) {
                files.add(e.path());
            }
        }
        List<String> deletions = new ArrayList<>();
        for (Manifest.Entry e : peer.manifest().entries()) {
            if (target.entry(e.path()) == null && local.declares(e.path()) && !local.exceptions().matches(e.path())) {
                deletions.add(e.path());
            }
        }
        return new Bundle(node, version, text, target, files, deletions, local.exceptions().entries());
    }

    /** The contents of this node's files, read when sent. */
    public Contents contents() {
        return (entry, out) -> {
            try (InputStream in = Files.newInputStream(local.resolve(entry.path()), LinkOption.NOFOLLOW_LINKS)) {
                in.transferTo(out);
            }
        };
    }

    /**
     * The files that differ between this node and the peer, with unified diffs (from the peer's file to
     * this node's: what a push would change there).
     */
    public List<FileDiff> diff(Peer peer) throws HotwireException, IOException {
        NodeStatus st = client.status(peer);
        Manifest ours = manifest().filter(p -> !Exceptions.of(st.exceptions()).matches(p));
        Manifest theirs = st.manifest().filter(p -> !local.exceptions().matches(p));
        Manifest.Diff d = theirs.diff(ours);
        List<String> wanted = new ArrayList<>();
        for (String p : d.changed()) {
            if (theirs.entry(p).size() <= MAX_DIFF_FILE) {
                wanted.add(p);
            }
        }
        for (String p : d.deleted()) {
            if (theirs.entry(p).size() <= MAX_DIFF_FILE) {
                wanted.add(p);
            }
        }
        Map<String, byte[]> fetched = new HashMap<>();
        if (!wanted.isEmpty()) {
            Message.FetchReply reply = client.fetch(peer, wanted, (e, in) -> fetched.put(e.path(), in.readAllBytes()));
            // the shared configuration comes as the reply's text, not among the files
            if (reply.sharedConfig() != null && wanted.contains(local.sharedConfig())) {
                fetched.put(local.sharedConfig(), reply.sharedConfig().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        List<FileDiff> out = new ArrayList<>();
        for (String p : d.added()) {
            out.add(new FileDiff(p, "added", unified(p, null, theirs.entry(p), readLocal(p, ours.entry(p)), ours.entry(p))));
        }
        for (String p : d.changed()) {
            out.add(new FileDiff(p, "changed", unified(p, fetched.get(p), theirs.entry(p), readLocal(p, ours.entry(p)), ours.entry(p))));
        }
        for (String p : d.deleted()) {
            out.add(new FileDiff(p, "deleted", unified(p, fetched.get(p), theirs.entry(p), null, null)));
        }
        out.sort((a, b) -> a.path().compareTo(b.path()));
        return out;
    }

    private byte[] readLocal(String p, Manifest.Entry e) throws IOException {
        if (e == null || e.size() > MAX_DIFF_FILE) {
            return null;
        }
        try {
            return Files.readAllBytes(local.resolve(p));
        } catch (NoSuchFileException x) {
            return null;
        }
    }

    private static String unified(String path, byte[] a, Manifest.Entry ae, byte[] b, Manifest.Entry be) {
        if (ae != null && a == null || be != null && b == null) {
            return "files differ (" + describe(ae) + " there, " + describe(be) + " here; too large to show)";
        }
        String ta = text(a);
        String tb = text(b);
        if (ta == null || tb == null) {
            return "binary files differ (" + describe(ae) + " there, " + describe(be) + " here)";
        }
        if (ta.equals(tb)) {
            return "mode " + (ae == null ? "-" : ae.modeString()) + " there, " + (be == null ? "-" : be.modeString()) + " here";
        }
        List<String> la = lines(ta);
        List<String> lb = lines(tb);
        Patch<String> patch = DiffUtils.diff(la, lb);
        List<String> lines = UnifiedDiffUtils.generateUnifiedDiff(ae == null ? "/dev/null" : "a/" + path,
            be == null ? "/dev/null" : "b/" + path, la, patch, 3);
        StringBuilder sb = new StringBuilder();
        if (ae != null && be != null && ae.mode() != be.mode()) {
            sb.append("mode ").append(ae.modeString()).append(" there, ").append(be.modeString()).append(" here\n");
        }
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        return sb.toString();
    }

    /** The lines of a text, a last line without a newline marked as such (as diff does). */
    private static List<String> lines(String t) {
        if (t.isEmpty()) {
            return List.of();
        }
        List<String> l = new ArrayList<>(List.of(t.split("\n", -1)));
        if (l.getLast().isEmpty()) {
            l.removeLast();
        } else {
            l.set(l.size() - 1, l.getLast() + "\n\\ No newline at end of file");
        }
        return l;
    }

    private static String describe(Manifest.Entry e) {
        return e == null ? "absent" : e.size() + " octets";
    }

    /** UTF-8 text without NUL, or null (binary). */
    private static String text(byte[] b) {
        if (b == null) {
            return "";
        }
        for (byte x : b) {
            if (x == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String utf8(byte[] b, String path) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("/" + path + ": not UTF-8 (expected: the shared configuration as UTF-8 text)", e);
        }
    }

    private String versionConflict(NodeStatus st) {
        try {
            if (TandemVersion.parse(version).isNewerThan(TandemVersion.parse(st.version()))) {
                return "version conflict: " + st.node() + " runs tandem " + st.version() + ", this node (" + node + ") "
                    + version + ": update " + st.node() + " first (it refuses configurations of a newer tandem)";
            }
            if (TandemVersion.parse(st.version()).isNewerThan(TandemVersion.parse(version))) {
                return "version conflict: " + st.node() + " runs tandem " + st.version() + ", newer than this node's ("
                    + node + ") " + version + ": update this node first (it refuses " + st.node() + "'s configurations)";
            }
            return null;
        } catch (IllegalArgumentException e) {
            return st.node() + " reports version " + st.version() + ": " + e.getMessage();
        }
    }

    private PeerState compare(Peer peer, NodeStatus st, Manifest ours, ApplyResult push) {
        Manifest mine = ours.filter(p -> !Exceptions.of(st.exceptions()).matches(p));
        Manifest theirs = st.manifest().filter(p -> !local.exceptions().matches(p));
        Manifest.Diff d = theirs.diff(mine);
        String localHash = mine.hash();
        String peerHash = theirs.hash();
        if (localHash.equals(peerHash)) {
            return new PeerState(peer.node(), State.SYNCHRONIZED, "synchronized (generation " + st.generation() + " on "
                + st.node() + ")", localHash, peerHash, st, d, push);
        }
        String conflict = versionConflict(st);
        if (conflict != null) {
            return new PeerState(peer.node(), State.ERROR, conflict, localHash, peerHash, st, d, push);
        }
        if (st.lastError() != null) {
            return new PeerState(peer.node(), State.ERROR, "the last transaction on " + st.node() + " failed: "
                + st.lastError(), localHash, peerHash, st, d, push);
        }
        List<String> some = new ArrayList<>(d.changed());
        some.addAll(d.added());
        some.addAll(d.deleted());
        List<String> sorted = some.stream().sorted().map(p -> "/" + p).toList();
        String files = String.join(", ", sorted.subList(0, Math.min(3, sorted.size()))) + (sorted.size() > 3 ? ", ..." : "");
        return new PeerState(peer.node(), State.PENDING, (push == null ? "" : "after the push: ") + sorted.size()
            + " file(s) differ from " + st.node() + " (" + files + "); a push from " + node + " would add " + d.added().size()
            + ", change " + d.changed().size() + ", delete " + d.deleted().size() + " there",
            localHash, peerHash, st, d, push);
    }

    private PeerState error(Peer peer, String reason, NodeStatus st, ApplyResult push) {
        return new PeerState(peer.node(), State.ERROR, reason, "", "", st,
            new Manifest.Diff(List.of(), List.of(), List.of()), push);
    }

    /** The root the replication set is read from. */
    public Path root() {
        return local.root();
    }
}
