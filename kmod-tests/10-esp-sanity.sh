#!/bin/bash
# ESP works in the guest kernel: hand-keyed AES-GCM SAs carry a ping.
#
#   ┌─────────────────────┐                      ┌─────────────────────┐
#   │ kb-10-1             │  ESP spi 0x1001 ───▶ │ kb-10-2             │
#   │ veth1 10.0.0.1/24   ├──────────────────────┤ veth2 10.0.0.2/24   │
#   │                     │ ◀─── ESP spi 0x2002  │                     │
#   └─────────────────────┘                      └─────────────────────┘
#   transport mode, rfc4106(gcm(aes)) 128-bit key + 32-bit salt, 16-byte ICV;
#   policies out/in on both sides, so plain ICMP cannot pass.
#
# Asserts: every ping answered, and the kernel's per-SA counters on both
# sides count exactly the pings sent; deleting the SAs and policies leaves
# nothing behind.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

ns_two

key12=0x0102030405060708090a0b0c0d0e0f1011121314
key21=0x2122232425262728292a2b2c2d2e2f3031323334
gcm="rfc4106(gcm(aes))"

# sa NS SRC DST SPI KEY
sa() {
	ip -n "$1" xfrm state add src "$2" dst "$3" proto esp spi "$4" reqid 1 \
		mode transport aead "$gcm" "$5" 128
}
# pol NS DIR SRC DST
pol() {
	ip -n "$1" xfrm policy add src "$3/32" dst "$4/32" dir "$2" \
		tmpl src "$3" dst "$4" proto esp reqid 1 mode transport
}

step "SAs and policies in both namespaces"
for ns in "$NS1" "$NS2"; do
	sa "$ns" 10.0.0.1 10.0.0.2 0x1001 $key12
	sa "$ns" 10.0.0.2 10.0.0.1 0x2002 $key21
done
pol "$NS1" out 10.0.0.1 10.0.0.2
pol "$NS1" in 10.0.0.2 10.0.0.1
pol "$NS2" out 10.0.0.2 10.0.0.1
pol "$NS2" in 10.0.0.1 10.0.0.2
n1 ip xfrm state
n1 ip xfrm policy

step "ping through ESP"
ping_ok "$NS1" 10.0.0.2 5

step "per-SA counters"
n1 ip -s xfrm state
n2 ip -s xfrm state
assert_eq "$NS1 out SA 0x1001 packets" 5 "$(xfrm_packets "$NS1" 0x1001)"
assert_eq "$NS2 in SA 0x1001 packets" 5 "$(xfrm_packets "$NS2" 0x1001)"
assert_eq "$NS2 out SA 0x2002 packets" 5 "$(xfrm_packets "$NS2" 0x2002)"
assert_eq "$NS1 in SA 0x2002 packets" 5 "$(xfrm_packets "$NS1" 0x2002)"
# 5 x 64 bytes of ICMP: in transport mode the kernel counts the payload
assert_eq "$NS2 in SA 0x1001 bytes" 320 "$(xfrm_bytes "$NS2" 0x1001)"

step "a wrong key on one side breaks the tunnel"
n2 ip xfrm state del src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001
sa "$NS2" 10.0.0.1 10.0.0.2 0x1001 $key21
if n1 ping -n -q -c 2 -i 0.2 -W 1 10.0.0.2 >/dev/null; then
	fail "ping passed although the receiver holds the wrong key"
fi
echo "ok: ping fails with a wrong key"
bad=$(awk '$1 == "XfrmInStateProtoError" { print $2 }' \
	<(n2 cat /proc/net/xfrm_stat))
assert_ge "$NS2 XfrmInStateProtoError (ICV failures)" 1 "$bad"

step "deleting SAs and policies leaves nothing"
for ns in "$NS1" "$NS2"; do
	ip -n "$ns" xfrm state del src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001
	ip -n "$ns" xfrm state del src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x2002
done
n1 ip xfrm policy del src 10.0.0.1/32 dst 10.0.0.2/32 dir out
n1 ip xfrm policy del src 10.0.0.2/32 dst 10.0.0.1/32 dir in
n2 ip xfrm policy del src 10.0.0.2/32 dst 10.0.0.1/32 dir out
n2 ip xfrm policy del src 10.0.0.1/32 dst 10.0.0.2/32 dir in
for ns in "$NS1" "$NS2"; do
	assert_eq "$ns SAs left" "" "$(ip -n "$ns" xfrm state)"
	assert_eq "$ns policies left" "" "$(ip -n "$ns" xfrm policy)"
done
ping_ok "$NS1" 10.0.0.2 2
