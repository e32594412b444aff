#!/bin/sh
# Records what strongSwan's charon (5.9.8 from Debian) really offers for
# `proposals = default` and `esp_proposals = default`, so that keybridge's
# "default" (daemon/config/conf_proposal.c) is checked against the real
# thing rather than against a reading of its source.
#
#   kbconf-a (initiator)                      kbconf-b (responder)
#   kbconf-va 10.99.7.1/24  <---- veth ---->  kbconf-vb 10.99.7.2/24
#      charon, own /run and vici socket          charon, cfg log level 2
#
# Both ends use the defaults. The responder logs, at cfg level 2, the
# proposals it received (the initiator's defaults) for the IKE SA in
# IKE_SA_INIT and for the CHILD SA in IKE_AUTH; those lines are kept in
# charon-defaults.log, which test_conf_proposal.c reads. On a kernel
# without ESP the CHILD SA install fails after the proposals were logged,
# which does not matter here.
#
# Usage (as root): make-charon-defaults.sh [OUTDIR]   (default: this dir)
# Needs: strongswan-charon, strongswan-swanctl, iproute2.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
dir=$(mktemp -d /tmp/kbconf-charon.XXXXXX)
A=kbconf-a
B=kbconf-b
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT INT TERM

ip netns add $A
ip netns add $B
ip link add kbconf-va netns $A type veth peer name kbconf-vb netns $B
ip -n $A addr add 10.99.7.1/24 dev kbconf-va
ip -n $B addr add 10.99.7.2/24 dev kbconf-vb
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set kbconf-va up
ip -n $B link set kbconf-vb up

# conf SIDE LOCAL REMOTE
conf() {
	d=$dir/$1
	mkdir -p "$d/run"
	cat >"$d/strongswan.conf" <<-EOF
	charon {
		load_modular = yes
		install_routes = no
		plugins {
			include /etc/strongswan.d/charon/*.conf
			vici { socket = unix://$d/charon.vici }
		}
		syslog { daemon { default = -1 } }
		filelog {
			log {
				path = $d/charon.log
				flush_line = yes
				default = 1
				cfg = 2
			}
		}
	}
	EOF
	cat >"$d/swanctl.conf" <<-EOF
	connections {
		defaults {
			version = 2
			local_addrs = $2
			remote_addrs = $3
			proposals = default
			local { auth = psk }
			remote { auth = psk }
			children {
				net {
					local_ts = $2/32
					remote_ts = $3/32
					esp_proposals = default
				}
			}
		}
	}
	secrets {
		ike { secret = "kbconf test only, not a real secret" }
	}
	EOF
}
conf a 10.99.7.1 10.99.7.2
conf b 10.99.7.2 10.99.7.1

# charon NS SIDE: own mount namespace so /run (pid file) is private
charon() {
	d=$dir/$2
	ip netns exec "$1" unshare -m sh -c \
		"mount --bind '$d/run' /run && STRONGSWAN_CONF='$d/strongswan.conf' exec /usr/lib/ipsec/charon" \
		>"$d/stdout.log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 50); do
		[ -S "$d/charon.vici" ] && return 0
		sleep 0.1
	done
	echo "charon in $1 did not start" >&2
	cat "$d/stdout.log" >&2
	exit 1
}
charon $A a
charon $B b
for s in a b; do
	swanctl --load-all --file "$dir/$s/swanctl.conf" \
		--uri "unix://$dir/$s/charon.vici" >"$dir/$s/load.log" 2>&1
done
swanctl --initiate --child net --timeout 10 \
	--uri "unix://$dir/a/charon.vici" >"$dir/initiate.log" 2>&1 || true
sleep 1

{
	echo "# charon $(/usr/lib/ipsec/charon --version 2>/dev/null || true)"
	echo "# responder (kbconf-b) log lines naming the proposals it received"
	grep -E 'received proposals|configured proposals|selected proposal' \
		"$dir/b/charon.log" | sed -e 's/^.*\[CFG\] //'
	echo "# initiator (kbconf-a): outcome"
	grep -E 'established|NO_PROPOSAL_CHOSEN' "$dir/a/charon.log" |
		sed -e 's/^.*\[IKE\] //'
} >"$out/charon-defaults.log"
cat "$out/charon-defaults.log"
