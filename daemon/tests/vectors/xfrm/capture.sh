#!/bin/sh
# Regenerates the XFRM netlink fixtures in this directory: the exact bytes
# iproute2's `ip xfrm` sends for each SA/policy request. test_xfrm_msg.c
# builds the same objects with xfrm_msg.c and compares the bytes.
#
# How: each `ip` command runs in a throw-away network namespace
# (`unshare -n`, so nothing reaches the shared kernel) under
#   strace -e trace=sendmsg -e write=all -xx
# and the hex dump of the first sendmsg() buffer (one netlink message) is
# kept. The kernel's answer does not matter (without ESP, `state add` is
# refused with "Requested type not found" after the bytes were sent).
# The test zeroes nlmsg_seq and nlmsg_pid (bytes 8..15) on both sides,
# since ip fills seq with the time of day.
#
# Captured with iproute2 6.1.0-3 (Debian 12), kernel 6.18, x86_64.
# Tunnel-mode SAs without a selector carry `flag af-unspec`, as keybridge
# sends them: without it the kernel gives the empty selector the SA's own
# family and the SA cannot carry the other inner family.
# Usage: daemon/tests/vectors/xfrm/capture.sh   (as root, needs strace)
set -eu
cd "$(dirname "$0")"

# Keys: recognisable patterns, never secrets.
K16=000102030405060708090a0b0c0d0e0f
K32=${K16}101112131415161718191a1b1c1d1e1f
SALT=a0a1a2a3
A32=202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
A48=${A32}404142434445464748494a4b4c4d4e4f
A64=${A48}505152535455565758595a5b5c5d5e5f
A20=6061626364656667686970717273747576777879

capture() { # name, description, ip arguments...
	name=$1 desc=$2
	shift 2
	unshare -n strace -o "/tmp/kb-xfrm-capture.$$" -e trace=sendmsg \
		-e write=all -xx ip "$@" >/dev/null 2>&1 || true
	{
		echo "# $desc"
		echo "# ip $*"
		awk '/^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  /{ if (done) next; s=substr($0,11,49);
			print s; got=1; next } got { done=1 }' \
			"/tmp/kb-xfrm-capture.$$"
	} >"$name.hex"
	rm -f "/tmp/kb-xfrm-capture.$$"
}

capture policy_out_v4_tunnel "NEWPOLICY out, IPv4 udp ports, ESP tunnel template" \
	xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto udp sport 500 \
	dport 4500 dir out priority 1000 index 0x6b000009 \
	tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 0x6b620001 mode tunnel
capture policy_in_v6_transport "UPDPOLICY in, IPv6 tcp, ESP transport template" \
	xfrm policy update src 2001:db8:1::/64 dst 2001:db8:2::/64 proto tcp \
	dir in priority 2000 index 0x6b000010 \
	tmpl proto esp reqid 0x6b620002 mode transport
capture policy_fwd_block_mark "NEWPOLICY fwd block with mark and if_id" \
	xfrm policy add src 10.3.0.0/24 dst 0.0.0.0/0 dir fwd action block \
	priority 5 index 0x6b000012 mark 0x10 mask 0xff if_id 7
capture policy_del_v4 "DELPOLICY by selector and dir" \
	xfrm policy delete src 10.1.0.0/16 dst 10.2.0.0/16 proto udp \
	sport 500 dport 4500 dir out
capture policy_del_index "DELPOLICY by index" \
	xfrm policy delete dir out index 0x6b000009
capture policy_get_index "GETPOLICY by index" \
	xfrm policy get dir in index 0x6b000010
capture sa_gcm_v4_tunnel "NEWSA AES-GCM-16 (128-bit key + salt), IPv4 tunnel, lifetimes" \
	xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0ffee01 \
	reqid 0x6b620001 mode tunnel replay-window 32 flag af-unspec \
	aead 'rfc4106(gcm(aes))' 0x${K16}${SALT} 128 \
	limit byte-soft 1000000 limit byte-hard 2000000 \
	limit packet-soft 1000 limit packet-hard 2000 \
	limit time-soft 3000 limit time-hard 3600 \
	limit time-use-soft 300 limit time-use-hard 600
capture sa_chacha_v6_transport_esn "UPDSA ChaCha20-Poly1305, IPv6 transport, ESN, selector" \
	xfrm state update src 2001:db8::1 dst 2001:db8::2 proto esp \
	spi 0x00001234 reqid 0x6b620002 mode transport replay-window 128 \
	flag esn aead 'rfc7539esp(chacha20,poly1305)' 0x${K32}${SALT} 128 \
	sel src 2001:db8::1/128 dst 2001:db8::2/128 proto udp
capture sa_cbc_sha256_v4_encap "NEWSA AES-CBC-256 + HMAC-SHA-256/128, NAT-T, mark, if_id" \
	xfrm state add src 192.0.2.1 dst 198.51.100.2 proto esp spi 0x01020304 \
	reqid 0x6b620003 mode tunnel replay-window 64 flag af-unspec \
	enc 'cbc(aes)' 0x${K32} auth-trunc 'hmac(sha256)' 0x${A32} 128 \
	encap espinudp 4500 4501 0.0.0.0 mark 0x20 mask 0xffffffff if_id 9
capture sa_cbc_sha384_v4 "NEWSA AES-CBC-128 + HMAC-SHA-384/192" \
	xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x0a0b0c0d \
	reqid 0x6b620004 mode transport \
	enc 'cbc(aes)' 0x${K16} auth-trunc 'hmac(sha384)' 0x${A48} 192
capture sa_cbc_sha512_v6 "NEWSA AES-CBC-192 + HMAC-SHA-512/256, IPv6 tunnel" \
	xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x0a0b0c0e \
	reqid 0x6b620005 mode tunnel flag af-unspec \
	enc 'cbc(aes)' 0x${K16}1011121314151617 \
	auth-trunc 'hmac(sha512)' 0x${A64} 256
capture sa_cbc_sha1_v4 "NEWSA AES-CBC-128 + HMAC-SHA-1/96" \
	xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x0a0b0c0f \
	reqid 0x6b620006 mode transport \
	enc 'cbc(aes)' 0x${K16} auth-trunc 'hmac(sha1)' 0x${A20} 96
capture sa_del_v4 "DELSA" \
	xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0xc0ffee01
capture sa_get_v6_mark "GETSA with mark" \
	xfrm state get src 2001:db8::1 dst 2001:db8::2 proto esp \
	spi 0x00001234 mark 0x20 mask 0xffffffff
capture allocspi_v4 "ALLOCSPI in a range" \
	xfrm state allocspi src 192.0.2.2 dst 192.0.2.1 proto esp \
	reqid 0x6b620007 mode tunnel min 0x100 max 0x1000
