#!/bin/bash
# Guest stage 2 (PID 1, running from the host's file system under an
# overlay): prepare a minimal system, load the modules every test needs,
# run the selected tests one by one and power off.
#
# For each test it appends "NAME PASS|FAIL|SKIP SECONDS" to
# $KB_OUT/results.$KB_GUEST as soon as the test ends, so the host knows how
# far a dying guest got, and prints the same result line (plus the reason
# of a skip, the tail of a failure's log) on the console.
# $KB_OUT/status.$KB_GUEST holds "done" at the end.
# Environment (from stage 1): KB_ROOT KB_BUILD KB_OUT KB_GUEST (this guest's
# number) KVER KB_TESTS KB_TEST_TIMEOUT, KB_SHELL (1: a shell on the console
# after the tests).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LC_ALL=C.UTF-8 KB_IN_GUEST=1
export KB_ROOT KB_BUILD KB_OUT

poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30 2>/dev/null
}
trap poweroff_now EXIT

setup_system() {
	# Fresh /tmp and /run rather than the host's ones the overlay shows,
	# unless the repository or the shared directory lives there.
	local d
	for d in /tmp /run; do
		case "$KB_ROOT/ $KB_BUILD/ $KB_OUT/" in
		*"$d/"*) echo "kmod guest: keeping the host's $d (the tree is there)" ;;
		*) mount -t tmpfs -o mode=1777 tmpfs "$d" ;;
		esac
	done
	chmod 755 /run
	mkdir -p /dev/pts /dev/shm /run/netns
	# devtmpfs lacks what udev/systemd would add; bash needs /dev/fd.
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t bpf bpf /sys/fs/bpf
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	hostname kb-guest
	ip link set lo up
	echo 1 >/proc/sys/kernel/sysrq
}

# Module autoload costs 0.1-0.25 s per module under TCG: load up front
# what the tests need (kmod-tests/modules.list, one name per line).
load_modules() {
	local mods
	mods=$(sed 's/#.*//' "$KB_ROOT/kmod-tests/modules.list")
	# shellcheck disable=SC2086
	modprobe -a $mods || echo "kmod guest: warning: modprobe -a failed for some of: $mods"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Namespaces a test left behind would disturb the next one: a failure.
leftovers() {
	local ns
	ns=$(ip netns list | cut -d' ' -f1)
	[ -z "$ns" ] && return 0
	echo "left network namespaces behind: $ns"
	for n in $ns; do ip netns del "$n"; done
	return 1
}

# The kernel's messages during a test go to $KB_OUT/NAME.dmesg; a splat
# (BUG, WARNING, Oops) there fails the test: the kernel disagreed with what
# the test made it do.
kernel_splat() {
	local t=$1
	dmesg --read-clear >"$KB_OUT/$t.dmesg" 2>/dev/null
	[ -s "$KB_OUT/$t.dmesg" ] || rm -f "$KB_OUT/$t.dmesg"
	[ -f "$KB_OUT/$t.dmesg" ] || return 1
	grep -E '(^|\] )(BUG|WARNING|Oops|general protection fault|kernel BUG)[: ]' \
		"$KB_OUT/$t.dmesg" | head -n 5
}

# A test may raise its own time limit with a line "# kmod-timeout: SECONDS".
test_timeout() {
	local s
	s=$(sed -n 's/^# kmod-timeout: *\([0-9][0-9]*\).*/\1/p' "$KB_ROOT/kmod-tests/$1.sh" | head -n 1)
	echo "${s:-$KB_TEST_TIMEOUT}"
}

run_test() {
	local t=$1 log=$KB_OUT/$1.log start rc word ms secs splat limit
	limit=$(test_timeout "$t")
	start=$(now_ms)
	(cd "$KB_ROOT" && exec timeout -k 5 "$limit" "./kmod-tests/$t.sh") \
		</dev/null >"$log" 2>&1
	rc=$?
	if ! leftovers >>"$log" 2>&1 && { [ $rc = 0 ] || [ $rc = 77 ]; }; then
		rc=1
	fi
	splat=$(kernel_splat "$t")
	if [ -n "$splat" ]; then
		echo "kernel splat during the test (see $KB_OUT/$t.dmesg):" >>"$log"
		echo "$splat" >>"$log"
		rc=1
	fi
	case $rc in
	0) word=PASS ;;
	77) word=SKIP ;;
	124 | 137) word=FAIL && echo "timed out after ${limit}s (KB_KMOD_TEST_TIMEOUT or '# kmod-timeout:')" >>"$log" ;;
	*) word=FAIL ;;
	esac
	ms=$(($(now_ms) - start))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	echo "$t $word $secs" >>"$KB_OUT/results.$KB_GUEST"
	echo "$word $t ($secs s)"
	case $word in
	SKIP) echo "    SKIPPED: $(grep -v '^$' "$log" | tail -n 1)" ;;
	FAIL) tail -n 40 "$log" | sed 's/^/    | /' ;;
	esac
}

setup_system
boot_secs=$(cut -d' ' -f1 /proc/uptime)
load_modules
dmesg >"$KB_OUT/boot.$KB_GUEST.dmesg"
dmesg --clear
echo "kmod guest $KB_GUEST: kernel $(uname -r), up in ${boot_secs}s, modules loaded at $(cut -d' ' -f1 /proc/uptime)s"
for t in $KB_TESTS; do
	run_test "$t"
done
if [ "${KB_SHELL:-0}" = 1 ]; then
	# make kmod-shell: an interactive shell on the console, same setup.
	echo "kmod guest: shell in $KB_ROOT; exit powers off (Ctrl-A x kills QEMU)"
	stty -F /dev/ttyS0 sane
	(cd "$KB_ROOT" && setsid -c bash -i </dev/ttyS0 >/dev/ttyS0 2>&1)
fi
echo done >"$KB_OUT/status.$KB_GUEST"
