package tandem.vrrp.fsm;

/** States of a virtual router: the three of RFC 5798 section 6.4 plus FAULT for failed interfaces/trackers. */
public enum VrrpState {
    /** RFC 5798 section 6.4.1: waiting for a Startup event. */
    INITIALIZE("init"),
    /** RFC 5798 section 6.4.2: monitoring the master. */
    BACKUP("backup"),
    /** RFC 5798 section 6.4.3: forwarding for the virtual addresses. */
    MASTER("master"),
    /** Not in the RFC: the interface is down or a tracked object failed; neither sends nor takes over. */
    FAULT("fault");

    private final String label;

    VrrpState(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
