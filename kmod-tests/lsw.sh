# kmod-tests/lsw.sh — Libreswan's pluto as a peer; source it after lib.sh.
# Libreswan conflicts with strongSwan in Debian, so ci/install-deps unpacks
# its package into /opt/libreswan instead of installing it. pluto insists
# on its helpers at /usr/libexec/ipsec: it runs in a mount namespace of its
# own where /opt/libreswan/usr/libexec is bound over /usr/libexec.
# shellcheck shell=bash

LSW_ROOT=${LSW_ROOT:-/opt/libreswan}
LSW_LIBEXEC=$LSW_ROOT/usr/libexec/ipsec

# require_libreswan: skip loudly when the unpacked Libreswan is missing.
require_libreswan() {
	[ -x "$LSW_LIBEXEC/pluto" ] ||
		skip "Libreswan is not unpacked in $LSW_ROOT (run 'make deps' as root)"
	require_cmd certutil
	require_cmd pk12util
}

# lsw_nss DIR ROOT_CA CERT KEY CHAIN NAME: an NSS database in DIR/nss
# trusting ROOT_CA, holding CERT (nickname NAME) with KEY and the
# intermediate CHAIN that issued it.
lsw_nss() {
	local dir=$1
	mkdir -p "$dir/nss"
	certutil -N -d "sql:$dir/nss" --empty-password
	certutil -A -d "sql:$dir/nss" -n root -t "CT,," -i "$2"
	openssl pkcs12 -export -in "$3" -inkey "$4" -certfile "$5" -name "$6" \
		-out "$dir/me.p12" -passout pass:kmod
	pk12util -i "$dir/me.p12" -d "sql:$dir/nss" -W kmod >/dev/null ||
		fail "pk12util could not import $3 into $dir/nss"
}

# lsw_start NS DIR: pluto in NS with DIR/ipsec.conf (its connections added
# with addconn), DIR/nss; its log is $KB_OUT/$KB_TEST.pluto-NS.log.
lsw_start() {
	local ns=$1 dir=$2 log=$KB_OUT/$KB_TEST.pluto-$1.log i
	mkdir -p "$dir/run"
	: >"$dir/ipsec.secrets"
	ip netns exec "$ns" sh -c "mount --bind '$LSW_ROOT/usr/libexec' /usr/libexec &&
		exec /usr/libexec/ipsec/pluto --config '$dir/ipsec.conf' --nofork \
		--stderrlog --rundir '$dir/run' --nssdir '$dir/nss' \
		--ipsecdir '$dir' --secretsfile '$dir/ipsec.secrets'" \
		>"$log" 2>&1 &
	_kb_pids+=($!)
	for i in $(seq 300); do
		[ -S "$dir/run/pluto.ctl" ] && break
		sleep 0.1
	done
	[ -S "$dir/run/pluto.ctl" ] || {
		tail -n 20 "$log"
		fail "pluto in $ns did not start"
	}
	"$LSW_LIBEXEC/addconn" --ctlsocket "$dir/run/pluto.ctl" \
		--config "$dir/ipsec.conf" --autoall >/dev/null ||
		fail "addconn refused $dir/ipsec.conf"
}

# lsw_whack DIR ARG...: whack talking to the pluto of DIR.
lsw_whack() {
	local dir=$1
	shift
	"$LSW_LIBEXEC/whack" --ctlsocket "$dir/run/pluto.ctl" "$@"
}
