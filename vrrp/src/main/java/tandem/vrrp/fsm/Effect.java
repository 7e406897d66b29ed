package tandem.vrrp.fsm;

/**
 * What the state machine asks the outside world to do, in order. The daemon executes them; tests
 * assert on them.
 */
public sealed interface Effect {
    VrrpRouter router();

    /** Send one ADVERTISEMENT with this priority (0 when resigning). */
    record SendAdvertisement(VrrpRouter router, int priority) implements Effect {
    }

    /** Configure the virtual addresses on the interface. */
    record AddAddresses(VrrpRouter router) implements Effect {
    }

    /** Remove the virtual addresses from the interface. */
    record RemoveAddresses(VrrpRouter router) implements Effect {
    }

    /** Gratuitous ARP / unsolicited Neighbor Advertisement for every virtual address. */
    record Announce(VrrpRouter router) implements Effect {
    }

    /** The router changed state; {@code reason} is one human-readable clause. */
    record Transition(VrrpRouter router, VrrpState from, VrrpState to, String reason) implements Effect {
    }
}
