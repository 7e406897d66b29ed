/** The hotwire: SSH with pinned Ed25519 keys, the tandem-sync subsystem and its frames. */
package tandem.replication.hotwire;
