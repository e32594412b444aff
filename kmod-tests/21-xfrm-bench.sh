#!/bin/bash
# XFRM install/remove benchmark with ESP: the figures the build host cannot
# give (it has no ESP, so it measures policies only).
#
#   ┌──────────────────────────────────────────────────────┐
#   │ guest: kbbench 'xfrm_*' in a private netns it makes  │
#   │   N x (SA AES-GCM tunnel + out policy), batched,     │
#   │   one by one, and `ip -batch` with the same set;     │
#   │   N tunnel CHILD SAs' kernel work (ALLOC_SPI, 2 SAs, │
#   │   3 policies) batched per engine call, one by one    │
#   └──────────────────────────────────────────────────────┘
#
# Asserts: the benchmark ran with ESP (it printed SA+policy pair figures for
# keybridge and ip -batch, and CHILD SA figures with their SAs). The
# numbers are in $KB_OUT/21-xfrm-bench.log; under TCG they are slow in absolute terms, the ratios are what matter.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
bench=$KB_BUILD/bench/kbbench
[ -x "$bench" ] || skip "$bench is missing: run 'make bench' (or make $bench) before make kmod-check"

step "kbbench xfrm_* with ${KB_BENCH_XFRM_N:=1000} pairs"
out=$(KB_BENCH_XFRM_N=$KB_BENCH_XFRM_N KB_BUILD=$KB_BUILD KB_ROOT=$KB_ROOT \
	"$bench" 'xfrm_*')
echo "$out"
echo "$out" | grep -q "SA+policy pairs installed, batched .*ip -batch" ||
	fail "no SA+policy pair figures (was ESP missing?)"
echo "$out" | grep -q "^  CHILD SA installed: round trips each" ||
	fail "no CHILD SA figures with SAs (was ESP missing?)"
echo "ok: SA+policy pairs measured beside ip -batch, CHILD SAs batched beside one by one"
