#!/bin/bash
# kmod-timeout: 300
# keybridged ↔ strongSwan's charon with X.509 certificate chains, each
# initiating once, pinging through the tunnel both times.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  charon (strongSwan)│
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# PKI: Root CA -> "kb.test Intermediate CA" -> kb.test, and Root CA ->
# "swan.test Intermediate CA" -> swan.test (ECDSA P-256; RSA with
# KB_PKI_KEY=rsa). Each side trusts the root only (x509ca/) and holds its
# own intermediate only (x509/), so each must send its intermediate after
# its certificate and verify the peer's chain through the intermediate the
# peer sent. charon sends its certificates only when asked (send_cert =
# ifasked, its default): as initiator, by keybridged's CERTREQ in the
# IKE_SA_INIT response; as responder, by the CERTREQ in keybridged's
# IKE_AUTH. Both swanctl directories are laid out as strongSwan's users
# lay them out, and keybridged loads its own unchanged.
#
# Asserts per round: both ends log the peer's certificate as trusted, the
# CHILD SA is up, 0 % ping loss, the SAs count the packets.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
require_cmd openssl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_pki "$dir/pki" kb.test swan.test
for side in kb swan; do
	mkdir -p "$dir/$side/x509ca" "$dir/$side/x509" "$dir/$side/private"
	cp "$dir/pki/root.pem" "$dir/$side/x509ca/"
	cp "$dir/pki/$side.test-ca.pem" "$dir/pki/$side.test.pem" \
		"$dir/$side/x509/"
	cp "$dir/pki/$side.test.key" "$dir/$side/private/"
done

kb_two_sites
charon_start "$NS2"

# conf FILE LOCAL REMOTE LID RID LTS RTS START CERT
conf() {
	cat >"$1" <<-EOF
	connections {
		t {
			local_addrs = $2
			remote_addrs = $3
			proposals = aes256gcm16-prfsha256-ecp256
			local {
				auth = pubkey
				certs = $9
				id = $4
			}
			remote {
				auth = pubkey
				id = $5
			}
			children {
				c {
					local_ts = $6
					remote_ts = $7
					esp_proposals = aes128gcm16
					start_action = $8
				}
			}
		}
	}
	EOF
}

round() {
	local clog=$KB_OUT/$KB_TEST.charon-$NS2.log c0
	c0=$(wc -l <"$clog")
	conf "$dir/kb/swanctl.conf" 10.0.0.1 10.0.0.2 kb.test swan.test \
		10.1.0.0/24 10.2.0.0/24 "$1" kb.test.pem
	conf "$dir/swan/swanctl.conf" 10.0.0.2 10.0.0.1 swan.test kb.test \
		10.2.0.0/24 10.1.0.0/24 none swan.test.pem
	swan "$NS2" --load-all --file "$dir/swan/swanctl.conf" >/dev/null ||
		fail "swanctl --load-all refused its configuration"
	"$KB_BUILD/bin/keybridged" --check-config -c "$dir/kb/swanctl.conf" ||
		fail "keybridged --check-config refused its swanctl directory"
	kb_start "$NS1" "$dir/kb/swanctl.conf"
	if [ "$2" = yes ]; then
		swan "$NS2" --initiate --child c --timeout 30 >/dev/null ||
			fail "charon could not initiate to keybridged"
	fi
	kb_wait "$NS1" "CHILD SA negotiated" 40
	kb_wait "$NS1" "peer certificate trusted \\(2 CERT payloads\\)" 5
	tail -n +$((c0 + 1)) "$clog" >"$dir/charon.round"
	grep -q 'reached self-signed root ca with a path length of 1' \
		"$dir/charon.round" ||
		fail "charon did not verify keybridged's chain through its intermediate"
	echo "ok: charon verified kb.test through its intermediate CA"
	grep -q "authentication of 'kb.test' with .* successful" \
		"$dir/charon.round" || fail "charon did not authenticate kb.test"
	echo "ok: $(grep -o "authentication of 'kb.test' with .* successful" \
		"$dir/charon.round" | tail -n 1)"
	ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
	local out in
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
	assert_ge "packets keybridged -> charon (SA $out)" 5 \
		"$(xfrm_packets "$NS1" "$out")"
	assert_ge "packets charon -> keybridged (SA $in)" 5 \
		"$(xfrm_packets "$NS1" "$in")"
	kb_stop "$NS1"
	local i
	for i in $(seq 50); do
		[ "$(xfrm_count "$NS2" state)" = 0 ] && break
		sleep 0.1
	done
	assert_eq "SAs left at charon after our Delete" 0 \
		"$(xfrm_count "$NS2" state)"
	mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.$1"
}

step "round 1: keybridged initiates to charon (charon sends its chain for our CERTREQ in IKE_AUTH)"
round start no
step "round 2: charon initiates to keybridged (our CERTREQ in IKE_SA_INIT)"
round none yes
rm -rf "$dir"
