#!/bin/bash
# kmod-timeout: 300
# keybridged ↔ Libreswan's pluto with X.509 certificate chains, each
# initiating once, pinging through the tunnel both times.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  pluto (Libreswan)  │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# PKI: Root CA -> "kb.test Intermediate CA" -> kb.test, and Root CA ->
# "lsw.test Intermediate CA" -> lsw.test (ECDSA P-256). Each side trusts
# the root only and sends its own intermediate after its certificate
# (pluto: sendca=issuer). Libreswan 4.10 fragments an IKE_AUTH carrying
# two ECDSA certificates (RFC 7383): keybridged reassembles pluto's
# request (round 2) and response (round 1).
#
# Asserts per round: keybridged reassembled pluto's IKE_AUTH from
# fragments and trusted its chain (2 CERT payloads); pluto authenticated
# kb.test through its intermediate; the CHILD SA is up; 0 % ping loss;
# the SAs count the packets.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
. "$KB_ROOT/kmod-tests/lsw.sh"
require_guest
require_cmd openssl
require_libreswan
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_pki "$dir/pki" kb.test lsw.test
mkdir -p "$dir/kb/x509ca" "$dir/kb/x509" "$dir/kb/private" "$dir/lsw"
cp "$dir/pki/root.pem" "$dir/kb/x509ca/"
cp "$dir/pki/kb.test-ca.pem" "$dir/pki/kb.test.pem" "$dir/kb/x509/"
cp "$dir/pki/kb.test.key" "$dir/kb/private/"
lsw_nss "$dir/lsw" "$dir/pki/root.pem" "$dir/pki/lsw.test.pem" \
	"$dir/pki/lsw.test.key" "$dir/pki/lsw.test-ca.pem" lsw.test
cat >"$dir/lsw/ipsec.conf" <<EOF
config setup
	plutodebug=none

conn t
	ikev2=insist
	authby=ecdsa
	left=10.0.0.2
	leftid=@lsw.test
	leftcert=lsw.test
	leftsendcert=always
	sendca=issuer
	leftsubnet=10.2.0.0/24
	leftupdown=/bin/true
	right=10.0.0.1
	rightid=@kb.test
	rightsubnet=10.1.0.0/24
	ike=aes_gcm256-sha2_256;dh19
	esp=aes_gcm128
	fragmentation=yes
	auto=add
EOF

kb_two_sites
lsw_start "$NS2" "$dir/lsw"
plog=$KB_OUT/$KB_TEST.pluto-$NS2.log

# round START: keybridged's start_action; "none" means pluto initiates.
round() {
	local p0
	p0=$(wc -l <"$plog")
	cat >"$dir/kb/swanctl.conf" <<-EOF
	connections {
		t {
			local_addrs = 10.0.0.1
			remote_addrs = 10.0.0.2
			proposals = aes256gcm16-prfsha256-ecp256
			local {
				auth = pubkey
				certs = kb.test.pem
				id = kb.test
			}
			remote {
				auth = pubkey
				id = lsw.test
			}
			children {
				c {
					local_ts = 10.1.0.0/24
					remote_ts = 10.2.0.0/24
					esp_proposals = aes128gcm16
					start_action = $1
				}
			}
		}
	}
	EOF
	kb_start "$NS1" "$dir/kb/swanctl.conf"
	if [ "$1" = none ]; then
		lsw_whack "$dir/lsw" --initiate --name t --asynchronous >/dev/null ||
			fail "pluto could not initiate"
	fi
	kb_wait "$NS1" "CHILD SA negotiated" 40
	kb_wait "$NS1" "message 1 reassembled from [2-9] fragments" 1
	kb_wait "$NS1" "peer certificate trusted \\(2 CERT payloads\\)" 1
	tail -n +$((p0 + 1)) "$plog" >"$dir/pluto.round"
	grep -q "authenticated peer .* using peer certificate '@kb.test' issued by CA '.*kb.test Intermediate CA'" \
		"$dir/pluto.round" ||
		fail "pluto did not authenticate kb.test through its intermediate: $(tail -n 15 "$dir/pluto.round")"
	echo "ok: pluto: $(grep -o "authenticated peer .*" "$dir/pluto.round" | tail -n 1)"
	ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
	local out in
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
	assert_ge "packets keybridged -> pluto (SA $out)" 5 \
		"$(xfrm_packets "$NS1" "$out")"
	assert_ge "packets pluto -> keybridged (SA $in)" 5 \
		"$(xfrm_packets "$NS1" "$in")"
	assert_ge "pluto's kernel counted them (SA $out)" 5 \
		"$(xfrm_packets "$NS2" "$out")"
	kb_stop "$NS1"
	assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
	mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.$1"
}

step "round 1: keybridged initiates to pluto (pluto's IKE_AUTH response in fragments)"
round start
step "round 2: pluto initiates to keybridged (its IKE_AUTH request in fragments)"
round none
rm -rf "$dir"
