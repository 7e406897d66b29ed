/** The node daemon: configuration, event loop, VRRP engine, role pipeline, state sync, control socket. */
module tandem.node {
    requires transitive tandem.vrrp;
    requires transitive tandem.linux;
    requires transitive tandem.statesync;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires org.slf4j;
    exports tandem.node.config;
    exports tandem.node.daemon;
    exports tandem.node.sync;
}
