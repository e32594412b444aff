/* Shunt policies: pass and drop children; see shunt.h. */
#include "io/shunt.h"

#include "engine/engine_kernel.h"
#include "ike_iana.h"
#include "io/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One configured selector seen in one address family: its prefixes, its
 * protocol and its port (0 = any). */
struct shunt_side {
	size_t n;
	uint8_t proto;
	uint16_t port;
	struct engine_prefix pfx[ENGINE_KERNEL_PREFIX_MAX];
};

/* Fills `s` for selector `t` in `family`; s->n stays 0 when `t` is of the
 * other family. A `dynamic` selector is every address: a shunt has no
 * tunnel whose address it could stand for. */
static int shunt_side(const struct kb_ts *t, uint16_t family,
		      struct shunt_side *s, char *why, size_t len)
{
	struct engine_ts ts = { 0 };
	size_t alen = family == AF_INET ? 4 : 16;

	s->n = 0;
	if (!t->dynamic && t->family != family)
		return 0;
	if (t->port_from == 0 && t->port_to == 65535) {
		s->port = 0;
	} else if (t->port_from == t->port_to) {
		s->port = t->port_from;
	} else {
		snprintf(why, len,
			 "ports %u-%u are neither one port nor all of them, "
			 "and a kernel policy matches only those",
			 t->port_from, t->port_to);
		return -EINVAL;
	}
	s->proto = t->proto;
	ts.type = family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	ts.port_hi = 65535;
	if (t->dynamic) {
		memset(ts.end, 0xff, alen);
	} else {
		memcpy(ts.start, t->from, alen);
		memcpy(ts.end, t->to, alen);
	}
	s->n = engine_ts_prefixes(&ts, s->pfx, ENGINE_KERNEL_PREFIX_MAX);
	if (!s->n) {
		snprintf(why, len,
			 "an address range that ends before it "
			 "starts");
		return -EINVAL;
	}
	return 0;
}

static int shunt_push(struct shunts *out, const struct kb_conn *conn,
		      const struct kb_child *ch, const struct kernel_policy *p)
{
	struct shunt_policy *v = realloc(out->v, (out->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	out->v = v;
	v += out->n++;
	memset(v, 0, sizeof(*v));
	snprintf(v->conn, sizeof(v->conn), "%s", conn->name);
	snprintf(v->child, sizeof(v->child), "%s", ch->name);
	v->p = *p;
	return 0;
}

static void shunt_prefix(struct kernel_addr *a, uint8_t *plen, uint16_t family,
			 const struct engine_prefix *p)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->a.raw, p->addr, 16);
	*plen = p->plen;
}

/* The policy `from` -> `to` in `dir`, with the child's mark for it. */
static void shunt_policy(const struct kb_child *ch, uint16_t family,
			 uint8_t proto, uint8_t dir,
			 const struct shunt_side *from, size_t i,
			 const struct shunt_side *to, size_t j,
			 struct kernel_policy *p)
{
	const struct kb_mark *m =
		dir == KERNEL_DIR_OUT ? &ch->mark_out : &ch->mark_in;

	memset(p, 0, sizeof(*p));
	p->sel.family = family;
	shunt_prefix(&p->sel.src, &p->sel.src_plen, family, &from->pfx[i]);
	shunt_prefix(&p->sel.dst, &p->sel.dst_plen, family, &to->pfx[j]);
	p->sel.proto = proto;
	p->sel.sport = from->port;
	p->sel.dport = to->port;
	p->dir = dir;
	p->action = ch->mode == KB_MODE_PASS ? KERNEL_ACTION_ALLOW
					     : KERNEL_ACTION_BLOCK;
	p->priority = kernel_policy_priority(
		ch->mode == KB_MODE_PASS ? KERNEL_PRIO_PASS : KERNEL_PRIO_DROP,
		&p->sel);
	p->mark = (struct kernel_mark){ m->value, m->mask };
}

/* out local -> remote, in and fwd remote -> local, for every pair of
 * prefixes of `l` and `r` (of one family). */
static int shunt_pair(const struct kb_conn *conn, const struct kb_child *ch,
		      uint16_t family, const struct shunt_side *l,
		      const struct shunt_side *r, struct shunts *out,
		      size_t start, char *why, size_t len)
{
	static const uint8_t dirs[] = { KERNEL_DIR_OUT, KERNEL_DIR_IN,
					KERNEL_DIR_FWD };
	uint8_t proto = l->proto ? l->proto : r->proto;
	struct kernel_policy p;
	int rc;

	if (l->proto && r->proto && l->proto != r->proto)
		return 0; /* no packet matches both */
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < r->n; j++) {
			if (out->n - start + 3 > SHUNT_POLICIES_MAX) {
				snprintf(why, len,
					 "its selectors need more than %d "
					 "kernel policies",
					 SHUNT_POLICIES_MAX);
				return -EINVAL;
			}
			for (size_t d = 0; d < sizeof(dirs); d++) {
				if (dirs[d] == KERNEL_DIR_OUT)
					shunt_policy(ch, family, proto, dirs[d],
						     l, i, r, j, &p);
				else
					shunt_policy(ch, family, proto, dirs[d],
						     r, j, l, i, &p);
				if ((rc = shunt_push(out, conn, ch, &p)))
					return rc;
			}
		}
	}
	return 0;
}

int shunt_build(const struct kb_conn *conn, const struct kb_child *ch,
		struct shunts *out, char *why, size_t len)
{
	static const uint16_t families[] = { AF_INET, AF_INET6 };
	struct shunt_side *l = malloc(sizeof(*l)), *r = malloc(sizeof(*r));
	size_t start = out->n;
	int rc = l && r ? 0 : -ENOMEM;

	for (size_t f = 0; !rc && f < 2; f++) {
		for (unsigned a = 0; !rc && a < ch->n_local_ts; a++) {
			rc = shunt_side(&ch->local_ts[a], families[f], l, why,
					len);
			for (unsigned b = 0; !rc && l->n && b < ch->n_remote_ts;
			     b++) {
				rc = shunt_side(&ch->remote_ts[b], families[f],
						r, why, len);
				if (!rc && r->n)
					rc = shunt_pair(conn, ch, families[f],
							l, r, out, start, why,
							len);
			}
		}
	}
	if (rc)
		out->n = start;
	else if (out->n == start) {
		snprintf(why, len,
			 "no local and remote selector of one address family "
			 "and protocol: it would install nothing");
		rc = -EINVAL;
	}
	free(l);
	free(r);
	return rc;
}

int shunt_carry(struct shunts *next, const struct shunts *from,
		const char *conn)
{
	for (size_t i = 0; i < from->n; i++) {
		struct shunt_policy *v;

		if (strcmp(from->v[i].conn, conn) != 0)
			continue;
		v = realloc(next->v, (next->n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		next->v = v;
		v[next->n++] = from->v[i];
	}
	return 0;
}

/* Runs one request per policy of `s` (`type`); returns how many failed,
 * each logged. */
static unsigned shunt_apply(const struct kernel_ops *ops, struct kernel *k,
			    const struct shunts *s, uint8_t type)
{
	struct kernel_req *reqs = calloc(s->n ? s->n : 1, sizeof(*reqs));
	unsigned failed = 0;

	if (!reqs) {
		log_msg(LOG_LVL_ERR, NULL,
			"out of memory: %zu shunt policies not %s", s->n,
			type == KERNEL_REQ_POLICY_DEL ? "removed"
						      : "installed");
		return (unsigned)s->n;
	}
	for (size_t i = 0; i < s->n; i++) {
		reqs[i].type = type;
		reqs[i].o.policy = &s->v[i].p;
	}
	if (s->n && ops->apply(k, reqs, s->n) < 0) {
		for (size_t i = 0; i < s->n; i++) {
			if (!reqs[i].err.code)
				continue;
			failed++;
			log_msg(LOG_LVL_ERR, s->v[i].conn,
				"child %s: kernel: %s", s->v[i].child,
				reqs[i].err.msg);
		}
	}
	free(reqs);
	return failed;
}

unsigned shunt_install(const struct kernel_ops *ops, struct kernel *k,
		       struct shunts *s, uint32_t *seq)
{
	unsigned failed;

	for (size_t i = 0; i < s->n; i++)
		s->v[i].p.index = kernel_policy_index((*seq)++, s->v[i].p.dir);
	failed = shunt_apply(ops, k, s, KERNEL_REQ_POLICY_UPDATE);
	for (size_t i = 0, n; i < s->n; i += n) {
		const struct shunt_policy *v = &s->v[i];

		for (n = 1;
		     i + n < s->n && !strcmp(s->v[i + n].conn, v->conn) &&
		     !strcmp(s->v[i + n].child, v->child);
		     n++)
			;
		log_msg(LOG_LVL_NOTICE, v->conn,
			"child %s: %s shunt installed (%zu kernel policies); "
			"it is never negotiated",
			v->child,
			v->p.action == KERNEL_ACTION_ALLOW ? "pass" : "drop",
			n);
	}
	return failed;
}

/* Removal finds a policy by selector, direction, mark and interface ID:
 * an index is per add (a replaced policy keeps its predecessor's). */
void shunt_remove(const struct kernel_ops *ops, struct kernel *k,
		  const struct shunts *s)
{
	struct shunts del = { 0 };

	if (!s->n)
		return;
	del.v = malloc(s->n * sizeof(*del.v));
	if (!del.v) {
		log_msg(LOG_LVL_ERR, NULL,
			"out of memory: shunt policies not removed");
		return;
	}
	memcpy(del.v, s->v, s->n * sizeof(*del.v));
	del.n = s->n;
	for (size_t i = 0; i < del.n; i++)
		del.v[i].p.index = 0;
	(void)shunt_apply(ops, k, &del, KERNEL_REQ_POLICY_DEL);
	shunt_free(&del);
}

static bool shunt_same(const struct kernel_policy *a,
		       const struct kernel_policy *b)
{
	return a->dir == b->dir && a->if_id == b->if_id &&
	       a->mark.value == b->mark.value && a->mark.mask == b->mark.mask &&
	       !memcmp(&a->sel, &b->sel, sizeof(a->sel));
}

void shunt_replace(const struct kernel_ops *ops, struct kernel *k,
		   const struct shunts *old, struct shunts *next, uint32_t *seq)
{
	struct shunts gone = { 0 };

	(void)shunt_install(ops, k, next, seq);
	gone.v = malloc((old->n ? old->n : 1) * sizeof(*gone.v));
	if (!gone.v) {
		log_msg(LOG_LVL_ERR, NULL,
			"out of memory: old shunt policies not removed");
		return;
	}
	for (size_t i = 0; i < old->n; i++) {
		bool kept = false;

		for (size_t j = 0; j < next->n && !kept; j++)
			kept = shunt_same(&old->v[i].p, &next->v[j].p);
		if (!kept)
			gone.v[gone.n++] = old->v[i];
	}
	if (gone.n)
		log_msg(LOG_LVL_NOTICE, NULL,
			"removing %zu shunt policies the configuration no "
			"longer has",
			gone.n);
	shunt_remove(ops, k, &gone);
	shunt_free(&gone);
}

void shunt_free(struct shunts *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
