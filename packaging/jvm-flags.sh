# shellcheck shell=bash
# The JVM flags of `tandem run`, chosen in one place: sourced by the developer wrapper (./tandem) and
# by the packaged launcher (/usr/bin/tandem, installed next to this file as /usr/lib/tandem/jvm-flags.sh).
# (tandem.lab.Lab.daemonJvmFlags makes the same choice for the lab's daemons.)
#
#   tandem_jvm_flags "$@"   sets the array TANDEM_JVM_FLAGS for the command line "$@"; empty unless the
#                           command is `run`.
#
# A VRRP-only node: serial collector, at most 384 MiB (lowest RSS, millisecond pauses), C1 only (the
# advert path needs no more; C2 kept compiling for minutes at idle). With state sync the node holds up
# to millions of replicated connections (about 300 bytes each): Shenandoah, whose pauses stay below a
# millisecond, in at most 1 GiB, aiming at 256 MiB while the live data fits (TANDEM_HEAP overrides the
# cap), compiled by C2 only (tiered compilation recompiled the event path at every change between idle
# and load). State sync is on when the configuration has a top-level `statesync:` section.
tandem_jvm_flags() {
  TANDEM_JVM_FLAGS=()
  [ "${1:-}" = run ] || return 0
  local a cfg="" prev=""
  for a in "$@"; do
    [ "$prev" = --config ] && cfg="$a"
    case "$a" in --config=*) cfg="${a#--config=}" ;; esac
    prev="$a"
  done
  if [ -n "$cfg" ] && [ -r "$cfg" ] && grep -q '^statesync:' "$cfg"; then
    TANDEM_JVM_FLAGS=(-XX:+UseShenandoahGC -XX:SoftMaxHeapSize=256m -XX:-TieredCompilation -XX:CICompilerCount=2
      -XX:ReservedCodeCacheSize=48m "-Xmx${TANDEM_HEAP:-1g}")
  else
    TANDEM_JVM_FLAGS=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m "-Xmx${TANDEM_HEAP:-384m}")
  fi
  TANDEM_JVM_FLAGS+=(-Xms16m -XX:TrimNativeHeapInterval=2000 -XX:MaxMetaspaceSize=64m -Xss512k)
}

# The module options of the packaged launcher, for the runtime and modules in BASE (/usr/lib/tandem):
#
#   tandem_module_flags BASE   sets the array TANDEM_MODULE_FLAGS: the options up to the main module,
#                              after which the command's own arguments follow.
#
# The application's jars are on the module path; the runtime holds only JDK modules (jlink links no
# automatic module). --add-modules ALL-SYSTEM: an automatic module (sshd-osgi, java-diff-utils) reads
# every module of the boot layer but requires none, so the JDK modules that only they use (java.rmi,
# java.management, java.security.jgss for sshd) would not be resolved into it - and the runtime holds
# no other modules than those tandem needs. scripts/package's AOT training run uses the same options: the
# cache records them, and the JVM maps it only when they are equal (and the module path the same files).
tandem_module_flags() {
  TANDEM_MODULE_FLAGS=(--module-path "$1/modules" --add-modules ALL-SYSTEM --enable-native-access=tandem.linux
    -m tandem.cli/tandem.cli.Main)
}
