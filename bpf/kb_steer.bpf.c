// SPDX-License-Identifier: ISC
/*
 * Steers IKE datagrams to the keybridged worker that owns their IKE SA
 * (doc/performance.md, "Every core"). Every worker binds its own sockets
 * to ports 500 and 4500 with SO_REUSEPORT; this SK_REUSEPORT program runs
 * when a datagram looks for a socket of such a group and picks, from the
 * map kb_steer_socks, the socket of the worker include/kb_steer.h names:
 * the one in the first octet of our SPI, or for an IKE_SA_INIT request a
 * hash of SPIi and the source address. The daemon checks the same thing
 * for every datagram it reads (daemon/io/worker.c), so a datagram this
 * program lets the kernel place by its own hash (anything it cannot read,
 * ESP-in-UDP and keepalives on 4500, which the kernel decapsulates on any
 * socket of the group) is still handled by the right worker.
 *
 * Map key: group * KB_STEER_MAX_WORKERS + worker, the groups being IPv4
 * 500, IPv4 4500, IPv6 500, IPv6 4500 (the daemon's configured ports).
 */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/udp.h>

#include "kb_steer.h"

/* Set by the loader before loading (.rodata). */
const volatile __u32 kb_n_workers = 1;
const volatile __u16 kb_natt_port = 4500; /* RFC 3948 ESP-in-UDP port */

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, KB_STEER_SOCKS);
	__type(key, __u32);
	__type(value, __u64);
} kb_steer_socks SEC(".maps");

/* [0] steered, [1] left to the kernel's hash, [2] the worker's socket
 * was missing */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} kb_steer_stats SEC(".maps");

static __always_inline int kb_count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&kb_steer_stats, &i);

	if (v)
		*v += 1;
	return SK_PASS;
}

SEC("sk_reuseport")
int kb_steer_ike(struct sk_reuseport_md *ctx)
{
	__u8 hdr[KB_STEER_HDR], addr[16] = { 0 };
	struct udphdr uh;
	__u32 off = sizeof(uh), marker, group, key;
	int v6 = ctx->eth_protocol == bpf_htons(ETH_P_IPV6), natt;

	if (ctx->ip_protocol != IPPROTO_UDP ||
	    bpf_skb_load_bytes(ctx, 0, &uh, sizeof(uh)))
		return kb_count(1);
	natt = bpf_ntohs(uh.dest) == kb_natt_port;
	if (natt) {
		/* RFC 3948 §2.2: IKE has a zero non-ESP marker; anything
		 * else is ESP or a keepalive, for the kernel */
		if (bpf_skb_load_bytes(ctx, off, &marker, 4) || marker)
			return kb_count(1);
		off += 4;
	}
	if (bpf_skb_load_bytes(ctx, off, hdr, sizeof(hdr)))
		return kb_count(1); /* not IKE: any worker drops it */
	if (v6 ? bpf_skb_load_bytes_relative(ctx, 8, addr, 16,
					     BPF_HDR_START_NET)
	       : bpf_skb_load_bytes_relative(ctx, 12, addr, 4,
					     BPF_HDR_START_NET))
		return kb_count(1);
	group = (__u32)(v6 * 2 + natt);
	key = group * KB_STEER_MAX_WORKERS +
	      kb_steer_worker(hdr, addr, kb_n_workers);
	if (bpf_sk_select_reuseport(ctx, &kb_steer_socks, &key, 0))
		return kb_count(2);
	return kb_count(0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
