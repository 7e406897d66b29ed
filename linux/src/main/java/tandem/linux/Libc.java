package tandem.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls tandem needs, bound with the Foreign Function &amp; Memory API. Every call that
 * can fail captures errno and throws {@link LinuxException} naming the call. Constants are the
 * x86_64/aarch64 Linux values.
 */
public final class Libc {
    private Libc() {
    }

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int AF_PACKET = 17;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_BINDTODEVICE = 25;
    public static final int SO_ATTACH_FILTER = 26;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int IPPROTO_IP = 0;
    public static final int IP_TOS = 1;
    public static final int IP_MULTICAST_IF = 32;
    public static final int IP_MULTICAST_TTL = 33;
    public static final int IP_MULTICAST_LOOP = 34;
    public static final int IP_ADD_MEMBERSHIP = 35;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_CHECKSUM = 7;
    public static final int IPV6_MULTICAST_IF = 17;
    public static final int IPV6_MULTICAST_HOPS = 18;
    public static final int IPV6_MULTICAST_LOOP = 19;
    public static final int IPV6_JOIN_GROUP = 20;
    public static final int IPV6_RECVPKTINFO = 49;
    public static final int IPV6_PKTINFO = 50;
    public static final int IPV6_RECVHOPLIMIT = 51;
    public static final int IPV6_HOPLIMIT = 52;
    public static final int IPV6_TCLASS = 67;
    public static final int IPPROTO_ICMPV6 = 58;
    public static final int ICMP6_FILTER = 1;
    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_ADD_MEMBERSHIP = 1;
    public static final int NETLINK_DROP_MEMBERSHIP = 2;
    public static final int NETLINK_NO_ENOBUFS = 5;
    public static final int ENOENT = 2;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int EEXIST = 17;
    public static final int ESRCH = 3;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENOBUFS = 105;
    public static final int ENODEV = 19;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURED =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final MethodHandle SOCKET = errnoHandle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = errnoHandle("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = errnoHandle("setsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDTO = errnoHandle("sendto",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMSG = errnoHandle("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVMMSG = errnoHandle("recvmmsg",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle CLOSE = errnoHandle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle KILL = errnoHandle("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = errnoHandle("getsockname",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle OPEN = errnoHandle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETNS = errnoHandle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle IF_NAMETOINDEX = errnoHandle("if_nametoindex", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
        FunctionDescriptor.of(ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)), JAVA_INT));
    private static final MethodHandle GETPID = LINKER.downcallHandle(LIBC.find("getpid").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETTID = LINKER.downcallHandle(LIBC.find("gettid").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SCHED_SETSCHEDULER = errnoHandle("sched_setscheduler",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final int SCHED_RR = 2;
    /** sched(7): threads and processes this thread creates start with the default policy, not SCHED_RR. */
    private static final int SCHED_RESET_ON_FORK = 0x40000000;

    private static MethodHandle errnoHandle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name)), fd,
            Linker.Option.captureCallState("errno"));
    }

    private static int errno(MemorySegment captured) {
        return (int) ERRNO.get(captured, 0L);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int socket(int domain, int type, int protocol, String what) {
        MemorySegment c = CAPTURED.get();
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(c, domain, type | SOCK_CLOEXEC, protocol);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (fd < 0) {
            throw new LinuxException("socket", what, errno(c));
        }
        return fd;
    }

    public static void bind(int fd, MemorySegment addr, String what) {
        MemorySegment c = CAPTURED.get();
        int rc;
        try {
            rc = (int) BIND.invokeExact(c, fd, addr, (int) addr.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException("bind", what, errno(c));
        }
    }

    public static void setsockopt(int fd, int level, int name, MemorySegment value, String what) {
        MemorySegment c = CAPTURED.get();
        int rc;
        try {
            rc = (int) SETSOCKOPT.invokeExact(c, fd, level, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException("setsockopt", what, errno(c));
        }
    }

    public static void setsockopt(int fd, int level, int name, int value, String what) {
        try (Arena a = Arena.ofConfined()) {
            setsockopt(fd, level, name, a.allocateFrom(JAVA_INT, value), what);
        }
    }

    /** @return bytes sent */
    public static long sendto(int fd, MemorySegment buf, long len, MemorySegment to, String what) {
        MemorySegment c = CAPTURED.get();
        long rc;
        try {
            rc = (long) SENDTO.invokeExact(c, fd, buf, len, 0, to, to.equals(MemorySegment.NULL) ? 0 : (int) to.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException("sendto", what, errno(c));
        }
        return rc;
    }

    /** @return bytes received, or -1 on timeout (EAGAIN) or signal (EINTR) */
    public static long recvmsg(int fd, MemorySegment msghdr, String what) {
        MemorySegment c = CAPTURED.get();
        long rc;
        try {
            rc = (long) RECVMSG.invokeExact(c, fd, msghdr, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            int e = errno(c);
            if (e == EAGAIN || e == EINTR) {
                return -1;
            }
            throw new LinuxException("recvmsg", what, e);
        }
        return rc;
    }

    /** recvmmsg(2) flag: block for the first datagram only, then take what is queued. */
    public static final int MSG_WAITFORONE = 0x10000;
    /** msghdr.msg_flags bit: the datagram was longer than the buffer. */
    public static final int MSG_TRUNC = 0x20;

    /**
     * recvmmsg(2) without a timeout argument (the socket's SO_RCVTIMEO applies).
     *
     * @return datagrams received, or -1 on timeout (EAGAIN) or signal (EINTR)
     */
    public static int recvmmsg(int fd, MemorySegment mmsghdrs, int vlen, int flags, String what) {
        MemorySegment c = CAPTURED.get();
        int rc;
        try {
            rc = (int) RECVMMSG.invokeExact(c, fd, mmsghdrs, vlen, flags, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            int e = errno(c);
            if (e == EAGAIN || e == EINTR) {
                return -1;
            }
            throw new LinuxException("recvmmsg", what, e);
        }
        return rc;
    }

    public static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(CAPTURED.get(), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * kill(2): sends {@code signal} to a process ({@code pid > 0}) or to every member of a process group
     * ({@code pid < 0}, the group {@code -pid}). Returns false when no such process or group exists
     * (ESRCH), which a caller that stops something usually takes as "already gone"; other errors throw.
     */
    public static boolean kill(int pid, int signal) {
        MemorySegment c = CAPTURED.get();
        try {
            int rc = (int) KILL.invokeExact(c, pid, signal);
            if (rc == 0) {
                return true;
            }
            int e = errno(c);
            if (e == ESRCH) {
                return false;
            }
            throw new LinuxException("kill", (pid < 0 ? "process group " + -pid : "pid " + pid) + ", signal " + signal, e);
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getsockname(2) into {@code addr}; returns the address length. */
    public static int getsockname(int fd, MemorySegment addr, String what) {
        MemorySegment c = CAPTURED.get();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment len = a.allocateFrom(JAVA_INT, (int) addr.byteSize());
            int rc = (int) GETSOCKNAME.invokeExact(c, fd, addr, len);
            if (rc < 0) {
                throw new LinuxException("getsockname", what, errno(c));
            }
            return len.get(JAVA_INT, 0);
        } catch (LinuxException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;

    public static int open(String path, int flags) {
        MemorySegment c = CAPTURED.get();
        int fd;
        try (Arena a = Arena.ofConfined()) {
            fd = (int) OPEN.invokeExact(c, a.allocateFrom(path), flags | O_CLOEXEC);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (fd < 0) {
            throw new LinuxException("open", path, errno(c));
        }
        return fd;
    }

    /**
     * Puts the calling thread (only) under SCHED_RR with this real-time priority (1..99): it runs before
     * every normal thread of the machine. Needs CAP_SYS_NICE (or RLIMIT_RTPRIO); the kernel's real-time
     * throttling (sched_rt_runtime_us) still leaves others 5 % of each second.
     */
    public static void realtimeCurrentThread(int priority, String what) {
        MemorySegment c = CAPTURED.get();
        int rc;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment param = a.allocate(JAVA_INT);
            param.set(JAVA_INT, 0, priority);
            int tid = (int) GETTID.invokeExact();
            rc = (int) SCHED_SETSCHEDULER.invokeExact(c, tid, SCHED_RR | SCHED_RESET_ON_FORK, param);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException("sched_setscheduler", what + " SCHED_RR " + priority, errno(c));
        }
    }

    /** Moves the calling thread into the namespace behind {@code fd}. */
    public static void setns(int fd, int nstype, String what) {
        MemorySegment c = CAPTURED.get();
        int rc;
        try {
            rc = (int) SETNS.invokeExact(c, fd, nstype);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw new LinuxException("setns", what, errno(c));
        }
    }

    /** @return the interface index, or 0 when there is no such interface */
    public static int ifNameToIndex(String name) {
        try (Arena a = Arena.ofConfined()) {
            return (int) IF_NAMETOINDEX.invokeExact(CAPTURED.get(), a.allocateFrom(name));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets a receive timeout so blocking receivers can notice they were closed. */
    public static void setReceiveTimeout(int fd, long millis, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment tv = a.allocate(16, 8);
            tv.set(JAVA_LONG, 0, millis / 1000);
            tv.set(JAVA_LONG, 8, (millis % 1000) * 1000);
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, what);
        }
    }

    /** Attaches a classic BPF program "ret #0": the socket is send-only and never queues packets. */
    public static void attachDropAllFilter(int fd, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment insn = a.allocate(8, 8);
            insn.set(ValueLayout.JAVA_SHORT, 0, (short) 0x06); // BPF_RET | BPF_K
            insn.set(JAVA_INT, 4, 0);
            MemorySegment prog = a.allocate(16, 8);
            prog.set(ValueLayout.JAVA_SHORT, 0, (short) 1);
            prog.set(ADDRESS, 8, insn);
            setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, what);
        }
    }

    public static void bindToDevice(int fd, String ifname, String what) {
        try (Arena a = Arena.ofConfined()) {
            setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, a.allocateFrom(ifname), what);
        }
    }
}
