#!/bin/sh
# Regenerates charon.pcap and the charon logs beside it: strongSwan's charon
# negotiating with itself (PSK) across two network namespaces, captured with
# tcpdump. The codec tests decode this capture and compare it with what the
# two charons logged.
#
#   kbcodec-a (initiator)                     kbcodec-b (responder)
#   kbcodec-va 10.99.1.1/24  <--- veth --->   kbcodec-vb 10.99.1.2/24
#      charon + vici socket + own /run           charon + vici socket + own /run
#      tcpdump -w charon.pcap
#
# Each charon gets its own strongswan.conf (STRONGSWAN_CONF), its own vici
# socket and its own /run (bind-mounted in a private mount namespace, so
# the pid files do not collide with a host charon). On a kernel without ESP
# the CHILD_SA install fails after IKE_AUTH; IKE_SA_INIT and IKE_AUTH are
# still exchanged, which is what the capture is for.
#
# Usage (as root): make-charon-capture.sh [OUTDIR [SCENARIO]]
#   OUTDIR defaults to this directory. SCENARIO:
#   basic (default) -> charon.pcap, charon-*.log: a plain PSK handshake.
#   rich            -> charon-rich.pcap, charon-rich-*.log: the initiator's
#                      KE guess is refused (INVALID_KE_PAYLOAD) and it
#                      retries; IKE_AUTH is split into RFC 7383 fragments
#                      (SKF, fragment_size = 200).
# Needs: strongswan-charon, strongswan-swanctl, tcpdump, iproute2.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
scenario=${2:-basic}
case $scenario in
basic)
	name=charon
	prop_a="aes256gcm16-prfsha256-x25519, aes128-sha256-ecp256"
	prop_b="aes256gcm16-prfsha256-x25519"
	extra_a=""
	extra_b=""
	;;
rich)
	name=charon-rich
	# the initiator's first proposal (and so its KE) is ECP_256, which
	# the responder does not accept: it answers INVALID_KE_PAYLOAD
	prop_a="aes128-sha256-ecp256, aes256gcm16-prfsha256-x25519"
	prop_b="aes256gcm16-prfsha256-x25519"
	extra_a="fragment_size = 200"
	extra_b="fragment_size = 200"
	;;
*)
	echo "unknown scenario $scenario (basic, rich)" >&2
	exit 2
	;;
esac
dir=$(mktemp -d /tmp/kbcodec-charon.XXXXXX)
A=kbcodec-a
B=kbcodec-b
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

ip netns add $A
ip netns add $B
ip link add kbcodec-va netns $A type veth peer name kbcodec-vb netns $B
ip -n $A addr add 10.99.1.1/24 dev kbcodec-va
ip -n $B addr add 10.99.1.2/24 dev kbcodec-vb
for n in $A $B; do
	ip -n $n link set lo up
done
ip -n $A link set kbcodec-va up
ip -n $B link set kbcodec-vb up

# write_conf SIDE LOCAL REMOTE LOCAL_ID REMOTE_ID PROPOSALS EXTRA_CHARON_KEYS
write_conf() {
	d=$dir/$1
	mkdir -p "$d/run"
	cat >"$d/strongswan.conf" <<-EOF
	charon {
		load_modular = yes
		install_routes = no
		install_virtual_ip = no
		$7
		plugins {
			include /etc/strongswan.d/charon/*.conf
			vici {
				socket = unix://$d/charon.vici
			}
		}
		syslog {
			daemon {
				default = -1
			}
		}
		filelog {
			log {
				path = $d/charon.log
				time_format = %T
				flush_line = yes
				default = 1
				ike = 2
				cfg = 2
				net = 2
			}
		}
	}
	EOF
	cat >"$d/swanctl.conf" <<-EOF
	connections {
		kbcodec {
			version = 2
			local_addrs = $2
			remote_addrs = $3
			proposals = $6
			local {
				auth = psk
				id = $4
			}
			remote {
				auth = psk
				id = $5
			}
			children {
				net {
					local_ts = $2/32
					remote_ts = $3/32
					esp_proposals = aes128gcm16
					mode = transport
				}
			}
		}
	}
	secrets {
		ike-kbcodec {
			id-a = a.kbcodec.test
			id-b = b.kbcodec.test
			secret = "kbcodec capture only, not a real secret"
		}
	}
	EOF
}

write_conf a 10.99.1.1 10.99.1.2 a.kbcodec.test b.kbcodec.test "$prop_a" \
	"$extra_a"
write_conf b 10.99.1.2 10.99.1.1 b.kbcodec.test a.kbcodec.test "$prop_b" \
	"$extra_b"

ip netns exec $A tcpdump -n -U -s 0 -i kbcodec-va -w "$dir/charon.pcap" \
	udp 2>"$dir/tcpdump.log" &
pids="$pids $!"

# start_charon NS SIDE
start_charon() {
	d=$dir/$2
	ip netns exec "$1" unshare -m sh -c \
		"mount --bind '$d/run' /run && STRONGSWAN_CONF='$d/strongswan.conf' exec /usr/lib/ipsec/charon" \
		>"$d/stdout.log" 2>&1 &
	# stdout only repeats plugin and credential noise; the log file has it all
	pids="$pids $!"
	for _ in $(seq 50); do
		[ -S "$d/charon.vici" ] && return 0
		sleep 0.1
	done
	echo "charon in $1 did not open its vici socket" >&2
	cat "$d/stdout.log" "$d/charon.log" >&2
	exit 1
}
start_charon $A a
start_charon $B b

for s in a b; do
	swanctl --load-all --file "$dir/$s/swanctl.conf" \
		--uri "unix://$dir/$s/charon.vici" >"$dir/$s/swanctl.log" 2>&1
done
sleep 1

# CHILD_SA installation fails on a kernel without ESP; that is expected.
ip netns exec $A swanctl --initiate --child net --timeout 10 \
	--uri "unix://$dir/a/charon.vici" >"$dir/initiate.log" 2>&1 || true
sleep 1
# The IKE SA survives the failed CHILD_SA: its SPIs and algorithms as
# charon reports them are what the test compares with.
swanctl --list-sas --uri "unix://$dir/a/charon.vici" >"$dir/list-sas.txt"
ip netns exec $A swanctl --terminate --ike kbcodec --timeout 5 \
	--uri "unix://$dir/a/charon.vici" >>"$dir/initiate.log" 2>&1 || true
sleep 1

cp "$dir/charon.pcap" "$out/$name.pcap"
cp "$dir/a/charon.log" "$out/$name-initiator.log"
cp "$dir/b/charon.log" "$out/$name-responder.log"
cp "$dir/list-sas.txt" "$out/$name-list-sas.txt"
echo "wrote $out/$name.pcap ($(wc -c <"$out/$name.pcap") bytes) and logs"
