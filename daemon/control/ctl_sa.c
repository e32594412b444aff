/* How the control socket describes SAs and connections: the key names and
 * value formats of charon's list-sa, list-conn and updown events (strongSwan
 * vici README), so that swanctl prints them and exporters parse them. */
#include "control/ctl_int.h"

#include "crypto/auth.h"

#include "ike_iana.h"
#include "io/conns.h"
#include "io/usage.h"
#include "kernel/kernel.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- names -------------------------------------------------------------- */

/* IANA names without their registry prefix, where charon spells them
 * differently. */
const char *ctl_encr_name(unsigned id)
{
	const char *n;

	switch (id) {
	case ENCR_DES: return "DES_CBC";
	case ENCR_3DES: return "3DES_CBC";
	case ENCR_NULL_AUTH_AES_GMAC: return "NULL_AES_GMAC";
	}
	n = ike_encr_id_name(id);
	return !n ? "UNKNOWN" : strncmp(n, "ENCR_", 5) == 0 ? n + 5 : n;
}

const char *ctl_integ_name(unsigned id)
{
	const char *n = ike_integ_id_name(id);

	return !n ? "UNKNOWN" : strncmp(n, "AUTH_", 5) == 0 ? n + 5 : n;
}

const char *ctl_prf_name(unsigned id)
{
	const char *n = ike_prf_id_name(id);

	return n ? n : "UNKNOWN";
}

const char *ctl_ke_name(unsigned id)
{
	const char *n;

	switch (id) {
	case KE_CURVE25519: return "CURVE_25519";
	case KE_CURVE448: return "CURVE_448";
	case KE_BRAINPOOL_P224R1: return "ECP_224_BP";
	case KE_BRAINPOOL_P256R1: return "ECP_256_BP";
	case KE_BRAINPOOL_P384R1: return "ECP_384_BP";
	case KE_BRAINPOOL_P512R1: return "ECP_512_BP";
	}
	n = ike_ke_id_name(id);
	return n ? n : "UNKNOWN";
}

const char *ctl_child_state_name(enum engine_child_state s)
{
	switch (s) {
	case ENGINE_CHILD_INSTALLING: return "INSTALLING";
	case ENGINE_CHILD_INSTALLED: return "INSTALLED";
	case ENGINE_CHILD_REKEYING: return "REKEYING";
	case ENGINE_CHILD_REKEYED: return "REKEYED";
	case ENGINE_CHILD_DELETING: return "DELETING";
	case ENGINE_CHILD_DELETED: return "DELETED";
	}
	return "DESTROYING";
}

const char *ctl_ike_state_name(enum engine_ike_state s)
{
	switch (s) {
	case ENGINE_IKE_INIT_SENT:
	case ENGINE_IKE_AUTH_SENT:
	case ENGINE_IKE_INIT_DONE_R:
	case ENGINE_IKE_EAP_R: return "CONNECTING";
	case ENGINE_IKE_ESTABLISHED: return "ESTABLISHED";
	case ENGINE_IKE_DELETING: return "DELETING";
	case ENGINE_IKE_NONE: break;
	}
	return "DESTROYING";
}

/* ---- text forms ------------------------------------------------------- */

const char *ctl_addr_str(const struct engine_addr *a, char *out, size_t cap)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		snprintf(out, cap, "%%any");
	else if (!inet_ntop(a->family, a->ip, out, (socklen_t)cap))
		snprintf(out, cap, "?");
	return out;
}

/* Prefix length if [start, end] is exactly a prefix, else -1. */
static int ctl_prefix_len(const uint8_t *start, const uint8_t *end, int bytes)
{
	int plen = 0, i = 0;

	for (; i < bytes && start[i] == end[i]; i++)
		plen += 8;
	if (i == bytes)
		return plen;
	uint8_t diff = start[i] ^ end[i];
	/* the differing bits must be a run of low bits: 0… in start, 1… in
	 * end, and every later byte 00 / ff */
	if ((diff & (diff + 1)) || (start[i] & diff) || (end[i] & diff) != diff)
		return -1;
	for (uint8_t m = 0x80; m && !(diff & m); m >>= 1)
		plen++;
	for (i++; i < bytes; i++)
		if (start[i] != 0 || end[i] != 0xff)
			return -1;
	return plen;
}

const char *ctl_ts_str(const struct engine_ts *ts, char *out, size_t cap)
{
	int family = ts->type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	int bytes = family == AF_INET6 ? 16 : 4;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int plen = ctl_prefix_len(ts->start, ts->end, bytes);
	size_t n;

	inet_ntop(family, ts->start, a, sizeof(a));
	inet_ntop(family, ts->end, b, sizeof(b));
	if (plen >= 0)
		n = (size_t)snprintf(out, cap, "%s/%d", a, plen);
	else
		n = (size_t)snprintf(out, cap, "%s..%s", a, b);
	if (n >= cap ||
	    (!ts->proto && ts->port_lo == 0 && ts->port_hi == 0xffff))
		return out;
	/* [proto/port] as charon prints a narrowed selector */
	if (ts->port_lo == 0 && ts->port_hi == 0xffff)
		snprintf(out + n, cap - n, "[%u]", ts->proto);
	else if (ts->port_lo == ts->port_hi)
		snprintf(out + n, cap - n, "[%u/%u]", ts->proto, ts->port_lo);
	else
		snprintf(out + n, cap - n, "[%u/%u-%u]", ts->proto, ts->port_lo,
			 ts->port_hi);
	return out;
}

const char *ctl_id_str(const struct engine_id *id, char *out, size_t cap)
{
	return auth_id_str(id->type, id->data, id->len, out, cap);
}

/* ---- records ------------------------------------------------------------ */

struct ctl_ike *ctl_ike_get(struct ctl *c, uint32_t ike_id, bool create)
{
	size_t i;

	/* an index: this runs for every engine event, with every SA */
	if (ctl_idx_get(&c->ike_idx, ike_id, &i))
		return &c->ikes[i];
	if (!create)
		return NULL;
	if (c->n_ikes == c->cap_ikes) {
		size_t cap = c->cap_ikes ? c->cap_ikes * 2 : 16;
		struct ctl_ike *p = realloc(c->ikes, cap * sizeof(*p));

		if (!p)
			return NULL;
		c->ikes = p;
		c->cap_ikes = cap;
	}
	if (ctl_idx_put(&c->ike_idx, ike_id, c->n_ikes))
		return NULL;
	memset(&c->ikes[c->n_ikes], 0, sizeof(c->ikes[0]));
	c->ikes[c->n_ikes].ike_id = ike_id;
	return &c->ikes[c->n_ikes++];
}

void ctl_ike_forget(struct ctl *c, uint32_t ike_id)
{
	size_t i;

	if (!ctl_idx_get(&c->ike_idx, ike_id, &i))
		return;
	free(c->ikes[i].remote_id);
	ctl_idx_del(&c->ike_idx, ike_id);
	c->ikes[i] = c->ikes[--c->n_ikes];
	/* the last record moved to i (a key it has: cannot fail) */
	if (i < c->n_ikes)
		(void)!ctl_idx_put(&c->ike_idx, c->ikes[i].ike_id, i);
}

/* CHILD SA records: child_idx finds one by (IKE SA, inbound SPI), and
 * the records of one IKE SA form a list through their positions (next,
 * and prev which from the first one leads to the last), its first one
 * found by child_head. Every move of a record tells both. */

static uint64_t ctl_child_key(uint32_t ike_id, uint32_t spi_in)
{
	return (uint64_t)ike_id << 32 | spi_in;
}

#ifdef KB_ENGINE_SELFCHECK
/* Test builds: the indexes and the lists describe the array exactly. */
static void ctl_child_check(const struct ctl *c)
{
	size_t seen = 0, pos;

	if (c->n_children > 512)
		return;
	for (size_t i = 0; i < c->n_children; i++) {
		const struct ctl_child *ch = &c->children[i];
		size_t k = 0, at = i;

		if (!ctl_idx_get(&c->child_idx,
				 ctl_child_key(ch->ike_id, ch->spi_in), &pos) ||
		    pos != i || !ctl_idx_get(&c->child_head, ch->ike_id, &pos))
			goto bad;
		if (pos != i)
			continue; /* its list is walked from its first one */
		for (; at != CTL_CHILD_NONE; at = c->children[at].next, k++)
			if (k == c->n_children ||
			    c->children[at].ike_id != ch->ike_id ||
			    (c->children[at].next != CTL_CHILD_NONE &&
			     c->children[c->children[at].next].prev != at))
				goto bad;
		if (c->children[c->children[i].prev].next != CTL_CHILD_NONE)
			goto bad; /* the first one's prev is the last one */
		seen += k;
	}
	if (seen == c->n_children && c->child_idx.n == c->n_children)
		return;
bad:
	fprintf(stderr, "ctl: CHILD SA records and their indexes disagree\n");
	abort();
}
#else
static void ctl_child_check(const struct ctl *c)
{
	(void)c;
}
#endif

/* Takes record `i` out of its IKE SA's list. */
static void ctl_child_unlink(struct ctl *c, size_t i)
{
	struct ctl_child *ch = &c->children[i];
	size_t head = i;

	(void)ctl_idx_get(&c->child_head, ch->ike_id, &head);
	if (i == head && ch->next == CTL_CHILD_NONE) {
		ctl_idx_del(&c->child_head, ch->ike_id);
	} else if (i == head) {
		c->children[ch->next].prev = ch->prev;
		/* a key it has: cannot fail */
		(void)!ctl_idx_put(&c->child_head, ch->ike_id, ch->next);
	} else {
		c->children[ch->prev].next = ch->next;
		if (ch->next != CTL_CHILD_NONE)
			c->children[ch->next].prev = ch->prev;
		else
			c->children[head].prev = ch->prev;
	}
}

/* Appends record `i` to the list whose first record is at `head`. */
static void ctl_child_append(struct ctl *c, size_t head, size_t i)
{
	uint32_t last = c->children[head].prev;

	c->children[last].next = (uint32_t)i;
	c->children[i].prev = last;
	c->children[i].next = CTL_CHILD_NONE;
	c->children[head].prev = (uint32_t)i;
}

struct ctl_child *ctl_child_get(struct ctl *c, uint32_t ike_id, uint32_t spi_in,
				bool create)
{
	uint64_t key = ctl_child_key(ike_id, spi_in);
	size_t i, head;
	bool listed;

	/* this runs for every inbound SA and every event */
	if (ctl_idx_get(&c->child_idx, key, &i))
		return &c->children[i];
	if (!create)
		return NULL;
	if (c->n_children == c->cap_children) {
		size_t cap = c->cap_children ? c->cap_children * 2 : 16;
		struct ctl_child *p = realloc(c->children, cap * sizeof(*p));

		if (!p)
			return NULL;
		c->children = p;
		c->cap_children = cap;
	}
	i = c->n_children;
	if (ctl_idx_put(&c->child_idx, key, i))
		return NULL;
	listed = ctl_idx_get(&c->child_head, ike_id, &head);
	if (!listed && ctl_idx_put(&c->child_head, ike_id, i)) {
		ctl_idx_del(&c->child_idx, key);
		return NULL;
	}
	struct ctl_child *ch = &c->children[c->n_children++];
	memset(ch, 0, sizeof(*ch));
	ch->ike_id = ike_id;
	ch->spi_in = spi_in;
	ch->prev = (uint32_t)i;
	ch->next = CTL_CHILD_NONE;
	if (listed)
		ctl_child_append(c, head, i);
	ctl_child_check(c);
	return ch;
}

void ctl_child_forget(struct ctl *c, struct ctl_child *ch)
{
	size_t i = (size_t)(ch - c->children), last, head;
	struct ctl_child *m;

	if (i >= c->n_children)
		return;
	ctl_child_unlink(c, i);
	ctl_idx_del(&c->child_idx, ctl_child_key(ch->ike_id, ch->spi_in));
	last = --c->n_children;
	if (i < last) {
		/* the last record moves to i: whatever named `last` now
		 * names i (keys it has: none of the puts can fail) */
		m = &c->children[i];
		*m = c->children[last];
		head = i;
		(void)ctl_idx_get(&c->child_head, m->ike_id, &head);
		if (head == last) {
			(void)!ctl_idx_put(&c->child_head, m->ike_id, i);
			head = i;
		}
		if (m->next != CTL_CHILD_NONE)
			c->children[m->next].prev = (uint32_t)i;
		else
			c->children[head].prev = (uint32_t)i;
		if (head != i)
			c->children[m->prev].next = (uint32_t)i;
		(void)!ctl_idx_put(&c->child_idx,
				   ctl_child_key(m->ike_id, m->spi_in), i);
	}
	ctl_child_check(c);
}

struct ctl_child *ctl_child_first(struct ctl *c, uint32_t ike_id)
{
	size_t i;

	return ctl_idx_get(&c->child_head, ike_id, &i) ? &c->children[i] : NULL;
}

struct ctl_child *ctl_child_next(struct ctl *c, const struct ctl_child *ch)
{
	return ch->next == CTL_CHILD_NONE ? NULL : &c->children[ch->next];
}

bool ctl_child_move(struct ctl *c, struct ctl_child *ch, uint32_t to)
{
	size_t i = (size_t)(ch - c->children), head;
	bool listed = ctl_idx_get(&c->child_head, to, &head);

	if (ch->ike_id == to)
		return true;
	if (ctl_child_get(c, to, ch->spi_in, false))
		return false; /* the IKE SA has one with that SPI already */
	if (!listed && ctl_idx_put(&c->child_head, to, i))
		return false;
	ctl_child_unlink(c, i);
	/* a removal, then an addition: the index need not grow */
	ctl_idx_del(&c->child_idx, ctl_child_key(ch->ike_id, ch->spi_in));
	ch->ike_id = to;
	(void)!ctl_idx_put(&c->child_idx, ctl_child_key(to, ch->spi_in), i);
	if (listed) {
		ctl_child_append(c, head, i);
	} else {
		ch->prev = (uint32_t)i;
		ch->next = CTL_CHILD_NONE;
	}
	ctl_child_check(c);
	return true;
}

void ctl_children_move(struct ctl *c, uint32_t from, uint32_t to)
{
	struct ctl_child *ch, *dup;

	if (from == to)
		return;
	/* each turn takes the first record off `from`'s list */
	while ((ch = ctl_child_first(c, from))) {
		if ((dup = ctl_child_get(c, to, ch->spi_in, false)))
			ctl_child_forget(c, dup); /* a newer record of it */
		else if (!ctl_child_move(c, ch, to))
			ctl_child_forget(c, ch); /* out of memory */
	}
}

void ctl_children_forget(struct ctl *c, uint32_t ike_id)
{
	struct ctl_child *ch;

	while ((ch = ctl_child_first(c, ike_id)))
		ctl_child_forget(c, ch);
}

void ctl_sa_sync(struct ctl *c, uint32_t ike_id, uint64_t now)
{
	struct ctl_ike *ike;
	struct engine_ike_info now_info;
	struct engine_child_info info;

	/* A gone SA keeps its last view (for its down events). */
	if (engine_ike_info(ctl_engine(c, ike_id), ike_id, &now_info) < 0 ||
	    !(ike = ctl_ike_get(c, ike_id, true)))
		return;
	ike->info = now_info;
	if (ike->info.state == ENGINE_IKE_ESTABLISHED && !ike->up_ms)
		ike->up_ms = now;
	if (!ike->remote_id) {
		struct engine_ike_ids ids;
		char buf[512];

		if (engine_ike_ids(ctl_engine(c, ike_id), ike_id, &ids) == 0 &&
		    ids.remote.type)
			ike->remote_id = strdup(
				ctl_id_str(&ids.remote, buf, sizeof(buf)));
	}
	for (struct ctl_child *ch = ctl_child_first(c, ike_id); ch;
	     ch = ctl_child_next(c, ch))
		ch->have_info = false; /* until seen */
	for (uint32_t k = 0;
	     engine_child_info(ctl_engine(c, ike_id), ike_id, k, &info) == 0;
	     k++) {
		struct ctl_child *ch =
			ctl_child_get(c, ike_id, info.spi_in, true);

		if (!ch)
			return;
		if (!ch->install_ms)
			ch->install_ms = now;
		ch->info = info;
		ch->have_info = true;
		ch->uid = info.child_id;
		ch->reqid = info.reqid;
		snprintf(ch->name, sizeof(ch->name), "%s", info.name);
	}
}

/* ---- list-sa ------------------------------------------------------------ */

static void ctl_write_ts_list(struct wr *w, const char *name,
			      const struct engine_ts *ts, unsigned n)
{
	char buf[128];

	vici_list(w, name);
	for (unsigned i = 0; i < n; i++)
		vici_item(w, ctl_ts_str(&ts[i], buf, sizeof(buf)));
	vici_list_end(w);
}

/* The local and remote identities as strongSwan's list-sas gives them:
 * ours as we send it and the peer's as it proved it in IKE_AUTH (with its
 * EAP identity when it used one); before that, or once the SA is gone,
 * those the connection names. */
static void ctl_write_ids(struct ctl *c, struct wr *w,
			  const struct ctl_ike *ike)
{
	const struct conns *cs = c->host.conns(c->host.ctx);
	int i = cs ? conns_find(cs, ike->info.conn) : -1;
	struct engine_ike_ids ids;
	bool live =
		c->host.n_engines && engine_ike_ids(ctl_engine(c, ike->ike_id),
						    ike->ike_id, &ids) == 0;
	char buf[512];

	if (live && ids.local.type)
		vici_kv(w, "local-id",
			ctl_id_str(&ids.local, buf, sizeof(buf)));
	else if (i >= 0)
		vici_kv(w, "local-id",
			ctl_id_str(&cs->conn[i].local_auth.id, buf,
				   sizeof(buf)));
	if (live && ids.remote.type)
		vici_kv(w, "remote-id",
			ctl_id_str(&ids.remote, buf, sizeof(buf)));
	else if (ike->remote_id)
		vici_kv(w, "remote-id", ike->remote_id);
	else if (i >= 0)
		vici_kv(w, "remote-id",
			ctl_id_str(&cs->conn[i].remote_auth.id, buf,
				   sizeof(buf)));
	if (live && ids.remote_eap_len) /* text, control bytes shown as ? */
		vici_kv(w, "remote-eap-id",
			auth_id_str(ID_RFC822_ADDR, ids.remote_eap,
				    ids.remote_eap_len, buf, sizeof(buf)));
}

void ctl_sa_write_ike(struct ctl *c, struct wr *w, const struct ctl_ike *ike,
		      uint64_t now)
{
	const struct engine_ike_info *in = &ike->info;
	char buf[64];

	vici_kvf(w, "uniqueid", "%u", in->ike_id);
	vici_kv(w, "version", "2");
	vici_kv(w, "state", ctl_ike_state_name(in->state));
	vici_kv(w, "local-host", ctl_addr_str(&in->local, buf, sizeof(buf)));
	vici_kvf(w, "local-port", "%u", in->local.port);
	vici_kv(w, "remote-host", ctl_addr_str(&in->remote, buf, sizeof(buf)));
	vici_kvf(w, "remote-port", "%u", in->remote.port);
	ctl_write_ids(c, w, ike);
	if (in->initiator)
		vici_kv(w, "initiator", "yes");
	vici_kvf(w, "initiator-spi", "%016" PRIx64, in->spi_i);
	vici_kvf(w, "responder-spi", "%016" PRIx64, in->spi_r);
	if (in->nat_local)
		vici_kv(w, "nat-local", "yes");
	if (in->nat_remote)
		vici_kv(w, "nat-remote", "yes");
	if (in->nat_local || in->nat_remote)
		vici_kv(w, "nat-any", "yes");
	if (in->encr) {
		vici_kv(w, "encr-alg", ctl_encr_name(in->encr));
		if (in->encr_keylen)
			vici_kvf(w, "encr-keysize", "%u", in->encr_keylen);
		if (in->integ)
			vici_kv(w, "integ-alg", ctl_integ_name(in->integ));
		vici_kv(w, "prf-alg", ctl_prf_name(in->prf));
		vici_kv(w, "dh-group", ctl_ke_name(in->ke));
	}
	if (ike->up_ms) {
		const struct conns *cs = c->host.conns(c->host.ctx);
		int i = cs ? conns_find(cs, in->conn) : -1;
		uint64_t age = (now - ike->up_ms) / 1000;

		vici_kvf(w, "established", "%" PRIu64, age);
		/* at most: the engine subtracts a random part (rand_time) */
		if (i >= 0 && cs->conn[i].ike_rekey_s > age)
			vici_kvf(w, "rekey-time", "%" PRIu64,
				 cs->conn[i].ike_rekey_s - age);
	}
}

/* Counters the kernel holds for one direction of a CHILD SA; the last
 * use (charon's use-in/out) and keybridge's rate-in/out (bytes and packets
 * per second) when the usage tracker samples the SA. */
static void ctl_write_counters(struct ctl *c, struct wr *w, const char *dir,
			       const struct engine_addr *src,
			       const struct engine_addr *dst, uint32_t spi,
			       uint64_t now)
{
	const struct usage_sa *u =
		c->host.usage ? c->host.usage(c->host.ctx, spi) : NULL;
	struct kernel_sa_id id = { .spi = spi, .proto = KERNEL_PROTO_ESP };
	struct kernel_sa_stats st = { 0 };
	char key[16];

	id.src.family = src->family;
	memcpy(id.src.a.raw, src->ip, 16);
	id.dst.family = dst->family;
	memcpy(id.dst.a.raw, dst->ip, 16);
	if (c->host.kops &&
	    c->host.kops->sa_get(c->host.kernel, &id, &st, NULL) < 0)
		memset(&st, 0, sizeof(st));
	snprintf(key, sizeof(key), "bytes-%s", dir);
	vici_kvf(w, key, "%" PRIu64, st.bytes);
	snprintf(key, sizeof(key), "packets-%s", dir);
	vici_kvf(w, key, "%" PRIu64, st.packets);
	if (u && u->last_used_ms && u->last_used_ms <= now) {
		snprintf(key, sizeof(key), "use-%s", dir);
		vici_kvf(w, key, "%" PRIu64, (now - u->last_used_ms) / 1000);
	}
	if (u && u->sample_ms) {
		snprintf(key, sizeof(key), "rate-%s", dir);
		vici_kvf(w, key, "%" PRIu64, u->rate_Bps);
		snprintf(key, sizeof(key), "rate-packets-%s", dir);
		vici_kvf(w, key, "%" PRIu64, u->rate_pps);
	}
}

void ctl_sa_write_child(struct ctl *c, struct wr *w, const struct ctl_ike *ike,
			const struct ctl_child *ch, uint64_t now)
{
	char sec[ENGINE_NAME_MAX + 16];

	snprintf(sec, sizeof(sec), "%s-%u", ch->name, ch->uid);
	vici_section(w, sec);
	ctl_sa_write_child_body(c, w, ike, ch, now);
	vici_section_end(w);
}

void ctl_sa_write_child_body(struct ctl *c, struct wr *w,
			     const struct ctl_ike *ike,
			     const struct ctl_child *ch, uint64_t now)
{
	const struct engine_child_info *in = &ch->info;
	uint64_t age = (now - ch->install_ms) / 1000;

	vici_kv(w, "name", ch->name);
	vici_kvf(w, "uniqueid", "%u", ch->uid);
	vici_kvf(w, "reqid", "%u", ch->reqid);
	vici_kv(w, "state", ctl_child_state_name(in->state));
	vici_kv(w, "mode",
		in->mode == ENGINE_MODE_TRANSPORT ? "TRANSPORT" : "TUNNEL");
	vici_kv(w, "protocol", "ESP");
	if (ch->encap)
		vici_kv(w, "encap", "yes");
	vici_kvf(w, "spi-in", "%08x", in->spi_in);
	vici_kvf(w, "spi-out", "%08x", in->spi_out);
	if (in->encr) {
		vici_kv(w, "encr-alg", ctl_encr_name(in->encr));
		if (in->encr_keylen)
			vici_kvf(w, "encr-keysize", "%u", in->encr_keylen);
	}
	if (in->integ)
		vici_kv(w, "integ-alg", ctl_integ_name(in->integ));
	if (in->esn)
		vici_kv(w, "esn", "1");
	ctl_write_counters(c, w, "in", &ike->info.remote, &ike->info.local,
			   in->spi_in, now);
	ctl_write_counters(c, w, "out", &ike->info.local, &ike->info.remote,
			   in->spi_out, now);
	/* The kernel's soft limit triggers the rekey, the hard one ends it. */
	if (ch->life_soft_s > age)
		vici_kvf(w, "rekey-time", "%" PRIu64, ch->life_soft_s - age);
	if (ch->life_hard_s > age)
		vici_kvf(w, "life-time", "%" PRIu64, ch->life_hard_s - age);
	vici_kvf(w, "install-time", "%" PRIu64, age);
	ctl_write_ts_list(w, "local-ts", in->local_ts, in->n_local_ts);
	ctl_write_ts_list(w, "remote-ts", in->remote_ts, in->n_remote_ts);
}

/* ---- list-conn ---------------------------------------------------------- */

static void ctl_write_auth(struct wr *w, const char *sec,
			   const struct engine_auth *a)
{
	char buf[512];

	vici_section(w, sec);
	vici_kv(w, "class",
		a->method == ENGINE_AUTH_PSK ? "pre-shared key" : "public key");
	vici_kv(w, "id", ctl_id_str(&a->id, buf, sizeof(buf)));
	vici_section_end(w);
}

void ctl_sa_write_conn(struct ctl *c, struct wr *w, size_t i)
{
	const struct conns *cs = c->host.conns(c->host.ctx);
	const struct engine_conn *ec = &cs->conn[i];
	char buf[64];

	vici_section(w, ec->name);
	vici_list(w, "local_addrs");
	vici_item(w, ctl_addr_str(&ec->local, buf, sizeof(buf)));
	vici_list_end(w);
	vici_list(w, "remote_addrs");
	/* as configured, like strongSwan: a name, not what it resolved to */
	vici_item(w, cs->extra[i].remote_fqdn[0]
			     ? cs->extra[i].remote_fqdn
			     : ctl_addr_str(&ec->remote, buf, sizeof(buf)));
	vici_list_end(w);
	vici_kvf(w, "local_port", "%u", ec->local.port);
	vici_kvf(w, "remote_port", "%u", ec->remote.port);
	vici_kv(w, "version", "IKEv2");
	vici_kvf(w, "reauth_time", "%" PRIu64, ec->ike_reauth_s);
	vici_kvf(w, "rekey_time", "%" PRIu64, ec->ike_rekey_s);
	vici_kv(w, "unique", "UNIQUE_NO");
	if (ec->dpd_delay_ms)
		vici_kvf(w, "dpd_delay", "%u", ec->dpd_delay_ms / 1000);
	ctl_write_auth(w, "local-1", &ec->local_auth);
	ctl_write_auth(w, "remote-1", &ec->remote_auth);
	vici_section(w, "children");
	for (unsigned k = 0; k < ec->n_children; k++) {
		const struct engine_child_cfg *ch = &ec->children[k];

		vici_section(w, ch->name);
		vici_kv(w, "mode",
			ch->mode == ENGINE_MODE_TRANSPORT ? "TRANSPORT"
							  : "TUNNEL");
		vici_kvf(w, "rekey_time", "%" PRIu64, ch->life_soft_s);
		vici_kvf(w, "rekey_bytes", "%" PRIu64, ch->life_soft_bytes);
		vici_kvf(w, "rekey_packets", "%" PRIu64, ch->life_soft_packets);
		vici_kv(w, "dpd_action",
			ec->dpd_action == ENGINE_DPD_RESTART ? "restart"
							     : "clear");
		vici_kv(w, "close_action", "none");
		ctl_write_ts_list(w, "local-ts", ch->local_ts, ch->n_local_ts);
		ctl_write_ts_list(w, "remote-ts", ch->remote_ts,
				  ch->n_remote_ts);
		vici_section_end(w);
	}
	vici_section_end(w);
	vici_section_end(w);
}
