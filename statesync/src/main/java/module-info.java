/** Pure connection-state sync protocol: codec, crypto, reliable stream, external cache. */
module tandem.statesync {
    requires transitive tandem.conntrack;
    exports tandem.statesync;
}
