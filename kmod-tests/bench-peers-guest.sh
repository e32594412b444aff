#!/bin/bash
# make bench-peers-guest: tools/bench-peers.sh in the kmod guest (Debian's
# stock kernel, real ESP), with a CHILD SA in every IKE_AUTH that both
# responders install in the kernel. A benchmark, not a test: it runs only
# when named (kmod-tests/host/run.sh), never in make kmod-check.
#
#   ┌────────────────── guest (TCG, 2 vCPUs) ──────────────────────────┐
#   │ kbbench-a 192.0.2.1 ── veth ── kbbench-b 192.0.2.2               │
#   │ ike-load (initiators)           keybridged, then charon:         │
#   │                                 2 SAs + policies per CHILD SA    │
#   └──────────────────────────────────────────────────────────────────┘
#
# Each CHILD SA is a host-to-host tunnel (192.0.2.1 <-> 192.0.2.2): every
# one has the same selectors, so each responder keeps one set of policies
# and one inbound and one outbound SA per CHILD SA. bench-peers.sh counts
# the SAs in kbbench-b after each full run and fails loudly when fewer
# than 2 per IKE SA are there.
#
# TCG runs everything many times slower than the host, the guest's
# figures only compare the two daemons of one run with each other.
# Defaults sized for minutes: KB_BENCH_N 2000, KB_BENCH_SWEEP_N 300,
# KB_BENCH_CONC "8 32", and ike-load's first retransmission after 8 s
# (KB_BENCH_RETRANSMIT 8000): on a busy host TCG answers take seconds,
# and retransmissions after the host's 2 s would double the load they
# measure. The same KB_BENCH_* variables as bench-peers.sh change them
# (make passes them on to the guest). The responders' logs
# and ike-load's JSON land in $KB_OUT/bench-peers-guest/.
#
# kmod-timeout: 3000
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
require_cmd swanctl python3
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"

export KB_BENCH_CHILD=1
export KB_BENCH_N=${KB_BENCH_N:-2000}
export KB_BENCH_SWEEP_N=${KB_BENCH_SWEEP_N:-300}
export KB_BENCH_CONC=${KB_BENCH_CONC:-8 32}
export KB_BENCH_RETRANSMIT=${KB_BENCH_RETRANSMIT:-8000}
export KB_BENCH_LOGS=$KB_OUT/$KB_TEST
rm -rf "$KB_BENCH_LOGS"
mkdir -p "$KB_BENCH_LOGS"

echo "guest: kernel $(uname -r), $(nproc) vCPUs, $(awk '/^MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
echo "KB_BENCH_N=$KB_BENCH_N KB_BENCH_SWEEP_N=$KB_BENCH_SWEEP_N KB_BENCH_CONC=\"$KB_BENCH_CONC\" KB_BENCH_RETRANSMIT=$KB_BENCH_RETRANSMIT KB_BENCH_CHILD=1"
"$KB_ROOT/tools/bench-peers.sh" "$KB_BUILD"
