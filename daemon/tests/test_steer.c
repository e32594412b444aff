/* Which worker owns a datagram (include/kb_steer.h) and the engine's side
 * of it: SPIs and ids an engine of worker w of n picks (engine_settings).
 * Two engines of different workers talk through the harness; every
 * datagram after the first IKE_SA_INIT must be steered to the worker of
 * the engine it is for, through IKE_SA_INIT, IKE_AUTH, an IKE SA rekey by
 * each side (§1.3.2: the new SA's SPIs are picked again) and a delete. */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "kb_steer.h"

#include <string.h>
#include <sys/socket.h>

TEST(steer_spi_octet_keeps_worker_and_randomness)
{
	for (unsigned n = 1; n <= KB_STEER_MAX_WORKERS; n++)
		for (unsigned w = 0; w < n; w++)
			for (unsigned r = 0; r < 256; r++) {
				uint8_t o =
					kb_steer_spi_octet((uint8_t)r, w, n);

				if (n == 1)
					CHECK_EQ(o, r);
				else if (o % n != w)
					CHECK_EQ(o % n, w);
			}
	/* of two workers, each keeps 7 random bits */
	CHECK_EQ(kb_steer_spi_octet(0xff, 0, 2), 0xfe);
	CHECK_EQ(kb_steer_spi_octet(0xfe, 1, 2), 0xff);
	/* 255 - 255 % 3 + 2 = 257 does not fit: 254 */
	CHECK_EQ(kb_steer_spi_octet(0xff, 2, 3), 254);
}

TEST(steer_worker_by_header)
{
	uint8_t hdr[KB_STEER_HDR] = { 0 }, addr[16] = { 192, 0, 2, 1 };
	uint32_t h;

	memcpy(hdr, "\x05\x11\x22\x33\x44\x55\x66\x77", 8);
	/* IKE_SA_INIT request: by hash, the same for a retransmission */
	h = kb_steer_hash(hdr, addr);
	CHECK_EQ(kb_steer_worker(hdr, addr, 4), h % 4);
	CHECK_EQ(kb_steer_worker(hdr, addr, 1), 0u);
	addr[3] = 2; /* another address, usually another worker */
	CHECK(kb_steer_hash(hdr, addr) != h);
	/* FNV-1a: a fixed value both compilers must produce */
	CHECK_EQ(kb_steer_hash((const uint8_t *)"\0\0\0\0\0\0\0\0",
			       (const uint8_t[16]){ 0 }),
		 0xe2ba14a5u);
	/* from the initiator (I flag): SPIr's first octet */
	hdr[8] = 0x2b; /* 43 */
	hdr[19] = KB_STEER_FLAG_I;
	CHECK_EQ(kb_steer_worker(hdr, addr, 2), 1u);
	CHECK_EQ(kb_steer_worker(hdr, addr, 3), 1u);
	CHECK_EQ(kb_steer_worker(hdr, addr, 5), 3u);
	/* from the responder: SPIi's */
	hdr[19] = 0x20; /* Response flag only */
	CHECK_EQ(kb_steer_worker(hdr, addr, 2), 1u);
	CHECK_EQ(kb_steer_worker(hdr, addr, 3), 2u);
}

static void steer_addr(const struct engine_addr *a, uint8_t out[16])
{
	memset(out, 0, 16);
	memcpy(out, a->ip, a->family == AF_INET ? 4 : 16);
}

/* Every datagram in `from`'s queue is for `owner` of `n`, except an
 * IKE_SA_INIT request (SPIr zero), which goes by hash. */
static size_t steer_check_queue(const struct hpeer *from, uint32_t owner,
				uint32_t n)
{
	size_t checked = 0;

	for (size_t i = 0; i < from->n_q; i++) {
		const struct hpkt *k = &from->q[i];
		uint8_t addr[16], zero[8] = { 0 };

		REQUIRE(k->len >= KB_STEER_HDR);
		steer_addr(&k->src, addr);
		if (!memcmp(k->buf + 8, zero, 8))
			continue;
		CHECK_EQ(kb_steer_worker(k->buf, addr, n), owner);
		checked++;
	}
	return checked;
}

static size_t steer_pump(struct harness *h, uint32_t wa, uint32_t wb)
{
	size_t checked = 0;

	harness_collect(h);
	for (int i = 0; i < 100 && (h->a.n_q || h->b.n_q); i++) {
		checked += steer_check_queue(&h->a, wb, 3);
		checked += steer_check_queue(&h->b, wa, 3);
		if (h->a.n_q)
			transmit(h, &h->a, &h->b, H_DELIVER);
		else
			transmit(h, &h->b, &h->a, H_DELIVER);
		harness_collect(h);
	}
	return checked;
}

static void steer_check_sas(const struct hpeer *p, uint32_t w)
{
	uint32_t ids[8];
	size_t n = engine_ike_list(p->e, ids, 8);

	CHECK(n > 0);
	for (size_t i = 0; i < n; i++) {
		struct engine_ike_info info;

		CHECK_EQ((ids[i] - 1) % 3, w);
		REQUIRE_EQ(engine_ike_info(p->e, ids[i], &info), 0);
		CHECK_EQ((uint32_t)(uint8_t)((info.initiator ? info.spi_i
							     : info.spi_r) >>
					     56) %
				 3,
			 w);
	}
}

TEST(steer_engines_of_two_workers)
{
	struct harness h = { 0 };
	struct engine_settings sa = { .worker = 1, .n_workers = 3 };
	struct engine_settings sb = { .worker = 2, .n_workers = 3 };
	struct engine_settings bad = { .worker = 3, .n_workers = 3 };
	size_t checked = 0;

	CHECK(!engine_new(&(struct engine_env){ .random = NULL }, &bad, NULL,
			  0));
	harness_pair_default(&h);
	harness_start_with(&h, &sa, &sb);
	REQUIRE(harness_initiate(&h));
	checked += steer_pump(&h, 1, 2);
	REQUIRE_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	steer_check_sas(&h.a, 1);
	steer_check_sas(&h.b, 2);
	/* §1.3.2 IKE SA rekey by a, then by b: the new SPIs are the
	 * workers' too */
	REQUIRE_EQ(engine_rekey(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	checked += steer_pump(&h, 1, 2);
	REQUIRE_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	steer_check_sas(&h.a, 1);
	steer_check_sas(&h.b, 2);
	REQUIRE_EQ(engine_rekey(h.b.e, h.now, harness_ike_id(&h.b)), 0);
	checked += steer_pump(&h, 1, 2);
	REQUIRE_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	steer_check_sas(&h.a, 1);
	steer_check_sas(&h.b, 2);
	/* and the delete */
	REQUIRE_EQ(engine_terminate(h.b.e, h.now, harness_ike_id(&h.b)), 0);
	checked += steer_pump(&h, 1, 2);
	CHECK_EQ(engine_ike_count(h.a.e), 0u);
	CHECK_EQ(engine_ike_count(h.b.e), 0u);
	CHECK(checked >= 8);
	test_note("%zu datagrams steered to their worker", checked);
	harness_free(&h);
}
