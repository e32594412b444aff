/* keybridged's run time, shared by daemon.c and reload.c. */
#ifndef KB_IO_DAEMON_INT_H
#define KB_IO_DAEMON_INT_H

#include "config/config.h"
#include "engine/engine.h"
#include "io/conns.h"
#include "io/daemon.h"
#include "io/kbatch.h"
#include "io/polshare.h"
#include "io/udp.h"
#include "kernel/kernel.h"

#include <pthread.h>
#include <stdatomic.h>

enum { DAEMON_JUNK_PER_S = 10 };

struct ctl;
struct keylog;
struct updown;
struct loop;
struct roam;
struct usage;

struct worker;
struct steer;
struct daemon_deferred;

struct daemon {
	const struct daemon_opts *opts;
	struct loop *loop; /* the main thread's (io/worker.h) */
	/* everything but the engines, shared by the threads (worker.h) */
	pthread_mutex_t lock;
	/* the main thread wants the workers' mutexes: they wait (worker.c) */
	atomic_bool main_waits;
	pthread_mutex_t gate;
	pthread_cond_t gate_cv;
	struct worker *workers; /* each with an engine and IKE sockets */
	unsigned n_workers;
	struct engine **engines;  /* workers[i].engine, for the ctl */
	struct steer *steer;	  /* the SK_REUSEPORT program, or NULL */
	struct polshare polshare; /* policies of several workers' SAs */
	struct kbatch kbatch;	  /* SA and policy actions (kbatch.h) */
	/* actions for the control socket the workers left to the main
	 * thread (daemon.c), under `lock`; wake_fd, a timerfd, wakes the
	 * main thread for them */
	struct daemon_deferred *deferred, *deferred_tail;
	int wake_fd;
	int lock_fd; /* one daemon per network namespace (lock.h) */
	const struct kernel_ops *kops;
	struct kernel *kernel;
	struct kernel_caps caps;      /* what kops can install */
	struct conns_opts conns_opts; /* caps for conns_build_next */
	uint32_t next_reqid;	      /* never reused, see conns_build_next */
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
};

/* Creates worker w's engine (daemon.c): the connections of d->conns,
 * d's limits shared out, SPIs and ids of its own. Returns 0 or -ENOMEM. */
int daemon_worker_engine(struct worker *w);

/* Carries out every pending engine action, then re-arms the timer. */
void daemon_run_actions(struct daemon *d, uint64_t now);
int daemon_pools_replace(struct daemon *d, const struct engine_pool *pools,
			 size_t n);

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
