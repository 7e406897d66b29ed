/** The facade the daemon calls: per-peer status, push, diff. */
package tandem.replication;
