/**
 * Configuration replication over the hotwire: the manifest of the replicated files, the receiver's
 * apply transaction with its generations and journal, the SSH transport with pinned keys (Apache MINA
 * SSHD), the sync protocol and the facade the daemon calls.
 */
module tandem.replication {
    requires transitive com.fasterxml.jackson.databind;
    requires org.slf4j;
    // automatic modules (no module-info in their jars): see README.md, "Dependencies and modules (jlink)"
    requires org.apache.sshd.osgi;
    requires io.github.javadiffutils;
    // sshd 2.20 finds Ed25519 only through Bouncy Castle, by class name: resolve it into the graph
    requires org.bouncycastle.provider;
    exports tandem.replication;
    exports tandem.replication.model;
    exports tandem.replication.apply;
    exports tandem.replication.hotwire;
    opens tandem.replication.apply to com.fasterxml.jackson.databind;
    opens tandem.replication.model to com.fasterxml.jackson.databind;
    opens tandem.replication.hotwire to com.fasterxml.jackson.databind;
}
