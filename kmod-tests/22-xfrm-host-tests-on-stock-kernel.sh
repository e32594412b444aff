#!/bin/bash
# The XFRM host tests (policies, ALLOCSPI, ACQUIRE, larval expiry, extended
# ack, batching, cleanup, refusals) once more on Debian's stock kernel,
# which is older than the build host's: what keybridge meets in the field.
#
#   ┌──────────────────────────────────────────────────────┐
#   │ guest: kbtest 'xfrm_host_*' 'xfrm_msg_*'             │
#   │   each test in its own unshare()d namespace          │
#   └──────────────────────────────────────────────────────┘
#
# Asserts: the runner's "N passed, 0 failed" and exit status.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
kbtest=$KB_BUILD/tests/kbtest
[ -x "$kbtest" ] || fail "$kbtest is missing (make kmod-check builds it)"
step "xfrm host tests on $(uname -r)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$kbtest" 'xfrm_host_*' 'xfrm_msg_*'
