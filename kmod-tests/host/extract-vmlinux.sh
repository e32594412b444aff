#!/bin/bash
# Print the uncompressed ELF kernel hidden in a bzImage on stdout.
#
# A bzImage is a small decompressor followed by the compressed vmlinux. We
# look for each known compression magic, decompress from that offset and
# keep the first result that is an ELF file. QEMU boots the ELF directly
# (PVH entry), which under TCG saves the seconds the in-guest decompressor
# would spend.
set -euo pipefail
img=$1
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# magic (as grep -P escapes) and the command that decompresses a stream
try() {
	local magic=$1 tool=$2
	shift 2
	command -v "$tool" >/dev/null || return 1
	local off
	for off in $(LC_ALL=C grep -obUaP "$magic" "$img" | cut -d: -f1); do
		# Trailing bytes after the stream make the tools complain; the
		# output is complete all the same, so judge by the ELF header.
		tail -c +$((off + 1)) "$img" | "$tool" "$@" >"$tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			cat "$tmp"
			return 0
		fi
	done
	return 1
}

try '\xfd7zXZ\x00' xz -dc ||
	try '\x1f\x8b\x08' gzip -dc ||
	try '\x28\xb5\x2f\xfd' zstd -dc ||
	try 'BZh' bzip2 -dc ||
	try '\x5d\x00\x00' unlzma -c || {
	echo "extract-vmlinux: no compressed ELF kernel found in $img" >&2
	exit 1
}
