/* The control socket: a UNIX stream socket speaking a subset of
 * strongSwan's vici protocol (control/vici.h), so that swanctl, the
 * Prometheus ipsec exporters, vici bindings and keybridge's own `ipsec`
 * command can list and steer the daemon's SAs.
 *
 * The module owns its socket, its clients and a timer in an epoll set of
 * its own; the daemon watches that one descriptor (ctl_fd) in its loop and
 * calls ctl_dispatch() when it is readable. Nothing here blocks: clients
 * are non-blocking with bounded buffers, a client that stops reading is
 * dropped, a malformed packet closes that client only.
 *
 * Permissions (SO_PEERCRED): the socket is mode 0660, group `keybridge`
 * when that group exists. Commands that change state (initiate, terminate,
 * rekey, reload-settings) need uid 0, the daemon's own uid or
 * CAP_NET_ADMIN; the others only access to the socket.
 */
#ifndef KB_CONTROL_CTL_H
#define KB_CONTROL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conns;
struct engine;
struct engine_action;
struct kernel;
struct kernel_ops;
struct usage_sa;

#define CTL_DEFAULT_PATH "/run/keybridge/keybridge.vici"
#define CTL_GROUP	 "keybridge"

/* What the control module needs from the daemon. */
struct ctl_host {
	void *ctx;
	const char *version; /* keybridged's version */
	/* the workers' engines (io/worker.h); an IKE SA's id names its own,
	 * the first also initiates and holds the address pools */
	struct engine *const *engines;
	size_t n_engines;
	const struct kernel_ops *kops; /* SA counters (sa_get) */
	struct kernel *kernel;
	/* The current connection table (it changes with reloads). */
	const struct conns *(*conns)(void *ctx);
	/* Carries out the engine's pending actions (after initiate …). */
	void (*run_actions)(void *ctx, uint64_t now_ms);
	/* Reloads the configuration as SIGHUP does. */
	void (*reload)(void *ctx);
	/* What the SA usage tracker (io/usage.h) knows of the SA with SPI
	 * `spi`: its rate and last use; NULL if nothing. May be NULL. */
	const struct usage_sa *(*usage)(void *ctx, uint32_t spi);
};

struct ctl;

/* Creates the socket at `path` (its directory is created mode 0755 when
 * missing; a stale socket is replaced, one a live daemon answers on is
 * not). Returns 0 or -errno with *out NULL. */
int ctl_new(struct ctl **out, const char *path, const struct ctl_host *host)
	__attribute__((warn_unused_result));

/* Closes every client and the socket, removes the socket file. NULL is
 * fine. */
void ctl_free(struct ctl *c);

/* The descriptor to watch for EPOLLIN. */
int ctl_fd(const struct ctl *c);

/* Handles whatever is ready: new clients, requests, writes, timeouts. */
void ctl_dispatch(struct ctl *c);

/* Every engine action, as the daemon carries it out: EVENT actions raise
 * ike-updown/child-updown events and finish waiting initiate/terminate
 * commands; SA_ADD tells which reqid, lifetimes and encapsulation a CHILD
 * SA has. */
void ctl_engine_action(struct ctl *c, const struct engine_action *a,
		       uint64_t now_ms);

/* One operator log line (log.h levels): raised as `log` events and, for
 * lines about an SA an initiate/terminate waits for, `control-log`. */
void ctl_log(struct ctl *c, int level, const char *sa, const char *msg);

/* Counts IKE SAs and CHILD SAs (for the service status line). */
void ctl_count(const struct engine *e, size_t *ike, size_t *child);

#endif
