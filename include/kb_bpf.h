/* Structures shared by keybridge's eBPF programs (bpf/kb_sa.bpf.c) and the
 * daemon's loader (daemon/kernel/bpf.c): the keys and values of the pinned
 * maps, and the ring buffer events. Both sides compile this file, so it uses
 * only fixed-width types and no padding the compilers could disagree on
 * (every struct is a multiple of 8 bytes with explicit pad fields).
 *
 * Maps (pinned under /sys/fs/bpf/keybridge/ by name):
 *   kb_sa_usage   HASH  struct kb_sa_key -> struct kb_sa_usage
 *   kb_sa_limits  HASH  struct kb_sa_key -> struct kb_sa_limit
 *   kb_events     RINGBUF of struct kb_event
 *   kb_stats      ARRAY __u32 (enum kb_stat) -> __u64
 * The daemon inserts a zeroed usage record for every SA it installs and
 * deletes it with the SA; the programs only update records that exist, so
 * the maps hold keybridge's SAs and nothing an outsider can inflate.
 */
#ifndef KB_BPF_H
#define KB_BPF_H

#include <linux/types.h>

enum {
	KB_SA_MAX = 16384,	 /* SAs tracked at once (both directions) */
	KB_EVENTS_BYTES = 65536, /* ring buffer size (a page multiple) */
	KB_RATE_WINDOW_NS = 1000000000ULL, /* rate estimate window: 1 s */
	KB_TC_HANDLE = 0x6b62, /* tc filter handle/priority ("kb") */
};

/* How the kernel names an SA (RFC 4301 §4.1: destination, SPI, protocol).
 * `spi` in network byte order, as it is on the wire and in struct
 * xfrm_state; `daddr` in network order, IPv4 in the first four bytes. */
struct kb_sa_key {
	__u32 spi;
	__u8 proto;  /* IPPROTO_ESP (50) */
	__u8 family; /* AF_INET (2) or AF_INET6 (10) */
	__u8 pad[2];
	__u8 daddr[16];
};

/* What the programs observed of one SA. Times are bpf_ktime_get_ns()
 * (CLOCK_MONOTONIC). `bytes`: in tc mode the wire length of each ESP
 * packet (outer headers included); in fentry mode the kernel's own byte
 * counter (x->curlft.bytes) as it stood when the SA's latest packet was
 * checked, i.e. without that last packet, which the kernel adds after the
 * hook. `rate_Bps` is the byte rate over the last complete window of at
 * least KB_RATE_WINDOW_NS (0 until one window has passed). */
struct kb_sa_usage {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;
	__u64 last_ns;
	__u64 rate_Bps;
	__u64 win_start_ns;
	__u64 win_bytes;
	__u64 win_packets;
	__u64 rate_pps;
};

/* Thresholds of one SA: when its usage reaches `bytes` or `packets` (0 =
 * none) the programs post one KB_EV_THRESHOLD event and set `fired`; the
 * daemon rewrites the record to arm it again. */
struct kb_sa_limit {
	__u64 bytes;
	__u64 packets;
	__u32 fired;
	__u32 pad;
};

enum kb_event_type {
	KB_EV_THRESHOLD = 1,
};

/* One ring buffer record. */
struct kb_event {
	__u32 type; /* enum kb_event_type */
	__u32 pad;
	struct kb_sa_key key;
	struct kb_sa_usage usage; /* as it was when the event was posted */
};

/* Counters in kb_stats. */
enum kb_stat {
	KB_STAT_UNTRACKED = 0, /* IPsec packets of SAs not in kb_sa_usage */
	KB_STAT_EVENTS_LOST,   /* ring buffer full: event not posted */
	KB_STAT_MAX,
};

/* Attach modes, in the order the daemon tries them. */
enum kb_bpf_mode {
	KB_BPF_POLL = 0,   /* no BPF: XFRM GETSA polling of kernel counters */
	KB_BPF_FENTRY = 1, /* fentry on xfrm_state_check_expire */
	KB_BPF_TC = 2,	   /* tc clsact ingress/egress on the uplinks */
};

#endif
