/** The network-namespace lab, failover probes and benchmarks. */
module tandem.lab {
    requires transitive tandem.node;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    exports tandem.lab;
    exports tandem.lab.bench;
}
