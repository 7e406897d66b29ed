package tandem.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * nftables through libnftables (libnftables(3), Debian's libnftables1), in this process: the daemon
 * changes rules without forking {@code nft}. A script runs as one transaction - all of it or nothing.
 * Thread-safe (one context, used under a lock); the work is netlink requests, so callers keep it off
 * real-time loops.
 */
public final class Nftables implements AutoCloseable {
    private static final String LIBRARY = "libnftables.so.1";
    private static volatile Binding binding;

    private record Binding(MethodHandle ctxNew, MethodHandle ctxFree, MethodHandle bufferOutput,
                           MethodHandle bufferError, MethodHandle getOutput, MethodHandle getError,
                           MethodHandle runFromBuffer, MethodHandle setDryRun) {
    }

    private final MemorySegment ctx;

    private Nftables(MemorySegment ctx) {
        this.ctx = ctx;
    }

    private static Binding bind() {
        Binding b = binding;
        if (b != null) {
            return b;
        }
        synchronized (Nftables.class) {
            if (binding == null) {
                SymbolLookup lib;
                try {
                    lib = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
                } catch (IllegalArgumentException e) {
                    throw new NftablesException(LIBRARY + ": not found (expected: the libnftables1 package,"
                        + " which the nftables package depends on)");
                }
                Linker l = Linker.nativeLinker();
                binding = new Binding(
                    l.downcallHandle(lib.findOrThrow("nft_ctx_new"), FunctionDescriptor.of(ADDRESS, JAVA_INT)),
                    l.downcallHandle(lib.findOrThrow("nft_ctx_free"), FunctionDescriptor.ofVoid(ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("nft_ctx_buffer_output"), FunctionDescriptor.of(JAVA_INT, ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("nft_ctx_buffer_error"), FunctionDescriptor.of(JAVA_INT, ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("nft_ctx_get_output_buffer"), FunctionDescriptor.of(ADDRESS, ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("nft_ctx_get_error_buffer"), FunctionDescriptor.of(ADDRESS, ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("nft_run_cmd_from_buffer"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS)),
                    l.downcallHandle(lib.findOrThrow("nft_ctx_set_dry_run"), FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN)));
            }
            return binding;
        }
    }

    /** A context for this network namespace (the calling thread's). */
    public static Nftables open() {
        Binding b = bind();
        MemorySegment c;
        try {
            c = (MemorySegment) b.ctxNew().invokeExact(0);
            if (c.equals(MemorySegment.NULL)) {
                throw new NftablesException("nft_ctx_new: no context (out of memory)");
            }
            int rc1 = (int) b.bufferOutput().invokeExact(c);
            int rc2 = (int) b.bufferError().invokeExact(c);
            if (rc1 != 0 || rc2 != 0) {
                b.ctxFree().invokeExact(c);
                throw new NftablesException("nft_ctx_buffer_output: cannot buffer nft's output");
            }
        } catch (NftablesException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libnftables: " + t, t);
        }
        return new Nftables(c);
    }

    /**
     * Runs a script (nft syntax) as one transaction.
     *
     * @return what nft printed (e.g. for list commands)
     * @throws NftablesException with nft's error message when the script was rejected; nothing changed
     */
    public synchronized String run(String script) {
        return execute(script, false);
    }

    /** Checks a script without changing anything (nft -c). */
    public synchronized void check(String script) {
        execute(script, true);
    }

    private String execute(String script, boolean dryRun) {
        Binding b = bind();
        try (Arena a = Arena.ofConfined()) {
            b.setDryRun().invokeExact(ctx, dryRun);
            int rc = (int) b.runFromBuffer().invokeExact(ctx, a.allocateFrom(script));
            String out = string((MemorySegment) b.getOutput().invokeExact(ctx));
            String err = string((MemorySegment) b.getError().invokeExact(ctx));
            if (rc != 0) {
                throw new NftablesException("nft rejected the script" + (dryRun ? " (check only)" : "") + ": "
                    + err.strip().replace('\n', ' '));
            }
            return out;
        } catch (NftablesException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libnftables: " + t, t);
        }
    }

    private static String string(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(1 << 20).getString(0);
    }

    @Override
    public synchronized void close() {
        try {
            bind().ctxFree().invokeExact(ctx);
        } catch (Throwable t) {
            throw new IllegalStateException("libnftables: " + t, t);
        }
    }
}
