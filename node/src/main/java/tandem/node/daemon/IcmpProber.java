package tandem.node.daemon;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import tandem.linux.icmp.IcmpSocket;
import tandem.node.config.NodeConfig;
import tandem.node.ops.Prober;

/**
 * The ping checks' rounds on Linux: one raw ICMP socket per check and family (bound to the check's
 * interface when it names one), an echo request to each target, then replies until the timeout: the
 * round succeeds at the first reply of this round's sequence from one of the targets.
 */
final class IcmpProber implements Prober, AutoCloseable {
    private final Map<String, IcmpSocket> sockets = new ConcurrentHashMap<>();
    private final int identifier = (int) (ProcessHandle.current().pid() & 0xffff);

    @Override
    public boolean round(NodeConfig.PingCheck check, int sequence) {
        boolean answered = false;
        for (boolean v6 : new boolean[] {false, true}) {
            Set<InetAddress> targets = new HashSet<>();
            for (InetAddress t : check.targets()) {
                if (t instanceof Inet6Address == v6) {
                    targets.add(t);
                }
            }
            if (targets.isEmpty()) {
                continue;
            }
            IcmpSocket s = sockets.computeIfAbsent(check.name() + (v6 ? "/6" : "/4"),
                k -> IcmpSocket.open(v6, check.interfaceName(), identifier ^ check.name().hashCode()));
            for (InetAddress t : targets) {
                s.send(t, sequence, ("tandem " + check.name()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            long end = System.nanoTime() + check.timeout().toNanos();
            while (!answered) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                s.receiveTimeout((int) left);
                IcmpSocket.Reply r = s.receive();
                answered = r != null && r.sequence() == sequence && targets.contains(r.source());
            }
            if (answered) {
                return true;
            }
        }
        return false;
    }

    /** Forgets a check's sockets (it was removed or changed). */
    void forget(String check) {
        for (String k : new String[] {check + "/4", check + "/6"}) {
            IcmpSocket s = sockets.remove(k);
            if (s != null) {
                s.close();
            }
        }
    }

    @Override
    public void close() {
        sockets.values().forEach(IcmpSocket::close);
        sockets.clear();
    }
}
