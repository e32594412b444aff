#!/bin/bash
# Per-peer pre-shared keys for a responder that accepts any peer: the key
# is chosen by the identity the initiator proves (secrets.ike<suffix> {
# id, secret }, as strongSwan chooses it), and the updown script gets the
# identity the peer proved as PLUTO_PEER_ID.
#
#   ┌────────────────────────────┐         ┌────────────────────────────┐
#   │ $NS1  keybridged: carol,   │         │ $NS2  keybridged "rw",     │
#   │       then dave (init.)    │         │  remote.id %any, a key per │
#   │ lo    10.1.0.1/32          │         │  peer, updown recorder     │
#   │ veth1 10.0.0.1/24          ├─────────┤ veth2 10.0.0.2/24          │
#   └────────────────────────────┘         │ lo    10.2.0.1/32          │
#        10.1.0.0/24  <===== ESP tunnel ====>  10.2.0.0/24             │
#                                          └────────────────────────────┘
# Asserts: carol and then dave (each with its own key) bring the tunnel
# up and ping through it; the responder's script records up-client and
# down-client with PLUTO_PEER_ID = the initiator's proven identity and
# PLUTO_MY_ID = the responder's; `ipsec status` shows it; dave with
# carol's key is refused, the log naming dave and secrets.ike-dave.
# kmod-timeout: 240
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites

cat >"$dir/record.sh" <<'SH'
#!/bin/sh
{ echo "=== $PLUTO_VERB"; env | grep '^PLUTO_' | sort; } >>"$1"
echo "recorded $PLUTO_VERB for $PLUTO_PEER_ID"
SH
chmod +x "$dir/record.sh"

# the gateway, written as a strongSwan user writes it
cat >"$dir/rw.conf" <<EOF
connections {
	rw {
		local_addrs = 10.0.0.2
		local {
			auth = psk
			id = moon.example.org
		}
		remote {
			auth = psk
		}
		children {
			net {
				local_ts = 10.2.0.0/24
				remote_ts = 10.1.0.0/24
				esp_proposals = aes128gcm16
				updown = $dir/record.sh $dir/rw.env
			}
		}
	}
}
secrets {
	ike-carol {
		id = carol@example.org
		secret = "carol's own key"
	}
	ike-dave {
		id = dave@example.org
		secret = 0sZGF2ZSdzIG93biBrZXk=
	}
}
EOF

# initiator WHO with KEY
peer_conf() {
	cat >"$dir/$1.conf" <<EOF
connections {
	$1 {
		local_addrs = 10.0.0.1
		remote_addrs = 10.0.0.2
		local {
			auth = psk
			id = $1@example.org
		}
		remote {
			auth = psk
			id = moon.example.org
		}
		children {
			c {
				local_ts = 10.1.0.0/24
				remote_ts = 10.2.0.0/24
				esp_proposals = aes128gcm16
				start_action = start
			}
		}
	}
}
secrets {
	ike-me {
		id = $1@example.org
		secret = "$2"
	}
}
EOF
}

want() {
	grep -qx "$1" "$dir/rw.env" || fail "no line '$1' in the record"
	echo "ok: $1"
}

ip netns exec "$NS2" "$KB_BUILD/bin/keybridged" --check-config \
	-c "$dir/rw.conf"
kb_start "$NS2" "$dir/rw.conf"

for who in carol dave; do
	step "$who comes with its own key"
	peer_conf "$who" "$who's own key"
	kb_start "$NS1" "$dir/$who.conf"
	kb_wait "$NS1" "CHILD SA negotiated"
	kb_wait "$NS2" "peer authenticated as '$who@example.org'"
	kb_wait "$NS2" "updown: recorded up-client for $who@example.org"
	ping_ok "$NS1" 10.2.0.1 3 -I 10.1.0.1
	want "PLUTO_PEER_ID=$who@example.org"
	want "PLUTO_MY_ID=moon.example.org"
	"$KB_BUILD/bin/ipsec" --socket "$(kb_vici "$NS2")" status |
		tee "$dir/status"
	grep -q "remote 10.0.0.1\[[0-9]*\] '$who@example.org'" "$dir/status" ||
		fail "ipsec status does not show $who"
	kb_stop "$NS1"
	kb_wait "$NS2" "updown: recorded down-client for $who@example.org"
	: >"$dir/rw.env"
done

step "dave with carol's key is refused, by name"
peer_conf dave "carol's own key"
kb_start "$NS1" "$dir/dave.conf"
kb_wait "$NS2" "AUTH of peer 'dave@example.org' does not verify with the pre-shared key of secrets.ike-dave"
kb_wait "$NS1" "AUTHENTICATION_FAILED"
kb_stop "$NS1"
kb_stop "$NS2"
rm -rf "$dir"
