#!/bin/bash
# SA + policy pairs installed per second through PF_KEY, beside the XFRM
# backend (batched and one by one) and `ip -batch`, one run, as ratios.
#
#   ┌──────────────────────────────────────────────────────┐
#   │ guest: kbbench 'pfkey_*' in a private netns it makes │
#   │   N x (SA AES-CBC + HMAC-SHA-1 tunnel + out policy)  │
#   │   through PF_KEY, through XFRM, through ip -batch    │
#   └──────────────────────────────────────────────────────┘
#
# Asserts: the benchmark ran (it printed the PF_KEY figures with their
# references). The numbers are in $KB_OUT/53-pfkey-bench.log; under TCG
# they are slow in absolute terms, the ratios are what matter.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
bench=$KB_BUILD/bench/kbbench
[ -x "$bench" ] || skip "$bench is missing: run 'make bench' (or make $bench) before make kmod-check"

step "kbbench pfkey_* with ${KB_BENCH_PFKEY_N:=500} pairs"
out=$(KB_BENCH_PFKEY_N=$KB_BENCH_PFKEY_N KB_BUILD=$KB_BUILD KB_ROOT=$KB_ROOT \
	"$bench" 'pfkey_*')
echo "$out"
echo "$out" | grep -q "SA+policy pairs via PF_KEY .*ip -batch" ||
	fail "no PF_KEY figures beside ip -batch"
echo "ok: PF_KEY install rate measured beside XFRM and ip -batch"
