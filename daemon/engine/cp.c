/* Configuration payloads and virtual addresses; see cp.h. */
#include "engine/cp.h"

#include "engine/eap.h"
#include "engine/pool.h"
#include "engine/ts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The virtual addresses of one IKE SA: leased from `pool` (responder) or
 * assigned by the peer (initiator, pool ""). */
struct cp_sa {
	uint8_t n;
	struct {
		struct engine_ipnet addr;
		char pool[ENGINE_NAME_MAX];
		struct sa_idx_vip idx; /* the peer's gift: e->idx.vips */
	} vip[ENGINE_MAX_VIPS];
};

const char *cp_prefix_str(const struct engine_ipnet *p, bool plen, char *buf,
			  size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family == AF_INET6 ? AF_INET6 : AF_INET, p->ip, a,
		  sizeof(a));
	if (plen)
		snprintf(buf, cap, "%s/%u", a, p->prefix);
	else
		snprintf(buf, cap, "%s", a);
	return buf;
}

/* The peer identity for logs: text IDs as they are, addresses printed,
 * others (DNs, key IDs) by type. */
static const char *cp_id_str(const struct engine_id *id, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	switch (id->type) {
	case ID_FQDN:
	case ID_RFC822_ADDR:
		snprintf(buf, cap, "%.*s", (int)(id->len < 128 ? id->len : 128),
			 (const char *)id->data);
		for (char *s = buf; *s; s++)
			if (*s < 0x20 || *s > 0x7e)
				*s = '?';
		return buf;
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		if (id->len == (id->type == ID_IPV4_ADDR ? 4 : 16) &&
		    inet_ntop(id->type == ID_IPV4_ADDR ? AF_INET : AF_INET6,
			      id->data, a, sizeof(a))) {
			snprintf(buf, cap, "%s", a);
			return buf;
		}
		break;
	}
	snprintf(buf, cap, "%s identity (%u bytes)",
		 ike_id_type_name(id->type) ?: "?", id->len);
	return buf;
}

/* ---- typed attributes (§3.15.1) ---- */

/* Prefix length of a contiguous IPv4 netmask, or -1. */
static int cp_mask_prefix(const uint8_t *m)
{
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
		     (uint32_t)m[2] << 8 | m[3];
	int n = 0;

	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	/* n == 32 first: a shift by 32 is undefined (C11 6.5.7) */
	return n == 32 || (uint32_t)(v << n) == 0 ? n : -1;
}

static bool cp_keep(struct cp_attrs *out, struct engine_ipnet *arr, uint8_t *n,
		    uint8_t family, const uint8_t *ip, size_t len,
		    unsigned prefix)
{
	if (*n >= CP_MAX_VALUES) {
		out->n_dropped++;
		return true;
	}
	if (prefix > (family == AF_INET ? 32u : 128u))
		return false;
	memset(&arr[*n], 0, sizeof(arr[*n]));
	arr[*n].family = family;
	arr[*n].prefix = (uint8_t)prefix;
	memcpy(arr[*n].ip, ip, len);
	(*n)++;
	return true;
}

int cp_parse(const struct ike_pl_cp *cp, struct cp_attrs *out)
{
	memset(out, 0, sizeof(*out));
	out->cfg_type = cp->cfg_type;
	for (size_t i = 0; i < cp->n_attrs; i++) {
		const struct ike_cp_attr *a = &cp->attrs[i];
		const uint8_t *v = a->value.ptr;
		size_t len = a->value.len;
		bool ok = true;
		int pl;

		if (!len) { /* §3.15.1: an empty value asks for it */
			if (a->type < 32)
				out->asked |= 1u << a->type;
			else
				out->n_other++;
			continue;
		}
		/* lengths were checked by the decoder (ike_msg_cfg_len_ok) */
		switch (a->type) {
		case CFGA_INTERNAL_IP4_ADDRESS:
			ok = cp_keep(out, out->addrs, &out->n_addrs, AF_INET, v,
				     4, 32);
			break;
		case CFGA_INTERNAL_IP6_ADDRESS:
			ok = cp_keep(out, out->addrs, &out->n_addrs, AF_INET6,
				     v, 16, v[16]);
			break;
		case CFGA_INTERNAL_IP4_DNS:
			ok = cp_keep(out, out->dns, &out->n_dns, AF_INET, v, 4,
				     32);
			break;
		case CFGA_INTERNAL_IP6_DNS:
			ok = cp_keep(out, out->dns, &out->n_dns, AF_INET6, v,
				     16, 128);
			break;
		case CFGA_INTERNAL_IP4_NETMASK:
			pl = cp_mask_prefix(v);
			ok = pl >= 0;
			out->netmask = pl > 0 ? (uint8_t)pl : 0;
			break;
		case CFGA_INTERNAL_IP4_SUBNET:
			pl = cp_mask_prefix(v + 4);
			ok = pl >= 0 &&
			     cp_keep(out, out->subnets, &out->n_subnets,
				     AF_INET, v, 4, (unsigned)pl);
			break;
		case CFGA_INTERNAL_IP6_SUBNET:
			ok = cp_keep(out, out->subnets, &out->n_subnets,
				     AF_INET6, v, 16, v[16]);
			break;
		default: out->n_other++; break;
		}
		if (!ok)
			return -ENG_ERR_MALFORMED;
	}
	return 0;
}

bool cp_wire_add(struct cp_wire *w, uint16_t type, const struct engine_ipnet *v)
{
	uint8_t *d;
	size_t len = 0;
	uint8_t fam = 0;

	if (w->n >= CP_WIRE_MAX)
		return false;
	d = w->val[w->n];
	memset(d, 0, sizeof(w->val[0]));
	if (v) {
		switch (type) {
		case CFGA_INTERNAL_IP4_ADDRESS:
		case CFGA_INTERNAL_IP4_DNS:
			fam = AF_INET;
			memcpy(d, v->ip, 4);
			len = 4;
			break;
		case CFGA_INTERNAL_IP4_NETMASK:
		case CFGA_INTERNAL_IP4_SUBNET: {
			uint32_t m = v->prefix >= 32 ? 0xffffffffu
				     : v->prefix ? ~(0xffffffffu >> v->prefix)
						 : 0;
			uint8_t *mp = d + (type == CFGA_INTERNAL_IP4_SUBNET);

			fam = AF_INET;
			if (type == CFGA_INTERNAL_IP4_SUBNET) {
				memcpy(d, v->ip, 4);
				mp = d + 4;
			}
			mp[0] = (uint8_t)(m >> 24);
			mp[1] = (uint8_t)(m >> 16);
			mp[2] = (uint8_t)(m >> 8);
			mp[3] = (uint8_t)m;
			len = type == CFGA_INTERNAL_IP4_SUBNET ? 8 : 4;
			break;
		}
		case CFGA_INTERNAL_IP6_ADDRESS:
		case CFGA_INTERNAL_IP6_SUBNET:
			fam = AF_INET6;
			memcpy(d, v->ip, 16);
			d[16] = v->prefix;
			len = 17;
			break;
		case CFGA_INTERNAL_IP6_DNS:
			fam = AF_INET6;
			memcpy(d, v->ip, 16);
			len = 16;
			break;
		default: return false;
		}
		if (fam != v->family)
			return false;
	}
	w->attrs[w->n].type = type;
	w->attrs[w->n].value = (struct ike_bytes){ d, len };
	w->n++;
	return true;
}

static struct ike_payload *cp_add_payload(struct ike_msg *m, uint8_t type,
					  const struct cp_wire *w)
{
	struct ike_payload *p = ike_msg_add(m, PL_CP);

	if (!p)
		return NULL;
	p->inner = true;
	p->u.cp = (struct ike_pl_cp){ type, w->n, w->attrs };
	return p;
}

/* The first CP payload of a message, or NULL. */
static const struct ike_payload *cp_find(const struct ike_msg *m)
{
	return ike_msg_find(m, PL_CP, NULL);
}

static struct cp_sa *cp_state(struct ike_sa *sa)
{
	if (!sa->cp)
		sa->cp = calloc(1, sizeof(*sa->cp));
	return sa->cp;
}

/* ---- initiator ---- */

int cp_build_i(struct ike_sa *sa, struct ike_msg *m, struct cp_wire *w)
{
	const struct engine_conn *c = sa->conn;
	bool v4 = false, v6 = false;

	if (!c->n_vips)
		return 0;
	w->n = 0;
	for (size_t i = 0; i < c->n_vips; i++) {
		const struct engine_ipnet *v = &c->vips[i];
		static const uint8_t zero[16];
		bool any = !memcmp(v->ip, zero, 16);
		bool ok;

		/* §3.15.1: an address asks for that one, empty for any */
		if (v->family == AF_INET) {
			ok = cp_wire_add(w, CFGA_INTERNAL_IP4_ADDRESS,
					 any ? NULL : v);
			v4 = true;
		} else {
			ok = cp_wire_add(w, CFGA_INTERNAL_IP6_ADDRESS,
					 any ? NULL : v);
			v6 = true;
		}
		if (!ok)
			return -ENG_ERR_NOMEM;
	}
	if ((v4 && !cp_wire_add(w, CFGA_INTERNAL_IP4_DNS, NULL)) ||
	    (v6 && !cp_wire_add(w, CFGA_INTERNAL_IP6_DNS, NULL)) ||
	    !cp_add_payload(m, CFG_REQUEST, w))
		return -ENG_ERR_NOMEM;
	return 0;
}

/* Takes virtual address `i` we were given out of the engine's index:
 * true if another IKE SA of the engine holds it too (a
 * reauthentication's new SA, a second connection). */
static bool cp_vip_shared(struct ike_sa *sa, size_t i)
{
	bool shared = sa_idx_vip_del(sa->e, &sa->cp->vip[i].idx);

#ifdef KB_ENGINE_SELFCHECK
	const struct engine_ipnet *p = &sa->cp->vip[i].addr;
	bool walk = false;

	/* the walk the index replaced, on engines small enough */
	for (const struct ike_sa *s = sa->e->sas; s && sa->e->n_sas <= 512;
	     s = s->next) {
		if (s == sa || !s->cp)
			continue;
		for (size_t k = 0; k < s->cp->n; k++)
			if (!s->cp->vip[k].pool[0] &&
			    s->cp->vip[k].addr.family == p->family &&
			    !memcmp(s->cp->vip[k].addr.ip, p->ip, 16))
				walk = true;
	}
	if (sa->e->n_sas <= 512 && walk != shared) {
		fprintf(stderr, "cp: %s virtual address shared %d, walk %d\n",
			sa->name, shared, walk);
		abort();
	}
#endif
	return shared;
}

static void cp_addr_action(struct ike_sa *sa, enum engine_action_type t,
			   const struct engine_ipnet *p)
{
	struct engine_action *a = engine_push(sa->e, t, sa->id);

	if (!a)
		return;
	a->u.vip.addr = *p;
	a->u.vip.local = sa->local;
	snprintf(a->u.vip.conn, sizeof(a->u.vip.conn), "%s",
		 sa->conn ? sa->conn->name : "");
}

/* True if we asked for an address of `family`. */
static bool cp_asked(const struct engine_conn *c, uint8_t family)
{
	for (size_t i = 0; i < c->n_vips; i++)
		if (c->vips[i].family == family)
			return true;
	return false;
}

static void cp_log_attrs(struct ike_sa *sa, const struct cp_attrs *at)
{
	char list[256], one[64];
	size_t off = 0;

	list[0] = '\0';
	for (size_t i = 0; i < at->n_dns && off < sizeof(list); i++)
		off += (size_t)snprintf(
			list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
			cp_prefix_str(&at->dns[i], false, one, sizeof(one)));
	if (at->n_dns)
		engine_log(sa->e, sa, 5,
			   "peer names DNS servers %s (not installed: "
			   "keybridge leaves resolv.conf alone)",
			   list);
	off = 0;
	list[0] = '\0';
	for (size_t i = 0; i < at->n_subnets && off < sizeof(list); i++)
		off += (size_t)snprintf(
			list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
			cp_prefix_str(&at->subnets[i], true, one, sizeof(one)));
	if (at->n_subnets)
		engine_log(sa->e, sa, 5, "peer protects subnets %s", list);
}

int cp_process_i(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *p = cp_find(m);
	struct cp_attrs *at;
	struct cp_sa *st;
	char a[64];
	int err = 0;

	if (!sa->conn->n_vips) {
		if (p)
			engine_log(sa->e, sa, 4,
				   "peer sent a CP payload we did not ask for "
				   "(no vips configured); ignoring it");
		return 0;
	}
	if (!p || p->u.cp.cfg_type != CFG_REPLY) {
		engine_log(sa->e, sa, 4,
			   "peer assigned no virtual address (%s); no CHILD "
			   "SA can use one",
			   p ? "CP payload is not a CFG_REPLY"
			   : ike_msg_find_notify(m, N_INTERNAL_ADDRESS_FAILURE)
				   ? "INTERNAL_ADDRESS_FAILURE"
				   : "no CP payload in its answer");
		return -ENG_ERR_ADDRESS;
	}
	if (!(at = malloc(sizeof(*at))))
		return -ENG_ERR_NOMEM;
	if (cp_parse(&p->u.cp, at)) {
		engine_log(sa->e, sa, 4,
			   "peer's CFG_REPLY is malformed (netmask or prefix "
			   "length); taking no address from it");
		err = -ENG_ERR_ADDRESS;
		goto out;
	}
	if (!(st = cp_state(sa))) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < at->n_addrs && st->n < ENGINE_MAX_VIPS; i++) {
		struct engine_ipnet v = at->addrs[i];
		bool dup = false;

		if (!cp_asked(sa->conn, v.family)) {
			engine_log(sa->e, sa, 4,
				   "peer assigned %s, of a family we did not "
				   "ask for; ignoring it",
				   cp_prefix_str(&v, false, a, sizeof(a)));
			continue;
		}
		for (size_t k = 0; k < st->n; k++)
			dup |= st->vip[k].addr.family == v.family;
		if (dup)
			continue; /* one address per family */
		/* the address alone: io adds it as a host address */
		v.prefix = v.family == AF_INET ? 32 : 128;
		st->vip[st->n].addr = v;
		st->vip[st->n].pool[0] = '\0';
		sa_idx_vip_add(sa->e, &st->vip[st->n].idx, &v);
		st->n++;
		engine_log(sa->e, sa, 5, "peer assigned virtual address %s",
			   cp_prefix_str(&v, false, a, sizeof(a)));
		cp_addr_action(sa, ENGINE_ACT_ADDR_ADD, &v);
	}
	cp_log_attrs(sa, at);
	if (!st->n) {
		engine_log(sa->e, sa, 4,
			   "peer's CFG_REPLY holds no address we asked for");
		err = -ENG_ERR_ADDRESS;
	}
out:
	free(at);
	return err;
}

/* ---- responder ---- */

/* Whom the lease belongs to: the EAP identity when EAP authenticated the
 * peer (§2.16: IDi is then only what the peer says; Windows sends its IP
 * address there, the same for every user behind one NAT), the IKE
 * identity otherwise. An EAP identity is keyed as strongSwan reads one
 * from text: RFC822 with an '@', FQDN without. */
static void cp_lease_id(const struct ike_sa *sa, const struct ike_pl_id *peer,
			struct engine_id *id)
{
	const struct eap_r *s =
		sa->conn->remote_auth.method == ENGINE_AUTH_EAP_MSCHAPV2
			? sa->eap /* responder: the server */
			: NULL;

	memset(id, 0, sizeof(*id));
	if (s && s->user_len) {
		id->type = memchr(s->user, '@', s->user_len) ? ID_RFC822_ADDR
							     : ID_FQDN;
		id->len = s->user_len;
		memcpy(id->data, s->user, s->user_len);
		return;
	}
	id->type = peer->type;
	id->len = (uint16_t)(peer->data.len < ENGINE_ID_MAX ? peer->data.len
							    : ENGINE_ID_MAX);
	memcpy(id->data, peer->data.ptr, id->len);
}

/* Leases an address of `family` for `id` from the connection's first pool
 * of that family that has one. `want` may be NULL. */
static int cp_lease(struct ike_sa *sa, const struct engine_id *id,
		    uint8_t family, const uint8_t *want, struct cp_sa *st)
{
	const struct engine_conn *c = sa->conn;
	char a[64], who[160], names[160];
	size_t off = 0;
	bool tried = false;

	cp_id_str(id, who, sizeof(who));
	names[0] = '\0';
	for (size_t i = 0; i < c->n_pools; i++) {
		struct pool *p = pool_find(sa->e, c->pools[i]);
		struct engine_ipnet v = { .family = family };
		bool inside;
		int err;

		if (!p || pool_cfg(p)->family != family)
			continue;
		tried = true;
		inside = want && pool_contains(p, want);
		err = pool_acquire(p, id, inside ? want : NULL, v.ip);
		if (err == -ENG_ERR_NOMEM)
			return err;
		if (err) {
			if (off < sizeof(names))
				off += (size_t)snprintf(
					names + off, sizeof(names) - off,
					"%s'%s' (%llu address%s)",
					off ? ", " : "", c->pools[i],
					(unsigned long long)pool_size(p),
					pool_size(p) == 1 ? "" : "es");
			continue;
		}
		v.prefix = family == AF_INET ? 32 : 128;
		st->vip[st->n].addr = v;
		snprintf(st->vip[st->n].pool, sizeof(st->vip[0].pool), "%s",
			 c->pools[i]);
		st->n++;
		if (want && !inside)
			engine_log(sa->e, sa, 5,
				   "'%s' asks for an address outside pool "
				   "'%s'; assigning %s instead",
				   who, c->pools[i],
				   cp_prefix_str(&v, false, a, sizeof(a)));
		else
			engine_log(sa->e, sa, 5,
				   "leased virtual address %s from pool '%s' "
				   "to '%s'",
				   cp_prefix_str(&v, false, a, sizeof(a)),
				   c->pools[i], who);
		return 0;
	}
	if (!tried)
		engine_log(sa->e, sa, 4,
			   "'%s' asks for a virtual IPv%c address and the "
			   "connection has no pool of that family",
			   who, family == AF_INET ? '4' : '6');
	else
		engine_log(sa->e, sa, 3,
			   "address pool%s %s exhausted (every address is "
			   "online): no virtual IPv%c address for '%s'",
			   strchr(names, ',') ? "s" : "", names,
			   family == AF_INET ? '4' : '6', who);
	return -ENG_ERR_ADDRESS;
}

int cp_process_r(struct ike_sa *sa, const struct ike_msg *m,
		 const struct ike_pl_id *id)
{
	const struct ike_payload *p = cp_find(m);
	struct cp_attrs *at = NULL;
	struct engine_id *who = NULL;
	struct cp_sa *st;
	bool want[2] = { false, false }; /* IPv4, IPv6 */
	const uint8_t *hint[2] = { NULL, NULL };
	int err = 0;

	if (!p)
		return 0;
	if (p->u.cp.cfg_type != CFG_REQUEST) {
		engine_log(sa->e, sa, 4,
			   "peer sent CP(%s) in IKE_AUTH; only CFG_REQUEST "
			   "is answered there (RFC 7296 §3.15), ignoring it",
			   ike_cfg_type_name(p->u.cp.cfg_type) ?: "unknown");
		return 0;
	}
	if (!(at = malloc(sizeof(*at))))
		return -ENG_ERR_NOMEM;
	if (cp_parse(&p->u.cp, at)) {
		engine_log(sa->e, sa, 4,
			   "peer's CFG_REQUEST is malformed (netmask or "
			   "prefix length); assigning no address");
		err = -ENG_ERR_ADDRESS;
		goto out;
	}
	want[0] = at->asked & (1u << CFGA_INTERNAL_IP4_ADDRESS);
	want[1] = at->asked & (1u << CFGA_INTERNAL_IP6_ADDRESS);
	for (size_t i = 0; i < at->n_addrs; i++) {
		int k = at->addrs[i].family == AF_INET6;

		want[k] = true;
		if (!hint[k])
			hint[k] = at->addrs[i].ip;
	}
	if (!want[0] && !want[1])
		goto out; /* DNS or other attributes only: nothing to lease */
	if (!sa->conn->n_pools) {
		engine_log(sa->e, sa, 4,
			   "peer asks for a virtual address and connection "
			   "'%s' has no pools",
			   sa->conn->name);
		err = -ENG_ERR_ADDRESS;
		goto out;
	}
	if (!(st = cp_state(sa)) || !(who = malloc(sizeof(*who)))) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	cp_lease_id(sa, id, who);
	for (int k = 0; k < 2; k++) {
		int e;

		if (!want[k])
			continue;
		e = cp_lease(sa, who, k ? AF_INET6 : AF_INET, hint[k], st);
		if (e == -ENG_ERR_NOMEM) {
			err = e;
			goto out;
		}
	}
	if (!st->n) {
		engine_log(sa->e, sa, 4,
			   "no virtual address for the peer: answering "
			   "INTERNAL_ADDRESS_FAILURE instead of a CHILD SA; "
			   "the IKE SA stays up (RFC 7296 §3.15.4)");
		err = -ENG_ERR_ADDRESS;
	}
out:
	free(who);
	free(at);
	return err;
}

int cp_build_r(struct ike_sa *sa, struct ike_msg *r, struct cp_wire *w)
{
	const struct engine_conn *c = sa->conn;
	bool fam[2] = { false, false };

	if (!sa->cp || !sa->cp->n)
		return 0;
	w->n = 0;
	for (size_t i = 0; i < sa->cp->n; i++) {
		const struct engine_ipnet *v = &sa->cp->vip[i].addr;

		fam[v->family == AF_INET6] = true;
		if (!cp_wire_add(w,
				 v->family == AF_INET
					 ? CFGA_INTERNAL_IP4_ADDRESS
					 : CFGA_INTERNAL_IP6_ADDRESS,
				 v))
			return -ENG_ERR_NOMEM;
	}
	/* DNS servers and subnets of the connection's pools of the
	 * families assigned (§3.15.1; subnets as §3.15.2 says) */
	for (size_t i = 0; i < c->n_pools; i++) {
		struct pool *p = pool_find(sa->e, c->pools[i]);
		const struct engine_pool *pc = p ? pool_cfg(p) : NULL;

		if (!pc || !fam[pc->family == AF_INET6])
			continue;
		for (size_t k = 0; k < pc->n_dns; k++)
			(void)cp_wire_add(w,
					  pc->dns[k].family == AF_INET
						  ? CFGA_INTERNAL_IP4_DNS
						  : CFGA_INTERNAL_IP6_DNS,
					  &pc->dns[k]);
		for (size_t k = 0; k < pc->n_subnets; k++)
			(void)cp_wire_add(w,
					  pc->subnets[k].family == AF_INET
						  ? CFGA_INTERNAL_IP4_SUBNET
						  : CFGA_INTERNAL_IP6_SUBNET,
					  &pc->subnets[k]);
	}
	return cp_add_payload(r, CFG_REPLY, w) ? 0 : -ENG_ERR_NOMEM;
}

/* ---- selectors, other exchanges, life cycle ---- */

int cp_child_narrow(struct ike_sa *sa, struct child_sa *c)
{
	struct engine_ts v[ENGINE_MAX_VIPS], out[ENGINE_MAX_TS];
	struct engine_ts *ts;
	uint8_t *n;
	size_t nv, k;
	bool ours;

	if (!sa->cp || !sa->cp->n || !c)
		return 0;
	memset(v, 0, sizeof(v));
	for (nv = 0; nv < sa->cp->n; nv++) {
		const struct engine_ipnet *p = &sa->cp->vip[nv].addr;

		v[nv].type = p->family == AF_INET ? TS_IPV4_ADDR_RANGE
						  : TS_IPV6_ADDR_RANGE;
		v[nv].port_hi = 65535;
		memcpy(v[nv].start, p->ip, 16);
		memcpy(v[nv].end, p->ip, 16);
	}
	/* we were given them: our side; we leased them: the peer's (either
	 * may initiate the exchange, and an IKE SA rekey swaps roles) */
	ours = !sa->cp->vip[0].pool[0];
	ts = ours ? c->local_ts : c->remote_ts;
	n = ours ? &c->n_local_ts : &c->n_remote_ts;
	k = ts_narrow(ts, *n, v, nv, out, ENGINE_MAX_TS);
	if (!k) {
		char b[96];

		engine_log(sa->e, sa, 4,
			   "CHILD SA selectors (%s%s) do not cover the "
			   "virtual address; refusing it",
			   *n ? ts_str(&ts[0], b, sizeof(b)) : "none",
			   *n > 1 ? ", ..." : "");
		return -ENG_ERR_TS;
	}
	memcpy(ts, out, k * sizeof(out[0]));
	*n = (uint8_t)k;
	return 0;
}

void cp_unexpected(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *p = cp_find(m);

	if (p)
		engine_log(sa->e, sa, 4,
			   "peer sent CP(%s) in %s; configuration payloads "
			   "belong in IKE_AUTH (RFC 7296 §2.19), ignoring it",
			   ike_cfg_type_name(p->u.cp.cfg_type) ?: "unknown",
			   ike_exchange_type_name(m->hdr.exchange) ?: "?");
}

void cp_local_moved(struct ike_sa *sa)
{
	char a[64];

	if (!sa->cp)
		return;
	for (size_t i = 0; i < sa->cp->n; i++) {
		if (sa->cp->vip[i].pool[0])
			continue; /* leased to the peer: not on this host */
		engine_log(sa->e, sa, 6,
			   "virtual address %s follows our address",
			   cp_prefix_str(&sa->cp->vip[i].addr, false, a,
					 sizeof(a)));
		cp_addr_action(sa, ENGINE_ACT_ADDR_ADD, &sa->cp->vip[i].addr);
	}
}

void cp_takeover(struct ike_sa *old, struct ike_sa *n)
{
	if (!old->cp)
		return;
	for (size_t i = 0; n->cp && i < n->cp->n; i++)
		(void)sa_idx_vip_del(n->e, &n->cp->vip[i].idx);
	free(n->cp);
	n->cp = old->cp;
	old->cp = NULL;
}

void cp_sa_free(struct ike_sa *sa)
{
	struct cp_sa *st = sa->cp;
	char a[64];

	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		const struct engine_ipnet *v = &st->vip[i].addr;

		if (st->vip[i].pool[0]) {
			struct pool *p = pool_find(sa->e, st->vip[i].pool);

			if (p)
				pool_release(p, v->ip);
			engine_log(sa->e, sa, 6,
				   "virtual address %s of pool '%s' is "
				   "offline, kept for its identity",
				   cp_prefix_str(v, false, a, sizeof(a)),
				   st->vip[i].pool);
		} else if (!cp_vip_shared(sa, i)) {
			cp_addr_action(sa, ENGINE_ACT_ADDR_DEL, v);
		}
	}
	free(st);
	sa->cp = NULL;
}
