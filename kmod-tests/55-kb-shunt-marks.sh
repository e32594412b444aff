#!/bin/bash
# Shunt children and marks / XFRM interface IDs, against strongSwan's charon.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged         │         │ $NS2  charon (strongSwan)│
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   │ lan1  192.168.5.1/24     │         └──────────────────────────┘
#   └────────────┬─────────────┘
#   ┌────────────┴─────────────┐   round 1: 10.1.0.0/24, 192.168.5.0/24
#   │ $NS3  LAN host           │            <== ESP ==> 0.0.0.0/0
#   │ lan3  192.168.5.2/24     │   round 2: 10.1.0.0/24 <== ESP ==>
#   └──────────────────────────┘            10.2.0.0/24 through ipsec0
#
# Round 1 (shunts): keybridged's tunnel takes everything its LAN and
# 10.1.0.1 send (remote_ts = 0.0.0.0/0); a pass shunt keeps LAN traffic
# out of it (pings to 192.168.5.2 cross lan1 in clear, not as ESP), and a
# drop shunt for 10.2.0.0/24 catches what the tunnel does not take (from
# 10.0.0.1: the kernel's block policy counts it, nothing on the wire) while 10.1.0.1 -> 10.2.0.1 goes
# through the tunnel. A reload without the drop shunt lets 10.0.0.1 reach
# 10.2.0.1 in clear; a stop leaves no policy.
# Round 2 (marks): mark_in = mark_out = 42 and the connection's if_id_in =
# if_id_out = 7 on an xfrm interface (ip link add ipsec0 type xfrm if_id
# 7) routing 10.2.0.0/24; nftables marks incoming ESP. Pings with mark 42
# pass through ipsec0; the kernel shows the marks and interface IDs on
# SAs and policies where strongSwan puts them; the updown script gets
# PLUTO_MARK_IN/OUT and PLUTO_IF_ID_IN/OUT; unmarked pings do not pass.
# Round 3: --kernel pfkey installs the same shunts (bypass and discard).
# Last, a charon in $NS3 loads both keybridged files unchanged.
# kmod-timeout: 900
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl nft tcpdump
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites
ns_add "$NS3"
veth_link "$NS1" lan1 "$NS3" lan3
addr "$NS1" lan1 192.168.5.1/24
addr "$NS3" lan3 192.168.5.2/24
n2 ip route add 192.168.5.0/24 via 10.0.0.1
charon_start "$NS2"

secret='"kmod-tests shared secret, not a real one"'
# shunts FILE WITH_DROP: keybridged's round-1 configuration.
shunts() {
	local drop=""
	[ "$2" = yes ] && drop="
			block {
				remote_ts = 10.2.0.0/24
				mode = drop
				start_action = trap
			}"
	cat >"$1" <<-EOF
	connections {
		lan-bypass {
			children {
				lan {
					local_ts = 192.168.5.0/24
					remote_ts = 192.168.5.0/24
					mode = pass
					start_action = trap
				}$drop
			}
		}
		t {
			local_addrs = 10.0.0.1
			remote_addrs = 10.0.0.2
			local { auth = psk
				id = kb.test }
			remote { auth = psk
				id = swan.test }
			children {
				c {
					local_ts = 10.1.0.0/24, 192.168.5.0/24
					remote_ts = 0.0.0.0/0
					esp_proposals = aes128gcm16
					start_action = start
				}
			}
		}
	}
	secrets { ike-t { id-1 = kb.test
		id-2 = swan.test
		secret = $secret } }
	EOF
}

# ---- round 1: pass and drop shunts beside a 0.0.0.0/0 tunnel --------------
step "round 1: charon takes 0.0.0.0/0 <-> keybridged's LAN and 10.1.0.0/24"
cat >"$dir/swan1.conf" <<EOF
connections { t {
	local_addrs = 10.0.0.2
	remote_addrs = 10.0.0.1
	local { auth = psk
		id = swan.test }
	remote { auth = psk
		id = kb.test }
	children { c {
		local_ts = 0.0.0.0/0
		remote_ts = 10.1.0.0/24, 192.168.5.0/24
		esp_proposals = aes128gcm16
	} }
} }
secrets { ike-t { id-1 = kb.test
	id-2 = swan.test
	secret = $secret } }
EOF
swan "$NS2" --load-all --file "$dir/swan1.conf" >/dev/null
shunts "$dir/kb1.conf" yes
n1 "$KB_BUILD/bin/keybridged" --check-config -c "$dir/kb1.conf"
kb_start "$NS1" "$dir/kb1.conf"
kb_wait "$NS1" "lan-bypass: child lan: pass shunt installed \(3 kernel"
kb_wait "$NS1" "lan-bypass: child block: drop shunt installed \(3 kernel"
kb_wait "$NS1" "CHILD SA negotiated" 30
ip -n "$NS1" xfrm policy >"$KB_OUT/$KB_TEST.policies1.txt"
polblock() { n1 awk '$1 == "XfrmOutPolBlock" { print $2 }' /proc/net/xfrm_stat; }
prio() { # prio SRC DST DIR: the priority of that policy in $NS1
	ip -n "$NS1" xfrm policy | awk -v s="$1" -v d="$2" -v dir="$3" \
		'$1 == "src" && $2 == s && $4 == d { getline;
		 if ($2 == dir) { for (i = 1; i < NF; i++)
			if ($i == "priority") { print $(i + 1); exit } } }'
}
p_pass=$(prio 192.168.5.0/24 192.168.5.0/24 out)
p_tun=$(prio 192.168.5.0/24 0.0.0.0/0 out)
p_drop=$(prio 0.0.0.0/0 10.2.0.0/24 out)
echo "priorities: pass $p_pass, tunnel $p_tun, drop $p_drop"
[ -n "$p_pass" ] && [ -n "$p_tun" ] && [ -n "$p_drop" ] ||
	fail "a policy is missing (see $KB_TEST.policies1.txt)"
[ "$p_pass" -lt "$p_tun" ] && [ "$p_tun" -lt "$p_drop" ] ||
	fail "priorities not pass < tunnel < drop"
echo "ok: pass shunt before the tunnel, drop shunt after it"

step "the tunnel carries 10.1.0.1 -> 10.2.0.1"
ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
assert_ge "packets through the tunnel (SA $out)" 5 "$(xfrm_packets "$NS1" "$out")"
before=$(xfrm_packets "$NS1" "$out")

step "the pass shunt keeps the LAN out of the 0.0.0.0/0 tunnel"
n3 timeout 8 tcpdump -n -i lan3 -c 3 icmp >"$KB_OUT/$KB_TEST.lan.txt" 2>&1 &
dump=$!
sleep 1
ping_ok "$NS1" 192.168.5.2 3 -I 192.168.5.1
wait "$dump" || true
grep -q "192.168.5.1 > 192.168.5.2: ICMP echo request" \
	"$KB_OUT/$KB_TEST.lan.txt" ||
	fail "no clear-text echo request on the LAN ($KB_TEST.lan.txt)"
echo "ok: the LAN host saw the echo requests in clear text"
assert_eq "packets the tunnel took meanwhile" "$before" \
	"$(xfrm_packets "$NS1" "$out")"

step "the drop shunt refuses what the tunnel does not take"
n2 timeout 6 tcpdump -n -i veth2 -c 1 icmp >"$KB_OUT/$KB_TEST.drop.txt" 2>&1 &
dump=$!
sleep 1
blocked=$(polblock)
if res=$(n1 ping -n -c 2 -W 1 -I 10.0.0.1 10.2.0.1 2>&1); then
	fail "10.0.0.1 -> 10.2.0.1 passed the drop shunt: $res"
fi
wait "$dump" || true
grep -q "ICMP echo request" "$KB_OUT/$KB_TEST.drop.txt" &&
	fail "an echo request reached the wire"
assert_ge "XfrmOutPolBlock: echo requests the block policy stopped" \
	$((blocked + 2)) "$(polblock)"
echo "ok: nothing on the wire"
ping_ok "$NS1" 10.2.0.1 2 -I 10.1.0.1

step "a reload without the drop shunt removes it, and only it"
shunts "$dir/kb1.conf" no
kill -HUP "${_kb_daemon[$NS1]}"
kb_wait "$NS1" "removing 3 shunt policies the configuration no longer has"
kb_wait "$NS1" "reloaded:"
ping_ok "$NS1" 10.2.0.1 2 -I 10.0.0.1
ping_ok "$NS1" 192.168.5.2 2 -I 192.168.5.1
[ -n "$(prio 192.168.5.0/24 192.168.5.0/24 out)" ] ||
	fail "the pass shunt went with the reload"
kb_stop "$NS1"
assert_eq "policies left in $NS1" 0 "$(xfrm_count "$NS1" policy)"
assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.1"
for i in $(seq 50); do
	[ "$(xfrm_count "$NS2" state)" = 0 ] && break
	sleep 0.1
done

# ---- round 2: marks and interface IDs on an xfrm interface ----------------
step "round 2: mark 42 and if_id 7, ipsec0 routes 10.2.0.0/24"
cat >"$dir/record.sh" <<'SH'
#!/bin/sh
{ echo "=== $PLUTO_VERB"; env | grep '^PLUTO_' | sort; } >>"$1"
echo "recorded $PLUTO_VERB"
SH
chmod +x "$dir/record.sh"
cat >"$dir/kb2.conf" <<EOF
connections { t {
	local_addrs = 10.0.0.1
	remote_addrs = 10.0.0.2
	if_id_in = 7
	if_id_out = 7
	local { auth = psk
		id = kb.test }
	remote { auth = psk
		id = swan.test }
	children { c {
		local_ts = 10.1.0.0/24
		remote_ts = 10.2.0.0/24
		esp_proposals = aes128gcm16
		mark_in = 42
		mark_out = 42
		start_action = start
		updown = $dir/record.sh $dir/env.txt
	} }
} }
secrets { ike-t { id-1 = kb.test
	id-2 = swan.test
	secret = $secret } }
EOF
sed -e 's|0.0.0.0/0|10.2.0.0/24|' -e 's|10.1.0.0/24, 192.168.5.0/24|10.1.0.0/24|' \
	"$dir/swan1.conf" >"$dir/swan2.conf"
swan "$NS2" --load-all --file "$dir/swan2.conf" >/dev/null
n1 ip link add ipsec0 type xfrm dev veth1 if_id 7
n1 ip link set ipsec0 up
n1 ip route replace 10.2.0.0/24 dev ipsec0 src 10.1.0.1
n1 nft add table inet kbmark
n1 nft add chain inet kbmark pre '{ type filter hook prerouting priority mangle; }'
n1 nft add rule inet kbmark pre meta l4proto esp meta mark set 42
n1 "$KB_BUILD/bin/keybridged" --check-config -c "$dir/kb2.conf"
kb_start "$NS1" "$dir/kb2.conf"
kb_wait "$NS1" "CHILD SA negotiated" 30
ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1 -m 42
ip -n "$NS1" -s xfrm state >"$KB_OUT/$KB_TEST.states2.txt"
ip -n "$NS1" xfrm policy >"$KB_OUT/$KB_TEST.policies2.txt"
out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
assert_ge "packets out through ipsec0 (SA $out)" 5 "$(xfrm_packets "$NS1" "$out")"
assert_ge "packets in (SA $in)" 5 "$(xfrm_packets "$NS1" "$in")"
sa_attrs() { # sa_attrs SRC DST: the SA's mark and if_id lines, joined
	ip -n "$NS1" xfrm state list src "$1" dst "$2" proto esp |
		grep -E '^\s+(mark|if_id)' | tr -s ' \t\n' ' '
}
echo "outbound SA: $(sa_attrs 10.0.0.1 10.0.0.2)"
echo "inbound SA: $(sa_attrs 10.0.0.2 10.0.0.1)"
sa_attrs 10.0.0.1 10.0.0.2 | grep -q "mark 0x2a/0xffffffff" ||
	fail "the outbound SA lacks mark_out"
sa_attrs 10.0.0.1 10.0.0.2 | grep -q "if_id 0x7" ||
	fail "the outbound SA lacks if_id_out"
sa_attrs 10.0.0.2 10.0.0.1 | grep -q "if_id 0x7" ||
	fail "the inbound SA lacks if_id_in"
sa_attrs 10.0.0.2 10.0.0.1 | grep -q "mark" &&
	fail "the inbound SA has a mark without mark_in_sa"
echo "ok: marks and interface IDs on the SAs as strongSwan puts them"
assert_eq "policies with mark 42 (out, in, fwd)" 3 \
	"$(grep -c 'mark 0x2a/0xffffffff' "$KB_OUT/$KB_TEST.policies2.txt")"
assert_eq "policies with if_id 7 (out, in, fwd)" 3 \
	"$(grep -c 'if_id 0x7' "$KB_OUT/$KB_TEST.policies2.txt")"
tx=$(ip -n "$NS1" -s link show ipsec0 | awk '/TX:/ { getline; print $2; exit }')
assert_ge "packets sent through ipsec0" 5 "$tx"
if n1 ping -n -c 2 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1; then
	fail "an unmarked ping passed the policy with mark 42"
fi
echo "ok: unmarked pings find no policy"
kb_wait "$NS1" "updown: recorded up-client" 10
grep -q "^PLUTO_MARK_IN=42/0xffffffff$" "$dir/env.txt" &&
	grep -q "^PLUTO_MARK_OUT=42/0xffffffff$" "$dir/env.txt" &&
	grep -q "^PLUTO_IF_ID_IN=7$" "$dir/env.txt" &&
	grep -q "^PLUTO_IF_ID_OUT=7$" "$dir/env.txt" ||
	{ cat "$dir/env.txt"; fail "updown lacks PLUTO_MARK_*/PLUTO_IF_ID_*"; }
echo "ok: updown got PLUTO_MARK_IN/OUT and PLUTO_IF_ID_IN/OUT"
cp "$dir/env.txt" "$KB_OUT/$KB_TEST.env.txt"
kb_stop "$NS1"
assert_eq "policies left in $NS1" 0 "$(xfrm_count "$NS1" policy)"
assert_eq "SAs left in $NS1" 0 "$(xfrm_count "$NS1" state)"
mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.2"
n1 ip link del ipsec0
n1 nft delete table inet kbmark

# ---- round 3: the shunts on PF_KEY ------------------------------------------
step "round 3: keybridged --kernel pfkey installs the same shunts"
shunts "$dir/kb3.conf" yes
sed -i '/^t {/,$d' "$dir/kb3.conf"
echo "}" >>"$dir/kb3.conf"
n1 "$KB_BUILD/bin/keybridged" --kernel pfkey --check-config -c "$dir/kb3.conf"
n1 ip route replace 10.2.0.0/24 via 10.0.0.2
kb_start "$NS1" "$dir/kb3.conf" --kernel pfkey
kb_wait "$NS1" "child block: drop shunt installed"
ip -n "$NS1" xfrm policy >"$KB_OUT/$KB_TEST.policies3.txt"
assert_eq "pass policies (PF_KEY)" 3 \
	"$(grep -c -E 'dir (in|out|fwd) priority' "$KB_OUT/$KB_TEST.policies3.txt")"
assert_eq "block policies (PF_KEY)" 3 \
	"$(grep -c -E 'dir (in|out|fwd) action block' "$KB_OUT/$KB_TEST.policies3.txt")"
blocked=$(polblock)
if n1 ping -n -c 1 -W 1 -I 10.0.0.1 10.2.0.1 >/dev/null 2>&1; then
	fail "10.0.0.1 -> 10.2.0.1 passed the PF_KEY drop shunt"
fi
assert_ge "XfrmOutPolBlock (PF_KEY's discard policy)" $((blocked + 1)) \
	"$(polblock)"
ping_ok "$NS1" 192.168.5.2 2 -I 192.168.5.1
kb_stop "$NS1"
assert_eq "policies left in $NS1" 0 "$(xfrm_count "$NS1" policy)"

# ---- strongSwan takes the same files ----------------------------------------
step "charon loads keybridged's files unchanged"
charon_start "$NS3"
shunts "$dir/kb1.conf" yes
for f in kb1 kb2; do
	swan "$NS3" --load-all --file "$dir/$f.conf" \
		>"$KB_OUT/$KB_TEST.swanctl-$f.txt" 2>&1 ||
		{ cat "$KB_OUT/$KB_TEST.swanctl-$f.txt"; fail "charon refused $f.conf"; }
	echo "ok: swanctl --load-all took $f.conf"
	# (--load-all of the next file unloads what this one installed)
	[ "$f" = kb1 ] || continue
	swan "$NS3" --list-pols >"$KB_OUT/$KB_TEST.swan-pols.txt"
	grep -q "lan-bypass/lan, PASS" "$KB_OUT/$KB_TEST.swan-pols.txt" &&
		grep -q "lan-bypass/block, DROP" "$KB_OUT/$KB_TEST.swan-pols.txt" ||
		{ cat "$KB_OUT/$KB_TEST.swan-pols.txt"; fail "charon did not install the shunts"; }
	echo "ok: charon installed the shunts of the same file"
done
rm -rf "$dir"
