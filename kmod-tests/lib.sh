# kmod-tests/lib.sh — sourced by every kmod-tests/NN-*.sh (see README.md).
#
# Namespaces are named "kb-<test>-1", "-2", "-3" ($NS1 $NS2 $NS3) and every
# helper that creates one registers it for ns_cleanup. A test does:
#
#	. "$KB_ROOT/kmod-tests/lib.sh"
#	require_guest
#	cleanup() { ns_cleanup; }
#	trap cleanup EXIT
#	ns_two
#	n1 ping -c 1 10.0.0.2
#
# shellcheck shell=bash
#
# No pipefail, on purpose: in "ip xfrm state | grep -q X" grep leaves at the
# first match and ip dies of SIGPIPE when its output is longer than the
# pipe took in one go, so with pipefail such a check fails at random.
set -eu

KB_TEST=$(basename "$0" .sh)
KB_OUT=${KB_OUT:-${TMPDIR:-/tmp}}
# Interface and namespace names stay short: the test's number, not its name.
_kb_tag=kb-${KB_TEST%%-*}
NS1=$_kb_tag-1
NS2=$_kb_tag-2
NS3=$_kb_tag-3
_kb_namespaces=()
_kb_pids=()

# ---- outcome --------------------------------------------------------------

# skip WHY: the test cannot run here; exit 77 after saying why, loudly.
skip() {
	echo "SKIP $KB_TEST: $*"
	exit 77
}

# fail WHAT: stop the test as failed, saying what went wrong.
fail() {
	echo "FAIL $KB_TEST: $*" >&2
	exit 1
}

# step WHAT: one line in the test's log, so a failure shows where it was
# (and the seconds since the test started, so a slow step shows too).
step() { echo "--- $* (at ${SECONDS}s)"; }

# require_guest: tests touching kernel state run only in the kmod guest.
require_guest() {
	[ "${KB_IN_GUEST:-}" = 1 ] ||
		skip "needs the kmod guest's kernel; run it with 'make kmod-check K=$KB_TEST'"
}

# require_cmd CMD...: skip unless every command exists.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed"
	done
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
	echo "ok: $1 = $3"
}

# assert_ge WHAT MIN ACTUAL (integers)
assert_ge() {
	[[ $3 =~ ^[0-9]+$ ]] || fail "$1: '$3' is not a number"
	[ "$3" -ge "$2" ] || fail "$1: expected at least $2, got $3"
	echo "ok: $1 = $3 (>= $2)"
}

# ---- namespaces -------------------------------------------------------------

n1() { ip netns exec "$NS1" "$@"; }
n2() { ip netns exec "$NS2" "$@"; }
n3() { ip netns exec "$NS3" "$@"; }

# ns_add NAME: a namespace with lo up, registered for ns_cleanup.
ns_add() {
	ip netns add "$1"
	_kb_namespaces+=("$1")
	ip -n "$1" link set lo up
}

# ns_cleanup: stop the daemons started with charon_start, then delete every
# namespace this test created. Call it from the test's cleanup function
# (trap cleanup EXIT).
ns_cleanup() {
	local n
	for n in "${_kb_pids[@]}"; do
		kill "$n" 2>/dev/null && wait "$n" 2>/dev/null
	done
	_kb_pids=()
	for n in "${_kb_namespaces[@]}"; do
		ip netns del "$n" 2>/dev/null || true
	done
	_kb_namespaces=()
_kb_pids=()
}

# veth_link NSA IFA NSB IFB: a veth pair between two namespaces, both up.
veth_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# addr NS IF ADDR/LEN: add an address; IPv6 ones skip duplicate address
# detection, which would otherwise hold them back for a second or two.
addr() {
	case $3 in
	*:*) ip -n "$1" addr add "$3" dev "$2" nodad ;;
	*) ip -n "$1" addr add "$3" dev "$2" ;;
	esac
}

# ns_two: two peers on one link.
#
#   ┌─────────────────────┐         ┌─────────────────────┐
#   │ $NS1                │         │ $NS2                │
#   │ veth1 10.0.0.1/24   ├─────────┤ veth2 10.0.0.2/24   │
#   │       fd00::1/64    │         │       fd00::2/64    │
#   └─────────────────────┘         └─────────────────────┘
ns_two() {
	ns_add "$NS1"
	ns_add "$NS2"
	veth_link "$NS1" veth1 "$NS2" veth2
	addr "$NS1" veth1 10.0.0.1/24
	addr "$NS1" veth1 fd00::1/64
	addr "$NS2" veth2 10.0.0.2/24
	addr "$NS2" veth2 fd00::2/64
}

# ns_three: two peers with a router between them (which can NAT).
#
#   ┌──────────────────┐      ┌──────────────────────┐      ┌──────────────────┐
#   │ $NS1             │      │ $NS2 (router)        │      │ $NS3             │
#   │ veth1 10.0.1.1   ├──────┤ veth21 10.0.1.254    │      │                  │
#   │   fd01::1        │      │   fd01::fe           │      │                  │
#   │                  │      │ veth23 10.0.2.254    ├──────┤ veth3 10.0.2.1   │
#   │ default via .254 │      │   fd02::fe           │      │   fd02::1        │
#   └──────────────────┘      └──────────────────────┘      └──────────────────┘
#   (all /24 and /64; $NS1 and $NS3 route everything through $NS2)
ns_three() {
	ns_add "$NS1"
	ns_add "$NS2"
	ns_add "$NS3"
	veth_link "$NS1" veth1 "$NS2" veth21
	veth_link "$NS2" veth23 "$NS3" veth3
	addr "$NS1" veth1 10.0.1.1/24
	addr "$NS1" veth1 fd01::1/64
	addr "$NS2" veth21 10.0.1.254/24
	addr "$NS2" veth21 fd01::fe/64
	addr "$NS2" veth23 10.0.2.254/24
	addr "$NS2" veth23 fd02::fe/64
	addr "$NS3" veth3 10.0.2.1/24
	addr "$NS3" veth3 fd02::1/64
	n1 ip route add default via 10.0.1.254
	n1 ip -6 route add default via fd01::fe
	n3 ip route add default via 10.0.2.254
	n3 ip -6 route add default via fd02::fe
	n2 sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# masquerade NS IF: IPv4 source NAT (nftables masquerade) for everything
# NS routes out of IF; ns_three's router does it with "$NS2" veth23.
masquerade() {
	ip netns exec "$1" nft -f - <<-NFT
		table ip kbnat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "$2" masquerade
			}
		}
	NFT
}

# esp_pair [ALGO KEY12 KEY21 ICVBITS]: after ns_two, hand-keyed ESP in
# transport mode between 10.0.0.1 ($NS1) and 10.0.0.2 ($NS2): SPI 0x1001
# from 1 to 2, 0x2002 back, policies out and in on both sides. Default AEAD:
# rfc4106(gcm(aes)) with a 128-bit key, 32-bit salt and a 16-byte ICV.
esp_pair() {
	local algo=${1:-rfc4106(gcm(aes))} icv=${4:-128}
	local k12=${2:-0x0102030405060708090a0b0c0d0e0f1011121314}
	local k21=${3:-0x2122232425262728292a2b2c2d2e2f3031323334}
	local ns a=10.0.0.1 b=10.0.0.2
	for ns in "$NS1" "$NS2"; do
		ip -n "$ns" xfrm state add src $a dst $b proto esp spi 0x1001 \
			reqid 1 mode transport aead "$algo" "$k12" "$icv"
		ip -n "$ns" xfrm state add src $b dst $a proto esp spi 0x2002 \
			reqid 1 mode transport aead "$algo" "$k21" "$icv"
	done
	_esp_pol "$NS1" out $a $b
	_esp_pol "$NS1" in $b $a
	_esp_pol "$NS2" out $b $a
	_esp_pol "$NS2" in $a $b
}

_esp_pol() {
	ip -n "$1" xfrm policy add src "$3/32" dst "$4/32" dir "$2" \
		tmpl src "$3" dst "$4" proto esp reqid 1 mode transport
}

# ---- strongSwan -------------------------------------------------------------

# charon_start NS: start strongSwan's charon inside NS. Its /run (pid file,
# vici socket) is a private directory, so several charons coexist in one
# guest; its log is $KB_OUT/$KB_TEST.charon-NS.log. Drive it with swan NS.
charon_start() {
	local ns=$1 dir=/tmp/$_kb_tag-charon-$1 log=$KB_OUT/$KB_TEST.charon-$1.log i
	rm -rf "$dir"
	mkdir -p "$dir"
	cat >"$dir/strongswan.conf" <<-EOF
		include /etc/strongswan.d/*.conf
		# swanctl: only what loading PSKs, keys and certificates needs (each
		# plugin is a library to read over 9p; Debian's list names missing ones)
		swanctl {
			load = pem pkcs1 pkcs8 x509 pubkey openssl random nonce
		}
		charon {
			load_modular = yes
			install_routes = no
			plugins {
				include /etc/strongswan.d/charon/*.conf
			}
			syslog {
			}
			filelog {
				kb {
					path = $log
					time_format = %T
					default = 1
					ike = 2
					knl = 2
					flush_line = yes
				}
			}
		}
	EOF
	ip netns exec "$ns" sh -c "mount --bind '$dir' /run &&
		STRONGSWAN_CONF='$dir/strongswan.conf' exec /usr/lib/ipsec/charon" \
		>"$log.stdout" 2>&1 &
	_kb_pids+=($!)
	# Starting charon (and swanctl) under TCG takes a second or more.
	for i in $(seq 300); do
		[ -S "$dir/charon.vici" ] && break
		sleep 0.1
	done
	if ! swan "$ns" --stats >"$dir/stats" 2>&1; then
		cat "$dir/stats" "$log.stdout" "$log" 2>/dev/null | tail -n 20
		fail "charon in $ns does not answer on its vici socket"
	fi
}

# swan NS COMMAND [ARG...]: swanctl COMMAND talking to the charon of NS.
swan() {
	local ns=$1 cmd=$2
	shift 2
	local dir=/tmp/$_kb_tag-charon-$ns
	# A --file directory lacks the credential subdirectories: drop that noise.
	STRONGSWAN_CONF=$dir/strongswan.conf \
		swanctl "$cmd" --uri "unix://$dir/charon.vici" "$@" \
		2> >(grep -v -E "^opening directory '.*' failed" >&2)
}

# ---- checks -----------------------------------------------------------------

# ping_ok NS DEST [COUNT [PING-OPTION...]]: COUNT echo requests (default 5),
# every one answered; e.g. ping_ok "$NS1" fd20::1 5 -I fd10::1
ping_ok() {
	local ns=$1 dst=$2 count=${3:-5} outp
	shift $(($# < 3 ? $# : 3))
	outp=$(ip netns exec "$ns" ping -n -q -c "$count" -i 0.2 -W 2 "$@" "$dst" 2>&1) ||
		fail "ping $dst from $ns: $outp"
	grep -q ' 0% packet loss' <<<"$outp" || fail "ping $dst from $ns lost packets: $outp"
	echo "ok: $count pings $ns -> $dst, 0% loss"
}

# xfrm_spi NS SRC DST: the SPI (0x...) of the ESP SA from SRC to DST.
xfrm_spi() {
	ip -n "$1" xfrm state list src "$2" dst "$3" proto esp |
		awk '{ for (i = 1; i < NF; i++) if ($i == "spi") { v = $(i + 1); sub(/\(.*/, "", v); print v; exit } }'
}

# xfrm_state_count NS: how many SAs NS holds.
xfrm_state_count() { ip -n "$1" xfrm state | grep -c '^src ' || true; }

# xfrm_policy_count NS: how many SPD policies NS holds (in, out, fwd), not
# counting the per-socket bypass policies IKE daemons set on their sockets.
xfrm_policy_count() { ip -n "$1" xfrm policy | grep -c -E '^\s+dir (in|out|fwd) ' || true; }

# xfrm_packets NS SPI: the packet counter of the SA with that SPI.
xfrm_packets() { _xfrm_lifetime "$1" "$2" packets; }
# xfrm_bytes NS SPI: its byte counter.
xfrm_bytes() { _xfrm_lifetime "$1" "$2" bytes; }

# `ip -s xfrm state` prints, under "lifetime current:", a line
# "  <bytes>(bytes), <packets>(packets)".
_xfrm_lifetime() {
	local ns=$1 spi what=$3
	spi=$(printf '0x%08x' "$2")
	ip -n "$ns" -s xfrm state | awk -v spi="$spi" -v what="$what" '
		/^src / { cur = 0 }
		/ spi / {
			for (i = 1; i < NF; i++)
				if ($i == "spi") { v = $(i + 1); sub(/\(.*/, "", v); cur = (v == spi) }
		}
		cur && /lifetime current:/ { want = 1; next }
		cur && want { gsub(/[(),]/, " "); print (what == "bytes" ? $1 : $3); exit }'
}
