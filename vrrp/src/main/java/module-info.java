/** Pure VRRP: codec and RFC 5798 state machine with sync groups; no I/O, no clock. */
module tandem.vrrp {
    exports tandem.vrrp;
    exports tandem.vrrp.fsm;
}
