package tandem.services;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects a supervisor's events and the output lines of services, for assertions. */
final class Recorder implements ServiceListener, OutputSink {
    final List<ServiceEvent> events = new CopyOnWriteArrayList<>();
    final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public void event(ServiceEvent event) {
        events.add(event);
    }

    @Override
    public void line(String service, String source, String line) {
        lines.add(service + " " + source + ": " + line);
    }

    List<ServiceState> states() {
        List<ServiceState> out = new ArrayList<>();
        for (ServiceEvent e : events) {
            if (e instanceof ServiceEvent.Transition t) {
                out.add(t.state());
            }
        }
        return out;
    }

    <T extends ServiceEvent> List<T> of(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (ServiceEvent e : events) {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        }
        return out;
    }

    long count(ServiceState s) {
        return states().stream().filter(x -> x == s).count();
    }
}
