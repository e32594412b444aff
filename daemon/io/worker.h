/* keybridged's workers (doc/performance.md, "Every core").
 *
 * A worker is an engine with its own IKE sockets and its own event loop on
 * a thread of its own; it owns the IKE SAs it created or answered: the
 * SPIs it picks and the ids it gives carry its index (engine_settings).
 * Every worker opens ports 500 and 4500 with SO_REUSEPORT; the SK_REUSEPORT
 * program (bpf/kb_steer.bpf.c, kernel/steer.h) makes the kernel deliver
 * each datagram to the socket of the worker that owns it. Whatever reaches
 * the wrong worker anyway (no program loaded, a datagram before it was
 * attached) is handed to its owner in user space (include/kb_steer.h is
 * the one decision both use).
 *
 * Locking. A worker's engine, its sockets' buffers and what its actions
 * change are guarded by its mutex, which the worker's loop holds around
 * every callback. Everything else the daemon shares (the kernel socket,
 * the control socket, connection tables, updown, the usage tracker, logs)
 * is under the daemon's lock (`struct daemon.lock`, recursive), taken
 * for every action but SEND. The main thread (control socket, kernel
 * events, signals, reloads) holds every worker's mutex, in index order,
 * then the daemon's lock, around each of its callbacks: it can use any
 * engine as the single-threaded daemon did. Order: worker mutexes by
 * index, then the daemon's lock; a worker never takes another's mutex.
 */
#ifndef KB_IO_WORKER_H
#define KB_IO_WORKER_H

#include "io/udp.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct engine;
struct loop;
struct worker_dgram;

enum { WORKER_SOCKS = 4, WORKER_DGRAM_MAX = 65536, WORKER_QUEUE_MAX = 4096 };

struct worker {
	struct daemon *d;
	unsigned idx;
	struct engine *engine;
	struct loop *loop;
	pthread_mutex_t mu; /* the engine; held around every callback */
	pthread_t thread;
	bool started;
	int wake_fd; /* eventfd: datagrams handed over, or quit */
	atomic_bool quit;
	/* v4/500 v4/4500 v6/500 v6/4500; fd -1 where not open */
	struct udp_sock socks[WORKER_SOCKS];
	/* datagrams other workers read for this one */
	pthread_mutex_t q_mu;
	struct worker_dgram *q_head, *q_tail;
	size_t q_len;
	/* counts for the log and tests */
	atomic_ullong n_rx;	      /* datagrams read from its sockets */
	atomic_ullong n_handed;	      /* of those, handed to another worker */
	atomic_ullong n_taken;	      /* handed to it by another worker */
	atomic_ullong n_q_dropped;    /* its queue was full */
	atomic_size_t n_ike, n_child; /* its engine's, after each run */
	atomic_uint next_ike_id;      /* engine_next_ike_id(), likewise */
	uint8_t buf[WORKER_DGRAM_MAX];
};

/* The number of workers for `--workers N` (0: the online CPUs), at most
 * KB_STEER_MAX_WORKERS. */
unsigned worker_count(unsigned requested);

/* Creates d->n_workers workers: engines (with the DoS limits of
 * d->opts->limits shared out), loops and sockets, no thread yet. Returns 0
 * or -errno (logged). */
int workers_open(struct daemon *d) __attribute__((warn_unused_result));

/* With several workers, loads the SK_REUSEPORT program that steers each
 * datagram to its worker's socket (kernel/steer.h); where it cannot
 * load, says so loudly and lets the workers hand datagrams over. Needs
 * CAP_BPF (before privileges are dropped). Returns 0. */
int workers_steer(struct daemon *d);

/* Starts each worker's thread. Returns 0 or -errno. */
int workers_start(struct daemon *d) __attribute__((warn_unused_result));

/* Stops and joins the threads; the main thread must not hold the locks. */
void workers_stop(struct daemon *d);

/* Stops the threads if they still run, logs what each worker did, frees
 * the workers and their engines. */
void workers_free(struct daemon *d);

/* The main thread's guard (loop_set_guard): every worker's mutex, then
 * the daemon's lock; and their release. */
void workers_lock_all(void *d);
void workers_unlock_all(void *d);

/* The engine of the worker that owns IKE SA `ike_id`. */
struct engine *workers_engine_of(const struct daemon *d, uint32_t ike_id);

/* The engine holding the CHILD SA with ESP SPI `spi`, or worker 0's. */
struct engine *workers_engine_of_spi(const struct daemon *d, uint32_t spi);

/* Ids of the IKE SAs of every worker, up to `cap`; returns how many
 * there are (engine_ike_list over all). The main thread only. */
size_t workers_ike_list(const struct daemon *d, uint32_t *ids, size_t cap);

/* RFC 7296 §2.4 across workers: another worker took an INITIAL_CONTACT
 * from `peer` (engine_initial_contact's opaque identity) in connection
 * `conn`; queues it for `to`, whose own thread removes its older IKE SAs
 * of that peer (those made before this call stay), without the main
 * thread and without stopping any other worker. */
void worker_initial_contact(struct worker *to, const char *conn, uint64_t peer);

/* Carries out every pending action of worker `w`'s engine (daemon.c),
 * with w's mutex held. */
void worker_run_actions(struct worker *w, uint64_t now);

#endif
