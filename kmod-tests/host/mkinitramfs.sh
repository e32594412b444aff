#!/bin/sh
# mkinitramfs.sh KVER OUT.cpio ENVFILE
#
# Build the guest's first stage: busybox-static, kmod-tests/guest/init, the
# modules needed to reach the host's file system (virtio-pci, 9p, overlay)
# in dependency order, and ENVFILE (KEY=value lines for init) as /kb.env.
# Left uncompressed: under TCG the guest would spend longer unpacking it
# than QEMU spends reading it.
set -eu
kver=$1
out=$2
envfile=$3
cache=${KB_KMOD_CACHE:-/var/cache/keybridge-kmod}
here=$(cd "$(dirname "$0")/.." && pwd)
busybox=/bin/busybox # from busybox-static: the initramfs has no libc

[ -x "$busybox" ] || {
	echo "kmod: busybox-static is missing (make deps)" >&2
	exit 1
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/mod" "$stage/dev" "$stage/proc" "$stage/sys"
cp "$busybox" "$stage/bin/busybox"
cp "$here/guest/init" "$stage/init"
chmod 755 "$stage/init"
cp "$envfile" "$stage/kb.env"

# modprobe resolves dependencies from the cache's modules.dep; keep the
# first occurrence of each module, in the order it must be loaded.
modprobe -d "$cache/$kver" -S "$kver" --show-depends -a \
	virtio_pci 9pnet_virtio 9p overlay |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$stage/mod.list"
: >"$stage/mod/order"
while read -r ko; do
	cp "$ko" "$stage/mod/"
	basename "$ko" >>"$stage/mod/order"
done <"$stage/mod.list"
rm "$stage/mod.list"
[ -s "$stage/mod/order" ] || {
	echo "kmod: no modules resolved for $kver" >&2
	exit 1
}

(cd "$stage" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null) >"$out.tmp"
mv "$out.tmp" "$out"
