// SPDX-License-Identifier: ISC
/*
 * Per-SA usage of keybridge's IPsec SAs: packets, bytes, first and last
 * packet time and a rate per SA, keyed by (SPI, destination, protocol), in
 * the map kb_sa_usage (include/kb_bpf.h). One object, three programs; the
 * daemon (daemon/kernel/bpf.c) loads one attach mode:
 *
 *   mode 1, kb_sa_fentry: fentry on xfrm_state_check_expire(x), which the
 *     kernel calls once per packet per SA on output and on input, before it
 *     moves the SA's own counters (net/xfrm/xfrm_output.c, xfrm_input.c).
 *   mode 2, kb_tc_ingress / kb_tc_egress: tc clsact classifiers on the
 *     uplinks, for kernels that refuse tracing programs (containers,
 *     sandboxes): ESP (RFC 4303) and ESP-in-UDP (RFC 3948) by SPI.
 *
 * Only SAs the daemon registered are counted (it inserts their records);
 * packets of others bump KB_STAT_UNTRACKED. When an SA's usage reaches the
 * thresholds in kb_sa_limits, one event goes to the ring buffer kb_events.
 */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <stdbool.h>

#include "kb_bpf.h"
#include "kb_vmlinux.h"

#define AF_INET	 2
#define AF_INET6 10

/* Set by the loader before loading (.rodata). */
const volatile __u32 kb_netns_ino = 0;	  /* fentry: count this netns only */
const volatile __u16 kb_natt_port = 4500; /* RFC 3948 ESP-in-UDP port */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KB_SA_MAX);
	__type(key, struct kb_sa_key);
	__type(value, struct kb_sa_usage);
} kb_sa_usage SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KB_SA_MAX);
	__type(key, struct kb_sa_key);
	__type(value, struct kb_sa_limit);
} kb_sa_limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KB_EVENTS_BYTES);
} kb_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KB_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kb_stats SEC(".maps");

static __always_inline void kb_stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&kb_stats, &which);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Posts one threshold event when `u` reached the SA's limits. A full ring
 * buffer re-arms the limit, so the next packet tries again. */
static __always_inline void kb_check_limits(const struct kb_sa_key *key,
					    const struct kb_sa_usage *u)
{
	struct kb_sa_limit *lim = bpf_map_lookup_elem(&kb_sa_limits, key);
	struct kb_event *ev;

	if (!lim || lim->fired)
		return;
	if (!(lim->bytes && u->bytes >= lim->bytes) &&
	    !(lim->packets && u->packets >= lim->packets))
		return;
	lim->fired = 1;
	ev = bpf_ringbuf_reserve(&kb_events, sizeof(*ev), 0);
	if (!ev) {
		lim->fired = 0;
		kb_stat_inc(KB_STAT_EVENTS_LOST);
		return;
	}
	ev->type = KB_EV_THRESHOLD;
	ev->pad = 0;
	ev->key = *key;
	ev->usage = *u;
	bpf_ringbuf_submit(ev, 0);
}

/* One packet of SA `key`. `len` is added to the byte count, or, when
 * `abs_bytes` is set, the byte count becomes `len` (the kernel's own). Two
 * CPUs may race on the rate window: the estimate is approximate, the
 * packet and byte counts are not. */
static __always_inline void kb_account(const struct kb_sa_key *key, __u64 len,
				       bool abs_bytes)
{
	struct kb_sa_usage *u = bpf_map_lookup_elem(&kb_sa_usage, key);
	__u64 now = bpf_ktime_get_ns(), added = len;

	if (!u) {
		kb_stat_inc(KB_STAT_UNTRACKED);
		return;
	}
	if (abs_bytes) {
		added = len > u->bytes ? len - u->bytes : 0;
		u->bytes = len;
	} else {
		__sync_fetch_and_add(&u->bytes, len);
	}
	__sync_fetch_and_add(&u->packets, 1);
	if (!u->first_ns)
		u->first_ns = now;
	u->last_ns = now;
	if (now - u->win_start_ns >= KB_RATE_WINDOW_NS) {
		__u64 span = now - u->win_start_ns;

		if (u->win_start_ns) {
			u->rate_Bps = u->win_bytes * 1000000000ULL / span;
			u->rate_pps = u->win_packets * 1000000000ULL / span;
		}
		u->win_start_ns = now;
		u->win_bytes = 0;
		u->win_packets = 0;
	}
	u->win_bytes += added;
	u->win_packets += 1;
	kb_check_limits(key, u);
}

/* ---- mode 1: fentry -------------------------------------------------- */

SEC("fentry/xfrm_state_check_expire")
int BPF_PROG(kb_sa_fentry, struct xfrm_state *x)
{
	struct kb_sa_key key = { 0 };

	if (kb_netns_ino && x->xs_net.net->ns.inum != kb_netns_ino)
		return 0;
	key.spi = x->id.spi;
	key.proto = x->id.proto;
	key.family = (__u8)x->props.family;
	if (key.family == AF_INET)
		__builtin_memcpy(key.daddr, &x->id.daddr.a4, 4);
	else
		__builtin_memcpy(key.daddr, x->id.daddr.a6, 16);
	kb_account(&key, x->curlft.bytes, true);
	return 0;
}

/* ---- mode 2: tc ------------------------------------------------------ */

/* The SPI of ESP or ESP-in-UDP at `l4` (protocol `proto`); 0 when the
 * packet is neither: IKE on port 500 or with the non-ESP marker on the
 * ESP-in-UDP port (RFC 3948 §2.2), a NAT-keepalive (§2.3, one byte 0xFF),
 * or anything else. */
static __always_inline __u32 kb_tc_spi(void *l4, void *end, __u8 proto)
{
	if (proto == IPPROTO_ESP) {
		if (l4 + 4 > end)
			return 0;
		return *(__u32 *)l4;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		__u16 port = bpf_htons(kb_natt_port);

		if ((void *)(udp + 1) + 4 > end)
			return 0;
		if (udp->dest != port && udp->source != port)
			return 0;
		return *(__u32 *)(udp + 1); /* 0: the non-ESP marker */
	}
	return 0;
}

static __always_inline void kb_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct kb_sa_key key = { .proto = IPPROTO_ESP };

	if ((void *)(eth + 1) > end)
		return;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return;
		if (ip->frag_off & bpf_htons(0x1fff)) /* not a first fragment */
			return;
		key.spi =
			kb_tc_spi((void *)ip + ip->ihl * 4, end, ip->protocol);
		key.family = AF_INET;
		__builtin_memcpy(key.daddr, &ip->daddr, 4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return;
		/* ESP or UDP right after the fixed header; extension headers
		 * before ESP are rare and not followed (bpf/README.md). */
		key.spi = kb_tc_spi(ip6 + 1, end, ip6->nexthdr);
		key.family = AF_INET6;
		__builtin_memcpy(key.daddr, &ip6->daddr, 16);
	} else {
		return;
	}
	if (key.spi) /* SPI 0 is reserved (RFC 4303 §2.1) */
		kb_account(&key, skb->len, false);
}

/* Inbound ESP on an uplink: the SAs whose destination is us. */
SEC("tc")
int kb_tc_ingress(struct __sk_buff *skb)
{
	kb_tc(skb);
	return TC_ACT_UNSPEC; /* never decide: the next filter or the stack */
}

/* Outbound ESP, after the kernel encrypted it: the SAs towards peers. */
SEC("tc")
int kb_tc_egress(struct __sk_buff *skb)
{
	kb_tc(skb);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
