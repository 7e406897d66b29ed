/** systemd's D-Bus interfaces as dbus-java proxies (exported and opened to dbus-java only). */
package tandem.services.systemd;
