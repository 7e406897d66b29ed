package tandem.conntrack;

import java.net.InetAddress;
import java.util.Objects;

/**
 * A conntrack expectation: a connection a helper announced before it arrives, e.g. the data channel an
 * FTP control connection negotiated with PORT or PASV. Everything needed to recreate it on another node
 * (ctnetlink, NFNL_SUBSYS_CTNETLINK_EXP).
 *
 * @param master      original tuple of the connection that expects (the FTP control connection)
 * @param tuple       the expected connection's original tuple; source fields the mask leaves open are 0
 * @param mask        which source fields must match (CTA_EXPECT_MASK): source address and port, all ones
 *                    for exact, 0 for any; the kernel always matches the destination exactly
 * @param timeout     seconds left (CTA_EXPECT_TIMEOUT)
 * @param flags       NF_CT_EXPECT_* (CTA_EXPECT_FLAGS), e.g. {@link #PERMANENT}
 * @param expectClass the helper's expectation class (CTA_EXPECT_CLASS)
 * @param zone        conntrack zone (CTA_EXPECT_ZONE, 0 = default)
 * @param helper      name of the master's helper (CTA_EXPECT_HELP_NAME), or {@code null}
 * @param function    name of the function run when the expected connection arrives (CTA_EXPECT_FN),
 *                    e.g. "nat-follow-master" for NAT'd FTP, or {@code null}
 * @param nat         how the expected connection is translated, or {@code null} without NAT
 */
public record CtExpect(CtTuple master, CtTuple tuple, CtTuple mask, int timeout, int flags, int expectClass, int zone,
                       String helper, String function, Nat nat) {

    /** NF_CT_EXPECT_PERMANENT: the expectation stays after a connection matched it. */
    public static final int PERMANENT = 0x1;
    /** NF_CT_EXPECT_INACTIVE: not matched until activated. */
    public static final int INACTIVE = 0x2;
    /** NF_CT_EXPECT_USERSPACE: created by a userspace helper; the kernel refuses it on create. */
    public static final int USERSPACE = 0x4;

    /**
     * CTA_EXPECT_NAT: the expected connection is translated back to {@code address}:{@code port} (the
     * kernel's saved_addr / saved_proto; an all-zero address means "the master's"), {@code dir} is the
     * direction relative to the master (0 original, 1 reply).
     */
    public record Nat(int dir, InetAddress address, int port) {
        public Nat {
            Objects.requireNonNull(address);
        }
    }

    /** Identity of an expectation across nodes: the expected tuple and the zone. */
    public record Key(CtTuple tuple, int zone) {
    }

    public CtExpect {
        Objects.requireNonNull(master);
        Objects.requireNonNull(tuple);
        Objects.requireNonNull(mask);
    }

    public CtExpect withTimeout(int seconds) {
        return new CtExpect(master, tuple, mask, seconds, flags, expectClass, zone, helper, function, nat);
    }

    public Key key() {
        return new Key(tuple, zone);
    }

    /** The key of the master connection, which must exist before the expectation can be created. */
    public CtEntry.Key masterKey() {
        return new CtEntry.Key(master, zone);
    }

    @Override
    public String toString() {
        return "expect " + tuple + " master " + master + " timeout " + timeout + (helper == null ? "" : " helper " + helper)
            + (nat == null ? "" : " nat " + (function == null ? "" : function + " ") + nat.address().getHostAddress()
                + ":" + nat.port()) + (zone == 0 ? "" : " zone " + zone);
    }
}
