/* libFuzzer target: the engine as a peer sees it. Two engines establish
 * an IKE SA with a CHILD SA (once per process, again whenever the fuzzed
 * input destroyed it); then each input becomes one request that a sends
 * on the established IKE SA, encrypted and authenticated with its real
 * keys, so b's handlers — INFORMATIONAL, CREATE_CHILD_SA (CHILD SA
 * creation and rekey, IKE SA rekey, TS narrowing, proposal selection) —
 * run on payloads only an authenticated peer can send. b's answers go
 * back to a, so a's response handlers run as well.
 *
 * Input: byte 0 picks the exchange (even: CREATE_CHILD_SA, odd:
 * INFORMATIONAL), byte 1 the first inner payload type, the rest is the
 * inner payload chain as it would be inside SK { }.
 */
#include "engine/ike_msg.h"
#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct engine *fz_a, *fz_b;
static uint64_t fz_now = 1000000, fz_seed = 0x6b6272;

static int fz_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		fz_seed ^= fz_seed << 13;
		fz_seed ^= fz_seed >> 7;
		fz_seed ^= fz_seed << 17;
		p[i] = (uint8_t)fz_seed;
	}
	return 0;
}

static void fz_conn(struct engine_conn *c, bool is_a)
{
	struct engine_child_cfg *ch = &c->children[0];
	const struct engine_xform x[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, 128 },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0 },
		{ TRANS_KE, KE_CURVE25519, 0 },
	};

	engine_conn_defaults(c);
	snprintf(c->name, sizeof(c->name), "fz");
	c->local.family = c->remote.family = AF_INET;
	(void)inet_pton(AF_INET, is_a ? "192.0.2.1" : "192.0.2.2", c->local.ip);
	(void)inet_pton(AF_INET, is_a ? "192.0.2.2" : "192.0.2.1",
			c->remote.ip);
	c->n_ike = 1;
	c->ike[0].n = 3;
	memcpy(c->ike[0].x, x, sizeof(x));
	c->local_auth.method = c->remote_auth.method = ENGINE_AUTH_PSK;
	c->psk_len = 16;
	memset(c->psk, 7, 16);
	c->n_children = 2;
	ch->n_esp = 2;
	ch->esp[0].n = 1;
	ch->esp[0].x[0] = x[0];
	ch->esp[1].n = 2;
	ch->esp[1].x[0] = x[0];
	ch->esp[1].x[1] = x[2]; /* PFS alternative */
	ch->n_local_ts = ch->n_remote_ts = 1;
	for (int i = 0; i < 2; i++) {
		struct engine_ts *t = i ? &ch->remote_ts[0] : &ch->local_ts[0];

		t->type = TS_IPV4_ADDR_RANGE;
		t->port_hi = 65535;
		t->start[0] = t->end[0] = 10;
		t->start[1] = t->end[1] = (uint8_t)((i == 0) == is_a ? 1 : 2);
		t->end[2] = t->end[3] = 255;
	}
	ch->reqid = 7;
	c->children[1] = *ch;
	c->children[1].reqid = 8;
	c->children[1].local_ts[0].start[2] = 1; /* a narrower second one */
}

/* Delivers datagrams both ways until quiet (bounded). */
static void fz_pump(void)
{
	for (int round = 0; round < 16; round++) {
		bool busy = false;

		for (int s = 0; s < 2; s++) {
			struct engine *from = s ? fz_b : fz_a;
			struct engine *to = s ? fz_a : fz_b;
			size_t n;
			const struct engine_action *a =
				engine_actions(from, &n);
			struct engine_send q[32];
			uint8_t *bufs[32];
			size_t nq = 0;

			for (size_t i = 0; i < n && nq < 32; i++) {
				if (a[i].type != ENGINE_ACT_SEND)
					continue;
				q[nq] = a[i].u.send;
				if (!(bufs[nq] = malloc(q[nq].len)))
					abort();
				memcpy(bufs[nq], q[nq].buf, q[nq].len);
				nq++;
			}
			engine_actions_clear(from);
			for (size_t i = 0; i < nq; i++) {
				(void)engine_datagram(to, fz_now, &q[i].remote,
						      &q[i].local, bufs[i],
						      q[i].len);
				free(bufs[i]);
				busy = true;
			}
		}
		if (!busy)
			return;
	}
}

static struct ike_sa *fz_sa(void)
{
	uint32_t id;

	if (fz_a && engine_ike_list(fz_a, &id, 1) == 1) {
		struct ike_sa *sa = ike_sa_by_id(fz_a, id);

		if (sa && sa->state == IKE_SA_ESTABLISHED && !sa->tasks &&
		    engine_ike_count(fz_b) == 1)
			return sa;
	}
	engine_free(fz_a);
	engine_free(fz_b);
	{
		struct engine_env env = { .random = fz_random };
		struct engine_conn ca, cb;

		fz_conn(&ca, true);
		fz_conn(&cb, false);
		fz_a = engine_new(&env, NULL, &ca, 1);
		fz_b = engine_new(&env, NULL, &cb, 1);
	}
	if (!fz_a || !fz_b || engine_initiate(fz_a, fz_now, "fz", &id))
		abort();
	fz_pump();
	return ike_sa_by_id(fz_a, id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_sa *sa;
	struct ike_msg *m;

	if (size < 2)
		return 0;
	sa = fz_sa();
	if (!sa || !(m = malloc(sizeof(*m))))
		return 0;
	msg_start(sa, m,
		  data[0] & 1 ? EXCH_INFORMATIONAL : EXCH_CREATE_CHILD_SA,
		  false, 0);
	/* payloads the codec accepts, re-encoded inside SK by a's keys */
	if (!ike_msg_decode_chain(m, data[1], data + 2, size - 2, true) &&
	    !msg_send_request(sa, fz_now, m)) {
		fz_pump();
		fz_now += 6000; /* let delays and retransmissions run */
		engine_timeout(fz_a, fz_now);
		engine_timeout(fz_b, fz_now);
		fz_pump();
	}
	free(m);
	return 0;
}
