/* Two-engine harness; see engine_harness.h. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t harness_nat_ip[4] = { 198, 51, 100, 7 };

static void *harness_grow(void *p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	p = realloc(p, *cap * elem);
	if (!p)
		abort();
	return p;
}

/* Deterministic random bytes (splitmix64) so runs are reproducible; keys
 * still come from OpenSSL's generator inside the crypto module. */
static int harness_random(void *ctx, void *buf, size_t len)
{
	struct hpeer *p = ctx;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t z = (p->rng += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		b[i] = (uint8_t)(z ^ (z >> 31));
	}
	return 0;
}

/* env.log_enabled: levels up to log_max, or all */
static bool harness_log_enabled(void *ctx, int level)
{
	const struct hpeer *p = ctx;

	return !p->log_max || level <= p->log_max;
}

static void harness_log(void *ctx, int level, const char *sa, const char *msg)
{
	struct hpeer *p = ctx;

	if (!harness_log_enabled(ctx, level))
		p->n_log_unwanted++;
	char line[768];
	int n = snprintf(line, sizeof(line), "%s: <%d> %s%s%s\n", p->name,
			 level, sa ? sa : "", sa ? ": " : "", msg);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (getenv("KB_ENGINE_LOG"))
		fputs(line, stdout);
	while (p->log_len + (size_t)n + 1 > p->log_cap) {
		p->log_cap = p->log_cap ? p->log_cap * 2 : 4096;
		p->log = realloc(p->log, p->log_cap);
		if (!p->log)
			abort();
	}
	memcpy(p->log + p->log_len, line, (size_t)n);
	p->log_len += (size_t)n;
	p->log[p->log_len] = 0;
}

void harness_ts4(struct engine_ts *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	ts->type = TS_IPV4_ADDR_RANGE;
	ts->port_hi = 65535;
	if (inet_pton(AF_INET, from, ts->start) != 1 ||
	    inet_pton(AF_INET, to, ts->end) != 1)
		abort();
}

static void harness_addr(struct engine_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = IKE_PORT;
	if (inet_pton(AF_INET, ip, a->ip) != 1)
		abort();
}

static void harness_id(struct engine_id *id, const char *fqdn)
{
	id->type = ID_FQDN;
	id->len = (uint16_t)strlen(fqdn);
	memcpy(id->data, fqdn, id->len);
}

static void harness_prop(struct engine_proposal *p, uint16_t encr,
			 uint16_t keylen, uint16_t integ, uint16_t prf,
			 uint16_t ke)
{
	memset(p, 0, sizeof(*p));
	p->x[p->n++] = (struct engine_xform){ TRANS_ENCR, encr, keylen };
	if (integ)
		p->x[p->n++] = (struct engine_xform){ TRANS_INTEG, integ, 0 };
	if (prf)
		p->x[p->n++] = (struct engine_xform){ TRANS_PRF, prf, 0 };
	if (ke)
		p->x[p->n++] = (struct engine_xform){ TRANS_KE, ke, 0 };
}

void harness_conn(struct engine_conn *c, bool is_a, uint16_t encr,
		  uint16_t keylen, uint16_t integ, uint16_t prf, uint16_t ke)
{
	struct engine_child_cfg *ch;

	engine_conn_defaults(c);
	snprintf(c->name, sizeof(c->name), "%s", is_a ? "a-to-b" : "b-from-a");
	harness_addr(&c->local, is_a ? "192.0.2.1" : "192.0.2.2");
	harness_addr(&c->remote, is_a ? "192.0.2.2" : "192.0.2.1");
	c->n_ike = 1;
	harness_prop(&c->ike[0], encr, keylen, integ, prf, ke);
	c->local_auth.method = c->remote_auth.method = ENGINE_AUTH_PSK;
	harness_id(&c->local_auth.id, is_a ? "a.example" : "b.example");
	harness_id(&c->remote_auth.id, is_a ? "b.example" : "a.example");
	c->psk_len = 32;
	memcpy(c->psk, "keybridge-test-psk-0123456789abc", 32);
	c->n_children = 1;
	ch = &c->children[0];
	snprintf(ch->name, sizeof(ch->name), "net");
	ch->n_esp = 1;
	harness_prop(&ch->esp[0], encr, keylen, integ, 0, 0);
	ch->n_local_ts = ch->n_remote_ts = 1;
	harness_ts4(&ch->local_ts[0], is_a ? "10.1.0.0" : "10.2.0.0",
		    is_a ? "10.1.255.255" : "10.2.255.255");
	harness_ts4(&ch->remote_ts[0], is_a ? "10.2.0.0" : "10.1.0.0",
		    is_a ? "10.2.255.255" : "10.1.255.255");
	ch->reqid = is_a ? 0x6b620001 : 0x6b620002;
}

void harness_start_peer_b(struct harness *h)
{
	struct engine_env env = { .random = harness_random,
				  .log = harness_log,
				  .log_enabled = harness_log_enabled,
				  .ctx = &h->b };

	h->b.e = engine_new(&env, NULL, &h->b.conn, 1);
	if (!h->b.e)
		abort();
}

void harness_restart_b_with(struct harness *h, const struct engine_conn *conns,
			    size_t n)
{
	struct engine_env env = { .random = harness_random,
				  .log = harness_log,
				  .log_enabled = harness_log_enabled,
				  .ctx = &h->b };

	engine_free(h->b.e);
	h->b.e = engine_new(&env, NULL, conns, n);
	if (!h->b.e)
		abort();
}

void harness_restart_a_with(struct harness *h, const struct engine_conn *c)
{
	struct engine_env env = { .random = harness_random,
				  .log = harness_log,
				  .log_enabled = harness_log_enabled,
				  .ctx = &h->a };

	engine_free(h->a.e);
	h->a.conn = *c;
	h->a.e = engine_new(&env, NULL, &h->a.conn, 1);
	if (!h->a.e)
		abort();
}

void harness_restart_a_conns(struct harness *h, const struct engine_conn *conns,
			     size_t n)
{
	struct engine_env env = { .random = harness_random,
				  .log = harness_log,
				  .log_enabled = harness_log_enabled,
				  .ctx = &h->a };

	engine_free(h->a.e);
	h->a.e = engine_new(&env, NULL, conns, n);
	if (!h->a.e)
		abort();
}

void harness_start(struct harness *h, const struct engine_settings *set)
{
	harness_start_with(h, set, set);
}

void harness_start_with(struct harness *h, const struct engine_settings *set_a,
			const struct engine_settings *set_b)
{
	struct engine_env env = { .random = harness_random,
				  .log = harness_log,
				  .log_enabled = harness_log_enabled };

	h->a.name = "a";
	h->b.name = "b";
	h->a.rng = 0xa;
	h->b.rng = 0xb;
	env.ctx = &h->a;
	h->a.e = engine_new(&env, set_a, &h->a.conn, 1);
	env.ctx = &h->b;
	h->b.e = engine_new(&env, set_b, &h->b.conn, 1);
	if (!h->a.e || !h->b.e)
		abort();
	if (!h->now)
		h->now = 1000000;
}

static void harness_peer_free(struct hpeer *p)
{
	engine_free(p->e);
	for (size_t i = 0; i < p->n_q; i++)
		free(p->q[i].buf);
	free(p->q);
	free(p->k);
	free(p->log);
	memset(p, 0, sizeof(*p));
}

void harness_free(struct harness *h)
{
	harness_peer_free(&h->a);
	harness_peer_free(&h->b);
}

static void harness_collect_peer(struct harness *h, struct hpeer *p)
{
	size_t n;
	const struct engine_action *a = engine_actions(p->e, &n);

	for (size_t i = 0; i < n; i++, a++) {
		if (a->type == ENGINE_ACT_SEND) {
			struct hpkt *k;

			p->q = harness_grow(p->q, &p->cap_q, p->n_q,
					    sizeof(*p->q));
			k = &p->q[p->n_q++];
			k->src = a->u.send.local;
			k->dst = a->u.send.remote;
			k->marker = a->u.send.non_esp_marker;
			k->len = a->u.send.len;
			k->n_k_before = p->n_k;
			k->buf = malloc(k->len);
			if (!k->buf)
				abort();
			memcpy(k->buf, a->u.send.buf, k->len);
			if (h->nat_a && p == &h->a) {
				memcpy(k->src.ip, harness_nat_ip, 4);
				k->src.port += 10000;
			}
			p->n_sent++;
			continue;
		}
		if (a->type == ENGINE_ACT_EVENT) {
			if (p->n_ev < 64)
				p->ev[p->n_ev++] = a->u.event;
			continue;
		}
		p->k = harness_grow(p->k, &p->cap_k, p->n_k, sizeof(*p->k));
		p->k[p->n_k++] = *a;
		p->n_sa_add += a->type == ENGINE_ACT_SA_ADD;
		p->n_sa_del += a->type == ENGINE_ACT_SA_DEL;
		p->n_pol_add += a->type == ENGINE_ACT_POLICY_ADD;
		p->n_pol_del += a->type == ENGINE_ACT_POLICY_DEL;
		p->n_alloc += a->type == ENGINE_ACT_ALLOC_SPI;
	}
	engine_actions_clear(p->e);
}

void harness_collect(struct harness *h)
{
	harness_collect_peer(h, &h->a);
	harness_collect_peer(h, &h->b);
}

int transmit_nth(struct harness *h, struct hpeer *from, struct hpeer *to,
		 size_t idx, enum harness_how how)
{
	struct hpkt k;
	int rc = 0;

	harness_collect(h);
	if (idx >= from->n_q)
		return -1000000;
	k = from->q[idx];
	memmove(&from->q[idx], &from->q[idx + 1],
		(from->n_q - idx - 1) * sizeof(k));
	from->n_q--;
	/* Replies to a's public (NAT) address are mapped back to a. */
	if (h->nat_a && to == &h->a && !memcmp(k.dst.ip, harness_nat_ip, 4)) {
		memcpy(k.dst.ip, h->a.conn.local.ip, 4);
		k.dst.port -= 10000;
	}
	if (how != H_DROP) {
		rc = engine_datagram(to->e, h->now, &k.dst, &k.src, k.buf,
				     k.len);
		if (how == H_DUP)
			(void)engine_datagram(to->e, h->now, &k.dst, &k.src,
					      k.buf, k.len);
	}
	free(k.buf);
	harness_collect(h);
	return rc;
}

int transmit(struct harness *h, struct hpeer *from, struct hpeer *to,
	     enum harness_how how)
{
	return transmit_nth(h, from, to, 0, how);
}

int transmit_last(struct harness *h, struct hpeer *from, struct hpeer *to,
		  enum harness_how how)
{
	harness_collect(h);
	return transmit_nth(h, from, to, from->n_q ? from->n_q - 1 : 0, how);
}

int harness_run(struct harness *h, int max)
{
	int n = 0;

	harness_collect(h);
	while (n < max && (h->a.n_q || h->b.n_q)) {
		if (h->a.n_q)
			(void)transmit(h, &h->a, &h->b, H_DELIVER);
		else
			(void)transmit(h, &h->b, &h->a, H_DELIVER);
		n++;
	}
	return n;
}

void harness_advance(struct harness *h, uint64_t ms)
{
	h->now += ms;
	engine_timeout(h->a.e, h->now);
	engine_timeout(h->b.e, h->now);
	harness_collect(h);
}

bool harness_next_timer(struct harness *h, uint64_t max_ms)
{
	uint64_t da = engine_next_deadline(h->a.e);
	uint64_t db = engine_next_deadline(h->b.e);
	uint64_t d = da < db ? da : db;

	if (d == UINT64_MAX || d > h->now + max_ms)
		return false;
	harness_advance(h, d > h->now ? d - h->now : 0);
	return true;
}

size_t harness_events(const struct hpeer *p, enum engine_event_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_ev; i++)
		n += p->ev[i].type == type;
	return n;
}

bool harness_logged(const struct hpeer *p, const char *needle)
{
	return p->log && strstr(p->log, needle);
}

uint32_t harness_ike_id(const struct hpeer *p)
{
	uint32_t id = 0;

	if (engine_ike_list(p->e, &id, 1) != 1)
		return 0;
	return id;
}

enum engine_ike_state harness_state(const struct hpeer *p)
{
	struct engine_ike_info info;
	uint32_t id = harness_ike_id(p);

	if (!id || engine_ike_info(p->e, id, &info))
		return ENGINE_IKE_NONE;
	return info.state;
}

const struct engine_sa *harness_sa_add(const struct hpeer *p, bool inbound)
{
	for (size_t i = p->n_k; i-- > 0;)
		if (p->k[i].type == ENGINE_ACT_SA_ADD &&
		    p->k[i].u.sa.inbound == inbound)
			return &p->k[i].u.sa;
	return NULL;
}

uint32_t harness_initiate(struct harness *h)
{
	uint32_t id = 0;

	if (engine_initiate(h->a.e, h->now, h->a.conn.name, &id))
		return 0;
	harness_collect(h);
	return id;
}

/* Both sides' SA_ADD actions describe the same two ESP SAs: a's outbound
 * is b's inbound and the other way round, keys included (§2.17). */
void harness_check_child_pair(const struct harness *h)
{
	const struct engine_sa *ao = harness_sa_add(&h->a, false);
	const struct engine_sa *ai = harness_sa_add(&h->a, true);
	const struct engine_sa *bo = harness_sa_add(&h->b, false);
	const struct engine_sa *bi = harness_sa_add(&h->b, true);

	REQUIRE(ao && ai && bo && bi);
	CHECK_EQ(ao->spi, bi->spi);
	CHECK_EQ(bo->spi, ai->spi);
	CHECK_NE(ao->spi, ai->spi);
	CHECK_EQ(ao->enc_key_len, bi->enc_key_len);
	CHECK_GT(ao->enc_key_len, 0);
	CHECK_MEM(ao->enc_key, bi->enc_key, ao->enc_key_len);
	CHECK_MEM(bo->enc_key, ai->enc_key, bo->enc_key_len);
	CHECK_EQ(ao->integ_key_len, bi->integ_key_len);
	CHECK_MEM(ao->integ_key, bi->integ_key, ao->integ_key_len);
	CHECK(memcmp(ao->enc_key, ai->enc_key, ao->enc_key_len) != 0);
	CHECK_EQ(ao->encr, bi->encr);
	CHECK_EQ(ao->icv_len, bi->icv_len);
}

/* Runs IKE_SA_INIT and IKE_AUTH step by step with state assertions. */
void harness_sa_init(struct harness *h)
{
	REQUIRE(harness_initiate(h));
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_INIT_SENT);
	/* HDR, SA, KEi, Ni, N(NAT_DETECTION_*), N(FRAG), N(SHA) --> */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->b), ENGINE_IKE_INIT_DONE_R);
	/* <-- HDR, SA, KEr, Nr, N(NAT_DETECTION_*), N(FRAG), N(SHA) */
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_AUTH_SENT);
}

void harness_establish(struct harness *h)
{
	harness_sa_init(h);
	/* HDR, SK {IDi, AUTH, SA, TSi, TSr} --> */
	REQUIRE_EQ(transmit(h, &h->a, &h->b, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->b), ENGINE_IKE_ESTABLISHED);
	/* <-- HDR, SK {IDr, AUTH, SA, TSi, TSr} */
	REQUIRE_EQ(transmit(h, &h->b, &h->a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h->a), ENGINE_IKE_ESTABLISHED);
}

void harness_pair(struct harness *h, uint16_t encr, uint16_t keylen,
		  uint16_t integ, uint16_t prf, uint16_t ke)
{
	memset(h, 0, sizeof(*h));
	harness_conn(&h->a.conn, true, encr, keylen, integ, prf, ke);
	harness_conn(&h->b.conn, false, encr, keylen, integ, prf, ke);
}

static bool hk_del(uint32_t *set, size_t *n, uint32_t spi)
{
	for (size_t i = 0; i < *n; i++) {
		if (set[i] == spi) {
			set[i] = set[--*n];
			return true;
		}
	}
	return false;
}

static void hk_add(uint32_t *set, size_t *n, uint32_t spi)
{
	if (*n < HK_MAX)
		set[(*n)++] = spi;
}

static bool hk_pol_eq(const struct engine_policy *a,
		      const struct engine_policy *b)
{
	return a->dir == b->dir && !memcmp(&a->src, &b->src, sizeof(a->src)) &&
	       !memcmp(&a->dst, &b->dst, sizeof(a->dst));
}

void harness_kernel(const struct hpeer *p, struct hkernel *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < p->n_k; i++) {
		const struct engine_action *a = &p->k[i];
		size_t j;

		switch (a->type) {
		case ENGINE_ACT_ALLOC_SPI:
			hk_add(k->larval, &k->n_larval, a->u.spi.spi);
			break;
		case ENGINE_ACT_SA_ADD:
			if (a->u.sa.inbound) {
				hk_del(k->larval, &k->n_larval, a->u.sa.spi);
				hk_add(k->in, &k->n_in, a->u.sa.spi);
			} else {
				hk_add(k->out, &k->n_out, a->u.sa.spi);
			}
			break;
		case ENGINE_ACT_SA_DEL:
			if (a->u.sa.inbound) {
				if (!hk_del(k->in, &k->n_in, a->u.sa.spi))
					hk_del(k->larval, &k->n_larval,
					       a->u.sa.spi);
			} else {
				hk_del(k->out, &k->n_out, a->u.sa.spi);
			}
			break;
		case ENGINE_ACT_POLICY_ADD:
			for (j = 0; j < k->n_pol; j++)
				if (hk_pol_eq(&k->pol[j], &a->u.policy))
					break;
			if (j == k->n_pol && k->n_pol < HK_MAX)
				k->pol[k->n_pol++] = a->u.policy;
			break;
		case ENGINE_ACT_POLICY_DEL:
			k->n_pol_del++;
			for (j = 0; j < k->n_pol; j++)
				if (hk_pol_eq(&k->pol[j], &a->u.policy)) {
					k->pol[j] = k->pol[--k->n_pol];
					break;
				}
			break;
		default: break;
		}
	}
}

static bool hk_has(const uint32_t *set, size_t n, uint32_t spi)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == spi)
			return true;
	return false;
}

void harness_check_kernels(const struct harness *h, size_t n_children,
			   size_t n_pol)
{
	struct hkernel a, b;

	harness_kernel(&h->a, &a);
	harness_kernel(&h->b, &b);
	CHECK_EQ(a.n_in, n_children);
	CHECK_EQ(a.n_out, n_children);
	CHECK_EQ(b.n_in, n_children);
	CHECK_EQ(b.n_out, n_children);
	CHECK_EQ(a.n_larval, 0u);
	CHECK_EQ(b.n_larval, 0u);
	CHECK_EQ(a.n_pol, n_pol);
	CHECK_EQ(b.n_pol, n_pol);
	for (size_t i = 0; i < a.n_out; i++)
		CHECK(hk_has(b.in, b.n_in, a.out[i]));
	for (size_t i = 0; i < b.n_out; i++)
		CHECK(hk_has(a.in, a.n_in, b.out[i]));
}

void harness_no_lifetimes(struct harness *h)
{
	struct engine_conn *cs[2] = { &h->a.conn, &h->b.conn };

	for (size_t i = 0; i < 2; i++) {
		cs[i]->ike_rekey_s = cs[i]->ike_rand_s = 0;
		cs[i]->ike_lifetime_s = 0;
		for (size_t k = 0; k < ENGINE_MAX_CHILD_CFG; k++) {
			struct engine_child_cfg *ch = &cs[i]->children[k];

			ch->life_soft_s = ch->life_hard_s = ch->rand_s = 0;
		}
	}
}

void harness_pair_default(struct harness *h)
{
	harness_pair(h, ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_256,
		     KE_CURVE25519);
}

bool harness_b_restarts(struct harness *h, uint32_t old_id)
{
	engine_free(h->b.e);
	harness_start_peer_b(h);
	/* HDR, SA, KEi, Ni -->  <-- HDR, SA, KEr, Nr
	 * HDR, SK {IDi, N(INITIAL_CONTACT), AUTH, ...} --> */
	if (engine_initiate(h->b.e, h->now, h->b.conn.name, NULL))
		return false;
	harness_run(h, 10);
	return harness_logged(&h->a, "peer sent INITIAL_CONTACT: removing "
				     "its old IKE SA") &&
	       engine_ike_count(h->a.e) == 1 && harness_ike_id(&h->a) != old_id;
}
