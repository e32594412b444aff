#!/bin/bash
# keybridged on PF_KEY (--kernel pfkey) against strongSwan's charon and
# against keybridged on XFRM: a tunnel and a transport-mode SA each round,
# AES-CBC with HMAC-SHA-1 and with HMAC-SHA-512, pings through both; in
# round 2 the tunnel is trapped on the PF_KEY side.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged, PF_KEY │         │ $NS2  charon (round 1),  │
#   │ lo    10.1.0.1/32        │         │  keybridged/XFRM (rnd 2) │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <====== ESP tunnel (conn tun) =====>  10.2.0.0/24
#        10.0.0.1 <== ESP transport, ICMP only (conn tra) ==> 10.0.0.2
#
# Round 1: keybridged (PF_KEY) initiates to charon; tunnel AES-CBC-128 +
# HMAC-SHA-1-96, transport AES-CBC-256 + HMAC-SHA-512-256. Round 2, the
# algorithms swapped: keybridged (XFRM) initiates the transport SA to
# keybridged (PF_KEY), whose tunnel is a trap (start_action = trap): the
# policy is there (reqid 12289) without SA until the first ping, whose
# SADB_ACQUIRE names the policy by index only (the backend looks it up
# with SADB_X_SPDGET for the reqid) and makes it initiate. Each round:
# 0 % ping loss on both, every SA counts the packets on both sides, the
# PF_KEY side's SAs carry keybridge's reqids in PF_KEY's form (12289 =
# 0x3001, pfkey_msg.h) and the algorithms asked for, and a SIGTERM leaves
# no SA and no policy behind. (Each PF_KEY start costs ~10 s here: its
# REGISTER makes the kernel probe every algorithm PF_KEY knows.)
# kmod-timeout: 600
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)

# conf FILE LOCAL REMOTE LID RID LOCAL_SITE REMOTE_SITE TUN_ESP TRA_ESP START
conf() {
	local file=$1 l=$2 r=$3 lid=$4 rid=$5 ls=$6 rs=$7 tun=$8 tra=$9
	local start=${10} c
	{
		echo "connections {"
		for c in tun tra; do
			cat <<-EOF
			$c {
				local_addrs = $l
				remote_addrs = $r
				proposals = aes256-sha256-x25519
				local { auth = psk
					id = $c.$lid }
				remote { auth = psk
					id = $c.$rid }
				children {
			EOF
			if [ $c = tun ]; then
				cat <<-EOF
					c { local_ts = $ls
					    remote_ts = $rs
					    mode = tunnel
					    esp_proposals = $tun
					    start_action = $start }
				EOF
			else
				cat <<-EOF
					c { local_ts = $l/32[icmp]
					    remote_ts = $r/32[icmp]
					    mode = transport
					    esp_proposals = $tra
					    start_action = $start }
				EOF
			fi
			echo "} }"
		done
		cat <<-EOF
		}
		secrets { ike { secret = "kmod-tests pfkey secret, not a real one" } }
		EOF
	} >"$file"
}

# check_sas NS ALGO...: the PF_KEY side's SAs: our reqids, the algorithms.
check_pfkey_sas() {
	local s a
	s=$(ip -n "$NS1" xfrm state)
	echo "$s" >"$KB_OUT/$KB_TEST.state.$1"
	grep -q "reqid 1228[0-9]" <<<"$s" ||
		fail "no SA with a PF_KEY reqid (0x3000 + n) in $NS1"
	shift
	for a in "$@"; do
		grep -q "$a" <<<"$s" || fail "no SA with $a in $NS1"
	done
	echo "ok: $NS1's SAs have PF_KEY reqids and $*"
}

# traffic: pings through the tunnel and the transport SAs; every SA of
# NS1 counts them, and so do the peer's.
traffic() {
	local spi
	ping_ok "$NS1" 10.2.0.1 5 -I 10.1.0.1
	ping_ok "$NS1" 10.0.0.2 5
	for spi in $(ip -n "$NS1" xfrm state | awk '$1 == "proto" { print $4 }'); do
		assert_ge "packets of SA $spi in $NS1" 5 "$(xfrm_packets "$NS1" "$spi")"
		assert_ge "packets of SA $spi in $NS2" 5 "$(xfrm_packets "$NS2" "$spi")"
	done
	assert_eq "SAs in $NS1 (2 children, in and out)" 4 \
		"$(xfrm_count "$NS1" state)"
}

# gone NS: no SA and no policy left (the peer's go with our Delete).
gone() {
	local i
	for i in $(seq 50); do
		[ "$(xfrm_count "$1" state)" = 0 ] && break
		sleep 0.1
	done
	assert_eq "SAs left in $1" 0 "$(xfrm_count "$1" state)"
	assert_eq "policies left in $1" 0 "$(xfrm_count "$1" policy)"
}

kb_two_sites

step "round 1: keybridged (PF_KEY) initiates to charon"
charon_start "$NS2"
charon_pid=${_kb_pids[-1]}
conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 kb swan 10.1.0.0/24 10.2.0.0/24 \
	aes128-sha1 aes256-sha512 start
conf "$dir/swan.conf" 10.0.0.2 10.0.0.1 swan kb 10.2.0.0/24 10.1.0.0/24 \
	aes128-sha1 aes256-sha512 none
swan "$NS2" --load-all --file "$dir/swan.conf" >/dev/null
kb_start "$NS1" "$dir/kb.conf" --kernel pfkey
grep -q "kernel backend pfkey" "$KB_OUT/$KB_TEST.kb-$NS1.log" ||
	fail "keybridged did not say it runs on PF_KEY"
kb_wait "$NS1" "tun\[[0-9]+\].*CHILD SA negotiated" 60
kb_wait "$NS1" "tra\[[0-9]+\].*CHILD SA negotiated" 60
check_pfkey_sas 1 "mode tunnel" "mode transport" "hmac(sha1)" "hmac(sha512)" \
	"cbc(aes)"
traffic
kb_stop "$NS1"
gone "$NS1"
gone "$NS2"
mv "$KB_OUT/$KB_TEST.kb-$NS1.log" "$KB_OUT/$KB_TEST.kb-$NS1.log.1"
# charon leaves port 500 to the next round's keybridged
kill -TERM "$charon_pid"
wait "$charon_pid" 2>/dev/null || true

step "round 2: keybridged (XFRM) to keybridged (PF_KEY), a trapped tunnel"
conf "$dir/kb.conf" 10.0.0.1 10.0.0.2 kb x 10.1.0.0/24 10.2.0.0/24 \
	aes256-sha512 aes128-sha1 none
sed -i '/esp_proposals = aes256-sha512/{n;s/start_action = none/start_action = trap/}' \
	"$dir/kb.conf"
conf "$dir/x.conf" 10.0.0.2 10.0.0.1 x kb 10.2.0.0/24 10.1.0.0/24 \
	aes256-sha512 aes128-sha1 start
sed -i '/esp_proposals = aes256-sha512/{n;s/start_action = start/start_action = none/}' \
	"$dir/x.conf"
kb_start "$NS1" "$dir/kb.conf" --kernel pfkey
ip -n "$NS1" xfrm policy | grep -A3 "src 10.1.0.0/24 dst 10.2.0.0/24" |
	grep -q "reqid 12289 mode tunnel" ||
	fail "no trap policy with reqid 12289 in $NS1: $(ip -n "$NS1" xfrm policy)"
echo "ok: the trap policy, installed through PF_KEY"
kb_start "$NS2" "$dir/x.conf"
kb_wait "$NS1" "tra\[[0-9]+\].*CHILD SA negotiated" 60
assert_eq "SAs in $NS1 before traffic to the trap" 2 "$(xfrm_count "$NS1" state)"
n1 ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 || true
kb_wait "$NS1" "traffic needs an SA" 30
kb_wait "$NS1" "tun\[[0-9]+\].*CHILD SA negotiated" 60
check_pfkey_sas 2 "mode tunnel" "mode transport" "hmac(sha1)" "hmac(sha512)"
traffic
kb_stop "$NS2"
kb_stop "$NS1"
gone "$NS1"
gone "$NS2"
rm -rf "$dir"
