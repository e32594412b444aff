/* PF_KEY v2 builders compared byte for byte with messages written out from
 * RFC 2367 §2.3 and <linux/pfkeyv2.h> (one line per extension, fields
 * named), and parsers fed with messages laid out as Linux's af_key.c sends
 * them. Integers are host order (x86-64: little endian) except SPIs, ports
 * and addresses. That the kernel accepts the built messages and echoes
 * them back is tested in the guest (test_pfkey_host.c, kmod-tests/50-*). */
#include "ike_iana.h"
#include "kernel/pfkey_msg.h"
#include "tests/test.h"

#include <errno.h>
#include <linux/pfkeyv2.h>
#include <stdio.h>

#define PID   0x1234u
#define REQID (KERNEL_REQID_MIN + 1) /* travels as 0x3001 */

static void addr(struct kernel_addr *a, const char *s)
{
	if (kernel_addr_parse(a, s) != 0) {
		test_fail(__FILE__, __LINE__, "bad address %s", s);
		test_abort();
	}
}

/* Compares a built message (`len` or a -errno) with `hex`. */
static void check_bytes(const uint8_t *built, int len, const char *hex)
{
	uint8_t want[PFKEY_MSG_BUFSIZE];
	long n = test_unhex(hex, want, sizeof(want));

	REQUIRE_GE(n, 16);
	REQUIRE_GE(len, 0);
	CHECK_EQ((long)len, n);
	CHECK_MEM(built, want, (size_t)(n < len ? n : len));
}

static void sa_id(struct kernel_sa_id *id, const char *src, const char *dst,
		  uint32_t spi)
{
	memset(id, 0, sizeof(*id));
	addr(&id->src, src);
	addr(&id->dst, dst);
	id->spi = spi;
	id->proto = KERNEL_PROTO_ESP;
}

static void seq_bytes(uint8_t *p, size_t n, uint8_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

/* Outbound tunnel SA, AES-CBC-128 + HMAC-SHA1-96, NAT-T 4500 -> 4500. */
static void cbc_sha1_sa(struct kernel_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa_id(&sa->id, "192.0.2.1", "192.0.2.2", 0xc0ffee02);
	sa->mode = KERNEL_MODE_TUNNEL;
	sa->reqid = REQID;
	sa->encr_id = ENCR_AES_CBC;
	sa->encr_key_bits = 128;
	sa->enc_key_len = 16;
	seq_bytes(sa->enc_key, 16, 0x00);
	sa->integ_id = AUTH_HMAC_SHA1_96;
	sa->integ_key_len = 20;
	seq_bytes(sa->integ_key, 20, 0x20);
	sa->replay_window = 32;
	sa->soft.add_seconds = 3000;
	sa->hard.add_seconds = 3600;
	sa->encap = (struct kernel_encap){
		KERNEL_ENCAP_ESPINUDP, 4500, 4500, { 0 }
	};
}

static void tunnel_policy(struct kernel_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->sel.family = AF_INET;
	addr(&p->sel.src, "10.1.0.0");
	addr(&p->sel.dst, "10.2.0.0");
	p->sel.src_plen = p->sel.dst_plen = 16;
	p->dir = KERNEL_DIR_OUT;
	p->priority = 1000;
	p->index = kernel_policy_index(1, KERNEL_DIR_OUT); /* 0x6b000009 */
	p->n_tmpl = 1;
	p->tmpl[0].proto = KERNEL_PROTO_ESP;
	p->tmpl[0].mode = KERNEL_MODE_TUNNEL;
	p->tmpl[0].reqid = REQID;
	addr(&p->tmpl[0].src, "192.0.2.1");
	addr(&p->tmpl[0].dst, "192.0.2.2");
}

TEST(pfkey_msg_reqids_map_into_the_manual_range)
{
	CHECK_EQ(pfkey_reqid_out(KERNEL_REQID_MIN + 1), 0x3001);
	CHECK_EQ(pfkey_reqid_out(KERNEL_REQID_MIN + 0xfff), 0x3fff);
	CHECK_EQ(pfkey_reqid_out(KERNEL_REQID_MIN + 0x1000), 0);
	CHECK_EQ(pfkey_reqid_out(7), 7); /* not ours: unchanged */
	CHECK_EQ(pfkey_reqid_in(0x3001), KERNEL_REQID_MIN + 1);
	CHECK_EQ(pfkey_reqid_in(0x2fff), 0x2fff);
	CHECK_EQ(pfkey_reqid_in(0x4000), 0x4000);
}

TEST(pfkey_msg_register)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];

	check_bytes(
		buf, pfkey_msg_register(buf, sizeof(buf), 1, PID),
		"02 07 00 03 0200 0000 # v2, REGISTER, errno, ESP, 2 words\n"
		"01000000 34120000     # seq 1, pid 0x1234\n");
}

TEST(pfkey_msg_getspi_v4)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_sa_id id;

	sa_id(&id, "192.0.2.2", "192.0.2.1", 0);
	check_bytes(
		buf,
		pfkey_msg_spi_alloc(buf, sizeof(buf), 2, PID, &id,
				    KERNEL_MODE_TUNNEL, REQID, 0xc0ffee01,
				    0xc0ffee01),
		"02 01 00 03 0c00 0000 02000000 34120000 # GETSPI, 12 w\n"
		"0200 1300 02 00 0000 00000000 01300000 # SA2 tunnel "
		"reqid 0x3001\n"
		"0300 0500 00 20 0000                    # ADDRESS_SRC /32\n"
		"  0200 0000 c0000202 0000000000000000   # 192.0.2.2\n"
		"0300 0600 00 20 0000                    # ADDRESS_DST /32\n"
		"  0200 0000 c0000201 0000000000000000   # 192.0.2.1\n"
		"0200 1000 01eeffc0 01eeffc0 00000000    # SPIRANGE\n");
}

TEST(pfkey_msg_add_cbc_sha1_natt)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_sa sa;

	cbc_sha1_sa(&sa);
	check_bytes(
		buf, pfkey_msg_sa_add(buf, sizeof(buf), 3, PID, &sa, false),
		"02 03 00 03 1e00 0000 03000000 34120000 # ADD, 30 words\n"
		"0200 0100 c0ffee02 20 01 03 0c 00000000 # SA: spi, "
		"replay 32, MATURE, SHA1HMAC, AESCBC\n"
		"0400 0300 00000000 0000000000000000     # LIFETIME_HARD\n"
		"  100e000000000000 0000000000000000     # add 3600 s\n"
		"0400 0400 00000000 0000000000000000     # LIFETIME_SOFT\n"
		"  b80b000000000000 0000000000000000     # add 3000 s\n"
		"0300 0500 00 20 0000 0200 0000 c0000201 0000000000000000\n"
		"0300 0600 00 20 0000 0200 0000 c0000202 0000000000000000\n"
		"0400 0800 a000 0000                     # KEY_AUTH 160 bits\n"
		"  2021222324252627 28292a2b2c2d2e2f 3031323300000000\n"
		"0300 0900 8000 0000                     # KEY_ENCRYPT 128\n"
		"  0001020304050607 08090a0b0c0d0e0f\n"
		"0200 1300 02 00 0000 00000000 01300000 # SA2\n"
		"0100 1400 02 000000                     # NAT_T_TYPE "
		"ESPINUDP\n"
		"0100 1500 1194 0000                     # NAT_T_SPORT 4500\n"
		"0100 1600 1194 0000                     # NAT_T_DPORT 4500\n");
}

TEST(pfkey_msg_delete)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_sa_id id;

	sa_id(&id, "192.0.2.1", "192.0.2.2", 0xc0ffee02);
	check_bytes(
		buf, pfkey_msg_sa_del(buf, sizeof(buf), 4, PID, &id),
		"02 04 00 03 0a00 0000 04000000 34120000 # DELETE, 10 w\n"
		"0200 0100 c0ffee02 00 01 00 00 00000000 # SA\n"
		"0300 0500 00 20 0000 0200 0000 c0000201 0000000000000000\n"
		"0300 0600 00 20 0000 0200 0000 c0000202 0000000000000000\n");
}

TEST(pfkey_msg_get_dump_spdget_spddump)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_sa_id id;

	sa_id(&id, "192.0.2.1", "192.0.2.2", 0xc0ffee02);
	check_bytes(
		buf, pfkey_msg_sa_get(buf, sizeof(buf), 8, PID, &id),
		"02 05 00 03 0a00 0000 08000000 34120000 # GET, 10 words\n"
		"0200 0100 c0ffee02 00 01 00 00 00000000 # SA\n"
		"0300 0500 00 20 0000 0200 0000 c0000201 0000000000000000\n"
		"0300 0600 00 20 0000 0200 0000 c0000202 0000000000000000\n");
	check_bytes(buf, pfkey_msg_sa_dump(buf, sizeof(buf), 9, PID),
		    "02 0a 00 03 0200 0000 09000000 34120000 # DUMP of ESP\n");
	check_bytes(buf, pfkey_msg_policy_dump(buf, sizeof(buf), 10, PID),
		    "02 12 00 00 0200 0000 0a000000 34120000 # X_SPDDUMP\n");
	check_bytes(
		buf, pfkey_msg_policy_get(buf, sizeof(buf), 11, PID, 0x1a),
		"02 10 00 00 0400 0000 0b000000 34120000 # X_SPDGET\n"
		"0200 1200 0100 03 00 1a000000 00000000  # X_POLICY id 0x1a "
		"(fwd: 0x1a & 7 = 2)\n");
}

TEST(pfkey_msg_spdadd_out_tunnel)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_policy p;

	tunnel_policy(&p);
	check_bytes(
		buf, pfkey_msg_policy_add(buf, sizeof(buf), 5, PID, &p, false),
		"02 0e 00 00 1000 0000 05000000 34120000 # X_SPDADD, 16 w\n"
		"0300 0500 ff 10 0000                    # SRC any proto /16\n"
		"  0200 0000 0a010000 0000000000000000\n"
		"0300 0600 ff 10 0000                    # DST any proto /16\n"
		"  0200 0000 0a020000 0000000000000000\n"
		"0800 1200 0200 02 00 0900006b e8030000  # X_POLICY IPSEC "
		"out, id, priority 1000\n"
		"  3000 3200 02 03 0000 01300000 00000000 # request: 48 "
		"bytes, ESP, tunnel, UNIQUE, reqid\n"
		"  0200 0000 c0000201 0000000000000000   # from 192.0.2.1\n"
		"  0200 0000 c0000202 0000000000000000   # to 192.0.2.2\n");
}

TEST(pfkey_msg_spddelete_by_selector_and_by_index)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_policy p;

	tunnel_policy(&p);
	check_bytes(buf, pfkey_msg_policy_del(buf, sizeof(buf), 7, PID, &p),
		    "02 16 00 00 0400 0000 07000000 34120000 # X_SPDDELETE2\n"
		    "0200 1200 0100 02 00 0900006b 00000000  # X_POLICY id\n");
	p.index = 0;
	check_bytes(buf, pfkey_msg_policy_del(buf, sizeof(buf), 6, PID, &p),
		    "02 0f 00 00 0a00 0000 06000000 34120000 # X_SPDDELETE\n"
		    "0300 0500 ff 10 0000 0200 0000 0a010000 0000000000000000\n"
		    "0300 0600 ff 10 0000 0200 0000 0a020000 0000000000000000\n"
		    "0200 1200 0100 02 00 00000000 00000000  # X_POLICY out\n");
}

TEST(pfkey_msg_socket_bypass)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];

	check_bytes(buf,
		    pfkey_msg_socket_bypass(buf, sizeof(buf), KERNEL_DIR_OUT),
		    "0200 1200 0400 02 00 00000000 00000000 # X_POLICY BYPASS "
		    "out\n");
	CHECK_EQ(pfkey_msg_socket_bypass(buf, sizeof(buf), KERNEL_DIR_FWD),
		 -EINVAL);
}

TEST(pfkey_msg_refuses_what_pfkey_cannot_express)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_sa sa;
	struct kernel_policy p;
	char why[200];

	cbc_sha1_sa(&sa);
	sa.encr_id = ENCR_AES_GCM_16;
	sa.integ_id = AUTH_NONE;
	sa.enc_key_len = 20;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -ENOPROTOOPT);
	CHECK(strstr(why, "no AEAD") != NULL);
	CHECK_EQ(pfkey_msg_sa_add(buf, sizeof(buf), 1, PID, &sa, false),
		 -ENOPROTOOPT);

	cbc_sha1_sa(&sa);
	sa.integ_id = AUTH_HMAC_SHA2_256_128;
	sa.integ_key_len = 32;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -ENOPROTOOPT);
	CHECK(strstr(why, "96-bit ICV") != NULL);

	cbc_sha1_sa(&sa);
	sa.esn = true;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	cbc_sha1_sa(&sa);
	sa.replay_window = 64;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	cbc_sha1_sa(&sa);
	sa.id.mark.mask = 0xff;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "marks") != NULL);
	cbc_sha1_sa(&sa);
	sa.reqid = KERNEL_REQID_MIN + 0x1000;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -ERANGE);
	cbc_sha1_sa(&sa);
	sa.integ_key_len = 16;
	CHECK_EQ(pfkey_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);

	tunnel_policy(&p);
	p.mark.mask = 1;
	CHECK_EQ(pfkey_msg_policy_add(buf, sizeof(buf), 1, PID, &p, false),
		 -EINVAL);
	tunnel_policy(&p);
	CHECK_EQ(pfkey_msg_policy_add(buf, 40, 1, PID, &p, false), -ENOSPC);
	cbc_sha1_sa(&sa);
	CHECK_EQ(pfkey_msg_sa_add(buf, 100, 1, PID, &sa, false), -ENOSPC);
}

/* What the builders write, the parsers read back. */
TEST(pfkey_msg_sa_and_policy_round_trip)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_sa sa, back;
	struct kernel_sa_id id;
	struct kernel_sa_stats st;
	struct kernel_policy p, pb;
	struct pfkey_hdr h;
	int n;

	cbc_sha1_sa(&sa);
	n = pfkey_msg_sa_add(buf, sizeof(buf), 9, PID, &sa, true);
	REQUIRE_GE(n, 16);
	REQUIRE_EQ(pfkey_msg_parse_hdr(buf, (size_t)n, &h), 0);
	CHECK_EQ(h.type, SADB_UPDATE);
	CHECK_EQ(h.seq, 9);
	CHECK_EQ(h.pid, PID);
	REQUIRE_EQ(pfkey_msg_parse_sa(buf, (size_t)n, &id, &st, &back), 0);
	CHECK_MEM(&id, &sa.id, sizeof(id));
	CHECK_EQ(back.reqid, REQID);
	CHECK_EQ(back.mode, KERNEL_MODE_TUNNEL);
	CHECK_EQ(back.encr_id, ENCR_AES_CBC);
	CHECK_EQ(back.integ_id, AUTH_HMAC_SHA1_96);
	CHECK_EQ(back.hard.add_seconds, 3600);
	CHECK_EQ(back.soft.add_seconds, 3000);
	CHECK_EQ(back.encap.sport, 4500);
	CHECK_EQ(back.encap.type, KERNEL_ENCAP_ESPINUDP);
	CHECK_EQ(back.enc_key_len, 0); /* keys are never copied out */

	tunnel_policy(&p);
	n = pfkey_msg_policy_add(buf, sizeof(buf), 10, PID, &p, true);
	REQUIRE_GE(n, 16);
	REQUIRE_EQ(pfkey_msg_parse_policy(buf, (size_t)n, &pb), 0);
	CHECK_MEM(&pb, &p, sizeof(p));
}

/* A soft EXPIRE as af_key.c lays it out: SA, LIFETIME_SOFT,
 * LIFETIME_CURRENT, addresses, SA2; no keys. */
static const char expire_soft[] =
	"02 08 00 03 1400 0000 00000000 00000000 # EXPIRE, 20 words\n"
	"0200 0100 c0ffee02 20 01 03 0c 00000000 # SA\n"
	"0400 0400 00000000 0000000000000000 b80b000000000000 "
	"0000000000000000 # LIFETIME_SOFT\n"
	"0400 0200 05000000 2003000000000000 00e1f50500000000 "
	"01e1f50500000000 # CURRENT: 5 pkts, 800 bytes\n"
	"0300 0500 00 20 0000 0200 0000 c0000201 0000000000000000\n"
	"0300 0600 00 20 0000 0200 0000 c0000202 0000000000000000\n"
	"0200 1300 02 00 0000 00000000 01300000 # SA2\n";

TEST(pfkey_msg_parse_expire)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	long n = test_unhex(expire_soft, buf, sizeof(buf));
	struct kernel_event ev;

	REQUIRE_GE(n, 16);
	REQUIRE_EQ(pfkey_msg_parse_event(buf, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, KERNEL_EV_EXPIRE);
	CHECK(!ev.u.expire.hard);
	CHECK_EQ(ev.u.expire.id.spi, 0xc0ffee02);
	CHECK_EQ(ev.u.expire.stats.packets, 5);
	CHECK_EQ(ev.u.expire.stats.bytes, 800);
	CHECK_EQ(ev.u.expire.stats.reqid, REQID);
	/* the same with LIFETIME_HARD instead: a hard expire */
	buf[16 + 16 + 2] = SADB_EXT_LIFETIME_HARD;
	REQUIRE_EQ(pfkey_msg_parse_event(buf, (size_t)n, &ev), 0);
	CHECK(ev.u.expire.hard);
}

/* An ACQUIRE as af_key.c sends it: addresses, X_POLICY (out, index),
 * PROPOSAL with one combination. */
static const char acquire[] =
	"02 06 00 03 1400 0000 07000000 00000000 # ACQUIRE seq 7, 20 w\n"
	"0300 0500 00 20 0000 0200 0000 c0000201 0000000000000000\n"
	"0300 0600 00 20 0000 0200 0000 c0000202 0000000000000000\n"
	"0200 1200 0200 02 00 11000000 00000000  # X_POLICY out idx 0x11\n"
	"0a00 0d00 20 000000                     # PROPOSAL, replay 32\n"
	"  03 0c 0000 a000 a000 8000 0001 00000000 # comb: SHA1, AES\n"
	"  0000000000000000 0000000000000000 0000000000000000\n"
	"  0000000000000000 0000000000000000 0000000000000000\n"
	"  0000000000000000\n";

TEST(pfkey_msg_parse_acquire)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	long n = test_unhex(acquire, buf, sizeof(buf));
	struct kernel_event ev;
	char s[64];

	REQUIRE_GE(n, 16);
	REQUIRE_EQ(pfkey_msg_parse_event(buf, (size_t)n, &ev), 0);
	CHECK_EQ(ev.type, KERNEL_EV_ACQUIRE);
	CHECK_EQ(ev.u.acquire.seq, 7);
	CHECK_EQ(ev.u.acquire.policy_index, 0x11);
	CHECK_EQ(ev.u.acquire.policy_dir, KERNEL_DIR_OUT);
	CHECK_STR(kernel_addr_str(&ev.u.acquire.dst, s, sizeof(s)),
		  "192.0.2.2");
	CHECK_EQ(ev.u.acquire.tmpl.proto, KERNEL_PROTO_ESP);
}

/* Bad input: each refused or skipped, never read beyond the message. */
TEST(pfkey_msg_parsers_refuse_malformed_messages)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE], copy[PFKEY_MSG_BUFSIZE];
	long n = test_unhex(expire_soft, buf, sizeof(buf));
	struct kernel_event ev;
	struct pfkey_hdr h;

	REQUIRE_GE(n, 16);
	/* truncated, and longer than the header says */
	for (long k = 0; k < n; k++)
		CHECK_EQ(pfkey_msg_parse_event(buf, (size_t)k, &ev), -EBADMSG);
	memcpy(copy, buf, (size_t)n);
	memset(copy + n, 0, 8);
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n + 8, &ev), -EBADMSG);
	/* an extension running past the end */
	memcpy(copy, buf, (size_t)n);
	copy[16] = 0x40;
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n, &ev), -EBADMSG);
	/* a zero-length extension (would loop forever) */
	copy[16] = 0;
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n, &ev), -EBADMSG);
	/* the SA extension twice */
	memcpy(copy, buf, (size_t)n);
	copy[16 + 16 + 2] = SADB_EXT_SA;
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n, &ev), -EBADMSG);
	/* an extension we do not know is skipped: the soft lifetime becomes
	 * type 200, and the expire lacks the lifetime it reports */
	memcpy(copy, buf, (size_t)n);
	copy[16 + 16 + 2] = 200;
	CHECK_EQ(pfkey_msg_parse_hdr(copy, (size_t)n, &h), 0);
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n, &ev), -EBADMSG);
	/* wrong version */
	memcpy(copy, buf, (size_t)n);
	copy[0] = 1;
	CHECK_EQ(pfkey_msg_parse_hdr(copy, (size_t)n, &h), -EBADMSG);
	/* an error reply is not an event */
	memcpy(copy, buf, (size_t)n);
	copy[2] = EINVAL;
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n, &ev), -ENOMSG);
	/* a message type we do not handle */
	memcpy(copy, buf, (size_t)n);
	copy[1] = SADB_FLUSH;
	CHECK_EQ(pfkey_msg_parse_event(copy, (size_t)n, &ev), -ENOMSG);
}

/* A REGISTER reply lists what the kernel has: the IANA IDs we know. */
TEST(pfkey_msg_parse_supported)
{
	uint8_t buf[PFKEY_MSG_BUFSIZE];
	const char *hex =
		"02 07 00 03 0900 0000 01000000 34120000 # REGISTER reply\n"
		"0400 0e00 00000000                      # SUPPORTED_AUTH\n"
		"  03 00 a000 a000 0000                  # SHA1HMAC\n"
		"  05 00 0001 0001 0000                  # SHA2_256HMAC\n"
		"  08 00 a000 a000 0000                  # RIPEMD160 "
		"(unknown)\n"
		"0300 0f00 00000000                      # SUPPORTED_ENCRYPT\n"
		"  0c 08 8000 0001 0000                  # AESCBC\n"
		"  0b 00 0000 0000 0000                  # NULL\n";
	long n = test_unhex(hex, buf, sizeof(buf));
	struct kernel_caps caps = { 0 };

	REQUIRE_GE(n, 16);
	REQUIRE_EQ(pfkey_msg_parse_supported(buf, (size_t)n, &caps), 0);
	REQUIRE_EQ(caps.n_integ, 2);
	CHECK_EQ(caps.integ[0], AUTH_HMAC_SHA1_96);
	CHECK_EQ(caps.integ[1], AUTH_HMAC_SHA2_256_128);
	REQUIRE_EQ(caps.n_encr, 2);
	CHECK_EQ(caps.encr[0], ENCR_AES_CBC);
	CHECK_EQ(caps.encr[1], ENCR_NULL);
}
