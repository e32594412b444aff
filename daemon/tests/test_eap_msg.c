/* Tests for the EAP codec (daemon/engine/eap_msg.c): messages written out
 * byte by byte from RFC 3748 §4 and the EAP-MSCHAPv2 draft's formats,
 * decoded and encoded back, and the malformed ones refused. */
#include "engine/eap_msg.h"
#include "tests/test.h"

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	long n = test_unhex(h, out, cap);

	REQUIRE_GE(n, 1);
	return (size_t)n;
}

/* Request/Challenge with name "kb" */
static const char challenge_hex[] =
	"01 07 001c" /* Request, id 7, length 28 */
	"1a"	     /* Type MSCHAPv2 */
	"01 07 0017" /* Challenge, MS id 7, MS-Length 23 */
	"10"	     /* Value-Size 16 */
	"000102030405060708090a0b0c0d0e0f" /* challenge */
	"6b62";				   /* name */

/* Response/Response with name "alice" */
static const char response_hex[] =
	"02 07 0040" /* Response, id 7, length 64 */
	"1a"
	"02 07 003b"			   /* Response, MS id 7, MS-Length 59 */
	"31"				   /* Value-Size 49 */
	"21402324255e262a28295f2b3a337c7e" /* peer challenge */
	"0000000000000000"		   /* reserved */
	"82309ecd8d708b5ea08faa3981cd8354"
	"4233114a3d85d6df" /* NT-Response */
	"00"		   /* flags */
	"616c696365";	   /* name */

TEST(eap_msg_challenge_roundtrip)
{
	uint8_t buf[128], out[128];
	size_t n = hex(challenge_hex, buf, sizeof(buf)), len;
	struct eap_msg m;

	REQUIRE_EQ(eap_msg_decode(&m, buf, n), 0);
	CHECK_EQ(m.code, EAP_CODE_REQUEST);
	CHECK_EQ(m.identifier, 7);
	CHECK_EQ(m.type, EAP_TYPE_MSCHAPV2);
	CHECK_EQ(m.ms.op, EAP_MS_CHALLENGE);
	CHECK_EQ(m.ms.ms_id, 7);
	REQUIRE_EQ(m.ms.challenge != NULL, 1);
	CHECK_EQ(m.ms.challenge[15], 0x0f);
	CHECK_EQ(m.ms.name.len, 2);
	REQUIRE_EQ(eap_msg_encode_ms(EAP_CODE_REQUEST, 7, &m.ms, out,
				     sizeof(out), &len),
		   0);
	CHECK_EQ(len, n);
	CHECK_EQ(memcmp(out, buf, n), 0);
}

TEST(eap_msg_response_roundtrip)
{
	uint8_t buf[128], out[128];
	size_t n = hex(response_hex, buf, sizeof(buf)), len;
	struct eap_msg m;

	REQUIRE_EQ(eap_msg_decode(&m, buf, n), 0);
	CHECK_EQ(m.code, EAP_CODE_RESPONSE);
	CHECK_EQ(m.ms.op, EAP_MS_RESPONSE);
	CHECK_EQ(m.ms.peer_challenge[0], 0x21);
	CHECK_EQ(m.ms.nt_response[23], 0xdf);
	CHECK_EQ(m.ms.flags, 0);
	CHECK_EQ(m.ms.name.len, 5);
	CHECK_EQ(memcmp(m.ms.name.ptr, "alice", 5), 0);
	REQUIRE_EQ(eap_msg_encode_ms(EAP_CODE_RESPONSE, 7, &m.ms, out,
				     sizeof(out), &len),
		   0);
	CHECK_EQ(len, n);
	CHECK_EQ(memcmp(out, buf, n), 0);
	/* too small a buffer */
	CHECK_EQ(eap_msg_encode_ms(EAP_CODE_RESPONSE, 7, &m.ms, out, n - 1,
				   &len),
		 IKE_ERR_NO_SPACE);
}

TEST(eap_msg_success_identity_and_results)
{
	uint8_t buf[128], out[128];
	struct eap_msg m;
	size_t n, len;

	/* Request/Success "S=…" with MS-Length 8 */
	n = hex("01 08 000d 1a 03 07 0008 533d3030", buf, sizeof(buf));
	REQUIRE_EQ(eap_msg_decode(&m, buf, n), 0);
	CHECK_EQ(m.ms.op, EAP_MS_SUCCESS);
	CHECK_EQ(m.ms.message.len, 4);
	REQUIRE_EQ(eap_msg_encode_ms(EAP_CODE_REQUEST, 8, &m.ms, out,
				     sizeof(out), &len),
		   0);
	CHECK_EQ(len, n);
	CHECK_EQ(memcmp(out, buf, n), 0);
	/* the peer's Success acknowledgement: the OpCode alone */
	n = hex("02 08 0006 1a 03", buf, sizeof(buf));
	REQUIRE_EQ(eap_msg_decode(&m, buf, n), 0);
	CHECK_EQ(m.ms.op, EAP_MS_SUCCESS);
	REQUIRE_EQ(eap_msg_encode_ms(EAP_CODE_RESPONSE, 8, &m.ms, out,
				     sizeof(out), &len),
		   0);
	CHECK_EQ(len, 6);
	CHECK_EQ(memcmp(out, buf, n), 0);
	/* Response/Identity "bob" */
	n = hex("02 01 0008 01 626f62", buf, sizeof(buf));
	REQUIRE_EQ(eap_msg_decode(&m, buf, n), 0);
	CHECK_EQ(m.type, EAP_TYPE_IDENTITY);
	CHECK_EQ(m.data.len, 3);
	REQUIRE_EQ(eap_msg_encode_simple(EAP_CODE_RESPONSE, 1,
					 EAP_TYPE_IDENTITY, "bob", 3, out,
					 sizeof(out), &len),
		   0);
	CHECK_EQ(memcmp(out, buf, n), 0);
	/* Type 0 (reserved) still has its octet (found by fuzz_eap) */
	n = hex("01 01 0006 00 01", buf, sizeof(buf));
	REQUIRE_EQ(eap_msg_decode(&m, buf, n), 0);
	REQUIRE_EQ(eap_msg_encode_simple(m.code, m.identifier, m.type,
					 m.data.ptr, m.data.len, out,
					 sizeof(out), &len),
		   0);
	CHECK_EQ(len, n);
	CHECK_EQ(memcmp(out, buf, n), 0);
	/* EAP-Success */
	REQUIRE_EQ(eap_msg_encode_result(EAP_CODE_SUCCESS, 9, out, sizeof(out),
					 &len),
		   0);
	CHECK_EQ(len, 4);
	CHECK_EQ(memcmp(out, "\x03\x09\x00\x04", 4), 0);
	REQUIRE_EQ(eap_msg_decode(&m, out, len), 0);
	CHECK_EQ(m.code, EAP_CODE_SUCCESS);
}

TEST(eap_msg_malformed_refused)
{
	static const struct {
		const char *hex;
		int err;
	} bad[] = {
		/* EAP Length larger, smaller than the data */
		{ "02 01 0009 01 626f62", IKE_ERR_EAP_LENGTH },
		{ "02 01 0007 01 626f62", IKE_ERR_EAP_LENGTH },
		/* header cut short; Request without Type */
		{ "02 01 00", IKE_ERR_EAP_LENGTH },
		{ "01 01 0004", IKE_ERR_EAP_LENGTH },
		/* Success with a body */
		{ "03 01 0005 00", IKE_ERR_EAP_LENGTH },
		/* Challenge with Value-Size 8 */
		{ "01 07 0012 1a 01 07 000d 08 0001020304050607",
		  IKE_ERR_PAYLOAD_SYNTAX },
		/* Challenge cut inside the challenge value */
		{ "01 07 0012 1a 01 07 000d 10 0001020304050607",
		  IKE_ERR_EAP_LENGTH },
		/* a Challenge sent as a Response */
		{ "02 07 001c 1a 01 07 0017 10 000102030405060708090a0b0c0d0e0f"
		  "6b62",
		  IKE_ERR_PAYLOAD_SYNTAX },
		/* Response with Value-Size 48, and cut in the NT-Response */
		{ "02 07 000c 1a 02 07 0007 30 0000", IKE_ERR_PAYLOAD_SYNTAX },
		{ "02 07 000c 1a 02 07 0007 31 0000", IKE_ERR_EAP_LENGTH },
		/* a Success acknowledgement with trailing bytes */
		{ "02 08 0007 1a 03 00", IKE_ERR_PAYLOAD_SYNTAX },
		/* Change-Password, and an OpCode that does not exist */
		{ "02 08 000a 1a 07 08 0005 00", IKE_ERR_PAYLOAD_SYNTAX },
		{ "01 08 000a 1a 09 08 0005 00", IKE_ERR_PAYLOAD_SYNTAX },
		/* MSCHAPv2 with no OpCode */
		{ "01 08 0005 1a", IKE_ERR_EAP_LENGTH },
	};
	uint8_t buf[128];
	struct eap_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long n = test_unhex(bad[i].hex, buf, sizeof(buf));

		REQUIRE_GE(n, 1);
		if (eap_msg_decode(&m, buf, (size_t)n) != bad[i].err)
			test_fail(__FILE__, __LINE__, "case %zu (%s): got %d",
				  i, bad[i].hex,
				  eap_msg_decode(&m, buf, (size_t)n));
	}
}
