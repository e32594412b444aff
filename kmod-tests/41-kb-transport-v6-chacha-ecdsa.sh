#!/bin/bash
# keybridged ↔ keybridged: IPv6 transport mode, ChaCha20-Poly1305 ESP,
# authenticated with ECDSA P-256 keys (RFC 7427).
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ veth1 fd00::1/64         ├─────────┤ veth2 fd00::2/64         │
#   └──────────────────────────┘  ESP    └──────────────────────────┘
#                        (transport, host to host)
#
# Asserts: the CHILD SA is ChaCha20-Poly1305 in transport mode, ping6 has
# 0 % loss, the SAs count the packets, SIGTERM cleans both kernels.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd openssl
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
ns_two
kb_keys "$dir/1"
kb_keys "$dir/2"

step "ECDSA keys; transport mode between the two hosts"
PEER_PUB=$dir/1/pub.pem kb_conf "$dir/2.conf" fd00::2 fd00::1 two.test \
	one.test dynamic dynamic none transport chacha20poly1305 \
	"pubkey:$dir/2" aes128gcm16-prfsha256-ecp256
PEER_PUB=$dir/2/pub.pem kb_conf "$dir/1.conf" fd00::1 fd00::2 one.test \
	two.test dynamic dynamic start transport chacha20poly1305 \
	"pubkey:$dir/1" aes128gcm16-prfsha256-ecp256
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"
kb_wait "$NS1" "CHILD SA negotiated"
kb_wait "$NS2" "CHILD SA negotiated"
ip -n "$NS1" xfrm state | grep -q "rfc7539esp(chacha20,poly1305)" ||
	fail "the SA is not ChaCha20-Poly1305: $(ip -n "$NS1" xfrm state)"
ip -n "$NS1" xfrm state | grep -q "mode transport" ||
	fail "the SA is not in transport mode"
echo "ok: ChaCha20-Poly1305 transport SAs"

step "traffic"
ping_ok "$NS1" fd00::2 5
out=$(spi_of "$NS1" fd00::1 fd00::2)
in=$(spi_of "$NS1" fd00::2 fd00::1)
assert_ge "packets out of $NS1" 5 "$(xfrm_packets "$NS1" "$out")"
assert_ge "packets into $NS1" 5 "$(xfrm_packets "$NS1" "$in")"
assert_ge "packets into $NS2" 5 "$(xfrm_packets "$NS2" "$out")"

step "SIGTERM"
kb_stop "$NS1"
kb_wait "$NS2" "IKE SA deleted"
assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
assert_eq "SAs left in $NS2" 0 "$(xfrm_count "$NS2" state)"
kb_stop "$NS2"
rm -rf "$dir"
