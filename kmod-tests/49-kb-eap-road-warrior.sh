#!/bin/bash
# kmod-timeout: 480
# EAP-MSCHAPv2 road warriors (RFC 7296 §2.16) between keybridged and
# strongSwan's charon, each the EAP server once, pinging through the tunnel
# both times.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  charon (strongSwan)│
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# Round 1: keybridged is the server (certificate kb.test, user carol's
# password in secrets.eap-carol), charon logs in as carol. Round 2: charon
# is the server (certificate swan.test), keybridged logs in as carol. Each
# round: the IKE SA authenticated with EAP-MSCHAPv2 on both sides, 0 % ping
# loss, the SAs count the packets; then a wrong password fails cleanly.
# The EAP identity is the IKE identity: charon answers EAP-Identity only
# with libcharon-extra-plugins (engine tests cover that round).
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
[ -r /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ] ||
	skip "charon's eap-mschapv2 plugin is missing (libcharon-extauth-plugins)"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
pki=$dir/pki
mkdir -p "$pki" "$dir/swd/x509" "$dir/swd/private"
(
	cd "$pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -subj "/CN=kmod eap CA" -days 30
	for n in kb swan; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout $n.key -out $n.csr -subj /CN=$n.test
		printf 'subjectAltName=DNS:%s.test\n' $n >$n.ext
		openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -out $n.pem -days 30 -extfile $n.ext
	done
) 2>/dev/null
cp "$pki/swan.pem" "$dir/swd/x509/"
cp "$pki/swan.key" "$dir/swd/private/"
kb_two_sites
charon_start "$NS2"

# conf FILE ME-ADDR PEER-ADDR LTS RTS START SERVER(yes|no) CERT PASSWORD
conf() {
	local local_round remote_round key=
	if [ "$7" = yes ]; then
		local_round="auth = pubkey
				id = $8.test
				certs = $pki/$8.pem"
		remote_round="auth = eap-mschapv2
				id = carol"
	else
		local_round="auth = eap-mschapv2
				id = carol"
		remote_round="auth = pubkey
				id = $8.test
				cacerts = $pki/ca.pem"
	fi
	# keybridged's own key; charon's comes from swanctl's directory
	case $1 in
	*kb.conf) key="private-kb {
			file = $pki/kb.key
		}" ;;
	esac
	cat >"$1" <<-EOF
	connections {
		t {
			local_addrs = $2
			remote_addrs = $3
			mobike = no
			proposals = aes256gcm16-prfsha256-x25519
			local {
				$local_round
			}
			remote {
				$remote_round
			}
			children {
				c {
					local_ts = $4
					remote_ts = $5
					esp_proposals = aes128gcm16
					start_action = $6
				}
			}
		}
	}
	secrets {
		eap-carol {
			id = carol
			secret = "$9"
		}
		$key
	}
	EOF
}

traffic() {
	ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
	local out
	out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
	assert_ge "packets keybridged -> charon (SA $out)" 5 \
		"$(xfrm_packets "$NS1" "$out")"
	assert_ge "charon's kernel counted them (SA $out)" 5 \
		"$(xfrm_packets "$NS2" "$out")"
}

stop_kb() {
	kb_stop "$NS1"
	assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
	mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.$1"
}

step "round 1: charon logs in to keybridged as carol"
conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 10.1.0.0/24 10.2.0.0/24 none yes kb \
	Ar3etTnp
conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 10.2.0.0/24 10.1.0.0/24 none no kb \
	Ar3etTnp
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
kb_start "$NS1" "$dir/kb.conf"
# (the first ESP SA of a guest instantiates the kernel's crypto: slow)
swan "$NS2" --initiate --child c --timeout 90 >/dev/null ||
	fail "charon could not log in to keybridged"
kb_wait "$NS1" "peer authenticated with EAP-MSCHAPv2" 30
kb_wait "$NS1" "CHILD SA negotiated" 10
traffic
swan "$NS2" --terminate --ike t --timeout 10 >/dev/null || true
stop_kb server

step "round 1b: a wrong password is refused, keybridged stays up"
conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 10.2.0.0/24 10.1.0.0/24 none no kb \
	not-her-password
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
kb_start "$NS1" "$dir/kb.conf"
swan "$NS2" --initiate --child c --timeout 30 >/dev/null &&
	fail "charon logged in with a wrong password"
kb_wait "$NS1" "wrong password for 'carol'" 10
assert_eq "SAs in $NS1 after the refusal" 0 "$(xfrm_count "$NS1" state)"
stop_kb wrong

step "round 2: keybridged logs in to charon as carol"
conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 10.2.0.0/24 10.1.0.0/24 none yes swan \
	Ar3etTnp
cp "$dir/swan.conf" "$dir/swd/swanctl.conf"
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
# swanctl takes private keys from its directory only
SWANCTL_DIR=$dir/swd swan "$NS2" --load-creds --noprompt >/dev/null
conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 10.1.0.0/24 10.2.0.0/24 start no swan \
	Ar3etTnp
kb_start "$NS1" "$dir/kb.conf"
kb_wait "$NS1" "authenticated with EAP-MSCHAPv2" 60
kb_wait "$NS1" "CHILD SA negotiated" 10
traffic
stop_kb client
rm -rf "$dir"
