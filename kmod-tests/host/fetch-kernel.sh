#!/bin/sh
# Put Debian's stock kernel into the kmod cache, without installing it:
#
#   $KB_KMOD_CACHE/<kver>/vmlinux                     uncompressed, bootable
#   $KB_KMOD_CACHE/<kver>/lib/modules/<kver>/         modules + modules.dep
#   $KB_KMOD_CACHE/<kver>/boot/config-<kver>
#
# and print <kver> on stdout. The package is the one linux-image-amd64
# currently depends on (override: KB_KMOD_KERNEL=linux-image-6.1.0-NN-amd64).
# The cloud flavour lacks 9p, so it would not boot our guest: refuse it.
# Safe to run concurrently from several worktrees (flock on the cache).
set -eu
cache=${KB_KMOD_CACHE:-/var/cache/keybridge-kmod}
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "kmod: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# The package linux-image-amd64 depends on today, e.g. linux-image-6.1.0-56-amd64.
current_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1
}

pkg=${KB_KMOD_KERNEL:-}
if [ -z "$pkg" ]; then
	pkg=$(current_package)
	if [ -z "$pkg" ]; then
		log "apt-cache does not know linux-image-amd64; running apt-get update"
		apt-get update -qq >&2 || true
		pkg=$(current_package)
	fi
fi
if [ -z "$pkg" ]; then
	# Offline: fall back to the newest kernel already in the cache.
	kver=$(ls -1 "$cache" 2>/dev/null | grep -- '-amd64$' | sort -V | tail -n 1)
	[ -n "$kver" ] && [ -f "$cache/$kver/.ready" ] ||
		die "cannot find a Debian kernel package (apt-cache) and the cache $cache is empty"
	log "apt-cache unavailable; using cached kernel $kver"
	echo "$kver"
	exit 0
fi
case "$pkg" in
*cloud*) die "$pkg: the cloud kernel has no 9p; use a linux-image-*-amd64 package" ;;
esac
kver=${pkg#linux-image-}
dir=$cache/$kver
[ -f "$dir/.ready" ] && {
	echo "$kver"
	exit 0
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$dir/.ready" ]; then
	log "fetching $pkg into $dir (once; it is not installed on this host)"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	(cd "$dir.tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	dpkg-deb -x "$dir.tmp"/"$pkg"_*.deb "$dir.tmp"
	rm -f "$dir.tmp"/*.deb
	[ -d "$dir.tmp/lib/modules/$kver" ] || die "$pkg has no lib/modules/$kver"
	# The package ships no modules.dep: depmod runs in its postinst.
	depmod -b "$dir.tmp" "$kver" || die "depmod -b $dir.tmp $kver failed"
	"$here/extract-vmlinux.sh" "$dir.tmp/boot/vmlinuz-$kver" >"$dir.tmp/vmlinux" ||
		die "cannot extract vmlinux from $dir.tmp/boot/vmlinuz-$kver"
	touch "$dir.tmp/.ready"
	mv "$dir.tmp" "$dir"
	log "kernel $kver ready in $dir"
fi
echo "$kver"
