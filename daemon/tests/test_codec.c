/* Tests of the IKEv2 message codec (daemon/engine/ike_msg*.c): hand-built
 * messages decoded field by field and encoded back byte for byte. */
#include "engine/ike_msg.h"
#include "tests/codec_util.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

/* Decodes vector `name` into `m`; the bytes stay in `buf`. */
static int decode_vec(const char *name, uint8_t *buf, size_t cap, size_t *len,
		      struct ike_msg *m)
{
	*len = codec_util_vec(name, buf, cap);
	return ike_msg_decode(m, buf, *len);
}

/* encode(decode(x)) == x */
static void check_round_trip(const struct ike_msg *m, const uint8_t *x,
			     size_t len)
{
	uint8_t out[4096];
	size_t out_len = 0;

	CHECK_EQ(ike_msg_encode(m, out, sizeof(out), &out_len), 0);
	CHECK_EQ(out_len, len);
	if (out_len == len)
		CHECK_MEM(out, x, len);
}

TEST(codec_sa_init_request_decodes)
{
	static uint8_t buf[1024];
	static struct ike_msg m;
	const struct ike_payload *p;
	const struct ike_proposal *pr;
	size_t len;

	REQUIRE_EQ(decode_vec("sa_init_i", buf, sizeof(buf), &len, &m), 0);
	CHECK(m.hdr.spi_i == 0x0011223344556677ULL);
	CHECK(m.hdr.spi_r == 0);
	CHECK_EQ(m.hdr.next_payload, PL_SA);
	CHECK_EQ(m.hdr.version, 0x20);
	CHECK_EQ(m.hdr.exchange, EXCH_IKE_SA_INIT);
	CHECK_EQ(m.hdr.flags, IKE_FLAG_INITIATOR);
	CHECK_EQ(m.hdr.msg_id, 0);
	CHECK_EQ(m.hdr.length, 220);
	REQUIRE_EQ(m.n_payloads, 6);

	p = &m.payloads[0];
	CHECK_EQ(p->type, PL_SA);
	CHECK_EQ(p->off, 28);
	REQUIRE_EQ(p->u.sa.n_proposals, 1);
	pr = &p->u.sa.proposals[0];
	CHECK_EQ(pr->num, 1);
	CHECK_EQ(pr->protocol, PROTO_IKE);
	CHECK_EQ(pr->spi.len, 0);
	REQUIRE_EQ(pr->n_transforms, 3);
	CHECK_EQ(pr->transforms[0].type, TRANS_ENCR);
	CHECK_EQ(pr->transforms[0].id, ENCR_AES_GCM_16);
	CHECK_EQ(pr->transforms[0].key_len, 256);
	CHECK_EQ(pr->transforms[1].type, TRANS_PRF);
	CHECK_EQ(pr->transforms[1].id, PRF_HMAC_SHA2_256);
	CHECK_EQ(pr->transforms[1].key_len, 0);
	CHECK_EQ(pr->transforms[2].type, TRANS_KE);
	CHECK_EQ(pr->transforms[2].id, KE_CURVE25519);

	p = &m.payloads[1];
	CHECK_EQ(p->type, PL_KE);
	CHECK_EQ(p->u.ke.group, KE_CURVE25519);
	CHECK_EQ(p->u.ke.data.len, 32);
	CHECK_EQ(p->u.ke.data.ptr[0], 0xa0);
	CHECK(p->u.ke.data.ptr >= buf && p->u.ke.data.ptr < buf + len);

	p = &m.payloads[2];
	CHECK_EQ(p->type, PL_NONCE);
	CHECK_EQ(p->u.nonce.data.len, 32);
	CHECK_EQ(p->u.nonce.data.ptr[31], 0xbf);

	p = ike_msg_find_notify(&m, N_NAT_DETECTION_SOURCE_IP);
	REQUIRE(p != NULL);
	CHECK_EQ(p->u.notify.protocol, 0);
	CHECK_EQ(p->u.notify.spi.len, 0);
	CHECK_EQ(p->u.notify.data.len, 20);
	CHECK(ike_msg_find_notify(&m, N_NAT_DETECTION_DESTINATION_IP) ==
	      &m.payloads[4]);
	CHECK(ike_msg_find_notify(&m, N_COOKIE) == NULL);

	p = ike_msg_find(&m, PL_VENDOR, NULL);
	REQUIRE(p != NULL);
	CHECK_EQ(p->u.vendor.id.len, 16);
	CHECK(ike_msg_find(&m, PL_VENDOR, p) == NULL);

	check_round_trip(&m, buf, len);
}

TEST(codec_err_table_maps_to_notify)
{
	CHECK_EQ(ike_err_notify(IKE_ERR_CRITICAL),
		 N_UNSUPPORTED_CRITICAL_PAYLOAD);
	CHECK_EQ(ike_err_notify(IKE_ERR_MAJOR_VERSION),
		 N_INVALID_MAJOR_VERSION);
	CHECK_EQ(ike_err_notify(IKE_ERR_LENGTH), N_INVALID_SYNTAX);
	CHECK_EQ(ike_err_notify(IKE_ERR_TRUNCATED), 0);
	CHECK_EQ(ike_err_notify(0), 0);
	CHECK_EQ(ike_err_notify(-12), 0); /* -ENOMEM is not ours */
	CHECK_STR(ike_err_name(IKE_ERR_TS_RANGE), "IKE_ERR_TS_RANGE");
	CHECK_STR(ike_err_name(0), "IKE_OK");
	CHECK_STR(ike_err_name(-2), "errno");
	CHECK(ike_err_str(IKE_ERR_SPI_SIZE) != NULL);
	CHECK(IKE_ERR_NOT_IKE < -999); /* never collides with -errno */
}

TEST(codec_classify_datagrams)
{
	static const uint8_t keepalive[] = { 0xff };
	static const uint8_t marker_ike[] = { 0, 0, 0, 0, 1, 2, 3, 4 };
	static const uint8_t esp[] = { 0, 0, 0x10, 0x01, 0, 0, 0, 1 };
	size_t off = 99;

	CHECK_EQ(ike_msg_classify(keepalive, 1, true, &off),
		 IKE_DGRAM_KEEPALIVE);
	CHECK_EQ(ike_msg_classify(keepalive, 1, false, &off),
		 IKE_DGRAM_KEEPALIVE);
	CHECK_EQ(ike_msg_classify(marker_ike, sizeof(marker_ike), true, &off),
		 IKE_DGRAM_IKE);
	CHECK_EQ(off, 4);
	CHECK_EQ(ike_msg_classify(marker_ike, sizeof(marker_ike), false, &off),
		 IKE_DGRAM_IKE);
	CHECK_EQ(off, 0);
	CHECK_EQ(ike_msg_classify(esp, sizeof(esp), true, &off), IKE_DGRAM_ESP);
	CHECK_EQ(ike_msg_classify(marker_ike, 4, true, &off),
		 IKE_DGRAM_INVALID);
	CHECK_EQ(ike_msg_classify(esp, 3, true, &off), IKE_DGRAM_INVALID);
	CHECK_EQ(ike_msg_classify(esp, 0, false, &off), IKE_DGRAM_INVALID);
}

/* Builds IKE_SA_INIT request by hand with the builder API and checks it
 * equals the hand-built vector: the engine's way of sending. */
TEST(codec_build_sa_init_request)
{
	static uint8_t want[1024], out[1024];
	static struct ike_msg m, d;
	struct ike_transform tr[3] = {
		{ .type = TRANS_ENCR, .id = ENCR_AES_GCM_16, .key_len = 256 },
		{ .type = TRANS_PRF, .id = PRF_HMAC_SHA2_256 },
		{ .type = TRANS_KE, .id = KE_CURVE25519 },
	};
	struct ike_proposal pr = { .num = 1,
				   .protocol = PROTO_IKE,
				   .n_transforms = 3,
				   .transforms = tr };
	struct ike_payload *p;
	size_t want_len, len;

	REQUIRE_EQ(decode_vec("sa_init_i", want, sizeof(want), &want_len, &d),
		   0);
	ike_msg_init(&m, 0x0011223344556677ULL, 0, EXCH_IKE_SA_INIT,
		     IKE_FLAG_INITIATOR, 0);
	REQUIRE((p = ike_msg_add(&m, PL_SA)) != NULL);
	p->u.sa = (struct ike_pl_sa){ .n_proposals = 1, .proposals = &pr };
	REQUIRE((p = ike_msg_add(&m, PL_KE)) != NULL);
	p->u.ke = d.payloads[1].u.ke;
	REQUIRE((p = ike_msg_add(&m, PL_NONCE)) != NULL);
	p->u.nonce = d.payloads[2].u.nonce;
	for (int i = 3; i < 6; i++) {
		REQUIRE((p = ike_msg_add(&m, d.payloads[i].type)) != NULL);
		p->u = d.payloads[i].u;
	}
	REQUIRE_EQ(ike_msg_encode(&m, out, sizeof(out), &len), 0);
	REQUIRE_EQ(len, want_len);
	CHECK_MEM(out, want, len);
	/* One byte short fails cleanly. */
	CHECK_EQ(ike_msg_encode(&m, out, len - 1, &len), IKE_ERR_NO_SPACE);
}

/* Every valid vector decodes and encodes back byte for byte. */
static const char *const valid_vectors[] = {
	"sa_init_i",
	"sa_init_r",
	"auth_i",
	"auth_i_plain",
	"informational",
	"eap",
	"skf1",
	"skf3",
	"create_child_ike",
	"unknown_noncritical",
	"sa_init_cookie",
};

TEST(codec_valid_vectors_round_trip)
{
	static uint8_t buf[4096];
	static struct ike_msg m;

	for (size_t i = 0; i < sizeof(valid_vectors) / sizeof(*valid_vectors);
	     i++) {
		size_t len;
		int rc = decode_vec(valid_vectors[i], buf, sizeof(buf), &len,
				    &m);

		if (rc != 0) {
			test_fail(__FILE__, __LINE__, "%s: %s at offset %zu",
				  valid_vectors[i], ike_err_name(rc),
				  m.err_off);
			continue;
		}
		check_round_trip(&m, buf, len);
	}
}

/* Every error of issue 3, each from its own hand-built vector: the named
 * error, the payload it was found in, and the notify that answers it. */
static const struct {
	const char *name;
	int err;
	uint8_t payload;
	uint16_t notify;
} error_vectors[] = {
	{ "err_truncated", IKE_ERR_TRUNCATED, 0, 0 },
	{ "err_major_version", IKE_ERR_MAJOR_VERSION, 0,
	  N_INVALID_MAJOR_VERSION },
	{ "err_length_long", IKE_ERR_LENGTH, 0, N_INVALID_SYNTAX },
	{ "err_length_short", IKE_ERR_LENGTH, 0, N_INVALID_SYNTAX },
	{ "err_trailing", IKE_ERR_TRAILING, 0, N_INVALID_SYNTAX },
	{ "err_payload_short", IKE_ERR_PAYLOAD_LENGTH, PL_VENDOR,
	  N_INVALID_SYNTAX },
	{ "err_payload_overrun", IKE_ERR_PAYLOAD_OVERRUN, PL_VENDOR,
	  N_INVALID_SYNTAX },
	{ "err_chain_overrun", IKE_ERR_PAYLOAD_OVERRUN, PL_VENDOR,
	  N_INVALID_SYNTAX },
	{ "err_critical", IKE_ERR_CRITICAL, 49,
	  N_UNSUPPORTED_CRITICAL_PAYLOAD },
	{ "err_critical_v1", IKE_ERR_CRITICAL, 1,
	  N_UNSUPPORTED_CRITICAL_PAYLOAD },
	{ "err_nonce_short", IKE_ERR_PAYLOAD_LENGTH, PL_NONCE,
	  N_INVALID_SYNTAX },
	{ "err_proposal_first", IKE_ERR_PROPOSAL_NUM, PL_SA, N_INVALID_SYNTAX },
	{ "err_proposal_gap", IKE_ERR_PROPOSAL_NUM, PL_SA, N_INVALID_SYNTAX },
	{ "err_proposal_last", IKE_ERR_PROPOSAL_COUNT, PL_SA,
	  N_INVALID_SYNTAX },
	{ "err_transform_count", IKE_ERR_PROPOSAL_COUNT, PL_SA,
	  N_INVALID_SYNTAX },
	{ "err_transform_extra", IKE_ERR_PROPOSAL_COUNT, PL_SA,
	  N_INVALID_SYNTAX },
	{ "err_attr_tlv", IKE_ERR_TRANSFORM_ATTR, PL_SA, N_INVALID_SYNTAX },
	{ "err_attr_trunc", IKE_ERR_TRANSFORM_ATTR, PL_SA, N_INVALID_SYNTAX },
	{ "err_spi_size", IKE_ERR_SPI_SIZE, PL_SA, N_INVALID_SYNTAX },
	{ "err_notify_spi_size", IKE_ERR_SPI_SIZE, PL_NOTIFY,
	  N_INVALID_SYNTAX },
	{ "err_delete_spi_size", IKE_ERR_SPI_SIZE, PL_DELETE,
	  N_INVALID_SYNTAX },
	{ "err_delete_count", IKE_ERR_PAYLOAD_SYNTAX, PL_DELETE,
	  N_INVALID_SYNTAX },
	{ "err_ts_range", IKE_ERR_TS_RANGE, PL_TSI, N_INVALID_SYNTAX },
	{ "err_ts_length", IKE_ERR_TS_LENGTH, PL_TSR, N_INVALID_SYNTAX },
	{ "err_ts_count", IKE_ERR_TS_LENGTH, PL_TSI, N_INVALID_SYNTAX },
	{ "err_sk_not_last", IKE_ERR_SK_NOT_LAST, PL_SK, N_INVALID_SYNTAX },
	{ "err_eap_length", IKE_ERR_EAP_LENGTH, PL_EAP, N_INVALID_SYNTAX },
	{ "err_fragment", IKE_ERR_FRAGMENT, PL_SKF, N_INVALID_SYNTAX },
	{ "err_cp_attr_length", IKE_ERR_PAYLOAD_SYNTAX, PL_CP,
	  N_INVALID_SYNTAX },
};

TEST(codec_error_vectors)
{
	static uint8_t buf[4096];
	static struct ike_msg m;

	for (size_t i = 0; i < sizeof(error_vectors) / sizeof(*error_vectors);
	     i++) {
		size_t len;
		int rc = decode_vec(error_vectors[i].name, buf, sizeof(buf),
				    &len, &m);

		if (rc != error_vectors[i].err)
			test_fail(__FILE__, __LINE__, "%s: expected %s, got %s",
				  error_vectors[i].name,
				  ike_err_name(error_vectors[i].err),
				  ike_err_name(rc));
		if (m.err_payload != error_vectors[i].payload)
			test_fail(__FILE__, __LINE__,
				  "%s: error in payload %u, expected %u",
				  error_vectors[i].name, m.err_payload,
				  error_vectors[i].payload);
		CHECK_EQ(ike_err_notify(rc), error_vectors[i].notify);
	}
}

/* No read ever leaves the buffer: every prefix of every valid vector, in a
 * heap block of exactly that size (ASan catches a one-byte over-read), both
 * as is and with the header length patched to the prefix length so that
 * the payload walker sees truncated payloads. */
TEST(codec_every_prefix_stays_in_bounds)
{
	static uint8_t buf[4096];
	static struct ike_msg m;

	for (size_t i = 0; i < sizeof(valid_vectors) / sizeof(*valid_vectors);
	     i++) {
		size_t len = codec_util_vec(valid_vectors[i], buf, sizeof(buf));

		for (size_t n = 0; n < len; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			int rc;

			REQUIRE(copy != NULL);
			memcpy(copy, buf, n);
			rc = ike_msg_decode(&m, copy, n);
			CHECK_NE(rc, 0);
			if (n >= IKE_HDR_LEN) {
				copy[24] = (uint8_t)(n >> 24);
				copy[25] = (uint8_t)(n >> 16);
				copy[26] = (uint8_t)(n >> 8);
				copy[27] = (uint8_t)n;
				rc = ike_msg_decode(&m, copy, n);
				/* A cut at a payload boundary may still be
				 * a valid chain only if next payload ends
				 * it; every vector chains on, so it fails. */
				if (n > IKE_HDR_LEN)
					CHECK_NE(rc, 0);
			}
			free(copy);
		}
	}
}

TEST(codec_sa_init_response_decodes)
{
	static uint8_t buf[1024];
	static struct ike_msg m;
	const struct ike_payload *p;
	const struct ike_proposal *pr;
	size_t len;

	REQUIRE_EQ(decode_vec("sa_init_r", buf, sizeof(buf), &len, &m), 0);
	CHECK(m.hdr.spi_r == 0x8899aabbccddeeffULL);
	CHECK_EQ(m.hdr.flags, IKE_FLAG_RESPONSE);
	REQUIRE_EQ(m.n_payloads, 8);
	pr = &m.payloads[0].u.sa.proposals[0];
	CHECK_EQ(pr->num, 2); /* an answer keeps the accepted number */
	REQUIRE_EQ(pr->n_transforms, 4);
	CHECK_EQ(pr->transforms[0].id, ENCR_AES_CBC);
	CHECK_EQ(pr->transforms[0].key_len, 128);
	CHECK_EQ(pr->transforms[2].type, TRANS_INTEG);
	CHECK_EQ(pr->transforms[2].id, AUTH_HMAC_SHA2_256_128);
	CHECK_EQ(pr->transforms[3].id, KE_ECP_256);
	CHECK_EQ(m.payloads[1].u.ke.group, KE_ECP_256);
	CHECK_EQ(m.payloads[1].u.ke.data.len, 64);
	p = ike_msg_find(&m, PL_CERTREQ, NULL);
	REQUIRE(p != NULL);
	CHECK_EQ(p->u.cert.encoding, CERT_X509_SIGNATURE);
	CHECK_EQ(p->u.cert.data.len, 40);
	CHECK(ike_msg_find_notify(&m, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL);
	p = ike_msg_find_notify(&m, N_SIGNATURE_HASH_ALGORITHMS);
	REQUIRE(p != NULL);
	CHECK_EQ(p->u.notify.data.len, 6);
	CHECK_EQ(p->u.notify.data.ptr[5], HASH_SHA2_512);
}

TEST(codec_auth_payloads_decode)
{
	static uint8_t buf[1024];
	static struct ike_msg m;
	const struct ike_payload *p;
	const struct ike_ts *ts;
	size_t len;

	REQUIRE_EQ(decode_vec("auth_i_plain", buf, sizeof(buf), &len, &m), 0);
	REQUIRE_EQ(m.n_payloads, 10);
	p = &m.payloads[0];
	CHECK_EQ(p->type, PL_IDI);
	CHECK_EQ(p->u.id.type, ID_FQDN);
	CHECK_EQ(p->u.id.data.len, 13);
	CHECK(memcmp(p->u.id.data.ptr, "alice.example", 13) == 0);
	CHECK_EQ(m.payloads[1].u.cert.encoding, CERT_HASH_URL_X509_CERT);
	CHECK_EQ(m.payloads[1].u.cert.data.len, 43);
	CHECK_EQ(m.payloads[2].type, PL_CERTREQ);
	CHECK_EQ(m.payloads[3].u.auth.method, AUTHM_SHARED_KEY);
	CHECK_EQ(m.payloads[3].u.auth.data.len, 32);
	CHECK_EQ(m.payloads[4].u.notify.type, N_INITIAL_CONTACT);

	p = &m.payloads[5];
	CHECK_EQ(p->u.cp.cfg_type, CFG_REQUEST);
	REQUIRE_EQ(p->u.cp.n_attrs, 3);
	CHECK_EQ(p->u.cp.attrs[0].type, CFGA_INTERNAL_IP4_ADDRESS);
	CHECK_EQ(p->u.cp.attrs[1].type, CFGA_INTERNAL_IP4_DNS);
	CHECK_EQ(p->u.cp.attrs[2].type, CFGA_INTERNAL_IP6_ADDRESS);
	CHECK_EQ(p->u.cp.attrs[2].value.len, 0);

	p = &m.payloads[6];
	REQUIRE_EQ(p->u.sa.n_proposals, 2);
	CHECK_EQ(p->u.sa.proposals[0].protocol, PROTO_ESP);
	CHECK_EQ(p->u.sa.proposals[0].spi.len, 4);
	CHECK_EQ(p->u.sa.proposals[0].spi.ptr[0], 0xc1);
	CHECK_EQ(p->u.sa.proposals[0].transforms[1].type, TRANS_ESN);
	CHECK_EQ(p->u.sa.proposals[1].num, 2);
	CHECK_EQ(p->u.sa.proposals[1].n_transforms, 3);
	CHECK_EQ(p->u.sa.proposals[1].transforms[0].key_len, 256);

	p = &m.payloads[7];
	CHECK_EQ(p->type, PL_TSI);
	REQUIRE_EQ(p->u.ts.n_ts, 2);
	ts = &p->u.ts.ts[0];
	CHECK_EQ(ts->type, TS_IPV4_ADDR_RANGE);
	CHECK_EQ(ts->start_port, 0);
	CHECK_EQ(ts->end_port, 65535);
	CHECK_MEM(ts->start.ptr, "\x0a\x01\x00\x00", 4);
	CHECK_MEM(ts->end.ptr, "\x0a\x01\xff\xff", 4);
	ts = &p->u.ts.ts[1];
	CHECK_EQ(ts->type, TS_IPV6_ADDR_RANGE);
	CHECK_EQ(ts->ip_proto, 6);
	CHECK_EQ(ts->start_port, 443);
	CHECK_EQ(ts->start.len, 16);
	CHECK_EQ(ts->end.ptr[15], 0xff);

	ts = &m.payloads[8].u.ts.ts[0];
	CHECK_EQ(m.payloads[8].type, PL_TSR);
	CHECK_EQ(ts->ip_proto, 17);
	CHECK_EQ(ts->start_port, 65535); /* OPAQUE */
	CHECK_EQ(ts->end_port, 0);
	CHECK_EQ(m.payloads[9].u.notify.type, N_ESP_TFC_PADDING_NOT_SUPPORTED);
}

/* SK stays opaque; the crypto module's plaintext decodes as inner payloads
 * appended to the same message, and encode_inner gives the plaintext back. */
TEST(codec_sk_and_inner_payloads)
{
	static uint8_t buf[1024], plain[1024], out[1024];
	static struct ike_msg m, pm;
	const struct ike_payload *sk;
	size_t len, plen, olen;

	REQUIRE_EQ(decode_vec("auth_i", buf, sizeof(buf), &len, &m), 0);
	REQUIRE_EQ(m.n_payloads, 1);
	sk = &m.payloads[0];
	CHECK_EQ(sk->type, PL_SK);
	CHECK_EQ(sk->off, 28);
	CHECK_EQ(sk->u.sk.first_payload, PL_IDI);
	CHECK_EQ(sk->u.sk.body.len, 56);
	CHECK(sk->u.sk.body.ptr == buf + 32);

	/* The plaintext: auth_i_plain's payload chain after its header. */
	REQUIRE_EQ(decode_vec("auth_i_plain", plain, sizeof(plain), &plen, &pm),
		   0);
	REQUIRE_EQ(ike_msg_decode_inner(&m, plain + IKE_HDR_LEN,
					plen - IKE_HDR_LEN),
		   0);
	REQUIRE_EQ(m.n_payloads, 11);
	CHECK(m.payloads[1].inner);
	CHECK_EQ(m.payloads[1].type, PL_IDI);
	CHECK(ike_msg_find(&m, PL_AUTH, NULL) != NULL);
	CHECK_EQ(ike_msg_find(&m, PL_TSR, NULL)->u.ts.n_ts, 1);

	/* Outer encode ignores the inner payloads; inner encode is the
	 * plaintext. */
	check_round_trip(&m, buf, len);
	REQUIRE_EQ(ike_msg_encode_inner(&m, out, sizeof(out), &olen), 0);
	REQUIRE_EQ(olen, plen - IKE_HDR_LEN);
	CHECK_MEM(out, plain + IKE_HDR_LEN, olen);

	/* An encoder-reserved SK body: zeros at the very end; the first inner
	 * payload type is filled in when left 0. */
	m.payloads[0].u.sk.body.ptr = NULL;
	m.payloads[0].u.sk.first_payload = PL_NONE;
	REQUIRE_EQ(ike_msg_encode(&m, out, sizeof(out), &olen), 0);
	CHECK_EQ(olen, len);
	CHECK_MEM(out, buf, 32);
	CHECK_EQ(out[28], PL_IDI);
	CHECK_EQ(out[olen - 1], 0);
}

TEST(codec_informational_delete_notify)
{
	static uint8_t buf[1024];
	static struct ike_msg m;
	const struct ike_pl_delete *d;
	const struct ike_pl_notify *n;
	size_t len;

	REQUIRE_EQ(decode_vec("informational", buf, sizeof(buf), &len, &m), 0);
	REQUIRE_EQ(m.n_payloads, 3);
	d = &m.payloads[0].u.del;
	CHECK_EQ(d->protocol, PROTO_ESP);
	CHECK_EQ(d->n_spis, 2);
	CHECK(ike_msg_delete_spi(d, 0) == 0xc1c2c3c4u);
	CHECK(ike_msg_delete_spi(d, 1) == 0xd1d2d3d4u);
	CHECK_EQ(ike_msg_delete_spi(d, 2), 0);
	d = &m.payloads[1].u.del;
	CHECK_EQ(d->protocol, PROTO_IKE);
	CHECK_EQ(d->n_spis, 0);
	n = &m.payloads[2].u.notify;
	CHECK_EQ(n->type, N_CHILD_SA_NOT_FOUND);
	CHECK_EQ(n->protocol, PROTO_ESP);
	CHECK_EQ(n->spi.len, 4);
	CHECK_EQ(n->spi.ptr[3], 0xe4);
	CHECK_EQ(n->data.len, 0);
}

TEST(codec_eap_skf_rekey_unknown)
{
	static uint8_t buf[1024];
	static struct ike_msg m;
	size_t len;

	REQUIRE_EQ(decode_vec("eap", buf, sizeof(buf), &len, &m), 0);
	REQUIRE_EQ(m.n_payloads, 2);
	CHECK_EQ(m.payloads[0].u.eap.code, 1);
	CHECK_EQ(m.payloads[0].u.eap.identifier, 7);
	CHECK_EQ(m.payloads[0].u.eap.type, 1);
	CHECK_EQ(m.payloads[0].u.eap.data.len, 10);
	CHECK_EQ(m.payloads[1].u.eap.code, 3);
	CHECK_EQ(m.payloads[1].u.eap.type, 0);

	REQUIRE_EQ(decode_vec("skf1", buf, sizeof(buf), &len, &m), 0);
	CHECK_EQ(m.payloads[0].u.skf.frag_num, 1);
	CHECK_EQ(m.payloads[0].u.skf.total, 3);
	CHECK_EQ(m.payloads[0].u.skf.first_payload, PL_IDI);
	CHECK_EQ(m.payloads[0].u.skf.body.len, 40);
	REQUIRE_EQ(decode_vec("skf3", buf, sizeof(buf), &len, &m), 0);
	CHECK_EQ(m.payloads[0].u.skf.frag_num, 3);
	CHECK_EQ(m.payloads[0].u.skf.first_payload, 0);

	REQUIRE_EQ(decode_vec("create_child_ike", buf, sizeof(buf), &len, &m),
		   0);
	CHECK_EQ(m.hdr.exchange, EXCH_CREATE_CHILD_SA);
	CHECK_EQ(m.payloads[0].u.sa.proposals[0].spi.len, 8);
	CHECK_EQ(m.payloads[1].u.nonce.data.len, 16);

	REQUIRE_EQ(
		decode_vec("unknown_noncritical", buf, sizeof(buf), &len, &m),
		0);
	REQUIRE_EQ(m.n_payloads, 2);
	CHECK_EQ(m.payloads[0].type, 49);
	CHECK_EQ(m.payloads[0].body.len, 4);
	CHECK_EQ(m.payloads[1].type, PL_NONCE);
}

/* Port 4500: the non-ESP marker comes off before decoding. */
TEST(codec_natt_marker_then_decode)
{
	static uint8_t buf[1024];
	static struct ike_msg m;
	size_t len, off;

	len = codec_util_vec("sa_init_i", buf + 4, sizeof(buf) - 4);
	memset(buf, 0, 4);
	REQUIRE_EQ(ike_msg_classify(buf, len + 4, true, &off), IKE_DGRAM_IKE);
	REQUIRE_EQ(off, 4);
	CHECK_EQ(ike_msg_decode(&m, buf + off, len + 4 - off), 0);
	/* The same bytes on port 500 are not an IKE header at offset 0. */
	CHECK_EQ(ike_msg_decode(&m, buf, len + 4), IKE_ERR_MAJOR_VERSION);
}

/* More payloads than the sane bound are refused, and never overflow. */
TEST(codec_too_many_payloads)
{
	static uint8_t buf[IKE_HDR_LEN + 4 * (IKE_MSG_MAX_PAYLOADS + 1)];
	static struct ike_msg m;
	size_t n = IKE_MSG_MAX_PAYLOADS + 1, len = IKE_HDR_LEN + 4 * n;

	memset(buf, 0, sizeof(buf));
	buf[16] = PL_VENDOR;
	buf[17] = IKE_VERSION_2;
	buf[18] = EXCH_INFORMATIONAL;
	buf[26] = (uint8_t)(len >> 8);
	buf[27] = (uint8_t)len;
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = buf + IKE_HDR_LEN + 4 * i;

		p[0] = i + 1 < n ? PL_VENDOR : 0;
		p[3] = 4;
	}
	CHECK_EQ(ike_msg_decode(&m, buf, len), IKE_ERR_TOO_MANY_PAYLOADS);
	CHECK_EQ(m.n_payloads, IKE_MSG_MAX_PAYLOADS);
	/* One fewer fits. */
	buf[IKE_HDR_LEN + 4 * (n - 2)] = 0;
	len -= 4;
	buf[26] = (uint8_t)(len >> 8);
	buf[27] = (uint8_t)len;
	CHECK_EQ(ike_msg_decode(&m, buf, len), 0);
	CHECK_EQ(m.n_payloads, IKE_MSG_MAX_PAYLOADS);
}

TEST(codec_summary_for_logs)
{
	static uint8_t buf[1024], plain[1024];
	static struct ike_msg m, pm;
	char s[256], tiny[8];
	size_t len, plen;

	REQUIRE_EQ(decode_vec("sa_init_i", buf, sizeof(buf), &len, &m), 0);
	CHECK_STR(ike_msg_summary(&m, s, sizeof(s)),
		  "IKE_SA_INIT request 0 [ SA KE Nonce "
		  "N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
		  "V ]");
	CHECK_STR(ike_msg_summary(&m, tiny, sizeof(tiny)), "IKE_SA_");

	REQUIRE_EQ(decode_vec("auth_i", buf, sizeof(buf), &len, &m), 0);
	REQUIRE_EQ(
		decode_vec("informational", plain, sizeof(plain), &plen, &pm),
		0);
	m.payloads[0].u.sk.first_payload = PL_DELETE;
	REQUIRE_EQ(ike_msg_decode_inner(&m, plain + IKE_HDR_LEN,
					plen - IKE_HDR_LEN),
		   0);
	CHECK_STR(ike_msg_summary(&m, s, sizeof(s)),
		  "IKE_AUTH request 1 [ SK { D D N(CHILD_SA_NOT_FOUND) } ]");

	REQUIRE_EQ(
		decode_vec("unknown_noncritical", buf, sizeof(buf), &len, &m),
		0);
	m.payloads[0].type = 99;
	m.hdr.exchange = 200;
	m.hdr.flags = IKE_FLAG_RESPONSE;
	CHECK_STR(ike_msg_summary(&m, s, sizeof(s)),
		  "exchange 200 response 0 [ #99 Nonce ]");
}

/* Builder mistakes are refused with IKE_ERR_ENCODE, never a crash. */
TEST(codec_encode_refuses_bad_structures)
{
	static struct ike_msg m;
	static uint8_t out[1024];
	struct ike_payload *p;
	struct ike_transform t = { .type = TRANS_ENCR, .id = ENCR_AES_CBC };
	struct ike_proposal pr = { .num = 1, .protocol = PROTO_ESP };
	uint8_t spi[300] = { 0 };
	size_t len;

	ike_msg_init(&m, 1, 2, EXCH_CREATE_CHILD_SA, IKE_FLAG_INITIATOR, 3);
	REQUIRE((p = ike_msg_add(&m, PL_SA)) != NULL);
	p->u.sa.n_proposals = 1;
	p->u.sa.proposals = &pr;
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), IKE_ERR_ENCODE);
	pr.n_transforms = 1;
	pr.transforms = &t;
	pr.spi = (struct ike_bytes){ spi, 300 }; /* SPI Size is one octet */
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), IKE_ERR_ENCODE);
	pr.spi.len = 4;
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), 0);

	p->type = PL_TSI;
	p->u.ts = (struct ike_pl_ts){ .n_ts = 2, .ts = NULL };
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), IKE_ERR_ENCODE);
	p->type = PL_CP;
	p->u.cp = (struct ike_pl_cp){ .cfg_type = CFG_REQUEST, .n_attrs = 1 };
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), IKE_ERR_ENCODE);
	p->type = PL_DELETE;
	p->u.del = (struct ike_pl_delete){ .protocol = PROTO_ESP,
					   .spi_size = 4,
					   .n_spis = 2,
					   .spis = { spi, 4 } };
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), IKE_ERR_ENCODE);
	/* SK must be the last outer payload (RFC 7296 §3.14) */
	p->type = PL_SK;
	p->u.sk = (struct ike_pl_sk){ .body = { NULL, 16 } };
	REQUIRE((p = ike_msg_add(&m, PL_NONCE)) != NULL);
	p->u.nonce.data = (struct ike_bytes){ spi, 16 };
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), IKE_ERR_ENCODE);
	p->inner = true; /* inside SK it is fine */
	CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), 0);
	CHECK_EQ(out[28], PL_NONCE); /* SK names its first inner payload */
	CHECK_EQ(len, IKE_HDR_LEN + 4 + 16);
}

TEST(codec_cookie_response)
{
	static uint8_t buf[256];
	static struct ike_msg m;
	const struct ike_payload *p;
	size_t len;

	REQUIRE_EQ(decode_vec("sa_init_cookie", buf, sizeof(buf), &len, &m), 0);
	CHECK(m.hdr.spi_r == 0);
	REQUIRE_EQ(m.n_payloads, 1);
	p = ike_msg_find_notify(&m, N_COOKIE);
	REQUIRE(p == &m.payloads[0]);
	CHECK_EQ(p->u.notify.data.len, 32);
	CHECK_EQ(p->u.notify.data.ptr[0], 1);
}
