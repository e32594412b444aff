#!/bin/bash
# fentry works in the guest kernel and sees ESP traffic per SA: the hook
# keybridge's BPF tracing is built on (xfrm_state_check_expire runs once per
# packet per SA, on output and on input).
#
#   ┌─────────────────────┐   ESP 0x1001 ──▶   ┌─────────────────────┐
#   │ kb-12-1             ├────────────────────┤ kb-12-2             │
#   │ veth1 10.0.0.1/24   │   ◀── ESP 0x2002   │ veth2 10.0.0.2/24   │
#   └─────────────────────┘                    └─────────────────────┘
#   fentry/xfrm_state_check_expire counts while 5 pings cross (one kernel,
#   so the count covers both namespaces).
#
# Asserts: the kernel has BTF; the program loads and attaches; it counts at
# least 4 calls per ping (out and in, each way) and none without traffic.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

count=$KB_BUILD/kmod/fentry_count
obj=$KB_BUILD/kmod/fentry_count.bpf.o
[ -x "$count" ] && [ -f "$obj" ] || fail "$count or $obj missing (make kmod-check builds them)"
[ -f /sys/kernel/btf/vmlinux ] || fail "the guest kernel has no BTF (/sys/kernel/btf/vmlinux)"
echo "ok: kernel BTF present"

ns_two
esp_pair

step "attached, no traffic"
idle=$("$count" "$obj" -- true) || fail "fentry program did not load or attach: $idle"
assert_eq "calls without traffic" "hits 0" "$idle"

step "attached while 5 pings cross the ESP SAs"
busy=$("$count" "$obj" -- ip netns exec "$NS1" ping -n -q -c 5 -i 0.2 -W 2 10.0.0.2) ||
	fail "ping through ESP or the fentry program failed: $busy"
echo "$busy"
hits=$(awk '$1 == "hits" { print $2 }' <<<"$busy")
assert_ge "xfrm_state_check_expire calls for 5 pings" 20 "$hits"
assert_eq "$NS1 out SA 0x1001 packets" 5 "$(xfrm_packets "$NS1" 0x1001)"
