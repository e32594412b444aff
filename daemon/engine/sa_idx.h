/* Indexes that answer, without walking every IKE SA of the engine, the
 * questions a single SA asks about the others:
 *  - is another IKE SA of this connection talking to this address? (an
 *    initiator's INITIAL_CONTACT, RFC 7296 §2.4): by (conn, remote);
 *  - which IKE SAs has this connection? (a kernel ACQUIRE): by conn;
 *  - does another CHILD SA hold these policies? (the kernel policies
 *    belong to the configuration's instance, not to one CHILD SA): by
 *    (child config, mode, selectors);
 *  - does another IKE SA hold this virtual address the peer gave us?
 *    (RFC 7296 §3.15): by address.
 * Each is a grouptab (grouptab.h): O(1) to join, leave or ask, however
 * many SAs share a key. The engine's code calls the hooks below wherever
 * a key changes; the sanitizer build (KB_ENGINE_SELFCHECK) compares each
 * answer with a walk over every SA on engines of up to 512 SAs. */
#ifndef KB_ENGINE_SA_IDX_H
#define KB_ENGINE_SA_IDX_H

#include "engine/grouptab.h"
#include "engine/hashtab.h"

#include <stdbool.h>

struct engine;
struct engine_conn;
struct engine_ipnet;
struct ike_sa;
struct child_sa;

struct sa_idx {
	struct hashtab by_path;	 /* IKE SAs by (conn, remote address) */
	struct hashtab by_conn;	 /* IKE SAs by conn */
	struct hashtab policies; /* CHILD SAs holding policies */
	struct hashtab vips;	 /* virtual addresses the peers gave us */
};

/* The nodes an IKE SA has in the indexes. */
struct sa_idx_sa {
	struct grouptab_node path, conn;
};

/* A virtual address the peer assigned to us, as cp.c keeps it. */
struct sa_idx_vip {
	struct grouptab_node node;
	uint8_t family, ip[16];
};

void sa_idx_init(struct sa_idx *x);
void sa_idx_free(struct sa_idx *x);

/* ---- IKE SAs ---- */

/* Files the SA under its connection and remote address, again if it was
 * filed before: call after it is made and whenever sa->conn or
 * sa->remote changes (IKE_AUTH picks the connection, a reload, NAT-T or
 * MOBIKE moves the peer). An SA without a connection is in neither. */
void sa_idx_sa_file(struct ike_sa *sa);
/* Takes the SA and the policies its CHILD SAs hold out (ike_sa_free). */
void sa_idx_sa_del(struct ike_sa *sa);

/* True if no other IKE SA of sa's connection talks to sa's remote
 * address: then ours is the peer's first contact (§2.4). */
bool sa_idx_first_contact(const struct ike_sa *sa);

/* The newest ESTABLISHED, not rekeyed IKE SA of `c`, or NULL. */
struct ike_sa *sa_idx_conn_established(const struct engine *e,
				       const struct engine_conn *c);
/* True if `c` has an IKE SA we initiated, in any state. */
bool sa_idx_conn_initiated(const struct engine *e, const struct engine_conn *c);

/* ---- CHILD SA policies ---- */

/* `c` (on IKE SA `sa`) takes its policies: true if it is the first
 * CHILD SA of its instance to hold them, so they must be installed. */
bool sa_idx_policy_hold(const struct ike_sa *sa, struct child_sa *c);
/* `c` lets them go: true if it was the last, so they must be removed. */
bool sa_idx_policy_release(const struct ike_sa *sa, struct child_sa *c);

/* ---- virtual addresses ---- */

/* Files a virtual address the peer gave us (not one of our pools'). */
void sa_idx_vip_add(struct engine *e, struct sa_idx_vip *v,
		    const struct engine_ipnet *addr);
/* Takes it out: true if another IKE SA still holds that address. */
bool sa_idx_vip_del(struct engine *e, struct sa_idx_vip *v);

#endif
