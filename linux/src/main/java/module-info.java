/** The Linux layer: FFM bindings (the only module granted native access). */
module tandem.linux {
    requires transitive tandem.conntrack;
    exports tandem.linux;
    exports tandem.linux.ct;
    exports tandem.linux.icmp;
}
