/* MOBIKE's address watch (RFC 4555 §3.8, initiator side): keybridged
 * follows the kernel's address and route changes over rtnetlink and moves
 * each IKE SA it initiated with MOBIKE agreed to the local address the
 * kernel now uses to reach that peer.
 *
 * Changes come in bursts (an address goes, another comes, routes follow):
 * the first notification arms a timer of ROAM_DEBOUNCE_MS, and only when
 * it fires are the IKE SAs looked at. For each one, an RTM_GETROUTE to its
 * peer gives the source address the kernel would pick; when that differs
 * from the SA's local address the engine sends UPDATE_SA_ADDRESSES from
 * it (engine_ike_move()), and the CHILD SAs move when the peer answers
 * (ENGINE_ACT_SA_MIGRATE, daemon.c). No route to the peer (between the
 * old address going and a new one coming) leaves the SA as it is until
 * the next change. Every decision is logged with the SA's name. */
#ifndef KB_IO_ROAM_H
#define KB_IO_ROAM_H

#include "kernel/roam_msg.h"

#include <stdint.h>

enum {
	ROAM_DEBOUNCE_MS = 200, /* from the first change to the check */
	ROAM_RETRY_MS = 1000,	/* after the engine refused a move */
	ROAM_RETRIES = 10,
};

struct daemon;
struct roam;

/* Opens the rtnetlink sockets and adds them and the debounce timer to the
 * daemon's loop. Returns 0 or -errno (logged). */
int roam_open(struct daemon *d, struct roam **out);

/* Closes everything; roam_close(NULL) is fine. */
void roam_close(struct roam *r);

/* Asks the kernel which route it would use to reach `dst` (RTM_GETROUTE):
 * 0 and the route, or -errno (-ENETUNREACH: none). */
int roam_route_get(struct roam *r, const struct kernel_addr *dst,
		   struct roam_route *out);

/* The address the kernel would send from to reach `remote` (the engine's
 * env.source, for connections with local_addrs %any): 0, or -errno
 * (-ENETUNREACH: no route; -ENOTCONN: no rtnetlink socket). */
struct engine_addr;
int roam_source(struct roam *r, const struct engine_addr *remote,
		struct engine_addr *local);

/* Carries out ENGINE_ACT_SA_MIGRATE: one XFRM_MSG_MIGRATE per kernel
 * policy the engine policy expands to (its SAs move with it), errors
 * logged with the SA's name. */
struct engine_action;
void roam_migrate(struct daemon *d, const struct engine_action *a);

/* Looks at every IKE SA now, as when the debounce timer fires; returns how
 * many the engine refused to move (retried ROAM_RETRY_MS later, at most
 * ROAM_RETRIES times). */
int roam_check(struct roam *r, uint64_t now);

#endif
