#!/bin/bash
# run.sh [PATTERN...]  —  what `make kmod-check [K=...]` runs on the host.
#
# Boots Debian's stock kernel once under QEMU (TCG) with the host's / as the
# guest's root and runs every executable kmod-tests/NN-*.sh whose name
# (without .sh) matches one of the glob PATTERNs (all when none is given).
# Result lines stream from the guest as tests end; this script then checks
# the results the guest wrote into the shared directory, reports tests that
# never finished and prints "N passed, N failed". Exit status 0 only if no
# test failed and the guest shut down normally.
#
# run.sh --shell [PATTERN...]: the same guest, running the PATTERN tests
# (none by default), then an interactive shell on this terminal.
#
# Environment: KB_ROOT, KB_BUILD (absolute), KB_KMOD_CACHE (kernel cache,
# /var/cache/keybridge-kmod), KB_KMOD_TIMEOUT (whole guest, s),
# KB_KMOD_TEST_TIMEOUT (one test, s), KB_KMOD_MEM (guest MiB).
set -euo pipefail
: "${KB_ROOT:?}" "${KB_BUILD:?}"
# Generous: other jobs may share the CPUs, and TCG has no KVM to lean on.
timeout_all=${KB_KMOD_TIMEOUT:-1500}
timeout_one=${KB_KMOD_TEST_TIMEOUT:-180}
mem=${KB_KMOD_MEM:-1024}
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

# Select the tests.
tests=()
for f in "$here"/[0-9][0-9]-*.sh; do
	[ -x "$f" ] || continue
	name=$(basename "$f" .sh)
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
cat >"$work/kb.env" <<EOF
export KB_ROOT='$KB_ROOT' KB_BUILD='$KB_BUILD' KB_OUT='$out'
export KVER='$kver' KB_MODDIR='$kdir/lib/modules/$kver'
export KB_TESTS='${tests[*]}' KB_TEST_TIMEOUT='$timeout_one' KB_SHELL=$shell
EOF
"$here/host/mkinitramfs.sh" "$kver" "$work/initramfs.cpio" "$work/kb.env"

bios=()
[ -f /usr/share/qemu/qboot.rom ] && bios=(-bios /usr/share/qemu/qboot.rom)
qemu=(
	qemu-system-x86_64 -accel tcg -M pc,hpet=on -cpu "${KB_KMOD_CPU:-max}" -smp 2 -m "$mem"
	"${bios[@]}" -nographic -nodefaults -no-reboot -monitor none
	-kernel "$kdir/vmlinux" -initrd "$work/initramfs.cpio"
	-append "console=ttyS1 loglevel=${KB_KMOD_LOGLEVEL:-4} panic=-1 mitigations=off ${KB_KMOD_APPEND:-}"
	-serial stdio -serial "file:$out/kernel.log"
	-fsdev "local,id=kbroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=kbroot,mount_tag=kbroot
	-fsdev "local,id=kbout,path=$out,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=kbout,mount_tag=kbout
)
if [ $shell = 1 ]; then
	# The console is this terminal; QEMU's monitor sits behind Ctrl-A c.
	qemu=("${qemu[@]/#stdio/mon:stdio}")
	echo "kmod-shell: booting $kver; logs in $out"
	"${qemu[@]}"
	exit 0
fi
echo "kmod-check: booting $kver under QEMU (TCG) for ${#tests[@]} test(s); logs in $out"
set +e
timeout -s KILL "$timeout_all" "${qemu[@]}" </dev/null 2>"$out/qemu.stderr" |
	tee "$out/console.log"
qrc=${PIPESTATUS[0]}
set -e

trouble=""
if [ "$qrc" = 137 ]; then
	trouble="the guest did not finish within ${timeout_all}s (KB_KMOD_TIMEOUT): QEMU killed"
elif [ "$qrc" != 0 ]; then
	trouble="QEMU exited with status $qrc: $(tail -n 5 "$out/qemu.stderr")"
elif [ "$(cat "$out/status" 2>/dev/null)" != done ]; then
	trouble="the guest stopped before finishing its tests"
fi

passed=0 failed=0 skipped=0
for t in "${tests[@]}"; do
	word=$(awk -v t="$t" '$1 == t { print $2 }' "$out/results" 2>/dev/null || true)
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
if [ -n "$trouble" ]; then
	echo "kmod-check: *** $trouble ***"
	echo "kmod-check: last lines of the kernel log ($out/kernel.log):"
	if [ -s "$out/kernel.log" ]; then
		tail -n 30 "$out/kernel.log" | sed 's/^/    | /'
	else
		echo "    (nothing at loglevel ${KB_KMOD_LOGLEVEL:-4}; rerun with KB_KMOD_LOGLEVEL=7)"
	fi
	[ "$failed" -gt 0 ] || failed=1
fi
[ "$skipped" = 0 ] || echo "$skipped skipped (see SKIPPED lines above for why)"
echo "kmod-check: $(elapsed) s in all (kernel $kver)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
