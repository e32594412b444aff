/* keybridged's run time, shared by daemon.c and reload.c. */
#ifndef KB_IO_DAEMON_INT_H
#define KB_IO_DAEMON_INT_H

#include "config/config.h"
#include "engine/engine.h"
#include "io/conns.h"
#include "io/daemon.h"
#include "io/udp.h"
#include "kernel/kernel.h"

enum { DAEMON_JUNK_PER_S = 10 };

struct ctl;
struct keylog;
struct updown;
struct loop;
struct roam;
struct usage;

enum { DAEMON_SOCKS = 4, DAEMON_DGRAM_MAX = 65536 };

struct daemon {
	const struct daemon_opts *opts;
	struct loop *loop;
	struct udp_sock socks[DAEMON_SOCKS]; /* v4/500 v4/4500 v6/500 v6/4500 */
	int lock_fd; /* one daemon per network namespace (lock.h) */
	const struct kernel_ops *kops;
	struct kernel *kernel;
	struct kernel_caps caps;      /* what kops can install */
	struct conns_opts conns_opts; /* caps for conns_build_next */
	struct engine *engine;
	uint32_t next_reqid; /* never reused, see conns_build_next */
	struct conns conns;
	struct conns *retired;	  /* tables replaced by reloads: SAs being */
	size_t n_retired;	  /* deleted may still use their keys */
	uint64_t retired_checked; /* daemon_retired_collect() bookkeeping */
	size_t retired_ike_count;
	struct keylog *keylog;	   /* --keylog, NULL when off */
	struct updown *updown;	   /* children's updown scripts (updown.c) */
	struct usage *usage;	   /* SA usage and early rekeys (usage.h) */
	struct roam *roam;	   /* MOBIKE's address watch (roam.h) */
	struct resolver *resolver; /* remote_addrs names (names.h) */
	struct ctl *ctl;	   /* the vici control socket */
	int watchdog_fd;	   /* systemd watchdog timer, -1 when off */
	uint32_t policy_seq;
	/* unauthenticated junk is logged at most DAEMON_JUNK_PER_S a second */
	uint64_t junk_window;
	unsigned junk_logged, junk_suppressed;
	bool stopping, finished;
	uint64_t stop_deadline;
	int exit_status;
	uint8_t buf[DAEMON_DGRAM_MAX];
};

/* Carries out every pending engine action, then re-arms the timer. */
void daemon_run_actions(struct daemon *d, uint64_t now);

/* Installs (or with `remove`, deletes) the trap policies of a connection's
 * children (start_action = trap). */
void daemon_trap(struct daemon *d, const struct engine_conn *c, bool remove);

/* Initiates or traps connection `i` of d->conns as its start_action says. */
void daemon_start_conn(struct daemon *d, size_t i, uint64_t now);

/* SIGHUP: reloads the configuration (reload.c). */
void daemon_reload(struct daemon *d);

/* Frees the replaced connection tables (the engine's and io's keys and
 * certificates) no SA uses any more, wiping their secrets. Cheap when
 * nothing is retired; otherwise it walks every SA, so it runs when the
 * number of IKE SAs changed or a second passed, or always with `force`. */
void daemon_retired_collect(struct daemon *d, uint64_t now, bool force);

#endif
