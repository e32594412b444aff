/* Peer names of remote_addrs, resolved off the event loop.
 *
 * getaddrinfo() may wait seconds for a DNS server; the event loop never
 * does. One resolver thread keeps a set of names resolved: each is looked
 * up as soon as it is watched, again every RESOLVE_REFRESH_MS (a peer on a
 * dynamic address moves), and RESOLVE_RETRY_MS after a failure. Answers
 * reach the loop through an eventfd and are handed, on the loop's thread,
 * to the callback given to resolver_new(), and kept for resolver_cached().
 */
#ifndef KB_IO_RESOLVE_H
#define KB_IO_RESOLVE_H

#include "config/config.h"
#include "engine/engine.h"

#include <stddef.h>
#include <stdint.h>

enum {
	RESOLVE_REFRESH_MS = 60000, /* an answer is looked up again after */
	RESOLVE_RETRY_MS = 30000,   /* a failed lookup is tried again after */
};

/* A name to keep resolved: a DNS name and the address family wanted
 * (AF_INET, AF_INET6, or AF_UNSPEC for the first address of either). */
struct resolve_name {
	char name[KB_CONF_FQDN_MAX];
	uint8_t family;
};

/* One lookup's outcome: `err` 0 and `addr` (port 0), or a getaddrinfo()
 * EAI_* code with `why` saying it for operators. */
struct resolve_answer {
	struct resolve_name q;
	int err;
	char why[96];
	struct engine_addr addr;
};

struct loop;
struct resolver;

/* Called on the loop's thread for every answer, changed or not. */
typedef void (*resolve_fn)(void *ctx, const struct resolve_answer *a);

/* Starts the resolver thread and watches its eventfd on `loop`. Returns 0
 * or -errno with *out NULL. */
int resolver_new(struct loop *loop, resolve_fn fn, void *ctx,
		 struct resolver **out) __attribute__((warn_unused_result));

/* Makes `names` the set kept resolved (after a load or reload) and looks
 * each up at once: a reload is how an operator says "DNS changed". Cached
 * answers stay until new ones come. Returns 0 or -ENOMEM (the previous
 * set stays). */
int resolver_watch(struct resolver *r, const struct resolve_name *names,
		   size_t n) __attribute__((warn_unused_result));

/* The latest successful answer for `q`, or NULL (none yet, or the last
 * lookup failed and there never was one). */
const struct resolve_answer *resolver_cached(const struct resolver *r,
					     const struct resolve_name *q);

/* Stops the thread (a lookup in progress is abandoned: the thread ends by
 * itself once getaddrinfo returns) and frees. NULL is fine. */
void resolver_free(struct resolver *r);

#endif
