#!/bin/sh
# Regenerates fuzz/seeds/ (the committed seed corpus of both fuzz targets)
# from the hand-built codec vectors and the charon capture: one binary file
# per IKE message. Run from the repository root: fuzz/make-seeds.sh
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
ls "$out" | wc -l
