/* The loader of keybridge's eBPF programs (bpf/kb_sa.bpf.c, libbpf
 * skeleton): per-SA usage counted in the kernel, thresholds that post ring
 * buffer events, and the maps the daemon reads. One attach mode per load
 * (enum kb_bpf_mode in include/kb_bpf.h); choosing among them and falling
 * back to XFRM polling is the caller's (daemon/io/usage.c).
 *
 * Loading needs CAP_BPF (plus CAP_PERFMON for fentry, CAP_NET_ADMIN for
 * tc, CAP_SYS_ADMIN to mount bpffs); everything after it — map reads and
 * writes, the ring buffer, detaching, unpinning — works on the descriptors
 * already held, without them.
 */
#ifndef KB_KERNEL_BPF_H
#define KB_KERNEL_BPF_H

#include "kb_bpf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPF_USAGE_PIN_DIR "/sys/fs/bpf/keybridge"
#define BPF_USAGE_IF_MAX  16

struct bpf_usage;

struct bpf_usage_opts {
	enum kb_bpf_mode mode; /* KB_BPF_FENTRY or KB_BPF_TC */
	uint32_t netns_ino;    /* fentry: only SAs of this netns; 0 = all */
	uint16_t natt_port;    /* tc: the ESP-in-UDP port [4500] */
	/* Pin maps, programs and links here (bpffs is mounted on the parent
	 * when missing; objects of the same name are replaced); NULL = no
	 * pinning. */
	const char *pin_dir;
	bool attach; /* false: load only (PROG_TEST_RUN tests, bench) */
	/* tc: the interfaces to attach to (ingress and egress). */
	int ifindex[BPF_USAGE_IF_MAX];
	unsigned n_ifindex;
};

/* Opens, configures, loads, attaches and pins the programs of o->mode.
 * Returns 0 and `*out`, or -errno with `why` saying which step failed and
 * what libbpf or the verifier said. */
int bpf_usage_open(const struct bpf_usage_opts *o, struct bpf_usage **out,
		   char *why, size_t cap) __attribute__((warn_unused_result));

/* Detaches, unpins and frees; NULL is fine. */
void bpf_usage_close(struct bpf_usage *b);

/* How many pinned objects of an earlier run (or another program of the
 * same name) bpf_usage_open() replaced. */
unsigned bpf_usage_replaced(const struct bpf_usage *b);

/* Starts counting SA `key` from zero, with `lim` (NULL: none) as its
 * thresholds. -ENOSPC when KB_SA_MAX SAs are tracked. */
int bpf_usage_sa_add(struct bpf_usage *b, const struct kb_sa_key *key,
		     const struct kb_sa_limit *lim);

/* Sets (and re-arms) the thresholds of SA `key`. */
int bpf_usage_limit_set(struct bpf_usage *b, const struct kb_sa_key *key,
			const struct kb_sa_limit *lim);

/* Stops counting SA `key`; -ENOENT if it was not counted. */
int bpf_usage_sa_del(struct bpf_usage *b, const struct kb_sa_key *key);

/* Reads the usage of SA `key`; -ENOENT if it is not counted. */
int bpf_usage_get(struct bpf_usage *b, const struct kb_sa_key *key,
		  struct kb_sa_usage *out);

/* Reads counter `which` of kb_stats. */
uint64_t bpf_usage_stat(struct bpf_usage *b, enum kb_stat which);

/* The ring buffer's descriptor (readable when events wait), and a call that
 * hands every waiting event to `fn`; returns how many, or -errno. */
int bpf_usage_events_fd(struct bpf_usage *b);
int bpf_usage_events_read(struct bpf_usage *b,
			  void (*fn)(void *arg, const struct kb_event *ev),
			  void *arg);

/* Runs the tc program (ingress, or egress) on `pkt` (an Ethernet frame)
 * `repeat` times with BPF_PROG_TEST_RUN; stores its return value and the
 * mean time per run in ns. Needs mode KB_BPF_TC. */
int bpf_usage_test_run(struct bpf_usage *b, bool egress, const void *pkt,
		       size_t len, uint32_t repeat, int *retval,
		       uint32_t *ns_per_run);

/* Fills a key for SPI `spi` (host order) to `daddr` (network order, 4 or 16
 * bytes by `family`). */
void bpf_usage_key(struct kb_sa_key *key, uint32_t spi, uint8_t proto,
		   int family, const void *daddr);

/* Mounts bpffs on `dir` unless one is there; 0 or -errno. */
int bpf_usage_fs_ensure(const char *dir);

#endif
