/* The codec against real strongSwan traffic: charon.pcap is charon 5.9.8
 * negotiating with itself (PSK) in two network namespaces, made by
 * daemon/tests/vectors/codec/make-charon-capture.sh. The expected values
 * below were copied from what the two charons logged during that run; the
 * logs are committed beside the capture (charon-initiator.log,
 * charon-responder.log, charon-list-sas.txt) and the tests also check that
 * the logs still say so, so capture, logs and test cannot drift apart. */
#include "engine/ike_msg.h"
#include "tests/codec_util.h"
#include "tests/test.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#define VEC_DIR "daemon/tests/vectors/codec/"

struct frame {
	uint8_t data[2048]; /* UDP payload */
	size_t len;
	unsigned sport, dport;
};

/* Reads the UDP payloads of capture `name` (Ethernet, IPv4 without
 * options, as tcpdump wrote them on the veth). Returns the frame count. */
static size_t read_capture_file(const char *name, struct frame *f, size_t max)
{
	char err[PCAP_ERRBUF_SIZE], rel[256];
	struct pcap_pkthdr *h;
	const u_char *p;
	size_t n = 0;
	pcap_t *pc;

	snprintf(rel, sizeof(rel), VEC_DIR "%s", name);
	pc = pcap_open_offline(test_src_path(rel), err);
	if (!pc)
		test_fail(__FILE__, __LINE__, "%s: %s", name, err);
	REQUIRE(pc != NULL);
	REQUIRE_EQ(pcap_datalink(pc), DLT_EN10MB);
	while (n < max && pcap_next_ex(pc, &h, &p) == 1) {
		size_t ulen;

		REQUIRE(h->caplen == h->len && h->caplen >= 42);
		REQUIRE_EQ(p[14], 0x45); /* IPv4, 20-byte header */
		REQUIRE_EQ(p[23], 17);	 /* UDP */
		f[n].sport = (unsigned)(p[34] << 8 | p[35]);
		f[n].dport = (unsigned)(p[36] << 8 | p[37]);
		ulen = (size_t)(p[38] << 8 | p[39]) - 8;
		REQUIRE(ulen <= sizeof(f[n].data) && 42 + ulen <= h->caplen);
		memcpy(f[n].data, p + 42, ulen);
		f[n].len = ulen;
		n++;
	}
	pcap_close(pc);
	return n;
}

static size_t read_capture(struct frame *f, size_t max)
{
	return read_capture_file("charon.pcap", f, max);
}

/* True when the committed log `file` contains `line` (a substring). */
static bool log_says(const char *file, const char *line)
{
	static char text[1 << 16];
	char rel[256];
	FILE *f;
	size_t n;

	snprintf(rel, sizeof(rel), VEC_DIR "%s", file);
	f = fopen(test_src_path(rel), "r");
	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return strstr(text, line) != NULL;
}

/* Decodes one captured datagram (classifying port 4500 first). */
static int decode_frame(const struct frame *f, struct ike_msg *m)
{
	size_t off;
	bool natt = f->sport == IKE_NATT_PORT || f->dport == IKE_NATT_PORT;

	if (ike_msg_classify(f->data, f->len, natt, &off) != IKE_DGRAM_IKE)
		return IKE_ERR_NOT_IKE;
	return ike_msg_decode(m, f->data + off, f->len - off);
}

/* Every message charon sent decodes, and encodes back byte for byte. */
TEST(codec_charon_capture_round_trips)
{
	static struct frame f[16];
	static struct ike_msg m;
	static uint8_t out[2048];
	size_t n = read_capture(f, 16), len;

	/* IKE_SA_INIT, IKE_AUTH, 3 INFORMATIONAL exchanges (charon logs:
	 * "sending packet" / "received packet" lines). */
	REQUIRE_EQ(n, 10);
	for (size_t i = 0; i < n; i++) {
		size_t off = f[i].sport == IKE_NATT_PORT ? 4 : 0;
		int rc = decode_frame(&f[i], &m);

		if (rc != 0) {
			test_fail(__FILE__, __LINE__, "frame %zu: %s", i + 1,
				  ike_err_name(rc));
			continue;
		}
		CHECK_EQ(ike_msg_encode(&m, out, sizeof(out), &len), 0);
		CHECK_EQ(len, f[i].len - off);
		CHECK_MEM(out, f[i].data + off, f[i].len - off);
	}
}

static unsigned notify_count(const struct ike_msg *m)
{
	unsigned c = 0;

	for (const struct ike_payload *p = NULL;
	     (p = ike_msg_find(m, PL_NOTIFY, p)) != NULL;)
		c++;
	return c;
}

/* charon-initiator.log:
 *   configured proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519,
 *     IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256
 *   sending supported signature hash algorithms: sha256 sha384 sha512
 *     identity
 *   generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)
 *     N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]
 *   sending packet: from 10.99.1.1[500] to 10.99.1.2[500] (276 bytes)
 * charon-list-sas.txt: f5638184b2bd3912_i* 19e0926cb6d81fdf_r */
TEST(codec_charon_sa_init_request_matches_log)
{
	static struct frame f[16];
	static struct ike_msg m;
	static const uint8_t want[] = { PL_SA,	   PL_KE,     PL_NONCE,
					PL_NOTIFY, PL_NOTIFY, PL_NOTIFY,
					PL_NOTIFY, PL_NOTIFY };
	const struct ike_pl_sa *sa;
	const struct ike_proposal *pr;
	const struct ike_payload *p;

	REQUIRE_GE(read_capture(f, 16), 1);
	CHECK(log_says("charon-initiator.log",
		       "generating IKE_SA_INIT request 0 [ SA KE No "
		       "N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) "
		       "N(REDIR_SUP) ]"));
	CHECK(log_says("charon-initiator.log",
		       "to 10.99.1.2[500] (276 bytes)"));
	CHECK(log_says("charon-list-sas.txt",
		       "f5638184b2bd3912_i* 19e0926cb6d81fdf_r"));

	REQUIRE_EQ(decode_frame(&f[0], &m), 0);
	CHECK_EQ(f[0].len, 276);
	CHECK_EQ(m.hdr.length, 276);
	CHECK_EQ(m.hdr.exchange, EXCH_IKE_SA_INIT);
	CHECK_EQ(m.hdr.msg_id, 0);
	CHECK_EQ(m.hdr.flags, IKE_FLAG_INITIATOR);
	CHECK(m.hdr.spi_i == 0xf5638184b2bd3912ULL);
	CHECK(m.hdr.spi_r == 0);
	REQUIRE_EQ(m.n_payloads, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++)
		CHECK_EQ(m.payloads[i].type, want[i]);
	CHECK_EQ(m.payloads[3].u.notify.type, N_NAT_DETECTION_SOURCE_IP);
	CHECK_EQ(m.payloads[4].u.notify.type, N_NAT_DETECTION_DESTINATION_IP);
	CHECK_EQ(m.payloads[5].u.notify.type, N_IKEV2_FRAGMENTATION_SUPPORTED);
	CHECK_EQ(m.payloads[7].u.notify.type, N_REDIRECT_SUPPORTED);

	sa = &m.payloads[0].u.sa;
	REQUIRE_EQ(sa->n_proposals, 2);
	pr = &sa->proposals[0]; /* AES_GCM_16_256/PRF_HMAC_SHA2_256/X25519 */
	CHECK_EQ(pr->protocol, PROTO_IKE);
	REQUIRE_EQ(pr->n_transforms, 3);
	CHECK_EQ(pr->transforms[0].id, ENCR_AES_GCM_16);
	CHECK_EQ(pr->transforms[0].key_len, 256);
	CHECK_EQ(pr->transforms[1].id, PRF_HMAC_SHA2_256);
	CHECK_EQ(pr->transforms[2].id, KE_CURVE25519);
	pr = &sa->proposals[1]; /* AES_CBC_128/HMAC_SHA2_256_128/PRF/ECP_256 */
	CHECK_EQ(pr->num, 2);
	REQUIRE_EQ(pr->n_transforms, 4);
	CHECK_EQ(pr->transforms[0].id, ENCR_AES_CBC);
	CHECK_EQ(pr->transforms[0].key_len, 128);
	CHECK_EQ(pr->transforms[1].type, TRANS_INTEG);
	CHECK_EQ(pr->transforms[1].id, AUTH_HMAC_SHA2_256_128);
	CHECK_EQ(pr->transforms[2].id, PRF_HMAC_SHA2_256);
	CHECK_EQ(pr->transforms[3].id, KE_ECP_256);

	/* KE carries the first proposal's group; X25519 keys are 32 bytes */
	CHECK_EQ(m.payloads[1].u.ke.group, KE_CURVE25519);
	CHECK_EQ(m.payloads[1].u.ke.data.len, 32);
	/* hash algorithms sha256 sha384 sha512 identity (RFC 7427 §4) */
	p = ike_msg_find_notify(&m, N_SIGNATURE_HASH_ALGORITHMS);
	REQUIRE(p != NULL);
	CHECK_MEM(p->u.notify.data.ptr, "\x00\x02\x00\x03\x00\x04\x00\x05", 8);
}

/* charon-responder.log:
 *   selected proposal: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519
 *   generating IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP)
 *     N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]
 *   sending packet: from 10.99.1.2[500] to 10.99.1.1[500] (240 bytes) */
TEST(codec_charon_sa_init_response_matches_log)
{
	static struct frame f[16];
	static struct ike_msg m;
	const struct ike_proposal *pr;

	REQUIRE_GE(read_capture(f, 16), 2);
	CHECK(log_says("charon-responder.log",
		       "generating IKE_SA_INIT response 0 [ SA KE No "
		       "N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) "
		       "N(CHDLESS_SUP) N(MULT_AUTH) ]"));
	CHECK(log_says("charon-responder.log",
		       "to 10.99.1.1[500] (240 bytes)"));
	CHECK(log_says("charon-responder.log",
		       "selected proposal: IKE:AES_GCM_16_256/"
		       "PRF_HMAC_SHA2_256/CURVE_25519"));

	REQUIRE_EQ(decode_frame(&f[1], &m), 0);
	CHECK_EQ(m.hdr.length, 240);
	CHECK_EQ(m.hdr.flags, IKE_FLAG_RESPONSE);
	CHECK_EQ(m.hdr.msg_id, 0);
	CHECK(m.hdr.spi_i == 0xf5638184b2bd3912ULL);
	CHECK(m.hdr.spi_r == 0x19e0926cb6d81fdfULL);
	REQUIRE_EQ(m.n_payloads, 9);
	CHECK_EQ(notify_count(&m), 6);
	CHECK(ike_msg_find_notify(&m, N_CHILDLESS_IKEV2_SUPPORTED) != NULL);
	CHECK(ike_msg_find_notify(&m, N_MULTIPLE_AUTH_SUPPORTED) != NULL);
	REQUIRE_EQ(m.payloads[0].u.sa.n_proposals, 1);
	pr = &m.payloads[0].u.sa.proposals[0];
	CHECK_EQ(pr->num, 1);
	REQUIRE_EQ(pr->n_transforms, 3);
	CHECK_EQ(pr->transforms[0].id, ENCR_AES_GCM_16);
	CHECK_EQ(pr->transforms[0].key_len, 256);
	CHECK_EQ(pr->transforms[1].id, PRF_HMAC_SHA2_256);
	CHECK_EQ(pr->transforms[2].id, KE_CURVE25519);
	CHECK_EQ(m.payloads[1].u.ke.group, KE_CURVE25519);
}

/* The rest moved to port 4500 with the non-ESP marker (MOBIKE): sizes from
 * the "sending packet … (N bytes)" lines of both logs, which count the IKE
 * message without the marker. */
TEST(codec_charon_natt_messages_match_log)
{
	static struct frame f[16];
	static struct ike_msg m;
	static const struct {
		uint8_t exchange;
		uint32_t msg_id;
		uint32_t len;
		uint8_t first_inner;
	} want[] = {
		{ EXCH_IKE_AUTH, 1, 281, PL_IDI }, /* request 1 */
		{ EXCH_IKE_AUTH, 1, 143, PL_IDR }, /* response 1 */
		{ EXCH_INFORMATIONAL, 2, 65,
		  PL_NOTIFY },				/* [ N(NO_ADD_ADDR) ] */
		{ EXCH_INFORMATIONAL, 2, 57, PL_NONE }, /* [ ] */
		{ EXCH_INFORMATIONAL, 0, 65,
		  PL_NOTIFY }, /* from the responder */
		{ EXCH_INFORMATIONAL, 0, 57, PL_NONE },
		{ EXCH_INFORMATIONAL, 3, 65, PL_DELETE }, /* [ D ] */
		{ EXCH_INFORMATIONAL, 3, 57, PL_NONE },
	};

	REQUIRE_EQ(read_capture(f, 16), 10);
	CHECK(log_says("charon-initiator.log",
		       "generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) "
		       "IDr AUTH N(USE_TRANSP) SA TSi TSr N(MOBIKE_SUP) "
		       "N(NO_ADD_ADDR) N(MULT_AUTH) N(EAP_ONLY) "
		       "N(MSG_ID_SYN_SUP) ]"));
	CHECK(log_says("charon-initiator.log",
		       "to 10.99.1.2[4500] (281 bytes)"));
	CHECK(log_says("charon-responder.log",
		       "to 10.99.1.1[4500] (143 bytes)"));
	CHECK(log_says("charon-initiator.log",
		       "generating INFORMATIONAL request 3 [ D ]"));
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		const struct frame *fr = &f[i + 2];

		CHECK_EQ(fr->dport, IKE_NATT_PORT);
		REQUIRE_EQ(decode_frame(fr, &m), 0);
		CHECK_EQ(fr->len, want[i].len + 4);
		CHECK_EQ(m.hdr.exchange, want[i].exchange);
		CHECK_EQ(m.hdr.msg_id, want[i].msg_id);
		CHECK_EQ(m.hdr.length, want[i].len);
		REQUIRE_EQ(m.n_payloads, 1);
		CHECK_EQ(m.payloads[0].type, PL_SK);
		CHECK_EQ(m.payloads[0].u.sk.first_payload, want[i].first_inner);
	}
}

/* ikedump on the real capture: every message, every payload, named. */
TEST(codec_charon_ikedump_names_everything)
{
	static char out[1 << 16];
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s", test_build_path("bin/ikedump"),
		 test_src_path(VEC_DIR "charon.pcap"));
	REQUIRE_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "error=") == NULL);
	CHECK(strstr(out, "frame=10 ") != NULL);
	CHECK(strstr(out, "kind=IKE exchange=IKE_SA_INIT role=request msg_id=0 "
			  "flags=I spi_i=f5638184b2bd3912 "
			  "spi_r=0000000000000000 version=2.0 length=276\n") !=
	      NULL);
	CHECK(strstr(out,
		     "{num=2 protocol=IKE transforms=[{type=ENCR "
		     "id=ENCR_AES_CBC key_len=128} {type=INTEG "
		     "id=AUTH_HMAC_SHA2_256_128} {type=PRF "
		     "id=PRF_HMAC_SHA2_256} {type=KE id=ECP_256}]}") != NULL);
	CHECK(strstr(out, "  N type=SIGNATURE_HASH_ALGORITHMS protocol=NONE "
			  "hash_algorithms=[SHA2_256 SHA2_384 SHA2_512 "
			  "Identity]\n") != NULL);
	CHECK(strstr(out, "  N type=CHILDLESS_IKEV2_SUPPORTED") != NULL);
	CHECK(strstr(out, "non_esp_marker=true exchange=IKE_AUTH "
			  "role=response msg_id=1 flags=R") != NULL);
	CHECK(strstr(out, "  SK first_payload=D len=") != NULL);
	/* no number is left unnamed: every `type=` is followed by a name */
	for (const char *s = out; (s = strstr(s, "type=")) != NULL; s++)
		CHECK(s[5] < '0' || s[5] > '9');
}

/* The "rich" run (make-charon-capture.sh "" rich): the initiator guesses
 * ECP_256, the responder wants CURVE25519, and IKE_AUTH goes out as RFC
 * 7383 fragments. From charon-rich-initiator.log:
 *   sending packet: ... (308 bytes)      IKE_SA_INIT request, KE ECP_256
 *   parsed IKE_SA_INIT response 0 [ N(INVAL_KE) ]   (38 bytes)
 *   peer didn't accept DH group ECP_256, it requested CURVE_25519
 *   sending packet: ... (276 bytes)      the retry, KE CURVE25519
 *   splitting IKE message (281 bytes) into 3 fragments
 *   generating IKE_AUTH request 1 [ EF(1/3) ] ... [ EF(3/3) ]
 *   sending packet: ... (168 bytes), (168 bytes), (71 bytes)
 * charon-rich-list-sas.txt: 42eadfaeb776659d_i* 2d4034b20ddaee60_r */
TEST(codec_charon_invalid_ke_and_fragments_match_log)
{
	static struct frame f[16];
	static struct ike_msg m;
	static uint8_t out[2048];
	static const uint32_t frag_len[3] = { 168, 168, 71 };
	size_t n = read_capture_file("charon-rich.pcap", f, 16), len;
	const struct ike_payload *p;

	CHECK(log_says("charon-rich-initiator.log",
		       "peer didn't accept DH group ECP_256, it requested "
		       "CURVE_25519"));
	CHECK(log_says("charon-rich-initiator.log",
		       "splitting IKE message (281 bytes) into 3 fragments"));
	CHECK(log_says("charon-rich-list-sas.txt",
		       "42eadfaeb776659d_i* 2d4034b20ddaee60_r"));
	REQUIRE_EQ(
		n,
		10); /* SA_INIT x2, 3 fragments, AUTH response, 2 INFORMATIONAL */
	for (size_t i = 0; i < n; i++) {
		size_t off = f[i].sport == IKE_NATT_PORT ? 4 : 0;

		REQUIRE_EQ(decode_frame(&f[i], &m), 0);
		CHECK(m.hdr.spi_i == 0x42eadfaeb776659dULL);
		REQUIRE_EQ(ike_msg_encode(&m, out, sizeof(out), &len), 0);
		CHECK_EQ(len, f[i].len - off);
		CHECK_MEM(out, f[i].data + off, len);
	}

	/* the guess: KE ECP_256 (64-byte point) in a 308-byte request */
	REQUIRE_EQ(decode_frame(&f[0], &m), 0);
	CHECK_EQ(m.hdr.length, 308);
	p = ike_msg_find(&m, PL_KE, NULL);
	REQUIRE(p != NULL);
	CHECK_EQ(p->u.ke.group, KE_ECP_256);
	CHECK_EQ(p->u.ke.data.len, 64);
	/* [ N(INVAL_KE) ] with the group wanted, SPIr still zero */
	REQUIRE_EQ(decode_frame(&f[1], &m), 0);
	CHECK_EQ(m.hdr.length, 38);
	CHECK(m.hdr.spi_r == 0);
	REQUIRE_EQ(m.n_payloads, 1);
	CHECK_EQ(m.payloads[0].u.notify.type, N_INVALID_KE_PAYLOAD);
	CHECK_MEM(m.payloads[0].u.notify.data.ptr, "\x00\x1f", 2);
	/* the retry with CURVE25519 */
	REQUIRE_EQ(decode_frame(&f[2], &m), 0);
	CHECK_EQ(m.hdr.length, 276);
	CHECK_EQ(ike_msg_find(&m, PL_KE, NULL)->u.ke.group, KE_CURVE25519);
	/* EF(1/3) EF(2/3) EF(3/3): only the first names the inner payload */
	for (unsigned i = 0; i < 3; i++) {
		REQUIRE_EQ(decode_frame(&f[4 + i], &m), 0);
		CHECK_EQ(m.hdr.exchange, EXCH_IKE_AUTH);
		CHECK_EQ(m.hdr.length, frag_len[i]);
		REQUIRE_EQ(m.n_payloads, 1);
		CHECK_EQ(m.payloads[0].type, PL_SKF);
		CHECK_EQ(m.payloads[0].u.skf.frag_num, i + 1);
		CHECK_EQ(m.payloads[0].u.skf.total, 3);
		CHECK_EQ(m.payloads[0].u.skf.first_payload,
			 i == 0 ? PL_IDI : PL_NONE);
	}
}
