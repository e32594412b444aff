#!/bin/bash
# The PF_KEY backend's C tests on Debian's stock kernel, which has AF_KEY
# (the build machine's kernel has not): SA lifecycle (GETSPI, UPDATE, ADD,
# GET, DELETE), policy lifecycle, cleanup that touches only keybridge's
# objects, ACQUIRE from a trap policy, soft and hard EXPIRE, a NAT-T SA, no
# AEAD in PF_KEY, the IKE sockets' bypass. (The message tests need no
# kernel: they run on the host.)
#
#   ┌──────────────────────────────────────────────────────┐
#   │ guest: kbtest 'pfkey_host_*'                         │
#   │   each test in its own unshare()d namespace,         │
#   │   objects read back with `ip xfrm` as well           │
#   └──────────────────────────────────────────────────────┘
#
# kmod-timeout: 600
# Asserts: the runner's "N passed, 0 failed", and that none skipped (on the
# host they skip for want of AF_KEY; here that would be a bug).
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
kbtest=$KB_BUILD/tests/kbtest
[ -x "$kbtest" ] || fail "$kbtest is missing (make kmod-check builds it)"
step "PF_KEY backend tests on $(uname -r)"
set +e
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$kbtest" 'pfkey_host_*' | tee "$KB_OUT/$KB_TEST.kbtest"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 0 ] || fail "kbtest exited with status $rc"
skipped=$(grep '^SKIP ' "$KB_OUT/$KB_TEST.kbtest" || true)
[ -z "$skipped" ] || fail "PF_KEY tests skipped in the guest: $skipped"
echo "ok: PF_KEY backend tests passed, none skipped"
