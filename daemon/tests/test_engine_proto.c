/* Engine scenarios about protocol details: IPv6, every ID type, the
 * status notifies of IKE_SA_INIT, requests the engine cannot serve yet,
 * INVALID_SPI. Some steps send hand-made requests through the engine's
 * internal message helpers (engine/ike_sa.h). */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ike_msg.h"
#include "engine/ike_sa.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static void ts6(struct engine_ts *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	ts->type = TS_IPV6_ADDR_RANGE;
	ts->port_hi = 65535;
	REQUIRE(inet_pton(AF_INET6, from, ts->start) == 1);
	REQUIRE(inet_pton(AF_INET6, to, ts->end) == 1);
}

static void addr6(struct engine_addr *a, const char *ip)
{
	a->family = AF_INET6;
	REQUIRE(inet_pton(AF_INET6, ip, a->ip) == 1);
}

TEST(engine_ipv6_establishes)
{
	struct harness h;
	struct engine_child_info c;

	harness_pair_default(&h);
	addr6(&h.a.conn.local, "2001:db8::1");
	addr6(&h.a.conn.remote, "2001:db8::2");
	addr6(&h.b.conn.local, "2001:db8::2");
	addr6(&h.b.conn.remote, "2001:db8::1");
	ts6(&h.a.conn.children[0].local_ts[0],
	    "2001:db8:1::", "2001:db8:1::ffff");
	ts6(&h.a.conn.children[0].remote_ts[0],
	    "2001:db8:2::", "2001:db8:2::ffff");
	ts6(&h.b.conn.children[0].local_ts[0],
	    "2001:db8:2::", "2001:db8:2::ffff");
	ts6(&h.b.conn.children[0].remote_ts[0],
	    "2001:db8:1::", "2001:db8:1::ffff");
	harness_start(&h, NULL);
	harness_establish(&h);
	harness_check_child_pair(&h);
	REQUIRE_EQ(engine_child_info(h.b.e, harness_ike_id(&h.b), 0, &c), 0);
	CHECK_EQ(c.local_ts[0].type, TS_IPV6_ADDR_RANGE);
	CHECK_EQ(harness_sa_add(&h.b, true)->dst.family, AF_INET6);
	harness_free(&h);
}

/* Each RFC 7296 §3.5 ID type, matched byte for byte. */
TEST(engine_id_types)
{
	static const struct {
		uint8_t type;
		uint16_t len;
		const char *data;
	} ids[] = {
		{ ID_IPV4_ADDR, 4, "\xc0\x00\x02\x01" },
		{ ID_IPV6_ADDR, 16,
		  "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" },
		{ ID_FQDN, 14, "gw.example.net" },
		{ ID_RFC822_ADDR, 15, "ops@example.net" },
		{ ID_KEY_ID, 5, "\x01\x02\x03\x04\x05" },
		/* SEQUENCE { SET { SEQUENCE { OID CN, UTF8String "a" } } } */
		{ ID_DER_ASN1_DN, 14,
		  "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x0c\x01\x61" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct harness h;
		struct engine_id id = { .type = ids[i].type,
					.len = ids[i].len };

		test_note("%s", ike_id_type_name(ids[i].type));
		memcpy(id.data, ids[i].data, ids[i].len);
		harness_pair_default(&h);
		h.a.conn.local_auth.id = id;
		h.b.conn.remote_auth.id = id;
		harness_start(&h, NULL);
		harness_establish(&h);
		harness_free(&h);
		/* one byte off: b refuses */
		harness_pair_default(&h);
		h.a.conn.local_auth.id = id;
		id.data[id.len - 1] ^= 1;
		h.b.conn.remote_auth.id = id;
		harness_start(&h, NULL);
		REQUIRE(harness_initiate(&h));
		(void)harness_run(&h, 10);
		CHECK_EQ(harness_state(&h.a), ENGINE_IKE_NONE);
		CHECK_EQ(harness_state(&h.b), ENGINE_IKE_NONE);
		harness_free(&h);
	}
}

TEST(engine_init_announces_status_notifies)
{
	struct harness h;
	struct ike_msg *m = malloc(sizeof(*m));
	const struct ike_payload *p;

	REQUIRE(m);
	harness_pair_default(&h);
	harness_start(&h, NULL);
	REQUIRE(harness_initiate(&h));
	REQUIRE_EQ(h.a.n_q, 1);
	REQUIRE_EQ(ike_msg_decode(m, h.a.q[0].buf, h.a.q[0].len), 0);
	CHECK_EQ(m->hdr.exchange, EXCH_IKE_SA_INIT);
	CHECK_EQ(m->hdr.flags, IKE_FLAG_INITIATOR);
	CHECK_EQ(m->hdr.msg_id, 0);
	CHECK_EQ(m->hdr.spi_r, 0);
	CHECK(ike_msg_find(m, PL_SA, NULL));
	p = ike_msg_find(m, PL_KE, NULL);
	REQUIRE(p);
	CHECK_EQ(p->u.ke.group, KE_CURVE25519);
	CHECK_EQ(p->u.ke.data.len, 32);
	p = ike_msg_find(m, PL_NONCE, NULL);
	REQUIRE(p);
	CHECK_EQ(p->u.nonce.data.len, 32);
	CHECK(ike_msg_find_notify(m, N_NAT_DETECTION_SOURCE_IP));
	CHECK(ike_msg_find_notify(m, N_NAT_DETECTION_DESTINATION_IP));
	CHECK(ike_msg_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED));
	p = ike_msg_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS);
	REQUIRE(p);
	CHECK_GE(p->u.notify.data.len, 6); /* SHA2-256/384/512 at least */
	/* and the responder answers with the same set */
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	REQUIRE_EQ(ike_msg_decode(m, h.b.q[0].buf, h.b.q[0].len), 0);
	CHECK_EQ(m->hdr.flags, IKE_FLAG_RESPONSE);
	CHECK_NE(m->hdr.spi_r, 0);
	CHECK(ike_msg_find_notify(m, N_NAT_DETECTION_SOURCE_IP));
	CHECK(ike_msg_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED));
	CHECK(ike_msg_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS));
	free(m);
	harness_free(&h);
}

/* Sends a hand-made protected request from a's IKE SA. */
static void send_request(struct harness *h, uint8_t exchange, uint16_t notify,
			 const void *data, size_t len, uint8_t proto)
{
	struct ike_sa *sa = ike_sa_by_id(h->a.e, harness_ike_id(&h->a));
	struct ike_msg *m = malloc(sizeof(*m));

	REQUIRE(sa && m);
	msg_start(sa, m, exchange, false, 0);
	REQUIRE(msg_add_notify(m, true, notify, proto, data, len));
	REQUIRE_EQ(msg_send_request(sa, h->now, m), 0);
	free(m);
	harness_collect(h);
}

/* A CREATE_CHILD_SA without SA, Nonce and TS payloads is answered, not
 * dropped (a dropped request would be retransmitted until the peer gave
 * up on us). */
TEST(engine_create_child_sa_malformed_answered)
{
	struct harness h;
	struct ike_sa *sa;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	/* HDR, SK {N(REKEY_SA)} --> */
	send_request(&h, EXCH_CREATE_CHILD_SA, N_REKEY_SA, NULL, 0, PROTO_ESP);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK(harness_logged(&h.b, "b-from-a[1]: CREATE_CHILD_SA request lacks "
				   "SA, Nonce or TS payloads; answering "
				   "INVALID_SYNTAX"));
	/* <-- HDR, SK {N(INVALID_SYNTAX)} */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK(harness_logged(&h.a, "CREATE_CHILD_SA response 2 matches no "
				   "request"));
	sa = ike_sa_by_id(h.a.e, harness_ike_id(&h.a));
	REQUIRE(sa);
	CHECK(!win_requests(sa));
	CHECK_EQ(sa->state, IKE_SA_ESTABLISHED);
	CHECK_EQ(sa->n_children, 1);
	harness_free(&h);
}

TEST(engine_invalid_spi_notify_removes_stale_child)
{
	struct harness h;
	const struct engine_sa *in;
	uint8_t spi[4];

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	/* a got ESP on b's outbound SPI = a's inbound, which a says it does
	 * not know: HDR, SK {N(INVALID_SPI, spi)} --> */
	in = harness_sa_add(&h.a, true);
	REQUIRE(in);
	spi[0] = (uint8_t)(in->spi >> 24);
	spi[1] = (uint8_t)(in->spi >> 16);
	spi[2] = (uint8_t)(in->spi >> 8);
	spi[3] = (uint8_t)in->spi;
	send_request(&h, EXCH_INFORMATIONAL, N_INVALID_SPI, spi, 4, PROTO_ESP);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	CHECK(harness_logged(&h.b, "peer reports INVALID_SPI"));
	CHECK_EQ(h.b.n_sa_del, 2);
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	CHECK_EQ(harness_state(&h.b), ENGINE_IKE_ESTABLISHED);
	harness_free(&h);
}
