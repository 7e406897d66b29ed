package tandem.replication.apply;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.replication.model.Exceptions;
import tandem.replication.model.Manifest;
import tandem.replication.model.ManifestException;
import tandem.replication.model.RelativePath;
import tandem.replication.model.ReplicatedItem;
import tandem.replication.model.ReplicationSet;
import tandem.replication.model.Sha256;
import tandem.replication.model.TandemVersion;

/**
 * The receiving side of replication: applies pushed bundles as transactions, keeps the generations,
 * rolls back. One transaction at a time (a second waits); every method blocks for as long as its
 * commands run, so callers keep it off real-time threads.
 *
 * <p>A transaction: validate (version, paths, exceptions, sizes, the shared configuration parses) ->
 * store the current contents of every replicated file (the pre-image) and the new contents in the object
 * store -> stage every touched item complete and run its check command on the staged copy (a failure
 * ends the transaction, nothing changed) -> write the journal -> swap (each file written beside its target
 * and renamed over it; deleted files removed) -> verify what is on disk -> run the apply commands in
 * declared order -> commit the generation (the commit point: its file renamed into generations/) ->
 * delete the journal. A failed apply command restores the pre-image, runs the apply commands again for
 * the restored files and reports ROLLED_BACK. A journal found at {@link #open} means a transaction was
 * cut off (crash, kill, power): unless its generation was committed, it is undone the same way.
 */
public final class Receiver {
    private static final Logger LOG = LoggerFactory.getLogger(Receiver.class);

    /**
     * Where and how this node receives.
     *
     * @param stateDir     e.g. /var/lib/tandem/replication (created 0700)
     * @param root         "/" on a node
     * @param sharedConfig the shared configuration file, relative to root (e.g. etc/tandem/shared.yaml)
     * @param parser       reads the items out of a shared configuration (and refuses an invalid one)
     * @param exceptions   this node's exceptions
     * @param node         this node's name
     * @param version      this node's tandem version
     * @param runner       runs check and apply commands
     * @param keep         generations kept (at least 2; default 5)
     * @param maxBundle    largest bundle accepted, in octets (default 1 GiB)
     */
    public record Settings(Path stateDir, Path root, String sharedConfig, SharedConfigParser parser, Exceptions exceptions,
                           String node, String version, CommandRunner runner, int keep, long maxBundle) {
        public static final int DEFAULT_KEEP = 5;
        public static final long DEFAULT_MAX_BUNDLE = 1L << 30;

        public Settings {
            RelativePath.check(sharedConfig);
            TandemVersion.parse(version);
            if (keep < 2) {
                throw new IllegalArgumentException("generations kept: " + keep + " (expected: at least 2)");
            }
            if (maxBundle <= 0) {
                throw new IllegalArgumentException("max bundle: " + maxBundle + " (expected: positive)");
            }
            exceptions = exceptions == null ? Exceptions.none() : exceptions;
        }

        public Settings(Path stateDir, Path root, String sharedConfig, SharedConfigParser parser, Exceptions exceptions,
                        String node, String version) {
            this(stateDir, root, sharedConfig, parser, exceptions, node, version, new ShellCommandRunner(), DEFAULT_KEEP,
                DEFAULT_MAX_BUNDLE);
        }

        public Settings withRunner(CommandRunner r) {
            return new Settings(stateDir, root, sharedConfig, parser, exceptions, node, version, r, keep, maxBundle);
        }

        public Settings withKeep(int k) {
            return new Settings(stateDir, root, sharedConfig, parser, exceptions, node, version, runner, k, maxBundle);
        }

        public Settings withMaxBundle(long m) {
            return new Settings(stateDir, root, sharedConfig, parser, exceptions, node, version, runner, keep, m);
        }

        public Settings withVersion(String v) {
            return new Settings(stateDir, root, sharedConfig, parser, exceptions, node, v, runner, keep, maxBundle);
        }

        public Settings withExceptions(Exceptions e) {
            return new Settings(stateDir, root, sharedConfig, parser, e, node, version, runner, keep, maxBundle);
        }
    }

    /** Called after each rename or deletion of a swap (tests simulate a crash in the middle with it). */
    @FunctionalInterface
    public interface SwapHook {
        void afterStep(String path, int done, int total) throws IOException;
    }

    /** A refusal before anything changed. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final Outcome outcome;
        final transient CommandResult command;

        Refusal(Outcome outcome, String message) {
            this(outcome, message, null);
        }

        Refusal(Outcome outcome, String message, CommandResult command) {
            super(message, null, false, false);
            this.outcome = outcome;
            this.command = command;
        }
    }

    /**
     * A transaction, computed before anything changes.
     *
     * @param items       what declares the replicated files after it
     * @param beforeItems what declared them before it
     * @param local       the live files before it, over the union of both declarations
     * @param target      what the live files of {@code paths} become (absent: deleted)
     * @param paths       the paths it changes, sorted
     */
    private record Plan(String kind, String sender, String senderVersion, List<ReplicatedItem> items,
                        List<ReplicatedItem> beforeItems, Manifest local, Manifest target, List<String> paths,
                        Bundle bundle) {
        Manifest.Diff changes() {
            Set<String> p = new HashSet<>(paths);
            return local.filter(p::contains).diff(target.filter(p::contains));
        }
    }

    private final Settings s;
    private final GenerationStore store;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile SwapHook hook = (p, d, t) -> { };
    private final String recovered;

    private Receiver(Settings s, GenerationStore store, String recovered) {
        this.s = s;
        this.store = store;
        this.recovered = recovered;
    }

    /**
     * Opens the state directory, and finishes or undoes a transaction a crash left behind (which runs
     * the apply commands of the files it restores): call at start, before the hotwire server.
     */
    public static Receiver open(Settings s) throws IOException, InterruptedException {
        GenerationStore store = new GenerationStore(s.stateDir());
        Receiver r = new Receiver(s, store, null);
        String what = r.recover();
        return what == null ? r : new Receiver(s, store, what);
    }

    /** What {@link #open} recovered, or null when nothing was left behind. */
    public String recovered() {
        return recovered;
    }

    public Settings settings() {
        return s;
    }

    /**
     * Told (on the thread of the transaction, after it ended) when a push, rollback or restore changed
     * the live files: the daemon reloads its shared configuration then.
     */
    public void onChanged(java.util.function.Consumer<ApplyResult> listener) {
        this.listener = listener == null ? r -> { } : listener;
    }

    private volatile java.util.function.Consumer<ApplyResult> listener = r -> { };

    private ApplyResult changed(ApplyResult r) {
        if (r.outcome() == Outcome.APPLIED) {
            try {
                listener.accept(r);
            } catch (RuntimeException e) {
                LOG.error("replication: the listener of an applied change failed", e);
            }
        }
        return r;
    }

    /** For tests: called after every step of a swap. */
    public void swapHook(SwapHook h) {
        hook = h == null ? (p, d, t) -> { } : h;
    }

    // ------------------------------------------------------------------------------------------ status

    /** This node's state now (hashes its replicated files). */
    public NodeStatus status() throws IOException {
        Manifest m = currentSet().manifest();
        Records.LastError e = store.lastError();
        return new NodeStatus(s.node(), s.version(), m.hash(), sharedConfigHash(), store.latestNumber(),
            e == null ? null : e.message(), m, s.exceptions().entries());
    }

    /** The replication set as this node's own shared configuration declares it. */
    public ReplicationSet currentSet() throws IOException {
        return new ReplicationSet(s.root(), s.sharedConfig(), currentItems(), s.exceptions());
    }

    /** A live file, for FETCH. */
    public Path live(String rel) {
        return RelativePath.resolve(s.root(), rel);
    }

    /** The kept generations, oldest first. */
    public List<Generation> generations() throws IOException {
        List<Generation> out = new ArrayList<>();
        for (long n : store.numbers()) {
            out.add(store.generation(n).summary());
        }
        return out;
    }

    /** The last failed transaction's message, or null. */
    public String lastError() throws IOException {
        Records.LastError e = store.lastError();
        return e == null ? null : e.message();
    }

    // ------------------------------------------------------------------------------------------ push

    /**
     * The checks that need no file access (version, paths, exceptions, size, the shared configuration):
     * null when the bundle may be sent, else the refusal (recorded as the last error). The server asks
     * this before the sender streams the contents.
     */
    public ApplyResult precheck(Bundle b) throws IOException {
        try {
            precheckOrThrow(b);
            return null;
        } catch (Refusal r) {
            return refused(r, null);
        }
    }

    /**
     * Applies a pushed bundle: reads the contents of {@code b.files()} from {@code contents} (all of them,
     * in order, unless it is refused before), and answers when the transaction ended.
     */
    public ApplyResult apply(Bundle b, Contents contents) throws IOException, InterruptedException {
        lock.lock();
        try {
            recoverIfNeeded();
            Plan plan;
            try {
                plan = planPush(b);
            } catch (Refusal r) {
                return refused(r, null);
            }
            return changed(transact(plan, contents));
        } finally {
            lock.unlock();
        }
    }

    private List<ReplicatedItem> precheckOrThrow(Bundle b) throws Refusal {
        TandemVersion theirs;
        try {
            theirs = TandemVersion.parse(b.version());
        } catch (IllegalArgumentException e) {
            throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": " + e.getMessage());
        }
        if (theirs.isNewerThan(TandemVersion.parse(s.version()))) {
            throw new Refusal(Outcome.VERSION_REFUSED, "sent by tandem " + b.version() + ", this node (" + s.node()
                + ") runs " + s.version() + ": update this node first");
        }
        try {
            Exceptions.of(b.exceptions());
        } catch (IllegalArgumentException e) {
            throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": " + e.getMessage());
        }
        String shared = s.sharedConfig();
        Manifest.Entry se = b.manifest().entry(shared);
        byte[] text = b.sharedConfig().getBytes(StandardCharsets.UTF_8);
        if (se == null) {
            throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": the manifest has no " + shared
                + " (expected: the sender's shared configuration at the same path)");
        }
        if (se.size() != text.length || !Sha256.hex(text).equals(se.sha256())) {
            throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": the shared configuration's text ("
                + text.length + " octets) does not match its manifest entry (" + se.size() + " octets, sha256 "
                + se.sha256().substring(0, 12) + "...)");
        }
        List<ReplicatedItem> items;
        try {
            items = s.parser().items(b.sharedConfig());
        } catch (Exception e) {
            throw new Refusal(Outcome.INVALID, "the shared configuration from " + b.sender() + " is invalid: "
                + e.getMessage());
        }
        for (Manifest.Entry e : b.manifest().entries()) {
            checkPath(e.path(), items, b.sender());
        }
        Set<String> files = new HashSet<>();
        for (String f : b.files()) {
            checkPath(f, items, b.sender());
            if (b.manifest().entry(f) == null) {
                throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": " + f
                    + " is sent but not in the manifest (expected: every sent file in it)");
            }
            if (f.equals(shared)) {
                throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": " + f
                    + " is sent as a file (expected: the shared configuration as text only)");
            }
            if (!files.add(f)) {
                throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": " + f + " is sent twice");
            }
        }
        for (String d : b.deletions()) {
            checkPath(d, items, b.sender());
            if (b.manifest().entry(d) != null) {
                throw new Refusal(Outcome.INVALID, "bundle from " + b.sender() + ": " + d
                    + " is both in the manifest and deleted");
            }
        }
        long size = b.contentSize() + text.length;
        if (size > s.maxBundle()) {
            throw new Refusal(Outcome.TOO_LARGE, "bundle from " + b.sender() + ": " + size
                + " octets (expected: at most " + s.maxBundle() + ", this node's limit)");
        }
        return items;
    }

    private void checkPath(String p, List<ReplicatedItem> items, String sender) throws Refusal {
        if (!p.equals(s.sharedConfig()) && ReplicationSet.item(items, p) == null) {
            throw new Refusal(Outcome.PATH_REFUSED, "path " + p + " from " + sender
                + ": not declared by the shared configuration's items (expected: below one of " + items + ")");
        }
        if (s.exceptions().matches(p)) {
            throw new Refusal(Outcome.PATH_REFUSED, "path " + p + " from " + sender + ": a local exception of "
                + s.node() + " (never overwritten; remove it from the sender's items or except it there too)");
        }
    }

    private Plan planPush(Bundle b) throws Refusal, IOException {
        List<ReplicatedItem> items = precheckOrThrow(b);
        List<ReplicatedItem> before = currentItems();
        Exceptions theirs = Exceptions.of(b.exceptions());
        Manifest local = localManifest(ReplicationSet.union(items, before));
        Manifest target = b.manifest();
        Set<String> sent = new HashSet<>(b.files());
        TreeSet<String> paths = new TreeSet<>();
        for (Manifest.Entry e : target.entries()) {
            if (e.sameAs(local.entry(e.path()))) {
                continue;
            }
            if (!e.path().equals(s.sharedConfig()) && !sent.contains(e.path())) {
                throw new Refusal(Outcome.BASE_CHANGED, e.path() + " differs on " + s.node() + " from what "
                    + b.sender() + " saw in its status and was not sent (changed meanwhile?): push again");
            }
            paths.add(e.path());
        }
        for (Manifest.Entry l : local.entries()) {
            String p = l.path();
            if (target.entry(p) == null && (p.equals(s.sharedConfig()) || ReplicationSet.item(items, p) != null)
                && !theirs.matches(p)) {
                paths.add(p);
            }
        }
        return new Plan("push", b.sender(), b.version(), items, before, local, target.filter(paths::contains),
            List.copyOf(paths), b);
    }

    // ------------------------------------------------------------------------------------------ rollback

    /**
     * Restores the files as they were before the newest generation (files, deletions and additions
     * undone; apply commands run), recorded as a new generation: a second rollback undoes the first.
     */
    public ApplyResult rollback() throws IOException, InterruptedException {
        lock.lock();
        try {
            recoverIfNeeded();
            Records.GenerationRecord g = store.latest();
            if (g == null) {
                return refused(new Refusal(Outcome.NO_GENERATION, "no generation on " + s.node()
                    + " to roll back (nothing was ever applied here)"), null);
            }
            List<ReplicatedItem> items = Records.Item.items(g.beforeItems());
            List<ReplicatedItem> scope = ReplicationSet.union(items, Records.Item.items(g.items()));
            return changed(transact(planRestore("rollback of generation " + g.number(), g.before(), items, scope), null));
        } finally {
            lock.unlock();
        }
    }

    /** Restores the files of a kept generation, recorded as a new generation. */
    public ApplyResult restore(long generation) throws IOException, InterruptedException {
        lock.lock();
        try {
            recoverIfNeeded();
            if (!store.hasGeneration(generation)) {
                return refused(new Refusal(Outcome.NO_GENERATION, "generation " + generation + ": not kept on "
                    + s.node() + " (expected: one of " + store.numbers() + ")"), null);
            }
            Records.GenerationRecord g = store.generation(generation);
            List<ReplicatedItem> items = Records.Item.items(g.items());
            return changed(transact(planRestore("restore of generation " + generation, g.manifest(), items, items), null));
        } finally {
            lock.unlock();
        }
    }

    private Plan planRestore(String kind, Manifest restored, List<ReplicatedItem> items, List<ReplicatedItem> scope)
        throws IOException {
        List<ReplicatedItem> before = currentItems();
        Manifest local;
        try {
            local = localManifest(ReplicationSet.union(scope, before));
        } catch (Refusal r) {
            throw new IOException(r.getMessage());
        }
        TreeSet<String> paths = new TreeSet<>();
        for (Manifest.Entry e : restored.entries()) {
            if (!s.exceptions().matches(e.path()) && !e.sameAs(local.entry(e.path()))) {
                paths.add(e.path());
            }
        }
        for (Manifest.Entry l : local.entries()) {
            String p = l.path();
            if (restored.entry(p) == null && (p.equals(s.sharedConfig()) || ReplicationSet.item(scope, p) != null)) {
                paths.add(p);
            }
        }
        return new Plan(kind.startsWith("rollback") ? "rollback" : "restore", s.node(), s.version(), items, before,
            local, restored.filter(paths::contains), List.copyOf(paths), null);
    }

    // ------------------------------------------------------------------------------------------ transaction

    private ApplyResult transact(Plan plan, Contents contents) throws IOException, InterruptedException {
        String what = plan.kind() + (plan.bundle() != null ? " from " + plan.sender() + " (tandem " + plan.senderVersion() + ")" : "");
        if (plan.paths().isEmpty() && contents == null) {
            return success(Outcome.UNCHANGED, what + ": nothing to change", plan);
        }
        String tx = Instant.now().toString().replace(':', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path stage = store.newStaging(tx);
        try {
            if (plan.bundle() != null) {
                receiveContents(plan, contents, stage);
                if (plan.paths().isEmpty()) {
                    return success(Outcome.UNCHANGED, what + ": the files already are what was sent", plan);
                }
            }
            // the pre-image: every current content into the store (a rollback needs them all)
            for (Manifest.Entry l : plan.local().entries()) {
                if (!store.putObject(live(l.path()), l.sha256())) {
                    throw new Refusal(Outcome.BASE_CHANGED, l.path() + " changed on " + s.node()
                        + " while the " + plan.kind() + " was prepared: try again");
                }
            }
            for (Manifest.Entry e : plan.target().entries()) {
                if (!store.hasObject(e.sha256())) {
                    throw new Refusal(Outcome.FAILED, e.path() + ": content " + e.sha256().substring(0, 12)
                        + "... is not in the object store (expected: kept with its generation)");
                }
            }
            runChecks(plan, stage);
        } catch (Refusal r) {
            return refused(r, plan);
        } finally {
            deleteTree(stage);
        }

        long number = store.latestNumber() + 1;
        Records.GenerationRecord pending = new Records.GenerationRecord(number, Instant.now().toString(), plan.kind(),
            plan.sender(), plan.senderVersion(), Records.Item.of(plan.items()), plan.target(), null,
            Records.Item.of(plan.beforeItems()), plan.local(), plan.paths());
        store.writeJournal(new Records.Journal(tx, Instant.now().toString(), pending, plan.paths()));
        try {
            swap(tx, plan.paths(), plan.target(), hook);
            verify(plan.paths(), plan.target());
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: swap failed, undoing: {}", what, e.toString());
            String undo = undo(tx, plan.paths(), plan.local(), List.of());
            store.deleteJournal();
            return failure(Outcome.FAILED, what + ": swapping the files in failed: " + e.getMessage() + "; " + undo
                + " (no apply command ran)", plan, null);
        }
        for (ReplicatedItem item : touched(plan.items(), plan.paths())) {
            if (item.apply() == null) {
                continue;
            }
            CommandResult r = s.runner().run(substitute(item.apply(), live(item.relative())),
                Map.of("TANDEM_PATH", live(item.relative()).toString()), s.root());
            if (!r.ok()) {
                LOG.warn("{}: apply of {} failed, rolling back: {}", what, item.path(), r.describe());
                List<ReplicatedItem> order = ReplicationSet.union(plan.beforeItems(), plan.items());
                String undo = undo(tx, plan.paths(), plan.local(), order);
                store.deleteJournal();
                return failure(Outcome.ROLLED_BACK, what + ": apply of " + item.path() + " failed: " + r.describe()
                    + "; rolled back: " + undo, plan, r);
            }
        }
        // the files now: what was hashed before the transaction, with the swapped paths (verified) replaced
        ReplicationSet declared = new ReplicationSet(s.root(), s.sharedConfig(), plan.items(), s.exceptions());
        Manifest after = afterState(plan).filter(p -> declared.declares(p) && !s.exceptions().matches(p));
        store.commit(new Records.GenerationRecord(number, Instant.now().toString(), plan.kind(), plan.sender(),
            plan.senderVersion(), Records.Item.of(plan.items()), after, sharedConfigHash(),
            Records.Item.of(plan.beforeItems()), plan.local(), plan.paths()));
        store.deleteJournal();
        store.prune(s.keep());
        LOG.info("{}: generation {} applied ({})", what, number, plan.changes());
        store.lastError(null);
        return new ApplyResult(Outcome.APPLIED, what + ": generation " + number + " applied (" + plan.changes() + ")",
            number, after.hash(), sharedConfigHash(), null, plan.changes());
    }

    /** Reads every sent file into the staging directory, checking each against its manifest entry. */
    private void receiveContents(Plan plan, Contents contents, Path stage) throws IOException, Refusal {
        Bundle b = plan.bundle();
        Set<String> needed = new HashSet<>(plan.paths());
        for (String f : b.files()) {
            Manifest.Entry e = b.manifest().entry(f);
            Path staged = stage.resolve(f);
            Files.createDirectories(staged.getParent());
            MessageDigest d = Sha256.digest();
            long[] n = new long[1];
            try (OutputStream out = Files.newOutputStream(staged, StandardOpenOption.CREATE_NEW)) {
                contents.copy(e, new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] buf, int off, int len) throws IOException {
                        n[0] += len;
                        if (n[0] > e.size()) {
                            throw new IOException(f + ": more than its " + e.size() + " octets sent");
                        }
                        d.update(buf, off, len);
                        out.write(buf, off, len);
                    }
                });
            }
            if (n[0] != e.size() || !Sha256.hex(d).equals(e.sha256())) {
                throw new Refusal(Outcome.INVALID, f + " from " + b.sender() + ": content of " + n[0]
                    + " octets does not match its manifest entry (" + e.size() + " octets, sha256 "
                    + e.sha256().substring(0, 12) + "...): changed while it was sent? push again");
            }
            Files.setPosixFilePermissions(staged, Manifest.permissions(e.mode()));
            if (needed.contains(f) && !store.putObject(staged, e.sha256())) {
                throw new Refusal(Outcome.FAILED, f + ": the staged copy changed (expected: only tandem writes it)");
            }
        }
        String shared = s.sharedConfig();
        if (needed.contains(shared) && plan.target().entry(shared) != null) {
            Manifest.Entry e = plan.target().entry(shared);
            Path staged = stage.resolve(shared);
            Files.createDirectories(staged.getParent());
            Files.write(staged, b.sharedConfig().getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE_NEW);
            Files.setPosixFilePermissions(staged, Manifest.permissions(e.mode()));
            if (!store.putObject(staged, e.sha256())) {
                throw new Refusal(Outcome.FAILED, shared + ": the staged copy changed (expected: only tandem writes it)");
            }
        }
    }

    /**
     * Stages every touched item with a check command complete (the sent files, the rest from the store)
     * and runs the checks in declared order.
     */
    private void runChecks(Plan plan, Path stage) throws IOException, InterruptedException, Refusal {
        Manifest after = afterState(plan);
        for (ReplicatedItem item : touched(plan.items(), plan.paths())) {
            if (item.check() == null) {
                continue;
            }
            List<Manifest.Entry> mine = after.entries().stream().filter(e -> item.covers(e.path())).toList();
            if (mine.isEmpty()) {
                continue; // deleted: nothing to check
            }
            for (Manifest.Entry e : mine) {
                Path staged = stage.resolve(e.path());
                if (!Files.exists(staged, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(staged.getParent());
                    Files.copy(store.object(e.sha256()), staged);
                    Files.setPosixFilePermissions(staged, Manifest.permissions(e.mode()));
                }
            }
            Path stagedItem = stage.resolve(item.relative());
            CommandResult r = s.runner().run(substitute(item.check(), stagedItem),
                Map.of("TANDEM_STAGED", stagedItem.toString(), "TANDEM_PATH", live(item.relative()).toString()), s.root());
            if (!r.ok()) {
                throw new Refusal(Outcome.CHECK_FAILED, plan.kind() + (plan.bundle() != null ? " from " + plan.sender() : "")
                    + ": check of " + item.path() + " failed: " + r.describe() + "; nothing changed", r);
            }
        }
    }

    /** The files after the plan: the local ones with the plan's paths replaced by the target's. */
    private static Manifest afterState(Plan plan) {
        Set<String> p = new HashSet<>(plan.paths());
        List<Manifest.Entry> out = new ArrayList<>(plan.local().filter(x -> !p.contains(x)).entries());
        out.addAll(plan.target().entries());
        return new Manifest(out);
    }

    /** The items covering at least one of {@code paths}, in the order of {@code items}. */
    private static List<ReplicatedItem> touched(List<ReplicatedItem> items, List<String> paths) {
        List<ReplicatedItem> out = new ArrayList<>();
        for (ReplicatedItem i : items) {
            for (String p : paths) {
                if (i.covers(p)) {
                    out.add(i);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Makes the live files of {@code paths} what {@code target} says: written from the object store
     * (to a temporary name beside the target, mode set, forced, renamed over it) or deleted when absent.
     */
    private void swap(String tx, List<String> paths, Manifest target, SwapHook h) throws IOException {
        int done = 0;
        for (String p : paths) {
            Path live = live(p);
            Manifest.Entry e = target.entry(p);
            if (e == null) {
                Files.deleteIfExists(live);
            } else {
                createParents(live.getParent());
                Path tmp = temporary(live, tx);
                Files.deleteIfExists(tmp);
                Files.copy(store.object(e.sha256()), tmp);
                Files.setPosixFilePermissions(tmp, Manifest.permissions(e.mode()));
                GenerationStore.force(tmp);
                Files.move(tmp, live, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            GenerationStore.forceDirectory(live.getParent());
            h.afterStep(p, ++done, paths.size());
        }
    }

    private static Path temporary(Path live, String tx) {
        return live.resolveSibling("." + live.getFileName() + ".tandem-" + tx);
    }

    /** Creates missing directories with the permission bits of their nearest existing parent. */
    private void createParents(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> missing = new ArrayList<>();
        Path p = dir;
        while (p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            missing.add(p);
            p = p.getParent();
        }
        if (p == null || !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + ": " + p + " is not a directory (expected: a directory to create it in)");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        for (Path m : missing.reversed()) {
            try {
                Files.createDirectory(m);
                Files.setPosixFilePermissions(m, perms);
            } catch (FileAlreadyExistsException e) {
                // created meanwhile
            }
        }
    }

    /** Checks that the live files of {@code paths} are what {@code target} says. */
    private void verify(List<String> paths, Manifest target) throws IOException {
        for (String p : paths) {
            Manifest.Entry want = target.entry(p);
            Path live = live(p);
            boolean exists = Files.exists(live, LinkOption.NOFOLLOW_LINKS);
            if (want == null ? exists : !exists || !want.sameAs(Manifest.entry(p, live))) {
                throw new IOException("verification: " + p + " is not what was sent after the swap");
            }
        }
    }

    /**
     * Restores the live files of {@code paths} to {@code before} and runs the apply commands of the
     * touched items of {@code order}; returns what it did, for the message. Never throws for a failed
     * command (reported in the text); an I/O failure leaves the journal for the next start.
     */
    private String undo(String tx, List<String> paths, Manifest before, List<ReplicatedItem> order)
        throws IOException, InterruptedException {
        for (String p : paths) {
            Files.deleteIfExists(temporary(live(p), tx));
        }
        try {
            swap(tx, paths, before, (p, d, t) -> { });
        } catch (IOException e) {
            throw new IOException("restoring the previous files failed too (" + e.getMessage()
                + "); the journal stays for the next start", e);
        }
        StringBuilder b = new StringBuilder("the previous files of " + paths.size() + " path(s) restored");
        List<String> failed = new ArrayList<>();
        int ran = 0;
        for (ReplicatedItem item : touched(order, paths)) {
            if (item.apply() == null) {
                continue;
            }
            ran++;
            CommandResult r = s.runner().run(substitute(item.apply(), live(item.relative())),
                Map.of("TANDEM_PATH", live(item.relative()).toString()), s.root());
            if (!r.ok()) {
                failed.add(r.describe());
            }
        }
        if (ran > 0) {
            b.append(failed.isEmpty() ? " and applied again" : " but applying them again failed: " + String.join("; ", failed));
        }
        return b.toString();
    }

    /**
     * A journal left behind: done when its generation was committed (only the journal's deletion was
     * missed), else undone (files restored, apply commands run). Returns what happened, or null.
     */
    private String recover() throws IOException, InterruptedException {
        Records.Journal j = store.journal();
        if (j == null) {
            store.clearStaging();
            return null;
        }
        Records.GenerationRecord g = j.generation();
        String what;
        if (store.hasGeneration(g.number())) {
            what = "generation " + g.number() + " (" + g.kind() + " from " + g.sender() + ") had been committed; its journal removed";
        } else {
            List<ReplicatedItem> order = ReplicationSet.union(Records.Item.items(g.beforeItems()), Records.Item.items(g.items()));
            String undo = undo(j.id(), j.paths(), g.before(), order);
            what = "a " + g.kind() + " from " + g.sender() + " (tandem " + g.senderVersion() + ") started at " + j.started()
                + " was cut off (crash or restart) and undone: " + undo;
            store.lastError(new Records.LastError(Instant.now().toString(), what));
        }
        store.deleteJournal();
        store.clearStaging();
        LOG.warn("replication recovery: {}", what);
        return what;
    }

    private void recoverIfNeeded() throws IOException, InterruptedException {
        if (store.journal() != null) {
            recover();
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private ApplyResult success(Outcome o, String message, Plan plan) throws IOException {
        store.lastError(null);
        ReplicationSet now = new ReplicationSet(s.root(), s.sharedConfig(), plan.items(), s.exceptions());
        return new ApplyResult(o, message, store.latestNumber(), now.manifest().hash(), sharedConfigHash(), null,
            plan.changes());
    }

    private ApplyResult refused(Refusal r, Plan plan) throws IOException {
        return failure(r.outcome, r.getMessage(), plan, r.command);
    }

    private ApplyResult failure(Outcome o, String message, Plan plan, CommandResult command) throws IOException {
        store.lastError(new Records.LastError(Instant.now().toString(), message));
        String hash;
        try {
            hash = currentSet().manifest().hash();
        } catch (ManifestException e) {
            hash = "";
        }
        return new ApplyResult(o, message, store.latestNumber(), hash, sharedConfigHash(), command,
            plan == null ? new Manifest.Diff(List.of(), List.of(), List.of()) : plan.changes());
    }

    private Manifest localManifest(List<ReplicatedItem> items) throws IOException, Refusal {
        try {
            return Manifest.compute(s.root(), s.sharedConfig(), items, s.exceptions());
        } catch (ManifestException e) {
            throw new Refusal(Outcome.FAILED, "the files on " + s.node() + " cannot be replicated: " + e.getMessage());
        }
    }

    /** The items this node's shared configuration declares (those of the newest generation when it is unreadable). */
    private List<ReplicatedItem> currentItems() throws IOException {
        Path f = live(s.sharedConfig());
        String problem;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f)))
                .toString();
            return s.parser().items(text);
        } catch (NoSuchFileException e) {
            problem = "absent";
        } catch (CharacterCodingException e) {
            problem = "not UTF-8";
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            problem = "invalid: " + e.getMessage();
        }
        Records.GenerationRecord g = store.latest();
        LOG.debug("{}: {}; using the items of {}", f, problem, g == null ? "nothing (no generation)" : "generation " + g.number());
        return g == null ? List.of() : Records.Item.items(g.items());
    }

    private String sharedConfigHash() throws IOException {
        Path f = live(s.sharedConfig());
        try (InputStream in = Files.newInputStream(f)) {
            return Sha256.hex(in.readAllBytes());
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    /** {@code command} with every {} replaced by {@code path}, single-quoted for the shell. */
    static String substitute(String command, Path path) {
        String quoted = "'" + path.toString().replace("'", "'\\''") + "'";
        return command.replace("{}", quoted);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> st = Files.walk(dir)) {
            for (Path p : st.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
