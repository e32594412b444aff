/* Address pools and virtual addresses in swanctl.conf; see conf_pool.h. */
#include "config/conf_pool.h"

#include "config/conf_value.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* strongSwan's pool keys keybridge does not implement: refused by name. */
static const char *const pool_unsupported[] = {
	"nbns", "dhcp", "netmask", "server", "split_include", "split_exclude",
};

static void pool_bad(struct conf_diag *d, const struct conf_section *s,
		     const struct conf_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void pool_bad(struct conf_diag *d, const struct conf_section *s,
		     const struct conf_kv *kv, const char *fmt, ...)
{
	char path[512], key[600], msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_tree_path(s, path, sizeof(path));
	if (kv) {
		snprintf(key, sizeof(key), "%s.%s", path, kv->key);
		conf_diag_add(d, kv->file, kv->line, key, "%s", msg);
	} else {
		conf_diag_add(d, s->file, s->line, path, "%s", msg);
	}
}

/* One more / one less on a big-endian address of `len` bytes. */
static void pool_inc(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i])
			return;
}

static void pool_dec(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (a[i]--)
			return;
}

/* addrs = CIDR | from-to (strongSwan: one subnet or one range). */
static void pool_addrs(const struct conf_section *s, const struct conf_kv *kv,
		       struct kb_pool *p, struct conf_diag *d)
{
	struct kb_addr a;
	size_t len;

	if (conf_value_addr(kv->value, &a) < 0 ||
	    (a.type != KB_ADDR_SUBNET && a.type != KB_ADDR_RANGE &&
	     a.type != KB_ADDR_HOST)) {
		pool_bad(d, s, kv,
			 "'%s' is not a CIDR subnet or an address range "
			 "from-to",
			 kv->value);
		return;
	}
	len = a.family == AF_INET ? 4 : 16;
	p->family = a.family;
	memcpy(p->first, a.from, 16);
	memcpy(p->last, a.type == KB_ADDR_HOST ? a.from : a.to, 16);
	if (memcmp(p->first, p->last, len) > 0) {
		pool_bad(d, s, kv, "range '%s' ends before it starts",
			 kv->value);
		return;
	}
	if (a.type != KB_ADDR_SUBNET)
		return;
	/* the network address (a host part of zero) is not handed out, nor
	 * IPv4's broadcast address, unless nothing would be left */
	if (a.prefix_len < len * 8 - 1) {
		uint8_t net[16];

		memcpy(net, a.from, 16);
		for (size_t bit = a.prefix_len; bit < len * 8; bit++)
			net[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		if (!memcmp(net, p->first, len))
			pool_inc(p->first, len);
		if (a.family == AF_INET)
			pool_dec(p->last, len);
	}
}

/* dns = a[, b] and subnet = CIDR[, CIDR]. */
static void pool_list(const struct conf_section *s, const struct conf_kv *kv,
		      struct kb_ipnet *out, uint8_t *n, unsigned max,
		      bool subnet, struct conf_diag *d)
{
	const char *pos = kv->value;
	char item[128];
	int rc;

	*n = 0;
	while ((rc = conf_value_item(&pos, item, sizeof(item))) > 0) {
		struct kb_addr a;

		if (*n >= max) {
			pool_bad(d, s, kv, "more than %u entries", max);
			return;
		}
		if (conf_value_addr(item, &a) < 0 ||
		    (subnet ? a.type != KB_ADDR_SUBNET && a.type != KB_ADDR_HOST
			    : a.type != KB_ADDR_HOST)) {
			pool_bad(d, s, kv, "'%s' is not %s", item,
				 subnet ? "a CIDR subnet" : "an IP address");
			continue;
		}
		out[*n].family = a.family;
		out[*n].prefix = a.type == KB_ADDR_SUBNET ? a.prefix_len
				 : a.family == AF_INET	  ? 32
							  : 128;
		memcpy(out[*n].ip, a.from, 16);
		(*n)++;
	}
	if (rc < 0)
		pool_bad(d, s, kv, "%s",
			 rc == -E2BIG ? "list entry too long"
				      : "empty entry in the list");
}

static void pool_one(const struct conf_section *s, struct kb_pool *p,
		     struct conf_diag *d)
{
	bool have = false;

	snprintf(p->name, sizeof(p->name), "%s", s->name);
	snprintf(p->src_file, sizeof(p->src_file), "%s",
		 s->file ? s->file : "");
	p->src_line = s->line;
	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next) {
		bool unsup = false;

		if (!kv->value)
			continue;
		if (!strcmp(kv->key, "addrs")) {
			pool_addrs(s, kv, p, d);
			have = true;
			continue;
		}
		if (!strcmp(kv->key, "dns")) {
			pool_list(s, kv, p->dns, &p->n_dns, KB_CONF_MAX_DNS,
				  false, d);
			continue;
		}
		if (!strcmp(kv->key, "subnet")) {
			pool_list(s, kv, p->subnets, &p->n_subnets,
				  KB_CONF_MAX_SUBNETS, true, d);
			continue;
		}
		for (size_t i = 0;
		     i < sizeof(pool_unsupported) / sizeof(pool_unsupported[0]);
		     i++)
			unsup |= !strcmp(kv->key, pool_unsupported[i]);
		pool_bad(d, s, kv, "%s",
			 unsup ? "not supported by keybridge (addrs, dns and "
				 "subnet are)"
			       : "unknown key");
	}
	for (struct conf_section *sub = s->subs; sub; sub = sub->next)
		pool_bad(d, sub, NULL, "unknown section");
	if (!have)
		pool_bad(d, s, NULL, "has no 'addrs'");
}

/* True if the address ranges of two pools share an address. */
static bool pool_overlap(const struct kb_pool *a, const struct kb_pool *b)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->first, b->last, len) <= 0 &&
	       memcmp(b->first, a->last, len) <= 0;
}

int conf_pool_load(const struct conf_section *s, struct kb_config *cfg,
		   struct conf_diag *d)
{
	size_t n = 0;

	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next)
		pool_bad(d, s, kv, "unknown key");
	for (struct conf_section *sub = s->subs; sub; sub = sub->next)
		n++;
	cfg->pools = calloc(n ? n : 1, sizeof(*cfg->pools));
	if (!cfg->pools)
		return -ENOMEM;
	for (struct conf_section *sub = s->subs; sub; sub = sub->next) {
		struct kb_pool *p = &cfg->pools[cfg->n_pools];
		unsigned before = (unsigned)conf_diag_errors(d);

		if (strlen(sub->name) >= KB_CONF_NAME_MAX) {
			pool_bad(d, sub, NULL, "name longer than %d characters",
				 KB_CONF_NAME_MAX - 1);
			continue;
		}
		pool_one(sub, p, d);
		for (size_t i = 0; i < cfg->n_pools && p->family; i++)
			if (pool_overlap(&cfg->pools[i], p))
				pool_bad(d, sub, NULL,
					 "overlaps pool '%s' (pools must be "
					 "disjoint: one address, one lease)",
					 cfg->pools[i].name);
		if (conf_diag_errors(d) == before)
			cfg->n_pools++;
		else
			memset(p, 0, sizeof(*p));
	}
	return 0;
}

void conf_pool_conn_pools(const struct conf_section *s,
			  const struct conf_kv *kv, const struct kb_config *cfg,
			  struct kb_conn *c, struct conf_diag *d)
{
	const char *pos = kv->value;
	char item[KB_CONF_NAME_MAX + 8];
	int rc;

	c->n_pools = 0;
	while ((rc = conf_value_item(&pos, item, sizeof(item))) > 0) {
		if (c->n_pools >= KB_CONF_MAX_POOLS) {
			pool_bad(d, s, kv, "more than %d pools",
				 KB_CONF_MAX_POOLS);
			return;
		}
		if (!config_pool(cfg, item)) {
			pool_bad(d, s, kv,
				 "no pool '%s' in the pools section (or it "
				 "has errors)",
				 item);
			continue;
		}
		/* a pool's name is shorter than KB_CONF_NAME_MAX */
		memcpy(c->pools[c->n_pools++], item, strlen(item) + 1);
	}
	if (rc < 0)
		pool_bad(d, s, kv, "%s",
			 rc == -E2BIG ? "pool name too long"
				      : "empty entry in the list");
}

void conf_pool_conn_vips(const struct conf_section *s, const struct conf_kv *kv,
			 struct kb_conn *c, struct conf_diag *d)
{
	const char *pos = kv->value;
	char item[128];
	int rc;

	c->n_vips = 0;
	while ((rc = conf_value_item(&pos, item, sizeof(item))) > 0) {
		struct kb_ipnet v = { 0 };
		bool dup = false;

		if (conf_value_ip(item, &v.family, v.ip) < 0) {
			pool_bad(d, s, kv,
				 "'%s' is not an IP address (0.0.0.0 or :: "
				 "ask for any)",
				 item);
			continue;
		}
		for (size_t i = 0; i < c->n_vips; i++)
			dup |= c->vips[i].family == v.family;
		if (dup) {
			pool_bad(d, s, kv,
				 "more than one IPv%c address: keybridge asks "
				 "for one per family",
				 v.family == AF_INET ? '4' : '6');
			continue;
		}
		v.prefix = v.family == AF_INET ? 32 : 128;
		c->vips[c->n_vips++] = v;
	}
	if (rc < 0)
		pool_bad(d, s, kv, "%s",
			 rc == -E2BIG ? "list entry too long"
				      : "empty entry in the list");
}
