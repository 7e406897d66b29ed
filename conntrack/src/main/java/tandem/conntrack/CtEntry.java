package tandem.conntrack;

import java.util.Arrays;
import java.util.Objects;

/**
 * A conntrack entry with everything needed to recreate it faithfully on another node.
 *
 * @param orig         original-direction tuple (the flow key, with {@code zone})
 * @param reply        reply-direction tuple; differs from {@code orig.inverted()} when NAT applies
 * @param status       IPS_* status bits (CTA_STATUS)
 * @param timeout      seconds left (CTA_TIMEOUT)
 * @param mark         CTA_MARK
 * @param zone         CTA_ZONE (0 = default)
 * @param tcp          TCP protocol state, or {@code null} for other protocols
 * @param seqAdjOrig   sequence adjustment original direction, or {@code null}
 * @param seqAdjReply  sequence adjustment reply direction, or {@code null}
 * @param helper       helper name (e.g. "ftp"), or {@code null}
 * @param master       master tuple of a related (expected) connection, or {@code null}
 * @param labels       CTA_LABELS bitmap, or {@code null}
 */
public record CtEntry(CtTuple orig, CtTuple reply, int status, int timeout, int mark, int zone, Tcp tcp,
                      SeqAdj seqAdjOrig, SeqAdj seqAdjReply, String helper, CtTuple master, byte[] labels) {

    /** IPS_SEEN_REPLY. */
    public static final int SEEN_REPLY = 1 << 1;
    /** IPS_ASSURED. */
    public static final int ASSURED = 1 << 2;
    /** IPS_CONFIRMED. */
    public static final int CONFIRMED = 1 << 3;
    /** IPS_SRC_NAT. */
    public static final int SRC_NAT = 1 << 4;
    /** IPS_DST_NAT. */
    public static final int DST_NAT = 1 << 5;
    /** IPS_FIXED_TIMEOUT. */
    public static final int FIXED_TIMEOUT = 1 << 10;
    /** Status bits a node may set when it creates an entry; the kernel derives the others (NAT, confirmed). */
    public static final int SETTABLE = SEEN_REPLY | ASSURED | FIXED_TIMEOUT;

    /**
     * TCP state (CTA_PROTOINFO_TCP). The flags (IP_CT_TCP_FLAG_*) must travel with the window scales:
     * the kernel applies a window scale only when the WINDOW_SCALE flag of both directions is set.
     */
    public record Tcp(int state, int wscaleOrig, int wscaleReply, int flagsOrig, int flagsReply) {
        /** TCP_CONNTRACK_ESTABLISHED. */
        public static final int ESTABLISHED = 3;
        /** IP_CT_TCP_FLAG_WINDOW_SCALE. */
        public static final int FLAG_WINDOW_SCALE = 0x01;
    }

    /** Sequence adjustment of one direction (CTA_SEQ_ADJ_*), set by helpers that rewrite payload. */
    public record SeqAdj(int correctionPos, int offsetBefore, int offsetAfter) {
    }

    public CtEntry {
        Objects.requireNonNull(orig);
        Objects.requireNonNull(reply);
        labels = labels == null ? null : labels.clone();
    }

    @Override
    public byte[] labels() {
        return labels == null ? null : labels.clone();
    }

    /** The flow key: original tuple and zone. */
    public Key key() {
        return new Key(orig, zone);
    }

    /** Identity of a flow across nodes. */
    public record Key(CtTuple orig, int zone) {
    }

    /**
     * The reply tuple as it would be without NAT: the inverse of the original (for ICMP, the reply's
     * own type/code with the original id). A create message carries this plus the NAT range, so the
     * kernel performs the translation itself and sets IPS_SRC_NAT / IPS_DST_NAT; given the already
     * translated reply tuple it would find nothing to translate, and packets would pass unmangled.
     */
    public CtTuple untranslatedReply() {
        return orig.icmp()
            ? new CtTuple(orig.dst(), orig.src(), orig.protocol(), orig.srcPort(), reply.dstPort())
            : new CtTuple(orig.dst(), orig.src(), orig.protocol(), orig.dstPort(), orig.srcPort());
    }

    public boolean srcNat() {
        return !reply.dst().equals(orig.src()) || (orig.icmp() ? reply.srcPort() != orig.srcPort()
            : reply.dstPort() != orig.srcPort());
    }

    public boolean dstNat() {
        return !reply.src().equals(orig.dst()) || !orig.icmp() && reply.srcPort() != orig.dstPort();
    }

    /**
     * This entry changed by an UPDATE notification. The kernel's updates are partial: TCP state only
     * when it changed, the master tuple only when the entry was created, labels only when they changed
     * (and sequence adjustment only in dumps); tuples, status, timeout and mark are always there. So
     * what {@code update} lacks is unchanged and taken from this entry.
     */
    public CtEntry updatedBy(CtEntry update) {
        return new CtEntry(update.orig, update.reply, update.status, update.timeout, update.mark, update.zone,
            update.tcp != null ? update.tcp : tcp, update.seqAdjOrig != null ? update.seqAdjOrig : seqAdjOrig,
            update.seqAdjReply != null ? update.seqAdjReply : seqAdjReply, update.helper != null ? update.helper : helper,
            update.master != null ? update.master : master, update.labels != null ? update.labels : labels);
    }

    public CtEntry withTimeout(int seconds) {
        return new CtEntry(orig, reply, status, seconds, mark, zone, tcp, seqAdjOrig, seqAdjReply, helper, master, labels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CtEntry e && orig.equals(e.orig) && reply.equals(e.reply) && status == e.status
            && timeout == e.timeout && mark == e.mark && zone == e.zone && Objects.equals(tcp, e.tcp)
            && Objects.equals(seqAdjOrig, e.seqAdjOrig) && Objects.equals(seqAdjReply, e.seqAdjReply)
            && Objects.equals(helper, e.helper) && Objects.equals(master, e.master) && Arrays.equals(labels, e.labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(orig, reply, status, timeout, mark, zone);
    }

    @Override
    public String toString() {
        return orig + " | reply " + reply + (tcp == null ? "" : " tcp state " + tcp.state()) + " timeout " + timeout
            + " mark " + mark + (zone == 0 ? "" : " zone " + zone) + (helper == null ? "" : " helper " + helper);
    }
}
