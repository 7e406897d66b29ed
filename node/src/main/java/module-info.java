/** The node daemon: configuration, event loop, VRRP engine, role pipeline, health, state sync, control socket. */
module tandem.node {
    requires transitive tandem.vrrp;
    requires transitive tandem.linux;
    requires transitive tandem.statesync;
    requires transitive tandem.replication;
    requires transitive tandem.services;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires org.slf4j;
    exports tandem.node.config;
    exports tandem.node.control;
    exports tandem.node.daemon;
    exports tandem.node.health;
    exports tandem.node.loop;
    exports tandem.node.ops;
    exports tandem.node.reload;
    exports tandem.node.replication;
    exports tandem.node.role;
    exports tandem.node.sync;
    exports tandem.node.vrrp;
}
