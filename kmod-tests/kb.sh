# kmod-tests/kb.sh — helpers for tests that run keybridged itself; source it
# after lib.sh. Logs go to $KB_OUT/$KB_TEST.kb-<ns>.log.
# shellcheck shell=bash

declare -A _kb_daemon=()

# kb_conf FILE LOCAL REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS START
#         [MODE [ESP [AUTH [IKE]]]]
# Writes a swanctl.conf for one side of connection "t" with child "c".
# AUTH is "psk" (secret shared by every test) or "pubkey:DIR" (DIR holds
# key.pem and pub.pem of this side; the peer's pub.pem is PEER_PUB).
kb_conf() {
	local file=$1 local=$2 remote=$3 lid=$4 rid=$5 lts=$6 rts=$7 start=$8
	local mode=${9:-tunnel} esp=${10:-aes128gcm16} auth=${11:-psk}
	local ike=${12:-aes256gcm16-prfsha256-x25519}
	local lauth rauth secrets
	if [ "$auth" = psk ]; then
		lauth="auth = psk"
		rauth="auth = psk"
		secrets="ike-t {
			id-1 = $lid
			id-2 = $rid
			secret = \"kmod-tests shared secret, not a real one\"
		}"
	else
		local dir=${auth#pubkey:}
		lauth="auth = pubkey
			pubkeys = $dir/pub.pem"
		rauth="auth = pubkey
			pubkeys = $PEER_PUB"
		secrets="private-me {
			file = $dir/key.pem
		}"
	fi
	cat >"$file" <<-EOF
	connections {
		t {
			local_addrs = $local
			remote_addrs = $remote
			proposals = $ike
			local {
				$lauth
				id = $lid
			}
			remote {
				$rauth
				id = $rid
			}
			children {
				c {
					local_ts = $lts
					remote_ts = $rts
					mode = $mode
					esp_proposals = $esp
					start_action = $start
				}
			}
		}
	}
	secrets {
		$secrets
	}
	EOF
}

# kb_start NS CONF [OPTION...]: keybridged in NS (with OPTIONs, e.g.
# --kernel pfkey); waits until it is ready (PF_KEY's REGISTER probes every
# algorithm it knows, which takes seconds under TCG: allow 30 s). Its
# control socket is /tmp/$KB_TEST.kb-NS.vici (kb_vici NS prints the path;
# the shared $KB_OUT is 9p, which holds no sockets).
kb_vici() { echo "/tmp/$KB_TEST.kb-$1.vici"; }
kb_start() {
	local ns=$1 conf=$2 log=$KB_OUT/$KB_TEST.kb-$1.log i
	shift 2
	ip netns exec "$ns" "$KB_BUILD/bin/keybridged" -c "$conf" -l debug \
		--vici "$(kb_vici "$ns")" "$@" >"$log" 2>&1 &
	_kb_daemon[$ns]=$!
	_kb_pids+=($!)
	for i in $(seq 300); do
		grep -q "ready" "$log" && return 0
		kill -0 "${_kb_daemon[$ns]}" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$log"
	fail "keybridged in $ns did not start"
}

# kb_wait NS PATTERN [SECONDS]: wait for PATTERN (grep -E) in its log.
kb_wait() {
	local ns=$1 log=$KB_OUT/$KB_TEST.kb-$1.log i
	for i in $(seq $((${3:-20} * 10))); do
		if grep -qE "$2" "$log"; then
			echo "ok: keybridged in $ns: $(grep -E "$2" "$log" | head -n 1)"
			return 0
		fi
		sleep 0.1
	done
	tail -n 30 "$log"
	fail "keybridged in $ns never logged '$2'"
}

# kb_stop NS: SIGTERM, and the daemon must exit 0 within 15 s.
kb_stop() {
	local ns=$1 pid=${_kb_daemon[$1]} i
	kill -TERM "$pid"
	for i in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "keybridged in $ns did not stop"
	local status=0
	wait "$pid" || status=$?
	assert_eq "keybridged in $ns exit status" 0 "$status"
}

# kb_keys DIR: an ECDSA P-256 key pair, DIR/key.pem and DIR/pub.pem.
kb_keys() {
	mkdir -p "$1"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1/key.pem" 2>/dev/null
	openssl pkey -in "$1/key.pem" -pubout -out "$1/pub.pem"
}

# xfrm_count NS WHAT: number of SAs ("state") or policies ("policy"); the
# per-socket policies of a running daemon's IKE sockets ("socket in/out")
# are not counted.
xfrm_count() {
	if [ "$2" = state ]; then
		ip -n "$1" xfrm state | grep -c '^src' || true
	else
		ip -n "$1" xfrm policy |
			awk '/^src/ { n++ } /^\tsocket / { n-- } END { print n + 0 }'
	fi
}

# spi_of NS SRC DST: the SPI of the ESP SA from SRC to DST.
spi_of() {
	ip -n "$1" xfrm state | awk -v s="$2" -v d="$3" \
		'$1 == "src" && $2 == s && $4 == d { getline; print $4; exit }'
}

# kb_two_sites: ns_two plus a site network behind each peer, routed through
# the other peer (the tunnel-mode tests' topology):
#   $NS1: lo 10.1.0.1/32, 10.2.0.0/24 via 10.0.0.2
#   $NS2: lo 10.2.0.1/32, 10.1.0.0/24 via 10.0.0.1
kb_two_sites() {
	ns_two
	addr "$NS1" lo 10.1.0.1/32
	addr "$NS2" lo 10.2.0.1/32
	n1 ip route add 10.2.0.0/24 via 10.0.0.2 src 10.1.0.1
	n2 ip route add 10.1.0.0/24 via 10.0.0.1 src 10.2.0.1
}

# kb_pki DIR NAME... : a PKI made with openssl in DIR: a root CA
# (root.pem), and per NAME an intermediate CA (NAME-ca.pem, issued by the
# root) that issued NAME's end-entity certificate (NAME.pem, its PKCS#8
# key NAME.key, subjectAltName DNS:NAME). ECDSA P-256, or RSA 2048 with
# KB_PKI_KEY=rsa. One openssl run per certificate (each costs seconds
# under TCG).
kb_pki() {
	local dir=$1 n alg serial=1
	shift
	mkdir -p "$dir"
	if [ "${KB_PKI_KEY:-ec}" = rsa ]; then
		alg=(-newkey rsa:2048)
	else
		alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	fi
	local ca=(-addext "basicConstraints=critical,CA:TRUE"
		-addext "keyUsage=critical,keyCertSign,cRLSign")
	openssl req -x509 "${alg[@]}" -nodes -keyout "$dir/root.key" \
		-out "$dir/root.pem" -subj "/O=keybridge kmod-tests/CN=Root CA" \
		-days 30 "${ca[@]}" 2>/dev/null
	for n in "$@"; do
		serial=$((serial + 2))
		openssl req -x509 "${alg[@]}" -nodes -keyout "$dir/$n-ca.key" \
			-out "$dir/$n-ca.pem" -CA "$dir/root.pem" \
			-CAkey "$dir/root.key" -set_serial "$serial" -days 30 \
			-subj "/O=keybridge kmod-tests/CN=$n Intermediate CA" \
			"${ca[@]}" 2>/dev/null
		openssl req -x509 "${alg[@]}" -nodes -keyout "$dir/$n.key" \
			-out "$dir/$n.pem" -CA "$dir/$n-ca.pem" \
			-CAkey "$dir/$n-ca.key" -set_serial "$((serial + 1))" \
			-days 30 -subj "/O=keybridge kmod-tests/CN=$n" \
			-addext "basicConstraints=CA:FALSE" \
			-addext "keyUsage=digitalSignature" \
			-addext "extendedKeyUsage=serverAuth,clientAuth" \
			-addext "subjectAltName=DNS:$n" 2>/dev/null
	done
	[ -s "$dir/root.pem" ] && [ -s "$dir/$n.pem" ] ||
		fail "openssl could not make the PKI in $dir"
}
