#!/bin/bash
# kmod-timeout: 420
# The road warrior of issue 17, end to end, with the configuration files
# the README shows (examples/road-warrior/, used here unchanged):
# strongSwan's charon logs in to keybridged with EAP-MSCHAPv2 (as carol,
# its IKE identity its IP address, as Windows does), keybridged proves
# itself with its certificate, leases 10.3.0.1 and DNS 10.10.0.53 from its
# pool to carol, and charon pings the gateway's site from that address.
# Mid-flow the laptop's address changes: charon tells keybridged
# (MOBIKE, UPDATE_SA_ADDRESSES), both kernels move the SAs, pings resume.
#
#   ┌────────────────────────────┐         ┌────────────────────────────┐
#   │ $NS1 road warrior (charon) │         │ $NS2 gateway (keybridged)  │
#   │ examples/.../client        │         │ examples/.../gateway       │
#   │ veth1 192.0.2.10/24        ├─────────┤ veth2 192.0.2.1/24         │
#   │    -> 192.0.2.11/24        │         │ lo    10.10.0.1/32 (site)  │
#   │   + 10.3.0.1/32 (leased)   │         │ pool  10.3.0.0/24          │
#   └────────────────────────────┘         └────────────────────────────┘
#        10.3.0.1/32  <======= ESP tunnel =======>  10.10.0.0/24
#
# Asserts: keybridged authenticated carol with EAP-MSCHAPv2 and leased
# 10.3.0.1 to 'carol' (not to 192.0.2.10), charon installed the address
# and got the DNS server, the lease is listed by get-pools; pings from
# 10.3.0.1 resume after the move (at least 50 answers after it, the
# longest gap under 10 s: loss and gap printed), both kernels' SAs carry
# 192.0.2.11 with the SPIs of before (no rekey); terminating leaves the
# lease offline and no SA.
#
# charon answers EAP-Identity only with its eap-identity plugin (Debian's
# libcharon-extra-plugins, unpacked by ci/install-deps into
# /opt/charon-extra): this test puts that one plugin into its guest.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd swanctl openssl
[ -x /usr/lib/ipsec/charon ] || skip "strongSwan's charon is not installed"
[ -r /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ] ||
	skip "charon's eap-mschapv2 plugin is missing (libcharon-extauth-plugins)"
eapid_so=/opt/charon-extra/usr/lib/ipsec/plugins/libstrongswan-eap-identity.so
[ -r "$eapid_so" ] ||
	skip "charon's eap-identity plugin is not in /opt/charon-extra (run ci/install-deps)"

plugin=/usr/lib/ipsec/plugins/libstrongswan-eap-identity.so
plugin_conf=/etc/strongswan.d/charon/eap-identity.conf
added_plugin=
cleanup() {
	ns_cleanup
	# the guest's overlay: undo what this test added
	if [ -n "$added_plugin" ]; then
		rm -f "$plugin" "$plugin_conf"
	fi
	rm -rf "$dir"
}
dir=$(mktemp -d)
trap cleanup EXIT
if [ ! -e "$plugin" ]; then
	added_plugin=yes
	cp "$eapid_so" "$plugin"
	printf 'eap-identity {\n\tload = yes\n}\n' >"$plugin_conf"
fi

step "PKI: a CA and the gateway's certificate (gw.example.net)"
gw=$dir/gateway rw=$dir/client
mkdir -p "$gw/x509" "$gw/private" "$rw/x509ca"
cp "$KB_ROOT/examples/road-warrior/gateway/swanctl.conf" "$gw/"
cp "$KB_ROOT/examples/road-warrior/client/swanctl.conf" "$rw/"
(
	cd "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out "$rw/x509ca/ca.pem" -subj "/CN=Example VPN CA" \
		-days 30
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$gw/private/gw.key" -out gw.csr -subj /CN=gw.example.net
	printf 'subjectAltName=DNS:gw.example.net\n' >gw.ext
	openssl x509 -req -in gw.csr -CA "$rw/x509ca/ca.pem" -CAkey ca.key \
		-CAserial ca.srl -CAcreateserial -out "$gw/x509/gw.pem" \
		-days 30 -extfile gw.ext
) 2>/dev/null

ns_add "$NS1"
ns_add "$NS2"
veth_link "$NS1" veth1 "$NS2" veth2
addr "$NS1" veth1 192.0.2.10/24
addr "$NS2" veth2 192.0.2.1/24
addr "$NS2" lo 10.10.0.1/32
# the site through the gateway; the gateway's answers to the pool go out
# veth2 (the policy then picks the tunnel to wherever the laptop is)
n1 ip route add 10.10.0.0/24 via 192.0.2.1
n2 ip route add 10.3.0.0/24 dev veth2

step "the road warrior logs in"
kb_start "$NS2" "$gw/swanctl.conf"
charon_start "$NS1"
SWANCTL_DIR=$rw swan "$NS1" --load-all --noprompt --file "$rw/swanctl.conf" \
	>/dev/null
# (the first ESP SA of a guest instantiates the kernel's crypto: slow)
swan "$NS1" --initiate --child home --timeout 90 >/dev/null ||
	fail "charon could not log in to keybridged"
kb_wait "$NS2" "EAP: peer is 'carol'" 10
kb_wait "$NS2" "leased virtual address 10.3.0.1 from pool 'rw_pool' to 'carol'" 10
kb_wait "$NS2" "peer authenticated with EAP-MSCHAPv2" 10
kb_wait "$NS2" "MOBIKE agreed" 10
clog=$KB_OUT/$KB_TEST.charon-$NS1.log
grep -q "installing new virtual IP 10.3.0.1" "$clog" ||
	fail "charon did not install 10.3.0.1"
grep -E "DNS server 10.10.0.53" "$clog" ||
	fail "charon did not get DNS server 10.10.0.53"
swanctl --list-pools --leases --uri "unix://$(kb_vici "$NS2")" 2>/dev/null |
	tee "$dir/pools"
grep -q "10.3.0.1.*online.*carol" "$dir/pools" ||
	fail "get-pools does not list carol's lease online"

ping_ok "$NS1" 10.10.0.1 3 -I 10.3.0.1
out=$(spi_of "$NS1" 192.0.2.10 192.0.2.1)
in=$(spi_of "$NS1" 192.0.2.1 192.0.2.10)
[ -n "$out" ] && [ -n "$in" ] || fail "no SAs between 192.0.2.10 and 192.0.2.1"
assert_ge "pings through SA $out before the move" 3 \
	"$(xfrm_packets "$NS1" "$out")"

step "pinging from 10.3.0.1 while the laptop moves to 192.0.2.11"
log=$dir/ping
ip netns exec "$NS1" ping -n -D -i 0.1 -W 1 -w 20 -I 10.3.0.1 10.10.0.1 \
	>"$log" 2>&1 &
pid=$!
sleep 3
ip -n "$NS1" -batch - <<-EOF
	addr del 192.0.2.10/24 dev veth1
	addr add 192.0.2.11/24 dev veth1
	route replace 10.10.0.0/24 via 192.0.2.1
EOF
t0=$(date +%s.%N)
wait "$pid" || true
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$log")
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$log")
read -r gap after < <(awk -v t0="$t0" -F'[][]' '/bytes from/ {
	t = $2 + 0; if (last && t - last > gap) gap = t - last; last = t
	if (t > t0) n++ } END { printf "%.2f %d\n", gap, n }' "$log")
echo "ROAD WARRIOR MOBIKE: $sent sent, $got answered, $((sent - got)) lost;" \
	"longest gap between answers ${gap} s; $after answers after the move"
assert_ge "answers after the move" 50 "$after"
awk -v g="$gap" 'BEGIN { exit !(g < 10) }' ||
	fail "traffic stopped for $gap s (more than 10 s)"
kb_wait "$NS2" "peer moved; following it" 5
assert_eq "NS1's outbound SA after the move" "$out" \
	"$(spi_of "$NS1" 192.0.2.11 192.0.2.1)"
assert_eq "NS2's inbound SA after the move" "$out" \
	"$(spi_of "$NS2" 192.0.2.11 192.0.2.1)"
assert_eq "NS2's outbound SA after the move" "$in" \
	"$(spi_of "$NS2" 192.0.2.1 192.0.2.11)"
ip -n "$NS2" xfrm policy | grep -q "tmpl src 192.0.2.1 dst 192.0.2.11" ||
	fail "keybridged's out policy still names the old address"
assert_ge "packets into the gateway through SA $out" "$after" \
	"$(xfrm_packets "$NS2" "$out")"
ip -n "$NS1" -4 addr show | grep -q "inet 10.3.0.1/32" ||
	fail "10.3.0.1 left the road warrior"

step "the road warrior leaves"
swan "$NS1" --terminate --ike home --timeout 20 >/dev/null ||
	fail "charon could not terminate"
kb_wait "$NS2" "virtual address 10.3.0.1 of pool 'rw_pool' is offline" 10
assert_eq "SAs left in $NS2" 0 "$(xfrm_count "$NS2" state)"
kb_stop "$NS2"
