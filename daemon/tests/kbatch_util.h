/* The engine actions of one tunnel CHILD SA's kernel work (ALLOC_SPI,
 * SA_ADD/SA_DEL, POLICY_ADD/POLICY_DEL), built as the engine hands them
 * to io, for the tests (test_kbatch.c) and the benchmark
 * (bench/bench_kbatch.c) of the kernel batches of io/kbatch.c. The CHILD
 * SA joins ts_us behind `us` and ts_peer behind `peer`; its SAs are
 * AES-GCM-16 with 128-bit keys of 0x5a bytes. */
#ifndef KB_TESTS_KBATCH_UTIL_H
#define KB_TESTS_KBATCH_UTIL_H

#include "engine/engine.h"
#include "ike_iana.h"

#include <stdbool.h>
#include <string.h>

struct ku_child {
	struct engine_addr us, peer;
	struct engine_ts ts_us, ts_peer;
	uint32_t reqid;
};

/* 192.0.2.`host` */
static inline struct engine_addr ku_addr(uint8_t host)
{
	return (struct engine_addr){ .family = AF_INET,
				     .ip = { 192, 0, 2, host } };
}

/* 10.`b`.`c`.0/24, any protocol and port */
static inline struct engine_ts ku_ts(uint8_t b, uint8_t c)
{
	struct engine_ts t = { .type = TS_IPV4_ADDR_RANGE, .port_hi = 65535 };

	t.start[0] = t.end[0] = 10;
	t.start[1] = t.end[1] = b;
	t.start[2] = t.end[2] = c;
	t.end[3] = 255;
	return t;
}

/* ALLOC_SPI of `spi` for the inbound SA (peer -> us). */
static inline struct engine_action *
ku_spi(struct engine_action *a, const struct ku_child *c, uint32_t spi)
{
	memset(a, 0, sizeof(*a));
	a->type = ENGINE_ACT_ALLOC_SPI;
	a->u.spi = (struct engine_spi){ .spi = spi,
					.proto = PROTO_ESP,
					.reqid = c->reqid,
					.src = c->peer,
					.dst = c->us };
	return a;
}

/* SA_ADD (`add`) or SA_DEL of SA `spi`, inbound (`in`: peer -> us) or
 * outbound. */
static inline struct engine_action *ku_sa(struct engine_action *a,
					  const struct ku_child *c, bool add,
					  bool in, uint32_t spi)
{
	struct engine_sa *s = &a->u.sa;

	memset(a, 0, sizeof(*a));
	a->type = add ? ENGINE_ACT_SA_ADD : ENGINE_ACT_SA_DEL;
	s->src = in ? c->peer : c->us;
	s->dst = in ? c->us : c->peer;
	s->spi = spi;
	s->proto = PROTO_ESP;
	s->mode = ENGINE_MODE_TUNNEL;
	s->reqid = c->reqid;
	s->inbound = in;
	s->encr = ENCR_AES_GCM_16;
	s->encr_keylen = 128;
	s->integ = AUTH_NONE;
	s->icv_len = 16;
	s->enc_key_len = 20; /* RFC 4106: the key and a 4-byte salt */
	memset(s->enc_key, 0x5a, 20);
	s->replay_window = 32;
	return a;
}

/* POLICY_ADD (`add`) or POLICY_DEL of the tunnel policy in `dir`. */
static inline struct engine_action *ku_policy(struct engine_action *a,
					      const struct ku_child *c,
					      bool add,
					      enum engine_policy_dir dir)
{
	bool out = dir == ENGINE_POL_OUT;

	memset(a, 0, sizeof(*a));
	a->type = add ? ENGINE_ACT_POLICY_ADD : ENGINE_ACT_POLICY_DEL;
	a->u.policy = (struct engine_policy){
		.src = out ? c->ts_us : c->ts_peer,
		.dst = out ? c->ts_peer : c->ts_us,
		.dir = dir,
		.mode = ENGINE_MODE_TUNNEL,
		.reqid = c->reqid,
		.tmpl_src = out ? c->us : c->peer,
		.tmpl_dst = out ? c->peer : c->us,
	};
	return a;
}

#endif
