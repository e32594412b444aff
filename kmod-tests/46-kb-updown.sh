#!/bin/bash
# children.<c>.updown: keybridged runs the operator's script when a CHILD
# SA comes up and when it goes down, with strongSwan's PLUTO_* variables.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#
# Asserts: the initiator's script records up-client with the variables a
# strongSwan script reads (addresses, identities, subnets, interface,
# reqid, unique id) and, at SIGTERM, down-client with the same ones; the
# responder's script hangs, is killed after --updown-timeout and its
# output reaches the log, while IKE goes on (the tunnel carries traffic,
# the Delete is answered); a rekey of the CHILD SA runs no script, as in
# strongSwan.
# kmod-timeout: 240
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites

# The recorder: one block of PLUTO_* lines per run.
cat >"$dir/record.sh" <<'SH'
#!/bin/sh
{ echo "=== $1"; env | grep '^PLUTO_' | sort; } >>"$2"
echo "recorded $PLUTO_VERB for $PLUTO_CONNECTION"
SH
cat >"$dir/hang.sh" <<'SH'
#!/bin/sh
echo "hanging in $PLUTO_VERB"
exec sleep 1000
SH
chmod +x "$dir/record.sh" "$dir/hang.sh"

step "start the responder (hanging script), then the initiator"
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
sed -i "s|start_action = start|&\n\t\t\t\t\tupdown = $dir/record.sh one $dir/1.env|" \
	"$dir/1.conf"
sed -i "s|start_action = none|&\n\t\t\t\t\tupdown = $dir/hang.sh|" "$dir/2.conf"
grep -q updown "$dir/1.conf" && grep -q updown "$dir/2.conf" ||
	fail "updown not in the configurations"
ip netns exec "$NS2" "$KB_BUILD/bin/keybridged" --check-config \
	-c "$dir/2.conf"
kb_start "$NS2" "$dir/2.conf" --updown-timeout 5
kb_start "$NS1" "$dir/1.conf"
kb_wait "$NS1" "CHILD SA negotiated"
kb_wait "$NS1" "updown: recorded up-client for c"
kb_wait "$NS2" "updown: hanging in up-client"
kb_wait "$NS2" "still running after 5000 ms: killed" 20

step "the variables of the up run"
cat "$dir/1.env"
want() {
	grep -qx "$1" "$dir/1.env" || fail "no line '$1' in the record"
	echo "ok: $1"
}
want "PLUTO_VERB=up-client"
want "PLUTO_VERSION=1.1"
want "PLUTO_CONNECTION=c"
want "PLUTO_INTERFACE=veth1"
want "PLUTO_PROTO=esp"
want "PLUTO_ME=10.0.0.1"
want "PLUTO_MY_ID=one.test"
want "PLUTO_MY_CLIENT=10.1.0.0/24"
want "PLUTO_MY_PORT=0"
want "PLUTO_MY_PROTOCOL=0"
want "PLUTO_PEER=10.0.0.2"
want "PLUTO_PEER_ID=two.test"
want "PLUTO_PEER_CLIENT=10.2.0.0/24"
want "PLUTO_PEER_PORT=0"
want "PLUTO_PEER_PROTOCOL=0"
grep -qE '^PLUTO_REQID=[0-9]+$' "$dir/1.env" || fail "no PLUTO_REQID"
grep -qE '^PLUTO_UNIQUEID=[0-9]+$' "$dir/1.env" || fail "no PLUTO_UNIQUEID"

step "IKE went on while the responder's script hung: traffic flows"
ping_ok "$NS1" 10.2.0.1 3 -I 10.1.0.1

step "a CHILD SA rekey is neither down nor up"
if command -v swanctl >/dev/null; then
	swanctl --rekey --child c --uri "unix://$(kb_vici "$NS1")" ||
		fail "swanctl --rekey failed"
	kb_wait "$NS1" "CHILD SA rekeyed"
	ping_ok "$NS1" 10.2.0.1 2 -I 10.1.0.1
	assert_eq "runs recorded after the rekey" 1 \
		"$(grep -c '^=== one' "$dir/1.env")"
else
	echo "swanctl is not installed: the rekey step is left out (package strongswan-swanctl)"
fi

step "SIGTERM: the initiator's script records down-client"
kb_stop "$NS1"
kb_wait "$NS2" "IKE SA deleted"
assert_eq "runs recorded" 2 "$(grep -c '^=== one' "$dir/1.env")"
sed -n '/PLUTO_VERB=down-client/p' "$dir/1.env" | grep -q . ||
	fail "no down-client run"
assert_eq "same reqid up and down" 1 \
	"$(grep '^PLUTO_REQID=' "$dir/1.env" | sort -u | wc -l)"
# the responder's down script hangs too, and is killed in its turn
for i in $(seq 200); do
	[ "$(grep -c 'still running after 5000 ms: killed' \
		"$KB_OUT/$KB_TEST.kb-$NS2.log")" -ge 2 ] && break
	sleep 0.1
done
assert_eq "hanging scripts killed in $NS2" 2 \
	"$(grep -c 'still running after 5000 ms: killed' \
		"$KB_OUT/$KB_TEST.kb-$NS2.log")"
grep -q "running '$dir/hang.sh' (down-client)" \
	"$KB_OUT/$KB_TEST.kb-$NS2.log" || fail "no down-client run in $NS2"
kb_stop "$NS2"
rm -rf "$dir"
