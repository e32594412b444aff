#!/bin/bash
# keybridged's per-SA usage tracing in mode 1 (fentry on
# xfrm_state_check_expire) through a real ESP tunnel.
#
#   ┌──────────────────────────┐         ┌──────────────────────────┐
#   │ $NS1  keybridged (init.) │         │ $NS2  keybridged (resp.) │
#   │ lo    10.1.0.1/32        │         │ lo    10.2.0.1/32        │
#   │ veth1 10.0.0.1/24        ├─────────┤ veth2 10.0.0.2/24        │
#   └──────────────────────────┘         └──────────────────────────┘
#        10.1.0.0/24  <======= ESP tunnel =======>  10.2.0.0/24
#   Both daemons' fentry programs run in one kernel; each counts the SAs
#   of its own namespace only.
#
# Asserts: both daemons pick mode 1 and pin in their /sys/fs/bpf/keybridge;
# after 10 pings each SA's record in kb_sa_usage (read with bpftool, through
# BTF) has exactly the kernel's packet count (`ip -s xfrm state`) and its
# byte count less one packet (the hook runs before the kernel adds it);
# swanctl --list-sas (vici) shows when each SA was last used; bpftool
# lists the programs, maps and the fentry link by name; after a
# stop the pins, the program and the link are gone.
. "$KB_ROOT/kmod-tests/lib.sh"
. "$KB_ROOT/kmod-tests/kb.sh"
require_guest
require_cmd bpftool jq nsenter
cleanup() { ns_cleanup; }
trap cleanup EXIT

dir=$(mktemp -d)
kb_two_sites

# usage NS SPI FIELD: FIELD of SA SPI's record in the daemon's pinned map.
usage() {
	local pid=${_kb_daemon[$1]} h=${2#0x} le
	h=$(printf '%08x' "0x$h")
	le=$((16#${h:6:2}${h:4:2}${h:2:2}${h:0:2})) # network order, read LE
	nsenter -t "$pid" -m bpftool map dump pinned \
		/sys/fs/bpf/keybridge/kb_sa_usage |
		jq -r ".[] | select(.key.spi == $le) | .value.$3"
}

step "two daemons, each in mode 1"
kb_conf "$dir/2.conf" 10.0.0.2 10.0.0.1 two.test one.test \
	10.2.0.0/24 10.1.0.0/24 none
kb_conf "$dir/1.conf" 10.0.0.1 10.0.0.2 one.test two.test \
	10.1.0.0/24 10.2.0.0/24 start
kb_start "$NS2" "$dir/2.conf"
kb_start "$NS1" "$dir/1.conf"
for ns in "$NS1" "$NS2"; do
	kb_wait "$ns" "SA usage: BPF fentry on xfrm_state_check_expire \(mode 1\), pinned in /sys/fs/bpf/keybridge"
done
kb_wait "$NS1" "CHILD SA negotiated"
kb_wait "$NS2" "CHILD SA negotiated"
out=$(spi_of "$NS1" 10.0.0.1 10.0.0.2)
in=$(spi_of "$NS1" 10.0.0.2 10.0.0.1)
assert_eq "$NS1 out SA $out: packets before traffic" 0 "$(usage "$NS1" "$out" packets)"

step "10 pings through the tunnel"
ping_ok "$NS1" 10.2.0.1 10 -I 10.1.0.1 -i 0.2
ip -n "$NS1" -s xfrm state
for ns in "$NS1" "$NS2"; do
	for spi in "$out" "$in"; do
		kp=$(xfrm_packets "$ns" "$spi")
		kb=$(xfrm_bytes "$ns" "$spi")
		assert_eq "$ns SA $spi: map packets = kernel packets" \
			"$kp" "$(usage "$ns" "$spi" packets)"
		assert_eq "$ns SA $spi: map bytes = kernel bytes less one packet" \
			$((kb - kb / kp)) "$(usage "$ns" "$spi" bytes)"
	done
done
last=$(usage "$NS1" "$out" last_ns)
first=$(usage "$NS1" "$out" first_ns)
assert_ge "first to last packet (ns), 9 intervals of 0.2 s (guest clock: at least 1 s)" 1000000000 $((last - first))

step "swanctl --list-sas shows each SA's last use (vici use-in/use-out)"
sleep 1 # one sampling period
sas=$(swanctl --list-sas --uri "unix://$(kb_vici "$NS1")")
echo "$sas"
for dir in in out; do
	echo "$sas" | grep -Eq "^ +$dir +[0-9a-f]{8}, +[0-9]+ bytes, +10 packets, +[0-9]+s ago" ||
		fail "no last use for the $dir SA in swanctl --list-sas"
	echo "ok: swanctl shows when the $dir SA was last used"
done

step "visible to bpftool by name"
pid=${_kb_daemon[$NS1]}
nsenter -t "$pid" -m ls -l /sys/fs/bpf/keybridge
pins=$(nsenter -t "$pid" -m ls /sys/fs/bpf/keybridge | tr '\n' ' ')
assert_eq "pins of $NS1" "kb_events kb_sa_fentry kb_sa_fentry_link kb_sa_limits kb_sa_usage kb_stats " "$pins"
prog=$(nsenter -t "$pid" -m bpftool -j prog show pinned \
	/sys/fs/bpf/keybridge/kb_sa_fentry | jq -r .id)
link=$(nsenter -t "$pid" -m bpftool -j link show pinned \
	/sys/fs/bpf/keybridge/kb_sa_fentry_link | jq -r .id)
bpftool prog show id "$prog"
bpftool link show id "$link"
assert_eq "program $prog's name" kb_sa_fentry "$(bpftool -j prog show id "$prog" | jq -r .name)"
assert_eq "link $link's program" "$prog" "$(bpftool -j link show id "$link" | jq -r .prog_id)"
assert_ge "maps named kb_sa_usage (one per daemon)" 2 \
	"$(bpftool -j map show | jq '[.[] | select(.name == "kb_sa_usage")] | length')"

step "a stop takes everything away"
kb_stop "$NS1"
bpftool prog show id "$prog" >/dev/null 2>&1 && fail "program $prog still loaded after the stop"
bpftool link show id "$link" >/dev/null 2>&1 && fail "link $link still there after the stop"
echo "ok: program $prog and link $link are gone"
kb_stop "$NS2"
rm -rf "$dir"
