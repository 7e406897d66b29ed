package tandem.linux;

/** A failed system call or kernel request: names the call, its subject and the errno. */
public final class LinuxException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String syscall;
    private final int errno;

    public LinuxException(String syscall, String subject, int errno) {
        super(syscall + "(" + subject + "): " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.syscall = syscall;
        this.errno = errno;
    }

    public String syscall() {
        return syscall;
    }

    public int errno() {
        return errno;
    }
}
