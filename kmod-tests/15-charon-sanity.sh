#!/bin/bash
# Two strongSwan charons, one per namespace, in one guest: the reference
# peer the interoperability tests run keybridged against.
#
#   ┌──────────────────────────┐    IKEv2 (UDP 500/4500)  ┌──────────────────────────┐
#   │ kb-15-1: charon "left"   ├──────────────────────────┤ kb-15-2: charon "right"  │
#   │ veth1 10.0.0.1/24        │    ESP (AES-GCM-16)      │ veth2 10.0.0.2/24        │
#   └──────────────────────────┘                          └──────────────────────────┘
#   PSK, IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16, transport mode
#
# Asserts: left initiates and both charons report the CHILD_SA installed;
# 5 pings cross with 0% loss and the kernel SAs on both sides count 5 each
# way; terminating the IKE SA removes every SA and policy on both sides.
. "$KB_ROOT/kmod-tests/lib.sh"
require_guest
require_cmd swanctl /usr/lib/ipsec/charon
cleanup() { ns_cleanup; }
trap cleanup EXIT

ns_two

# conf NS LOCAL REMOTE: a swanctl.conf for one side
conf() {
	local f=/tmp/$_kb_tag-charon-$1/swanctl.conf
	cat >"$f" <<-EOF
		connections {
			kb {
				local_addrs = $2
				remote_addrs = $3
				proposals = aes128gcm16-prfsha256-x25519
				local { auth = psk
					id = $2 }
				remote { auth = psk
					id = $3 }
				children {
					net {
						mode = transport
						esp_proposals = aes128gcm16
					}
				}
			}
		}
		secrets {
			ike-kb { secret = "kmod-test-psk-0123456789" }
		}
	EOF
	echo "$f"
}

step "a charon in each namespace"
charon_start "$NS1"
charon_start "$NS2"
swan "$NS1" --load-all --noprompt --file "$(conf "$NS1" 10.0.0.1 10.0.0.2)"
swan "$NS2" --load-all --noprompt --file "$(conf "$NS2" 10.0.0.2 10.0.0.1)"

step "left initiates"
swan "$NS1" --initiate --child net --timeout 30 ||
	fail "initiation failed (see $KB_OUT/$KB_TEST.charon-*.log)"
for ns in "$NS1" "$NS2"; do
	sas=$(swan "$ns" --list-sas)
	echo "$sas"
	grep -q 'net: .*INSTALLED, TRANSPORT' <<<"$sas" ||
		fail "charon in $ns shows no installed CHILD_SA"
	echo "ok: $ns CHILD_SA installed"
done

step "ping through the negotiated SAs"
ping_ok "$NS1" 10.0.0.2 5
out=$(xfrm_spi "$NS1" 10.0.0.1 10.0.0.2)
back=$(xfrm_spi "$NS1" 10.0.0.2 10.0.0.1)
[ -n "$out" ] && [ -n "$back" ] || fail "no ESP SA pair in $NS1"
assert_eq "$NS1 out SA $out packets" 5 "$(xfrm_packets "$NS1" "$out")"
assert_eq "$NS2 in SA $out packets" 5 "$(xfrm_packets "$NS2" "$out")"
assert_eq "$NS2 out SA $back packets" 5 "$(xfrm_packets "$NS2" "$back")"
assert_eq "$NS1 in SA $back packets" 5 "$(xfrm_packets "$NS1" "$back")"

step "terminate: both kernels clean"
for ns in "$NS1" "$NS2"; do
	assert_eq "$ns policies while up" 2 "$(xfrm_policy_count "$ns")"
done
swan "$NS1" --terminate --ike kb --timeout 30
# The responder deletes on receiving the DELETE, just before it answers.
for i in $(seq 50); do
	[ "$(xfrm_state_count "$NS2")" = 0 ] && break
	sleep 0.1
done
for ns in "$NS1" "$NS2"; do
	assert_eq "$ns SAs left" 0 "$(xfrm_state_count "$ns")"
	assert_eq "$ns policies left" 0 "$(xfrm_policy_count "$ns")"
done
