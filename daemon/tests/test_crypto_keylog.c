/* Tests for the key log (daemon/crypto/keylog.c): the Wireshark table line,
 * the file's mode, and the cross-check with real tshark: IKE_AUTH-like
 * messages protected by skp.c for every ENCR/INTEG combination Wireshark
 * 4.0 can decrypt are written to a pcap (format written here), the key log
 * becomes tshark's ikev2_decryption_table in a private configuration
 * directory, and tshark must decrypt every message and show the inner
 * payloads with a correct checksum, for SK payloads and for a message
 * split into two SKF fragments (RFC 7383) that tshark reassembles. */
#include "crypto/keylog.h"
#include "crypto/skp.h"
#include "engine/wr.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void keys_for(unsigned encr, unsigned bits, unsigned integ,
		     unsigned char seed, struct keymat_ike *km)
{
	struct keymat_suite s;
	uint8_t gir[32], n[32], spi_i[8], spi_r[8];

	memset(gir, seed, sizeof(gir));
	memset(n, seed ^ 0x5a, sizeof(n));
	memset(spi_i, seed, 8);
	memset(spi_r, seed ^ 0xff, 8);
	REQUIRE_EQ(keymat_suite_init(&s, encr, bits, PRF_HMAC_SHA2_256, integ),
		   0);
	REQUIRE_EQ(
		keymat_ike_derive(km, &s, gir, 32, n, 32, n, 32, spi_i, spi_r),
		0);
}

TEST(crypto_keylog_line_format)
{
	struct keymat_ike km;
	char line[KEYLOG_LINE_MAX];
	static const uint8_t spi_i[8] = { 0x01, 0x23, 0x45, 0x67,
					  0x89, 0xab, 0xcd, 0xef };
	static const uint8_t spi_r[8] = { 0 };

	keys_for(ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 1, &km);
	memset(km.sk_ei, 0xe1, km.e_len);
	memset(km.sk_er, 0xe2, km.e_len);
	memset(km.sk_ai, 0xa1, km.a_len);
	memset(km.sk_ar, 0xa2, km.a_len);
	REQUIRE_EQ(keylog_format(line, sizeof(line), spi_i, spi_r, &km), 0);
	CHECK_STR(line, "0123456789abcdef,0000000000000000,"
			"e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1,"
			"e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2,"
			"\"AES-CBC-128 [RFC3602]\","
			"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
			"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1,"
			"a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2"
			"a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2,"
			"\"HMAC_SHA2_256_128 [RFC4868]\"\n");
	CHECK_EQ(keylog_format(line, 100, spi_i, spi_r, &km), CRYPTO_E_BUFFER);
	/* AEAD: no integrity keys, integrity NONE */
	keys_for(ENCR_AES_GCM_16, 256, AUTH_NONE, 2, &km);
	REQUIRE_EQ(keylog_format(line, sizeof(line), spi_i, spi_r, &km), 0);
	CHECK(strstr(line, ",\"AES-GCM-256 with 16 octet ICV [RFC5282]\","
			   ",,\"NONE [RFC4306]\"\n") != NULL);
	/* ChaCha20-Poly1305: Wireshark 4.0 has no such menu entry */
	keys_for(ENCR_CHACHA20_POLY1305, 0, AUTH_NONE, 3, &km);
	CHECK_EQ(keylog_format(line, sizeof(line), spi_i, spi_r, &km),
		 CRYPTO_E_UNSUPPORTED);
	keymat_ike_wipe(&km);
}

TEST(crypto_keylog_file_is_private)
{
	char dir[] = "/tmp/kb-crypto-keylog.XXXXXX", path[64], link[64];
	struct keylog *kl = NULL;
	struct keymat_ike km;
	struct stat st;
	uint8_t spi[8] = { 7 };
	char buf[2 * KEYLOG_LINE_MAX];
	FILE *f;
	size_t n;

	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/keys", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	/* a pre-existing world-readable file is narrowed to 0600 */
	REQUIRE(close(open(path, O_CREAT | O_WRONLY, 0644)) == 0);
	REQUIRE(chmod(path, 0644) == 0);
	keys_for(ENCR_AES_GCM_16, 128, AUTH_NONE, 4, &km);
	REQUIRE_EQ(keylog_open(path, &kl), 0);
	REQUIRE_EQ(keylog_write(kl, spi, spi, &km), 0);
	REQUIRE_EQ(keylog_write(kl, spi, spi, &km), 0);
	keylog_close(kl);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	REQUIRE(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	CHECK(strchr(buf, '\n') != NULL);
	CHECK_EQ(strlen(strchr(buf, '\n') + 1), strchr(buf, '\n') + 1 - buf);
	/* a symlink is not followed */
	REQUIRE(symlink(path, link) == 0);
	CHECK_EQ(keylog_open(link, &kl), CRYPTO_E_IO);
	CHECK_EQ(keylog_open("/nonexistent/dir/keys", &kl), CRYPTO_E_IO);
	/* nor a device node (a private copy of /dev/null's, so that a
	 * failure cannot chmod the real one) */
	snprintf(link, sizeof(link), "%s/null", dir);
	if (mknod(link, S_IFCHR | 0644, makedev(1, 3)) == 0) {
		REQUIRE(chmod(link, 0644) == 0); /* whatever the umask */
		CHECK_EQ(keylog_open(link, &kl), CRYPTO_E_IO);
		REQUIRE(stat(link, &st) == 0);
		CHECK_EQ(st.st_mode & 0777, 0644);
		unlink(link);
	} else {
		test_note("mknod not permitted: device case not checked");
	}
	snprintf(link, sizeof(link), "%s/link", dir);
	keylog_close(NULL);
	unlink(link);
	unlink(path);
	rmdir(dir);
	keymat_ike_wipe(&km);
}

/* ---- tshark cross-check ---- */

struct suite {
	unsigned encr, bits, integ;
};

/* Everything keybridge supports that Wireshark 4.0 decrypts
 * (ChaCha20-Poly1305 it does not). */
static const struct suite suites[] = {
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_512_256 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_512_256 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256 },
	{ ENCR_AES_GCM_16, 128, AUTH_NONE },
	{ ENCR_AES_GCM_16, 192, AUTH_NONE },
	{ ENCR_AES_GCM_16, 256, AUTH_NONE },
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

/* Inner payloads of IKE_AUTH: IDi/IDr (ID_FQDN), AUTH (shared key),
 * N(INITIAL_CONTACT); returns their length. */
static size_t inner_payloads(uint8_t *p, size_t cap, bool response,
			     const char *fqdn)
{
	struct wr w = wr_init(p, cap);
	size_t at, from;

	from = wr_len(&w);
	wr_u8(&w, PL_AUTH), wr_u8(&w, 0);
	at = wr_reserve_u16(&w);
	wr_u8(&w, ID_FQDN), wr_zero(&w, 3);
	wr_bytes(&w, fqdn, strlen(fqdn));
	wr_fill_len_u16(&w, at, from);
	from = wr_len(&w);
	wr_u8(&w, response ? PL_NONE : PL_NOTIFY), wr_u8(&w, 0);
	at = wr_reserve_u16(&w);
	wr_u8(&w, AUTHM_SHARED_KEY), wr_zero(&w, 3);
	for (int i = 0; i < 32; i++)
		wr_u8(&w, (uint8_t)i);
	wr_fill_len_u16(&w, at, from);
	if (!response) {
		from = wr_len(&w);
		wr_u8(&w, PL_NONE), wr_u8(&w, 0);
		at = wr_reserve_u16(&w);
		wr_u8(&w, PROTO_NONE), wr_u8(&w, 0); /* no SPI */
		wr_u16(&w, N_INITIAL_CONTACT);
		wr_fill_len_u16(&w, at, from);
	}
	REQUIRE(wr_ok(&w));
	return wr_len(&w);
}

/* One protected IKE_AUTH message of the suite's IKE SA. */
static size_t ike_auth(struct skp *sk, const uint8_t *spi_i,
		       const uint8_t *spi_r, bool response, const char *fqdn,
		       uint8_t *msg, size_t cap)
{
	struct wr w = wr_init(msg, cap);
	size_t hdr, plain, len = 0;

	wr_bytes(&w, spi_i, 8);
	wr_bytes(&w, spi_r, 8);
	wr_u8(&w, PL_SK);
	wr_u8(&w, IKE_VERSION_2);
	wr_u8(&w, EXCH_IKE_AUTH);
	wr_u8(&w, response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR);
	wr_u32(&w, 1); /* Message ID */
	wr_u32(&w, 0); /* Length, set by skp_protect */
	wr_u8(&w, response ? PL_IDR : PL_IDI);
	wr_u8(&w, 0);
	wr_u16(&w, 0); /* Payload Length, set by skp_protect */
	REQUIRE(wr_ok(&w));
	hdr = wr_len(&w);
	plain = inner_payloads(msg + hdr + skp_iv_len(sk),
			       cap - hdr - skp_iv_len(sk), response, fqdn);
	REQUIRE_EQ(skp_protect(sk, msg, cap, hdr, PL_SK, plain, NULL, &len), 0);
	return len;
}

/* Fragment `k` of 2 (RFC 7383 §2.5) of an IKE_AUTH request with Message
 * ID 2: the inner payloads are split in two halves, each half protected
 * on its own in an SKF payload; only the first names the first inner
 * payload. */
static size_t ike_auth_frag(struct skp *sk, const uint8_t *spi_i,
			    const uint8_t *spi_r, const char *fqdn, unsigned k,
			    uint8_t *msg, size_t cap)
{
	struct wr w = wr_init(msg, cap);
	uint8_t plain[256];
	size_t hdr, len = 0,
		    all = inner_payloads(plain, sizeof(plain), false, fqdn);
	size_t half = all / 2, from = k == 1 ? 0 : half;
	size_t n = k == 1 ? half : all - half;

	wr_bytes(&w, spi_i, 8);
	wr_bytes(&w, spi_r, 8);
	wr_u8(&w, PL_SKF);
	wr_u8(&w, IKE_VERSION_2);
	wr_u8(&w, EXCH_IKE_AUTH);
	wr_u8(&w, IKE_FLAG_INITIATOR);
	wr_u32(&w, 2); /* Message ID */
	wr_u32(&w, 0);
	wr_u8(&w, k == 1 ? PL_IDI : PL_NONE);
	wr_u8(&w, 0);
	wr_u16(&w, 0);
	wr_u16(&w, (uint16_t)k); /* Fragment Number */
	wr_u16(&w, 2);		 /* Total Fragments */
	REQUIRE(wr_ok(&w));
	hdr = wr_len(&w);
	memcpy(msg + hdr + skp_iv_len(sk), plain + from, n);
	REQUIRE_EQ(skp_protect(sk, msg, cap, hdr, PL_SKF, n, NULL, &len), 0);
	return len;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* pcap: writer's byte order, magic says which */
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

/* pcap file header (LINKTYPE_RAW: packets start with the IPv4 header). */
static void pcap_open(FILE *f)
{
	put32(f, 0xa1b2c3d4);
	put16(f, 2), put16(f, 4);
	put32(f, 0), put32(f, 0);
	put32(f, 65535);
	put32(f, 101);
}

/* One IPv4/UDP 500 -> 500 packet carrying `msg`. */
static void pcap_packet(FILE *f, unsigned n, bool response, const uint8_t *msg,
			size_t len)
{
	uint8_t ip[28];
	struct wr w = wr_init(ip, sizeof(ip));
	uint32_t sum = 0;
	uint8_t a = response ? 2 : 1, b = response ? 1 : 2;

	wr_u8(&w, 0x45), wr_u8(&w, 0);
	wr_u16(&w, (uint16_t)(28 + len));
	wr_u16(&w, (uint16_t)n), wr_u16(&w, 0x4000); /* DF */
	wr_u8(&w, 64), wr_u8(&w, 17);		     /* TTL, UDP */
	wr_u16(&w, 0);				     /* checksum below */
	wr_bytes(&w, (uint8_t[]){ 192, 0, 2, a }, 4);
	wr_bytes(&w, (uint8_t[]){ 192, 0, 2, b }, 4);
	wr_u16(&w, IKE_PORT), wr_u16(&w, IKE_PORT);
	wr_u16(&w, (uint16_t)(8 + len)), wr_u16(&w, 0); /* no UDP checksum */
	REQUIRE(wr_ok(&w));
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
	put32(f, 1700000000 + n), put32(f, 0);
	put32(f, (uint32_t)(28 + len)), put32(f, (uint32_t)(28 + len));
	fwrite(ip, 1, 28, f);
	fwrite(msg, 1, len, f);
}

/* Writes the four messages of suite `i` to the capture and its keys to the
 * key log. */
static void capture_suite(unsigned i, struct keylog *kl, FILE *pcap)
{
	struct keymat_ike km;
	struct skp *ini = NULL, *res = NULL;
	uint8_t msg[512], spi_i[8], spi_r[8];
	char fqdn[32];

	keys_for(suites[i].encr, suites[i].bits, suites[i].integ,
		 (unsigned char)(0x10 + i), &km);
	memset(spi_i, 0x10 + (int)i, 8);
	memset(spi_r, (0x10 + (int)i) ^ 0xff, 8);
	REQUIRE_EQ(keylog_write(kl, spi_i, spi_r, &km), 0);
	REQUIRE_EQ(skp_new(&km, true, &ini), 0);
	REQUIRE_EQ(skp_new(&km, false, &res), 0);
	/* IKE_AUTH { IDi, AUTH, N(INITIAL_CONTACT) } --> */
	snprintf(fqdn, sizeof(fqdn), "initiator-%u.example", i);
	pcap_packet(pcap, 4 * i + 1, false, msg,
		    ike_auth(ini, spi_i, spi_r, false, fqdn, msg, sizeof(msg)));
	/* <-- IKE_AUTH { IDr, AUTH } */
	snprintf(fqdn, sizeof(fqdn), "responder-%u.example", i);
	pcap_packet(pcap, 4 * i + 2, true, msg,
		    ike_auth(res, spi_i, spi_r, true, fqdn, msg, sizeof(msg)));
	/* IKE_AUTH { SKF(1/2) }, { SKF(2/2) } --> */
	snprintf(fqdn, sizeof(fqdn), "fragmented-%u.example", i);
	for (unsigned k = 1; k <= 2; k++)
		pcap_packet(pcap, 4 * i + 2 + k, false, msg,
			    ike_auth_frag(ini, spi_i, spi_r, fqdn, k, msg,
					  sizeof(msg)));
	skp_free(ini);
	skp_free(res);
	keymat_ike_wipe(&km);
}

/* Checks one line of tshark's fields output; true if it shows a decrypted
 * message with its inner payloads. */
static bool check_line(char *line)
{
	unsigned frame = 0, i;
	const char *kind;
	char want[64];

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%u|", &frame) != 1 || frame < 1 ||
	    frame > 4 * N_SUITES) {
		test_fail(__FILE__, __LINE__, "tshark: %s", line);
		return false;
	}
	/* per suite: request, response, then the two fragments, reassembled
	 * and shown at the second one */
	i = (frame - 1) / 4;
	switch ((frame - 1) % 4) {
	case 0: kind = "initiator|2|16384|"; break;
	case 1: kind = "responder|2||"; break;
	case 2: kind = NULL; break;
	default: kind = "fragmented|2|16384|"; break;
	}
	if (kind)
		snprintf(want, sizeof(want), "%u|%.*s-%u.example%s", frame,
			 (int)strcspn(kind, "|"), kind, i,
			 kind + strcspn(kind, "|"));
	else
		snprintf(want, sizeof(want), "%u||||", frame);
	if (strncmp(line, want, strlen(want)) != 0 ||
	    strstr(line, "incorrect") || strstr(line, "Malformed")) {
		test_fail(__FILE__, __LINE__,
			  "suite %s-%u/%s: tshark shows \"%s\", want \"%s...\"",
			  ike_encr_id_name(suites[i].encr), suites[i].bits,
			  ike_integ_id_name(suites[i].integ), line, want);
		return false;
	}
	return kind != NULL;
}

TEST(crypto_keylog_tshark_decrypts_every_suite)
{
	char dir[] = "/tmp/kb-crypto-tshark.XXXXXX", path[128], cmd[512];
	char line[512];
	struct keylog *kl = NULL;
	unsigned seen = 0;
	FILE *pcap, *out;

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		test_skip("tshark is not installed (apt-get install tshark)");
	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/wireshark", dir);
	REQUIRE(mkdir(path, 0700) == 0);
	/* the key log is tshark's decryption table, as an operator would
	 * point it */
	snprintf(path, sizeof(path), "%s/wireshark/ikev2_decryption_table",
		 dir);
	REQUIRE_EQ(keylog_open(path, &kl), 0);
	snprintf(path, sizeof(path), "%s/ike.pcap", dir);
	pcap = fopen(path, "wb");
	REQUIRE(pcap != NULL);
	pcap_open(pcap);
	for (unsigned i = 0; i < N_SUITES; i++)
		capture_suite(i, kl, pcap);
	fclose(pcap);
	keylog_close(kl);
	snprintf(cmd, sizeof(cmd),
		 "XDG_CONFIG_HOME=%s HOME=%s tshark -n -r %s -T fields "
		 "-E separator='|' -e frame.number -e isakmp.id.data.fqdn "
		 "-e isakmp.auth.method -e isakmp.notify.msgtype "
		 "-e _ws.expert.message 2>%s/stderr",
		 dir, dir, path, dir);
	out = popen(cmd, "r");
	REQUIRE(out != NULL);
	while (fgets(line, sizeof(line), out))
		seen += check_line(line);
	CHECK_EQ(pclose(out), 0);
	CHECK_EQ(seen, 3 * N_SUITES);
	/* tshark reports a table line it refuses on stderr */
	snprintf(cmd, sizeof(cmd), "%s/stderr", dir);
	out = fopen(cmd, "r");
	REQUIRE(out != NULL);
	while (fgets(line, sizeof(line), out)) {
		if (!strstr(line, "Running as user"))
			test_fail(__FILE__, __LINE__, "tshark: %s", line);
	}
	fclose(out);
	test_note("tshark decrypted %u IKE_AUTH messages (SK, and SKF "
		  "reassembled) of %zu suites",
		  seen, N_SUITES);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}
