#!/bin/bash
# The README's demo (tools/demo.sh, `make demo`) run as a test, so the
# command a new user types first is checked on every CI run: two keybridged
# bring a tunnel up, 5 pings pass through it, the stop cleans the kernel.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
"$KB_ROOT/tools/demo.sh" "$KB_BUILD"
