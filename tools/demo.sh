#!/bin/bash
# keybridge demo: two gateways in two network namespaces, each running
# keybridged, bring up an IKEv2 tunnel and ping through it.
#
#   ┌────────────────────────────┐         ┌────────────────────────────┐
#   │ kbdemo-a  gw-a.demo        │         │ kbdemo-b  gw-b.demo        │
#   │ site 10.1.0.1/32 (lo)      │         │ site 10.2.0.1/32 (lo)      │
#   │ wan  10.0.0.1/24  ─────────┼── veth ─┼──────────  10.0.0.2/24 wan │
#   └────────────────────────────┘         └────────────────────────────┘
#        10.1.0.0/24  <======= IKEv2 + ESP tunnel =======>  10.2.0.0/24
#
# Needs root and a kernel with ESP; `make demo` runs it in a QEMU guest when
# this kernel has none. Usage: demo.sh [BUILD_DIR]
set -euo pipefail

# demo.sh --have-esp: exit 0 if this kernel can install an ESP SA.
if [ "${1:-}" = --have-esp ]; then
	ns=kbdemo-esp-$$
	ip netns add $ns 2>/dev/null || exit 1
	ip -n $ns xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp \
		spi 0x100 aead 'rfc4106(gcm(aes))' \
		0x0102030405060708090a0b0c0d0e0f1011121314 128 2>/dev/null
	status=$?
	ip netns del $ns
	exit $status
fi
build=${1:-${KB_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
kb=$build/bin/keybridged
A=kbdemo-a B=kbdemo-b
dir=$(mktemp -d /tmp/kbdemo.XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

ip netns del $A 2>/dev/null || true
ip netns del $B 2>/dev/null || true
ip netns add $A
ip netns add $B
ip link add wan netns $A type veth peer name wan netns $B
for ns in $A $B; do ip -n $ns link set lo up; ip -n $ns link set wan up; done
ip -n $A addr add 10.0.0.1/24 dev wan
ip -n $B addr add 10.0.0.2/24 dev wan
ip -n $A addr add 10.1.0.1/32 dev lo
ip -n $B addr add 10.2.0.1/32 dev lo
ip -n $A route add 10.2.0.0/24 via 10.0.0.2 src 10.1.0.1
ip -n $B route add 10.1.0.0/24 via 10.0.0.1 src 10.2.0.1

# conf SIDE LOCAL REMOTE ME PEER MY_NET PEER_NET START
conf() {
	cat >"$dir/$1.conf" <<-EOF
	connections {
		demo {
			local_addrs = $2
			remote_addrs = $3
			proposals = aes256gcm16-prfsha384-x25519
			local {
				auth = psk
				id = $4
			}
			remote {
				auth = psk
				id = $5
			}
			children {
				site {
					local_ts = $6
					remote_ts = $7
					esp_proposals = aes256gcm16
					start_action = $8
				}
			}
		}
	}
	secrets {
		ike-demo {
			id-a = gw-a.demo
			id-b = gw-b.demo
			secret = "keybridge demo secret, do not use in production"
		}
	}
	EOF
}
conf a 10.0.0.1 10.0.0.2 gw-a.demo gw-b.demo 10.1.0.0/24 10.2.0.0/24 start
conf b 10.0.0.2 10.0.0.1 gw-b.demo gw-a.demo 10.2.0.0/24 10.1.0.0/24 none

wait_log() { # FILE PATTERN SECONDS
	for _ in $(seq $(($3 * 10))); do
		grep -qE "$2" "$1" && return 0
		sleep 0.1
	done
	echo "demo: '$2' never appeared in $1:" >&2
	cat "$1" >&2
	return 1
}

say "starting keybridged on gw-b (responder) and gw-a (initiator)"
ip netns exec $B "$kb" -c "$dir/b.conf" --vici "$dir/b.vici" >"$dir/b.log" 2>&1 &
pids+=($!)
wait_log "$dir/b.log" ready 10
ip netns exec $A "$kb" -c "$dir/a.conf" --vici "$dir/a.vici" >"$dir/a.log" 2>&1 &
pids+=($!)
wait_log "$dir/a.log" "CHILD SA negotiated" 30
wait_log "$dir/b.log" "CHILD SA negotiated" 10
sed 's/^/  gw-a: /' "$dir/a.log"
echo "  IKE SA: $(grep -o 'IKE_SA_INIT done with .*' "$dir/a.log" | cut -d' ' -f4-)"

say "ping from site A (10.1.0.1) to site B (10.2.0.1) through the tunnel"
ip netns exec $A ping -n -c 5 -i 0.2 -I 10.1.0.1 10.2.0.1 | sed 's/^/  /'

say "the tunnel as the kernel sees it on gw-a"
ip -n $A xfrm state | awk '
	/^src/ { printf "  ESP SA %s -> %s", $2, $4 }
	/proto esp spi/ { printf "  SPI %s  %s %s\n", $4, $7, $8 }
	/^\taead/ { printf "    AEAD %s, %d-bit key + 32-bit salt, %s-bit ICV\n", $2, (length($3) - 2) * 4 - 32, $4 }
	/^\tenc / { printf "    cipher %s, %d-bit key\n", $2, (length($3) - 2) * 4 }
	/^\tauth-trunc/ { printf "    integrity %s, %d-bit key, %s-bit ICV\n", $2, (length($3) - 2) * 4, $4 }'
ip -n $A -s xfrm state | awk '
	/^src/ { sa = $2 " -> " $4 }
	/\(bytes\), .*\(packets\)/ { gsub(/[(),a-z]/, " "); printf "  %-24s %6d packets %8d bytes\n", sa, $2, $1 }'
echo "  policies:"
ip -n $A xfrm policy | awk '/^src/ && !/socket/ { s = $0 } /dir (in|out|fwd)/ && s { print "   ", s, $1, $2; s = "" }'

say "stopping gw-a: it deletes the tunnel with its peer and in its kernel"
kill -TERM "${pids[1]}"
wait "${pids[1]}" || true
wait_log "$dir/b.log" "IKE SA deleted" 15
echo "  gw-b: $(grep 'IKE SA deleted' "$dir/b.log" | head -n 1)"
echo "  SAs left on gw-a: $(ip -n $A xfrm state | grep -c '^src' || true)"
say "demo done"
