#!/bin/bash
# IPv6 ESP in tunnel mode with ChaCha20-Poly1305 (RFC 7634) works in the
# guest kernel: esp6, the rfc7539esp template and tunnel-mode policies.
#
#   ┌────────────────────────┐                    ┌────────────────────────┐
#   │ kb-14-1                │  ESP 0x3003 ───▶   │ kb-14-2                │
#   │ lo    fd10::1/128      │                    │ lo    fd20::1/128      │
#   │ veth1 fd00::1/64       ├────────────────────┤ veth2 fd00::2/64       │
#   │ fd20::/64 via fd00::2  │  ◀─── ESP 0x4004   │ fd10::/64 via fd00::1  │
#   └────────────────────────┘                    └────────────────────────┘
#   inner fd10::/64 <-> fd20::/64, outer fd00::1 <-> fd00::2
#
# Asserts: 5 pings between the inner addresses all answered; each of the
# four SA ends counts exactly 5 packets; once the policies for one way are
# removed, pings flow in the clear and the SA counters stop moving.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

ns_two
addr "$NS1" lo fd10::1/128
addr "$NS2" lo fd20::1/128
n1 ip -6 route add fd20::/64 via fd00::2
n2 ip -6 route add fd10::/64 via fd00::1

algo="rfc7539esp(chacha20,poly1305)"
# 256-bit key + 32-bit salt (RFC 7634 §2)
k12=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
k21=0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263

step "tunnel SAs and policies"
for ns in "$NS1" "$NS2"; do
	ip -n "$ns" xfrm state add src fd00::1 dst fd00::2 proto esp spi 0x3003 \
		reqid 3 mode tunnel aead "$algo" $k12 128
	ip -n "$ns" xfrm state add src fd00::2 dst fd00::1 proto esp spi 0x4004 \
		reqid 3 mode tunnel aead "$algo" $k21 128
done
# tunpol NS DIR SRCNET DSTNET OUTERSRC OUTERDST
tunpol() {
	ip -n "$1" xfrm policy add src "$3" dst "$4" dir "$2" \
		tmpl src "$5" dst "$6" proto esp reqid 3 mode tunnel
}
tunpol "$NS1" out fd10::/64 fd20::/64 fd00::1 fd00::2
tunpol "$NS1" in fd20::/64 fd10::/64 fd00::2 fd00::1
tunpol "$NS2" out fd20::/64 fd10::/64 fd00::2 fd00::1
tunpol "$NS2" in fd10::/64 fd20::/64 fd00::1 fd00::2
n1 ip xfrm state

step "ping between the inner addresses"
ping_ok "$NS1" fd20::1 5 -I fd10::1

step "per-SA counters"
n2 ip -s xfrm state
assert_eq "$NS1 out SA 0x3003 packets" 5 "$(xfrm_packets "$NS1" 0x3003)"
assert_eq "$NS2 in SA 0x3003 packets" 5 "$(xfrm_packets "$NS2" 0x3003)"
assert_eq "$NS2 out SA 0x4004 packets" 5 "$(xfrm_packets "$NS2" 0x4004)"
assert_eq "$NS1 in SA 0x4004 packets" 5 "$(xfrm_packets "$NS1" 0x4004)"

step "policies for one way removed: the clear path bypasses the SA"
n2 ip xfrm policy del src fd10::/64 dst fd20::/64 dir in
n1 ip xfrm policy del src fd10::/64 dst fd20::/64 dir out
# kb-14-1 now sends in the clear and kb-14-2 no longer demands ESP: the
# pings pass while the SA's counter stays put, so it measured the tunnel.
ping_ok "$NS1" fd20::1 2 -I fd10::1
assert_eq "$NS1 out SA 0x3003 packets after clear pings" 5 "$(xfrm_packets "$NS1" 0x3003)"
