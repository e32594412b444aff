#!/bin/bash
# A byte-triggered rekey starts from the traffic keybridged's BPF program
# observes, before the kernel's soft EXPIRE arrives.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ rekey_bytes = 400000     │         │ no byte limits           │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#   pings of 1000 bytes every 10 ms: up to 100 kB/s each way (50-60 under TCG)
#
# With a lifetime this short (~4-7 s at this rate, less than the 10 s a
# rekey may take) the prediction looks half the limit's duration ahead, so
# the CHILD SA is rekeyed at about half of rekey_bytes, well before the
# kernel's soft limit; the test stops the traffic after the first rekey.
#
# Asserts: $NS1 logs "rekey: N % of rekey_bytes at R, limit in T s" (from
# the rate, or at the latest from the 80 % threshold event), the CHILD SA is
# rekeyed (new SPIs, the tunnel keeps passing pings), and the kernel's soft
# limit was never reached first: the engine's "reached a soft limit" line
# is absent or comes after the rekey line.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
sed -i 's/start_action = start/&\n\t\t\t\t\trekey_bytes = 400000/' "$dir/1.conf"
grep -q "rekey_bytes = 400000" "$dir/1.conf" || fail "rekey_bytes not in the config"
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"
kb_wait "$NS1" "SA usage: BPF fentry"
kb_wait "$NS1" "CHILD SA negotiated"
old=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
log=$KB_OUT/$KB_TEST.kb-$NS1.log

step "~100 kB/s through the tunnel until the CHILD SA is rekeyed"
ip netns exec "$NS1" ping -n -q -c 800 -i 0.01 -s 1000 -I 10.1.0.1 10.2.0.1 >/dev/null &
pinger=$!
kb_wait "$NS1" "rekey: [0-9]+ % of rekey_bytes at [0-9.]+ [kM]?B/s" 30
grep -q "rekey of CHILD SA .* not started: rekeying is not implemented" "$log" &&
	skip "engine_rekey_child returned ENOTSUP: rekeying is not in the engine yet"
kb_wait "$NS1" "CHILD SA rekeyed" 30
kill "$pinger" 2>/dev/null || true
wait "$pinger" 2>/dev/null || true
grep "not started" "$log" && fail "the engine refused the rekey (line above)"

step "the rekey came first"
rekey_line=$(grep -n "rekey: [0-9]* % of rekey_bytes" "$log" | head -n 1 | cut -d: -f1)
soft_line=$(grep -n "reached a soft limit in the kernel" "$log" | head -n 1 | cut -d: -f1)
echo "rekey line $rekey_line, soft expiry line ${soft_line:-none}"
[ -z "$soft_line" ] || [ "$rekey_line" -lt "$soft_line" ] ||
	fail "the kernel's soft expiry (line $soft_line) came before the BPF-driven rekey (line $rekey_line)"
echo "ok: the BPF-driven rekey started before any soft EXPIRE"
new=$(ip -n "$NS1" xfrm state |
	awk -v old="$old" '$1 == "src" && $2 == "10.0.0.1" { getline; if ($4 != old) print $4 }' |
	head -n 1)
[ -n "$new" ] || fail "no new outbound SA beside $old"
echo "ok: outbound SA $old replaced by $new"
ping_ok "$NS1" 10.2.0.1 3 -I 10.1.0.1
kb_stop "$NS1"
kb_stop "$NS2"
rm -rf "$dir"
