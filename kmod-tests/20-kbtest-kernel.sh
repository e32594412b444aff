#!/bin/bash
# The C tests that need the guest's kernel (ESP, PF_KEY, fentry) run here.
#
#   ┌─────────────────────────────────────────────┐
#   │ guest (initial namespace)                   │
#   │   $KB_BUILD/tests/kbtest 'kernel_*'         │
#   │                          'xfrm_esp_*'       │
#   └─────────────────────────────────────────────┘
#   The tests make their own namespaces and sockets; see daemon/tests/.
#
# On the host those tests call test_skip (no ESP there); with KB_IN_GUEST=1
# they must fail instead, so a skip here means a missing kernel feature.
# Asserts: the runner's exit status ("N passed, 0 failed") and that none of
# the tests skipped.
# kmod-timeout: 900
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
kbtest=$KB_BUILD/tests/kbtest
[ -x "$kbtest" ] || fail "$kbtest is missing (make kmod-check builds it)"
patterns=('kernel_*' 'xfrm_esp_*')

names=$("$kbtest" --list | cut -f1)
n=0
for name in $names; do
	for p in "${patterns[@]}"; do
		# shellcheck disable=SC2053
		[[ $name == $p ]] && n=$((n + 1)) && break
	done
done
[ "$n" -gt 0 ] || skip "no C test named ${patterns[*]} exists yet"

step "$n C tests under ASan and UBSan"
# ASan reserves its shadow memory with MAP_NORESERVE: 1 GiB of guest RAM and
# the default overcommit suffice.
set +e
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$kbtest" "${patterns[@]}" | tee "$KB_OUT/$KB_TEST.kbtest"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "kbtest exited with status $rc"
# Here every kernel feature they could want is present: a skip is a bug.
skipped=$(grep '^SKIP ' "$KB_OUT/$KB_TEST.kbtest" || true)
[ -z "$skipped" ] || fail "C tests skipped in the guest, where they must run: $skipped"
echo "ok: $n C tests passed, none skipped"
