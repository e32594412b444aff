/* Virtual addresses on the host; see vip.h. */
#include "io/vip.h"

#include "engine/engine_kernel.h"
#include "io/log.h"
#include "kernel/addr.h"
#include "kernel/route.h"

#include "ike_iana.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ADDR_ADD: on the interface of the IKE SA's local address. Where we
 * put the address on another interface already (MOBIKE moved the IKE SA to an
 * address of another interface: the engine asks again), it moves: added
 * on the new one first, then removed from the old, so that it is never
 * missing. */
static void vip_add(const char *name, const struct engine_vip *v,
		    const char *ip)
{
	uint32_t idx = 0, cur = addr_ours_ifindex(v->addr.family, v->addr.ip);
	char ifname[IF_NAMESIZE] = "?", old[IF_NAMESIZE] = "?";
	int r;

	if (v->local.family)
		idx = addr_ifindex_of(v->local.family, v->local.ip);
	if (!idx)
		idx = if_nametoindex("lo");
	if_indextoname(idx, ifname);
	if (cur == idx) {
		log_msg(LOG_LVL_INFO, name, "virtual address %s stays on %s",
			ip, ifname);
		return;
	}
	r = addr_change(true, idx, v->addr.family, v->addr.ip, v->addr.prefix);
	if (r < 0) {
		log_msg(LOG_LVL_ERR, name,
			"cannot add virtual address %s to %s: %s", ip, ifname,
			strerror(-r));
		return;
	}
	if (!cur) {
		log_msg(LOG_LVL_NOTICE, name,
			"virtual address %s/%u added to %s", ip, v->addr.prefix,
			ifname);
		return;
	}
	if_indextoname(cur, old);
	r = addr_change(false, cur, v->addr.family, v->addr.ip, v->addr.prefix);
	if (r < 0)
		log_msg(LOG_LVL_ERR, name,
			"virtual address %s added to %s, but cannot remove it "
			"from %s: %s",
			ip, ifname, old, strerror(-r));
	else
		log_msg(LOG_LVL_NOTICE, name,
			"virtual address %s/%u moved from %s to %s", ip,
			v->addr.prefix, old, ifname);
}

/* ADDR_DEL: from the interface that holds it (after a move not the one
 * of the local address it was added for, which may be gone). */
static void vip_del(const char *name, const struct engine_vip *v,
		    const char *ip)
{
	uint32_t idx = addr_ours_ifindex(v->addr.family, v->addr.ip);
	char ifname[IF_NAMESIZE] = "?";
	int r;

	if (!idx) /* a kernel before 6.1 keeps no IFA_PROTO */
		idx = addr_ifindex_of(v->addr.family, v->addr.ip);
	if (!idx) {
		log_msg(LOG_LVL_INFO, name,
			"virtual address %s is on no interface any more", ip);
		return;
	}
	if_indextoname(idx, ifname);
	r = addr_change(false, idx, v->addr.family, v->addr.ip, v->addr.prefix);
	if (r < 0)
		log_msg(LOG_LVL_ERR, name,
			"cannot remove virtual address %s from %s: %s", ip,
			ifname, strerror(-r));
	else
		log_msg(LOG_LVL_NOTICE, name,
			"virtual address %s/%u removed from %s", ip,
			v->addr.prefix, ifname);
}

void vip_action(const struct engine_action *a)
{
	const struct engine_vip *v = &a->u.vip;
	char name[ENGINE_NAME_MAX + 16], ip[INET6_ADDRSTRLEN] = "?";

	snprintf(name, sizeof(name), "%s[%u]", v->conn, a->ike_id);
	inet_ntop(v->addr.family, v->addr.ip, ip, sizeof(ip));
	if (a->type == ENGINE_ACT_ADDR_ADD)
		vip_add(name, v, ip);
	else
		vip_del(name, v, ip);
}

void vip_flush(const char *when)
{
	int r = route_flush_ours();

	if (r < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"cannot remove keybridge's routes in table %d %s: %s",
			ROUTE_TABLE_VIP, when, strerror(-r));
	else if (r > 0)
		log_msg(LOG_LVL_NOTICE, NULL,
			"removed %d route%s of keybridge in table %d %s", r,
			r == 1 ? "" : "s", ROUTE_TABLE_VIP, when);
	r = addr_flush_ours();

	if (r < 0)
		log_msg(LOG_LVL_ERR, NULL,
			"cannot remove keybridge's virtual addresses %s: %s",
			when, strerror(-r));
	else if (r > 0)
		log_msg(LOG_LVL_NOTICE, NULL,
			"removed %d virtual address%s of keybridge %s", r,
			r == 1 ? "" : "es", when);
}

static struct engine_ipnet vip_ipnet(const struct kb_ipnet *k)
{
	struct engine_ipnet e = { .family = k->family, .prefix = k->prefix };

	memcpy(e.ip, k->ip, 16);
	return e;
}

int vip_pools(const struct kb_config *cfg, struct engine_pool **out, size_t *n)
{
	*n = 0;
	*out = calloc(cfg->n_pools ? cfg->n_pools : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct kb_pool *k = &cfg->pools[i];
		struct engine_pool *p = &(*out)[i];

		/* config.h and engine.h agree on the name length limit */
		snprintf(p->name, sizeof(p->name), "%.*s",
			 (int)sizeof(p->name) - 1, k->name);
		p->family = k->family;
		memcpy(p->first, k->first, 16);
		memcpy(p->last, k->last, 16);
		for (size_t j = 0; j < k->n_dns && j < ENGINE_POOL_DNS_MAX; j++)
			p->dns[p->n_dns++] = vip_ipnet(&k->dns[j]);
		for (size_t j = 0;
		     j < k->n_subnets && j < ENGINE_POOL_SUBNETS_MAX; j++)
			p->subnets[p->n_subnets++] = vip_ipnet(&k->subnets[j]);
	}
	*n = cfg->n_pools;
	return 0;
}

void vip_conn(const struct kb_conn *c, struct engine_conn *ec)
{
	ec->n_pools = 0;
	for (size_t i = 0; i < c->n_pools && i < ENGINE_MAX_POOLS; i++)
		snprintf(ec->pools[ec->n_pools++], sizeof(ec->pools[0]), "%.*s",
			 (int)sizeof(ec->pools[0]) - 1, c->pools[i]);
	ec->n_vips = 0;
	for (size_t i = 0; i < c->n_vips && i < ENGINE_MAX_VIPS; i++)
		ec->vips[ec->n_vips++] = vip_ipnet(&c->vips[i]);
}

/* Sets `ts` to every address of `family`, any protocol and port. */
static void vip_ts_all(struct engine_ts *ts, uint8_t family)
{
	memset(ts, 0, sizeof(*ts));
	ts->type = family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	ts->port_hi = 65535;
	memset(ts->end, 0xff, family == AF_INET ? 4 : 16);
}

/* Replaces the dynamic selectors of one side by "all" of each family in
 * `fams` (a second family is appended while there is room). */
static void vip_side(const struct kb_ts *cfg, size_t n, const bool fams[2],
		     struct engine_ts *ts, uint8_t *count)
{
	for (size_t i = 0; i < n; i++) {
		if (!cfg[i].dynamic)
			continue;
		vip_ts_all(&ts[i], fams[0] ? AF_INET : AF_INET6);
		ts[i].proto = cfg[i].proto;
		ts[i].port_lo = cfg[i].port_from;
		ts[i].port_hi = cfg[i].port_to;
		if (fams[0] && fams[1] && *count < ENGINE_MAX_TS) {
			vip_ts_all(&ts[*count], AF_INET6);
			ts[*count].proto = cfg[i].proto;
			ts[*count].port_lo = cfg[i].port_from;
			ts[*count].port_hi = cfg[i].port_to;
			(*count)++;
		}
	}
}

void vip_conn_ts(const struct kb_config *cfg, const struct kb_conn *c,
		 const struct kb_child *ch, struct engine_child_cfg *out)
{
	bool fams[2] = { false, false };

	for (size_t i = 0; i < c->n_vips; i++)
		fams[c->vips[i].family == AF_INET6] = true;
	if (c->n_vips)
		vip_side(ch->local_ts, ch->n_local_ts, fams, out->local_ts,
			 &out->n_local_ts);
	fams[0] = fams[1] = false;
	for (size_t i = 0; i < c->n_pools; i++) {
		const struct kb_pool *p = config_pool(cfg, c->pools[i]);

		if (p)
			fams[p->family == AF_INET6] = true;
	}
	if (c->n_pools)
		vip_side(ch->remote_ts, ch->n_remote_ts, fams, out->remote_ts,
			 &out->n_remote_ts);
}

/* ---- routes to the remote selectors (kernel/route.h) ---- */

/* The one address of selector `ts`, if it holds exactly one: its family,
 * else 0. */
static uint8_t vip_single(const struct engine_ts *ts)
{
	size_t alen = ts->type == TS_IPV4_ADDR_RANGE   ? 4
		      : ts->type == TS_IPV6_ADDR_RANGE ? 16
						       : 0;

	if (!alen || memcmp(ts->start, ts->end, alen))
		return 0;
	return alen == 4 ? AF_INET : AF_INET6;
}

/* Adds (`add`) or removes the routes for out policy `p` whose source is
 * our virtual address, the tunnel's far end being `peer`: through the
 * next hop towards the peer (the peer itself when it is on-link). */
static void vip_routes(const char *name, const struct engine_policy *p,
		       const struct engine_addr *peer, bool add)
{
	struct engine_prefix px[32];
	uint8_t family = vip_single(&p->src), gw[16];
	char vip[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?";
	char via[INET6_ADDRSTRLEN] = "?", ifname[IF_NAMESIZE] = "?";
	uint32_t oif = 0;
	bool has_gw = false;
	size_t n;
	int r;

	if (!family || p->dir != ENGINE_POL_OUT ||
	    p->mode != ENGINE_MODE_TUNNEL || p->dst.type != p->src.type ||
	    peer->family != family)
		return;
	/* only for an address we put on the host (strongSwan: install_routes
	 * for virtual IPs); site-to-site selectors keep the main table's */
	if (add && !addr_ours_ifindex(family, p->src.start))
		return;
	inet_ntop(family, p->src.start, vip, sizeof(vip));
	if (add) {
		if ((r = route_lookup(family, peer->ip, gw, &has_gw, &oif))) {
			log_msg(LOG_LVL_ERR, name,
				"no route from virtual address %s: the peer is "
				"unreachable (%s)",
				vip, strerror(-r));
			return;
		}
		if (!has_gw)
			memcpy(gw, peer->ip, sizeof(gw));
		if ((r = route_rule(true, family)))
			log_msg(LOG_LVL_ERR, name,
				"cannot add the rule for table %d: %s",
				ROUTE_TABLE_VIP, strerror(-r));
		if_indextoname(oif, ifname);
		inet_ntop(family, gw, via, sizeof(via));
	}
	n = engine_ts_prefixes(&p->dst, px, sizeof(px) / sizeof(px[0]));
	for (size_t i = 0; i < n; i++) {
		inet_ntop(family, px[i].addr, dst, sizeof(dst));
		r = route_change(add, family, px[i].addr, px[i].plen,
				 add ? p->src.start : NULL, add ? gw : NULL,
				 add ? oif : 0);
		if (r < 0)
			log_msg(LOG_LVL_ERR, name,
				"cannot %s the route to %s/%u in table %d: %s",
				add ? "add" : "remove", dst, px[i].plen,
				ROUTE_TABLE_VIP, strerror(-r));
		else if (add)
			log_msg(LOG_LVL_INFO, name,
				"route %s/%u via %s dev %s src %s in table %d",
				dst, px[i].plen, via, ifname, vip,
				ROUTE_TABLE_VIP);
		else
			log_msg(LOG_LVL_INFO, name,
				"route %s/%u of virtual address %s removed",
				dst, px[i].plen, vip);
	}
}

void vip_policy(const char *name, const struct engine_action *a)
{
	const struct engine_policy *p = &a->u.policy;

	vip_routes(name, p, &p->tmpl_dst, a->type == ENGINE_ACT_POLICY_ADD);
}

void vip_migrate(const char *name, const struct engine_action *a)
{
	const struct engine_migrate *m = &a->u.migrate;

	vip_routes(name, &m->policy, &m->new_dst, true);
}
