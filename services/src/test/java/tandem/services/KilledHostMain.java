package tandem.services;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A supervising JVM for {@link KilledHostTest}: starts a process service whose script forks a child
 * (which stays in its group) and writes their pids, says "running" and waits to be killed.
 */
public final class KilledHostMain {
    private KilledHostMain() {
    }

    public static void main(String[] args) throws Exception {
        Path pids = Path.of(args[0]);
        ServiceHost host = ServiceHost.create(ServiceHost.Options.defaults().withOutput((s, src, l) -> { }));
        ServiceSupervisor s = host.supervise(ServiceSpec.of("victim", RunOn.ALL, ProcessSpec.of("/bin/sh", "-c",
            "sleep 300 & echo $! >> " + pids + "; (sleep 301; true) & echo $! >> " + pids + "; echo $$ >> " + pids + "; exec sleep 302")
            .withSettle(Duration.ofMillis(100))), ServiceListener.NONE);
        s.start().toCompletableFuture().get();
        System.out.println("running guardian " + Guardian.INSTANCE.pid());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5));
    }
}
