package tandem.statesync;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which peers were heard within the dead time - judged by what this node has read, not by the clock
 * alone. A node that is busy (a long dump, a frozen process, a backlog of kernel events) has datagrams
 * of its peers waiting unread: they are not silent, it is late. A peer is silent when the datagrams
 * read so far show nothing of it for the dead time, or when nothing at all arrived for the dead time.
 * Pure: the caller passes arrival times.
 */
public final class Liveness {
    private final long deadNanos;
    private final Map<String, Long> heard = new LinkedHashMap<>();
    private long handledUpTo = Long.MIN_VALUE;

    public Liveness(long deadNanos) {
        this.deadNanos = deadNanos;
    }

    /** A datagram that arrived at {@code arrival} was read (whatever it turned out to be). */
    public void handled(long arrival) {
        handledUpTo = Math.max(handledUpTo, arrival);
    }

    /** An authentic datagram of {@code peer} arrived at {@code arrival}. */
    public void heard(String peer, long arrival) {
        heard.merge(peer, arrival, Math::max);
        handled(arrival);
    }

    /**
     * Removes and returns the peers silent for the dead time.
     *
     * @param lastArrival when the newest datagram arrived on the socket, read or not
     */
    public List<String> expire(long now, long lastArrival) {
        List<String> gone = new ArrayList<>();
        var it = heard.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            long at = e.getValue();
            boolean silentInWhatWasRead = handledUpTo - at > deadNanos;
            boolean nothingArrived = now - lastArrival > deadNanos && now - at > deadNanos;
            if (silentInWhatWasRead || nothingArrived) {
                gone.add(e.getKey());
                it.remove();
            }
        }
        return gone;
    }

    public Set<String> peers() {
        return heard.keySet();
    }

    public boolean isEmpty() {
        return heard.isEmpty();
    }
}
