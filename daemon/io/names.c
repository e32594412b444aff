/* remote_addrs names (names.h): the resolver's answers applied to the
 * connections that use them. */
#include "io/names.h"

#include "io/daemon_int.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/resolve.h"
#include "io/worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void names_addr_str(const struct engine_addr *a, char *out, size_t cap)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, out,
		       (socklen_t)cap))
		snprintf(out, cap, "?");
}

static void names_query(const struct conn_extra *x, struct resolve_name *q)
{
	memset(q, 0, sizeof(*q));
	memcpy(q->name, x->remote_fqdn, sizeof(q->name));
	q->family = x->remote_family;
}

static bool names_same(const struct conn_extra *x, const struct resolve_name *q)
{
	return x->remote_fqdn[0] && x->remote_family == q->family &&
	       !strcmp(x->remote_fqdn, q->name);
}

/* Gives connection `i` the answer's address; true if it was waiting. */
static bool names_apply(struct daemon *d, size_t i,
			const struct resolve_answer *a)
{
	struct engine_conn *c = &d->conns.conn[i];
	bool waited = c->remote_pending;
	char was[INET6_ADDRSTRLEN], now[INET6_ADDRSTRLEN];

	if (!waited && c->remote.family == a->addr.family &&
	    !memcmp(c->remote.ip, a->addr.ip, sizeof(c->remote.ip)))
		return false;
	names_addr_str(&c->remote, was, sizeof(was));
	names_addr_str(&a->addr, now, sizeof(now));
	/* every worker's engine has its copy of the connections */
	for (unsigned w = 0; w < d->n_workers; w++)
		if (engine_conn_set_remote(d->workers[w].engine, c->name,
					   &a->addr) < 0)
			return false; /* not there: a reload is under way */
	c->remote.family = a->addr.family;
	memcpy(c->remote.ip, a->addr.ip, sizeof(c->remote.ip));
	c->remote_pending = false;
	if (waited)
		log_msg(LOG_LVL_NOTICE, c->name, "remote_addrs %s is %s",
			a->q.name, now);
	else
		log_msg(LOG_LVL_NOTICE, c->name,
			"remote_addrs %s moved from %s to %s; new IKE SAs go "
			"there",
			a->q.name, was, now);
	return waited;
}

static void names_answer(void *ctx, const struct resolve_answer *a)
{
	struct daemon *d = ctx;
	uint64_t now = loop_now_ms();
	bool started = false;

	for (size_t i = 0; i < d->conns.n; i++) {
		struct engine_conn *c = &d->conns.conn[i];
		char was[INET6_ADDRSTRLEN];

		if (!names_same(&d->conns.extra[i], &a->q))
			continue;
		if (!a->err) {
			if (names_apply(d, i, a) && !d->stopping) {
				daemon_start_conn(d, i, now);
				started = true;
			}
			continue;
		}
		if (c->remote_pending) {
			log_msg(LOG_LVL_ERR, c->name,
				"cannot resolve remote_addrs %s: %s; the "
				"connection waits, trying again in %d s",
				a->q.name, a->why, RESOLVE_RETRY_MS / 1000);
			continue;
		}
		names_addr_str(&c->remote, was, sizeof(was));
		log_msg(LOG_LVL_WARNING, c->name,
			"cannot resolve remote_addrs %s again: %s; keeping %s",
			a->q.name, a->why, was);
	}
	if (started)
		daemon_run_actions(d, now);
}

int names_open(struct daemon *d)
{
	int r = resolver_new(d->loop, names_answer, d, &d->resolver);

	if (r < 0)
		log_msg(LOG_LVL_ERR, NULL, "cannot start the DNS resolver: %s",
			strerror(-r));
	return r;
}

void names_sync(struct daemon *d)
{
	struct resolve_name *q;
	size_t n = 0;

	if (!d->resolver)
		return;
	q = calloc(d->conns.n ? d->conns.n : 1, sizeof(*q));
	if (!q) {
		log_msg(LOG_LVL_ERR, NULL,
			"remote_addrs names not resolved: out of memory");
		return;
	}
	for (size_t i = 0; i < d->conns.n; i++) {
		const struct resolve_answer *a;
		struct resolve_name one;
		bool dup = false;

		if (!d->conns.extra[i].remote_fqdn[0])
			continue;
		names_query(&d->conns.extra[i], &one);
		if ((a = resolver_cached(d->resolver, &one)))
			(void)names_apply(d, i, a);
		for (size_t k = 0; k < n; k++)
			dup |= !strcmp(q[k].name, one.name) &&
			       q[k].family == one.family;
		if (!dup)
			q[n++] = one;
	}
	if (resolver_watch(d->resolver, q, n) < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"remote_addrs names not watched: out of memory");
	free(q);
}

bool names_wait(struct daemon *d, size_t i)
{
	if (!d->conns.conn[i].remote_pending)
		return false;
	log_msg(LOG_LVL_INFO, d->conns.conn[i].name,
		"initiating once remote_addrs %s is resolved",
		d->conns.extra[i].remote_fqdn);
	return true;
}

void names_close(struct daemon *d)
{
	resolver_free(d->resolver);
	d->resolver = NULL;
}
