#!/bin/sh
# Regenerates fuzz/seeds/ (the committed seed corpus of the fuzz targets)
# from the hand-built codec vectors and the charon capture (one binary file
# per IKE message), and the rtnetlink dumps of this machine's kernel. Run
# from the repository root as root, after `make check` built the tests:
# fuzz/make-seeds.sh
set -eu
out=fuzz/seeds
mkdir -p "$out"
for f in daemon/tests/vectors/codec/*.hex; do
	n=$(basename "$f" .hex)
	sed 's/#.*//' "$f" | tr -d ' \n\t' | xxd -r -p >"$out/$n.bin"
done
# the charon captures: each UDP payload, the non-ESP marker stripped (tshark
# prints the UDP payload as hex; a leading 00000000 on 4500 is the marker).
for cap in charon charon-rich; do
	i=0
	tshark -r daemon/tests/vectors/codec/$cap.pcap -T fields \
		-e udp.payload 2>/dev/null | while read -r hex; do
		i=$((i + 1))
		case $hex in 00000000*) hex=${hex#00000000} ;; esac
		printf '%s' "$hex" | xxd -r -p >"$out/$cap-$i.bin"
	done
done
# rtnetlink route and address dumps (fuzz_rtnl): each buffer recv() gave
# the tests in a namespace holding keybridge's routes and addresses among
# others (daemon/tests/rtnl_util.c writes them)
kbtest=${KBTEST:-build/tests/kbtest}
if [ ! -x "$kbtest" ]; then
	echo "make-seeds: $kbtest missing: run make check first" >&2
	exit 1
fi
KB_SEED_DIR=$PWD/$out KB_ROOT=$PWD KB_BUILD=$PWD/build "$kbtest" \
	route_dump_finds_ours_in_the_kernel rtnl_talk_to_the_kernel
ls "$out" | wc -l
