/* Engine set-ups the benchmarks share; see bench_conn.h. */
#include "bench/bench_conn.h"

#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void bench_addr(struct engine_addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = IKE_PORT;
	(void)inet_pton(AF_INET, ip, a->ip);
}

void bench_ts(struct engine_ts *t, uint8_t net)
{
	memset(t, 0, sizeof(*t));
	t->type = TS_IPV4_ADDR_RANGE;
	t->port_hi = 65535;
	t->start[0] = t->end[0] = 10;
	t->start[1] = t->end[1] = net;
	t->end[2] = t->end[3] = 255;
}

void bench_psk_conn(struct engine_conn *c, bool is_a, const char *name,
		    unsigned aes_bits, uint8_t psk_byte, uint32_t reqid)
{
	struct engine_child_cfg *ch = &c->children[0];
	const struct engine_xform ike[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, (uint16_t)aes_bits },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0 },
		{ TRANS_KE, KE_CURVE25519, 0 },
	};

	engine_conn_defaults(c);
	snprintf(c->name, sizeof(c->name), "%s", name);
	bench_addr(&c->local, is_a ? "192.0.2.1" : "192.0.2.2");
	bench_addr(&c->remote, is_a ? "192.0.2.2" : "192.0.2.1");
	c->n_ike = 1;
	c->ike[0].n = 3;
	memcpy(c->ike[0].x, ike, sizeof(ike));
	c->local_auth.method = c->remote_auth.method = ENGINE_AUTH_PSK;
	c->local_auth.id =
		(struct engine_id){ ID_FQDN, 1, { is_a ? 'a' : 'b' } };
	c->remote_auth.id =
		(struct engine_id){ ID_FQDN, 1, { is_a ? 'b' : 'a' } };
	c->psk_len = 32;
	memset(c->psk, psk_byte, 32);
	c->n_children = 1;
	ch->n_esp = 1;
	ch->esp[0].n = 1;
	ch->esp[0].x[0] = ike[0];
	ch->n_local_ts = ch->n_remote_ts = 1;
	bench_ts(&ch->local_ts[0], is_a ? 1 : 2);
	bench_ts(&ch->remote_ts[0], is_a ? 2 : 1);
	ch->reqid = reqid;
}

size_t bench_carry(struct engine *from, struct engine *to, uint64_t now,
		   unsigned long *failures,
		   void (*each)(void *arg, struct engine *to), void *arg)
{
	const struct engine_action *act;
	size_t n, nq = 0;
	struct {
		struct engine_addr l, r;
		uint8_t buf[2048];
		size_t len;
	} q[4];

	act = engine_actions(from, &n);
	for (size_t i = 0; i < n && nq < 4; i++) {
		if (act[i].type != ENGINE_ACT_SEND ||
		    act[i].u.send.len > sizeof(q[0].buf))
			continue;
		q[nq].l = act[i].u.send.remote;
		q[nq].r = act[i].u.send.local;
		q[nq].len = act[i].u.send.len;
		memcpy(q[nq].buf, act[i].u.send.buf, q[nq].len);
		nq++;
	}
	engine_actions_clear(from);
	for (size_t i = 0; i < nq; i++) {
		if (engine_datagram(to, now, &q[i].l, &q[i].r, q[i].buf,
				    q[i].len))
			(*failures)++;
		if (each)
			each(arg, to);
	}
	return nq;
}
