/** Pure conntrack model: entries, tuples, expectations, the address interner; shared by linux and statesync. */
module tandem.conntrack {
    exports tandem.conntrack;
}
