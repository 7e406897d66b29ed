/**
 * Role-bound services: specs, supervisors for processes, init-script style commands and systemd
 * units, and the pure service monitor. Knows nothing of the node: the node wires it to its role
 * pipeline and health board.
 */
module tandem.services {
    requires transitive tandem.linux;
    requires org.slf4j;
    requires org.freedesktop.dbus;
    requires org.freedesktop.dbus.transport.jre;
    exports tandem.services;
    // dbus-java builds proxies of the systemd interfaces and instantiates the signal classes reflectively
    exports tandem.services.systemd to org.freedesktop.dbus;
    opens tandem.services.systemd to org.freedesktop.dbus;
}
