#!/bin/bash
# run.sh [PATTERN...]  —  what `make kmod-check [K=...]` runs on the host.
#
# Boots Debian's stock kernel under QEMU (TCG) with the host's / as the
# guest's root and runs every executable kmod-tests/NN-*.sh whose name
# (without .sh) matches one of the glob PATTERNs (all when none is given).
# The tests are shared out among KB_KMOD_GUESTS guests (default 2) booted
# side by side, longest first by the times of the previous run: a guest
# spends much of its time waiting (pings, daemons starting), so two keep
# two cores busy. Result lines stream from the guests as tests end; this
# script then checks the results they wrote into the shared directory,
# reports tests that never finished and prints "N passed, N failed". Exit
# status 0 only if no test failed and every guest shut down normally.
#
# run.sh --shell [PATTERN...]: the same guest, running the PATTERN tests
# (none by default), then an interactive shell on this terminal.
#
# Environment: KB_ROOT, KB_BUILD (absolute), KB_KMOD_CACHE (kernel cache,
# /var/cache/keybridge-kmod), KB_KMOD_TIMEOUT (whole guest, s),
# KB_KMOD_TEST_TIMEOUT (one test, s), KB_KMOD_MEM (MiB per guest),
# KB_KMOD_GUESTS (guests side by side); every KB_BENCH_* variable is
# passed on to the guest.
set -euo pipefail
: "${KB_ROOT:?}" "${KB_BUILD:?}"
# Generous: other jobs may share the CPUs, and TCG has no KVM to lean on.
timeout_all=${KB_KMOD_TIMEOUT:-2700}
timeout_one=${KB_KMOD_TEST_TIMEOUT:-180}
mem=${KB_KMOD_MEM:-1024}
nguests=${KB_KMOD_GUESTS:-2}
here=$KB_ROOT/kmod-tests
work=$KB_BUILD/kmod
out=$work/out
cache=${KB_KMOD_CACHE:-/var/cache/keybridge-kmod}
export KB_KMOD_CACHE=$cache

die() {
	echo "kmod-check: $*" >&2
	exit 1
}
t0=$(date +%s%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

# The guest sees the host's tree at the same paths: no spaces, absolute.
case "$KB_ROOT$KB_BUILD" in
*[[:space:]]*) die "paths with white space are not supported: $KB_ROOT $KB_BUILD" ;;
esac
case "$KB_BUILD" in /*) ;; *) die "KB_BUILD must be absolute" ;; esac

shell=0
if [ "${1:-}" = --shell ]; then
	shift
	shell=1
	[ -t 0 ] || die "--shell needs a terminal on stdin"
fi

# Select the tests. Benchmarks (kmod-tests/bench-*.sh, run by make
# bench-peers-guest) are no tests: they run only when named exactly.
tests=()
for f in "$here"/[0-9][0-9]-*.sh "$here"/bench-*.sh; do
	[ -x "$f" ] || continue
	name=$(basename "$f" .sh)
	if [[ $name == bench-* ]]; then
		for pat in "$@"; do
			[ "$pat" = "$name" ] && tests+=("$name") && break
		done
		continue
	fi
	if [ $# -eq 0 ] && [ $shell = 0 ]; then
		tests+=("$name")
		continue
	fi
	for pat in "$@"; do
		# shellcheck disable=SC2053
		if [[ $name == $pat || $name.sh == $pat ]]; then
			tests+=("$name")
			break
		fi
	done
done
[ ${#tests[@]} -gt 0 ] || [ $shell = 1 ] || die "no test in kmod-tests/ matches: $*"

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (make deps)"
kver=$("$here/host/fetch-kernel.sh") || die "no kernel to boot"
kdir=$cache/$kver

rm -rf "$out"
mkdir -p "$out"
[ $shell = 0 ] || nguests=1
[ "$nguests" -le ${#tests[@]} ] || nguests=${#tests[@]}
[ "$nguests" -ge 1 ] || nguests=1

# Longest first, each to the guest with the least work so far; a test
# never timed before counts 30 s.
declare -a load share
for ((g = 1; g <= nguests; g++)); do
	load[g]=0 share[g]=""
done
while read -r secs t; do
	best=1
	for ((g = 2; g <= nguests; g++)); do
		[ "${load[g]}" -lt "${load[best]}" ] && best=$g
	done
	load[best]=$((load[best] + secs))
	share[best]="${share[best]} $t"
done < <(for t in "${tests[@]}"; do
	secs=$(awk -v t="$t" '$1 == t { s = int($2) } END { print (s == "" ? 30 : s) }' \
		"$work/times" 2>/dev/null || echo 30)
	echo "$secs $t"
done | sort -k1,1nr -k2,2)

bios=()
[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)
# qemu_cmd G: the command line of guest G (its initramfs carries its tests)
qemu_cmd() {
	local g=$1
	qemu=(
		qemu-system-x86_64 -accel tcg -M pc,hpet=on -cpu "${KB_KMOD_CPU:-max}"
		-smp 2 -m "$mem" "${bios[@]}" -nographic -nodefaults -no-reboot -monitor none
		-kernel "$kdir/vmlinux" -initrd "$work/initramfs.$g.cpio"
		-append "console=ttyS1 loglevel=${KB_KMOD_LOGLEVEL:-4} panic=-1 mitigations=off ${KB_KMOD_APPEND:-}"
		-serial stdio -serial "file:$out/kernel.$g.log"
		-fsdev "local,id=kbroot,path=/,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=kbroot,mount_tag=kbroot
		-fsdev "local,id=kbout,path=$out,security_model=none,multidevs=remap"
		-device virtio-9p-pci,fsdev=kbout,mount_tag=kbout
	)
}
for ((g = 1; g <= nguests; g++)); do
	cat >"$work/kb.$g.env" <<EOF
export KB_ROOT='$KB_ROOT' KB_BUILD='$KB_BUILD' KB_OUT='$out' KB_GUEST=$g
export KVER='$kver' KB_MODDIR='$kdir/lib/modules/$kver'
export KB_TESTS='${share[g]# }' KB_TEST_TIMEOUT='$timeout_one' KB_SHELL=$shell
EOF
	# the benchmarks' sizes (KB_BENCH_N=500 make bench-peers-guest)
	for v in $(compgen -e | grep '^KB_BENCH_' || true); do
		printf 'export %s=%q\n' "$v" "${!v}"
	done >>"$work/kb.$g.env"
	"$here/host/mkinitramfs.sh" "$kver" "$work/initramfs.$g.cpio" "$work/kb.$g.env"
done

if [ $shell = 1 ]; then
	# The console is this terminal; QEMU's monitor sits behind Ctrl-A c.
	qemu_cmd 1
	qemu=("${qemu[@]/#stdio/mon:stdio}")
	echo "kmod-shell: booting $kver; logs in $out"
	"${qemu[@]}"
	exit 0
fi

# run_guest G: boot guest G, its console both on stdout, whole lines at a
# time (sed -u writes each line at once, so two guests never mix within a
# line), and in console.G.log; QEMU's exit status into qemu.G.rc.
run_guest() {
	local g=$1
	set +e
	qemu_cmd "$g"
	timeout -s KILL "$timeout_all" "${qemu[@]}" </dev/null 2>"$out/qemu.$g.stderr" |
		tee "$out/console.$g.log" | sed -u ''
	echo "${PIPESTATUS[0]}" >"$out/qemu.$g.rc"
}

echo "kmod-check: booting $kver under QEMU (TCG), $nguests guest(s) for ${#tests[@]} test(s); logs in $out"
pids=()
for ((g = 1; g <= nguests; g++)); do
	run_guest "$g" &
	pids+=($!)
done
wait "${pids[@]}" 2>/dev/null || true

# trouble G: why guest G did not end normally, or nothing.
trouble() {
	local g=$1 rc
	rc=$(cat "$out/qemu.$g.rc" 2>/dev/null || echo lost)
	if [ "$rc" = 137 ]; then
		echo "guest $g did not finish within ${timeout_all}s (KB_KMOD_TIMEOUT): QEMU killed"
	elif [ "$rc" != 0 ]; then
		echo "guest $g: QEMU exited with status $rc: $(tail -n 5 "$out/qemu.$g.stderr")"
	elif [ "$(cat "$out/status.$g" 2>/dev/null)" != done ]; then
		echo "guest $g stopped before finishing its tests"
	fi
}

cat "$out"/results.* >"$out/results" 2>/dev/null || true
passed=0 failed=0 skipped=0
for t in "${tests[@]}"; do
	word=$(awk -v t="$t" '$1 == t { print $2 }' "$out/results" || true)
	case $word in
	PASS) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	*)
		echo "FAIL $t (did not finish)"
		failed=$((failed + 1))
		;;
	esac
done
for ((g = 1; g <= nguests; g++)); do
	why=$(trouble "$g")
	[ -n "$why" ] || continue
	echo "kmod-check: *** $why ***"
	echo "kmod-check: last lines of its kernel log ($out/kernel.$g.log):"
	if [ -s "$out/kernel.$g.log" ]; then
		tail -n 30 "$out/kernel.$g.log" | sed 's/^/    | /'
	else
		echo "    (nothing at loglevel ${KB_KMOD_LOGLEVEL:-4}; rerun with KB_KMOD_LOGLEVEL=7)"
	fi
	[ "$failed" -gt 0 ] || failed=1
done
# Remember how long each test took, to share them out better next time.
{
	awk '{ print $1, $3 }' "$out/results"
	awk 'NR == FNR { seen[$1] = 1; next } !($1 in seen)' "$out/results" "$work/times" 2>/dev/null || true
} >"$work/times.new" && mv "$work/times.new" "$work/times"
[ "$skipped" = 0 ] || echo "$skipped skipped (see SKIPPED lines above for why)"
echo "kmod-check: $(elapsed) s in all (kernel $kver, $nguests guest(s))"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
