/* How keybridged's SAs are used, and rekeys driven by it (issue 12).
 *
 * At start-up usage_open() loads the eBPF programs of daemon/kernel/bpf.c in
 * the first attach mode the kernel allows — fentry (mode 1), then tc on
 * every uplink (mode 2) — or, when neither loads, polls the kernel's SA
 * counters (XFRM GETSA); it logs which and why, once. Every SA the daemon
 * installs is registered (usage_sa_added) with a threshold at
 * USAGE_THRESHOLD_PCT of its soft byte/packet limit. Once a second, and at
 * once when a threshold event arrives, each SA's rate is used to predict
 * when it reaches that limit; an SA that would reach it before a rekey can
 * complete (USAGE_REKEY_LEAD_MS) is rekeyed now, with a log line saying why.
 * A CHILD SA whose child configuration sets `inactivity` is closed once
 * neither of its SAs carried a packet for that long.
 */
#ifndef KB_IO_USAGE_H
#define KB_IO_USAGE_H

#include "engine/engine.h"
#include "kb_bpf.h"
#include "kernel/kernel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	USAGE_POLL_MS = 1000,	     /* sampling period */
	USAGE_THRESHOLD_PCT = 80,    /* BPF event at this share of a limit */
	USAGE_REKEY_LEAD_MS = 10000, /* a rekey may take this long: two
					retransmissions at the default 4 s,
					plus installing the SAs */
};

/* --bpf: which attach modes to try. */
enum usage_mode_req {
	USAGE_AUTO = 0,	 /* fentry, then tc, then polling */
	USAGE_FENTRY,	 /* fentry, else polling */
	USAGE_TC,	 /* tc, else polling */
	USAGE_POLL_ONLY, /* no BPF at all */
};

/* Parses "auto", "fentry", "tc" or "off"; -1 for anything else. */
int usage_mode_parse(const char *s);

/* One SA as the usage module tracks it. */
struct usage_sa {
	struct kb_sa_key key;
	struct kernel_sa_id id; /* for GETSA */
	uint32_t ike_id;
	uint32_t spi; /* host order */
	bool inbound;
	uint64_t soft_bytes, soft_packets; /* the kernel's soft limits */
	/* the latest sample */
	uint64_t bytes, packets;
	uint64_t rate_Bps, rate_pps;
	uint64_t sample_ms;    /* when taken (loop_now_ms) */
	uint64_t last_used_ms; /* last packet seen, 0 = none yet */
	uint64_t added_ms;     /* when it was installed */
	bool rekey_asked;      /* asked the engine once; never again */
	bool closing;	       /* closed for inactivity */
};

/* Whether `s` must be rekeyed now: it used USAGE_THRESHOLD_PCT of a soft
 * limit, or reaches the limit within `lead_ms` at its current rate. Fills
 * `why` with the operator's reason ("80 % of rekey_bytes at 120.0 MB/s,
 * limit in 1.2 s"). Pure: the tests call it directly. */
bool usage_rekey_due(const struct usage_sa *s, uint64_t lead_ms, char *why,
		     size_t cap);

/* Formats a byte rate for operators ("120.0 MB/s"). */
const char *usage_rate_str(uint64_t Bps, char *out, size_t cap);

struct daemon;
struct usage;

/* Loads BPF (or sets up polling) for daemon `d`, adds its descriptors to
 * d->loop. Needs CAP_BPF/CAP_PERFMON/CAP_NET_ADMIN/CAP_SYS_ADMIN only here
 * (before the privilege drop). Returns 0 or -ENOMEM: a kernel that refuses
 * BPF is not an error. */
int usage_open(struct daemon *d, enum usage_mode_req req, struct usage **out);

/* Detaches, unpins and frees; NULL is fine. */
void usage_close(struct usage *u);

/* The attach mode in use. */
enum kb_bpf_mode usage_mode(const struct usage *u);

/* An SA was installed / deleted (the engine's SA_ADD / SA_DEL). */
void usage_sa_added(struct usage *u, uint32_t ike_id,
		    const struct kernel_sa *sa, bool inbound);
void usage_sa_deleted(struct usage *u, const struct kernel_sa_id *id);
/* SAs from old_src to old_dst now run between new_src and new_dst
 * (MOBIKE, ENGINE_ACT_SA_MIGRATE): they stay watched. */
void usage_sa_moved(struct usage *u, const struct kernel_addr *old_src,
		    const struct kernel_addr *old_dst,
		    const struct kernel_addr *new_src,
		    const struct kernel_addr *new_dst);

/* The tracked SA with inbound or outbound SPI `spi`, or NULL. */
const struct usage_sa *usage_find(const struct usage *u, uint32_t spi);

#endif
