/* Tests of the IKEv2 message codec (daemon/engine/ike_msg*.c): hand-built
 * messages decoded field by field and encoded back byte for byte. */
#include "engine/ike_msg.h"
#include "tests/test.h"

#include <stdio.h>

/* Reads vector daemon/tests/vectors/codec/<name>.hex into `buf`. */
static size_t load_vec(const char *name, uint8_t *buf, size_t cap)
{
	static char text[65536];
	char rel[256];
	FILE *f;
	size_t n;
	long len;

	snprintf(rel, sizeof(rel), "daemon/tests/vectors/codec/%s.hex", name);
	f = fopen(test_src_path(rel), "r");
	if (!f)
		test_fail(__FILE__, __LINE__, "cannot open %s", rel);
	REQUIRE(f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	len = test_unhex(text, buf, cap);
	REQUIRE_GE(len, 0);
	return (size_t)len;
}

/* Decodes vector `name` into `m`; the bytes stay in `buf`. */
static int decode_vec(const char *name, uint8_t *buf, size_t cap, size_t *len,
		      struct ike_msg *m)
{
	*len = load_vec(name, buf, cap);
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
