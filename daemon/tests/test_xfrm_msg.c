/* XFRM message builders compared byte for byte with what iproute2's
 * `ip xfrm` sends for the same object (fixtures captured by
 * daemon/tests/vectors/xfrm/capture.sh, which explains how), and parsers
 * fed with built messages. No socket here: see test_xfrm_host.c. */
#include "ike_iana.h"
#include "kernel/xfrm_msg.h"
#include "tests/test.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <stdlib.h>

/* Reads fixture `name`.hex into `out`; the test fails if it is missing. */
static size_t fixture(const char *name, uint8_t *out, size_t cap)
{
	char path[512], text[16384];
	size_t n;
	long len;
	FILE *f;

	snprintf(path, sizeof(path), "daemon/tests/vectors/xfrm/%s.hex", name);
	f = fopen(test_src_path(path), "r");
	if (!f) {
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
		test_abort();
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	len = test_unhex(text, out, cap);
	REQUIRE_GE(len, 16);
	return (size_t)len;
}

/* Compares a built message with a fixture, ignoring nlmsg_seq and
 * nlmsg_pid (iproute2 puts the time of day in seq). */
static void check_fixture(const char *name, const uint8_t *built, int len)
{
	uint8_t want[4096], got[XFRM_MSG_BUFSIZE];
	size_t n = fixture(name, want, sizeof(want));

	REQUIRE_GE(len, 16);
	CHECK_EQ((size_t)len, n);
	memcpy(got, built, (size_t)len);
	memset(got + 8, 0, 8);
	memset(want + 8, 0, 8);
	CHECK_MEM(got, want, n < (size_t)len ? n : (size_t)len);
}

static void addr(struct kernel_addr *a, const char *s)
{
	if (kernel_addr_parse(a, s) != 0) {
		test_fail(__FILE__, __LINE__, "bad address %s", s);
		test_abort();
	}
}

static void seq_bytes(uint8_t *p, size_t n, uint8_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static const uint8_t salt[4] = { 0xa0, 0xa1, 0xa2, 0xa3 };

TEST(xfrm_msg_policy_out_v4_tunnel)
{
	struct kernel_policy p = { .dir = KERNEL_DIR_OUT, .priority = 1000 };
	uint8_t buf[XFRM_MSG_BUFSIZE];

	p.sel.family = AF_INET;
	addr(&p.sel.src, "10.1.0.0");
	addr(&p.sel.dst, "10.2.0.0");
	p.sel.src_plen = p.sel.dst_plen = 16;
	p.sel.proto = 17;
	p.sel.sport = 500;
	p.sel.dport = 4500;
	p.index = kernel_policy_index(1, KERNEL_DIR_OUT);
	p.n_tmpl = 1;
	addr(&p.tmpl[0].src, "192.0.2.1");
	addr(&p.tmpl[0].dst, "192.0.2.2");
	p.tmpl[0].proto = KERNEL_PROTO_ESP;
	p.tmpl[0].reqid = 0x6b620001;
	p.tmpl[0].mode = KERNEL_MODE_TUNNEL;
	check_fixture("policy_out_v4_tunnel", buf,
		      xfrm_msg_policy_add(buf, sizeof(buf), 7, &p, false));
}

TEST(xfrm_msg_policy_in_v6_transport_update)
{
	struct kernel_policy p = { .dir = KERNEL_DIR_IN, .priority = 2000 };
	uint8_t buf[XFRM_MSG_BUFSIZE];

	p.sel.family = AF_INET6;
	addr(&p.sel.src, "2001:db8:1::");
	addr(&p.sel.dst, "2001:db8:2::");
	p.sel.src_plen = p.sel.dst_plen = 64;
	p.sel.proto = 6;
	p.index = kernel_policy_index(2, KERNEL_DIR_IN);
	p.n_tmpl = 1;
	p.tmpl[0].proto = KERNEL_PROTO_ESP;
	p.tmpl[0].reqid = 0x6b620002;
	p.tmpl[0].mode = KERNEL_MODE_TRANSPORT;
	check_fixture("policy_in_v6_transport", buf,
		      xfrm_msg_policy_add(buf, sizeof(buf), 7, &p, true));
}

static void fwd_block(struct kernel_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->dir = KERNEL_DIR_FWD;
	p->action = KERNEL_ACTION_BLOCK;
	p->priority = 5;
	p->sel.family = AF_INET;
	addr(&p->sel.src, "10.3.0.0");
	addr(&p->sel.dst, "0.0.0.0");
	p->sel.src_plen = 24;
	p->index = kernel_policy_index(2, KERNEL_DIR_FWD);
	p->mark = (struct kernel_mark){ 0x10, 0xff };
	p->if_id = 7;
}

TEST(xfrm_msg_policy_fwd_block_mark)
{
	struct kernel_policy p;
	uint8_t buf[XFRM_MSG_BUFSIZE];

	fwd_block(&p);
	check_fixture("policy_fwd_block_mark", buf,
		      xfrm_msg_policy_add(buf, sizeof(buf), 7, &p, false));
}

TEST(xfrm_msg_policy_del_get)
{
	struct kernel_policy p = { .dir = KERNEL_DIR_OUT };
	uint8_t buf[XFRM_MSG_BUFSIZE];

	p.sel.family = AF_INET;
	addr(&p.sel.src, "10.1.0.0");
	addr(&p.sel.dst, "10.2.0.0");
	p.sel.src_plen = p.sel.dst_plen = 16;
	p.sel.proto = 17;
	p.sel.sport = 500;
	p.sel.dport = 4500;
	check_fixture("policy_del_v4", buf,
		      xfrm_msg_policy_del(buf, sizeof(buf), 1, &p));
	/* By index, the selector goes out empty (the kernel ignores it). */
	p.index = 0x6b000009;
	check_fixture("policy_del_index", buf,
		      xfrm_msg_policy_del(buf, sizeof(buf), 1, &p));
	p.index = 0x6b000010;
	p.dir = KERNEL_DIR_IN;
	check_fixture("policy_get_index", buf,
		      xfrm_msg_policy_get(buf, sizeof(buf), 1, &p));
}

TEST(xfrm_msg_sa_gcm_v4_tunnel_lifetimes)
{
	struct kernel_sa sa = { .mode = KERNEL_MODE_TUNNEL };
	uint8_t buf[XFRM_MSG_BUFSIZE];

	addr(&sa.id.src, "192.0.2.1");
	addr(&sa.id.dst, "192.0.2.2");
	sa.id.spi = 0xc0ffee01;
	sa.id.proto = KERNEL_PROTO_ESP;
	sa.reqid = 0x6b620001;
	sa.replay_window = 32;
	sa.encr_id = ENCR_AES_GCM_16;
	seq_bytes(sa.enc_key, 16, 0);
	memcpy(sa.enc_key + 16, salt, 4); /* RFC 4106 §8.1 */
	sa.enc_key_len = 20;
	sa.soft = (struct kernel_lifetime){ 1000000, 1000, 3000, 300 };
	sa.hard = (struct kernel_lifetime){ 2000000, 2000, 3600, 600 };
	check_fixture("sa_gcm_v4_tunnel", buf,
		      xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false));
	kernel_sa_wipe(&sa);
}

TEST(xfrm_msg_sa_chacha_v6_transport_esn)
{
	struct kernel_sa sa = { .mode = KERNEL_MODE_TRANSPORT };
	uint8_t buf[XFRM_MSG_BUFSIZE];

	addr(&sa.id.src, "2001:db8::1");
	addr(&sa.id.dst, "2001:db8::2");
	sa.id.spi = 0x1234;
	sa.id.proto = KERNEL_PROTO_ESP;
	sa.reqid = 0x6b620002;
	sa.replay_window = 128;
	sa.esn = true;
	sa.encr_id = ENCR_CHACHA20_POLY1305;
	seq_bytes(sa.enc_key, 32, 0);
	memcpy(sa.enc_key + 32, salt, 4); /* RFC 7634 §2 */
	sa.enc_key_len = 36;
	sa.sel.family = AF_INET6;
	sa.sel.src = sa.id.src;
	sa.sel.dst = sa.id.dst;
	sa.sel.src_plen = sa.sel.dst_plen = 128;
	sa.sel.proto = 17;
	check_fixture("sa_chacha_v6_transport_esn", buf,
		      xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, true));
	kernel_sa_wipe(&sa);
}

static void cbc_sa(struct kernel_sa *sa, uint16_t integ, size_t enc_len,
		   size_t integ_len)
{
	memset(sa, 0, sizeof(*sa));
	sa->id.proto = KERNEL_PROTO_ESP;
	sa->encr_id = ENCR_AES_CBC;
	seq_bytes(sa->enc_key, enc_len, 0);
	sa->enc_key_len = (uint8_t)enc_len;
	sa->integ_id = integ;
	seq_bytes(sa->integ_key, integ_len, 0x20);
	sa->integ_key_len = (uint8_t)integ_len;
}

TEST(xfrm_msg_sa_cbc_sha256_natt_mark_ifid)
{
	struct kernel_sa sa;
	uint8_t buf[XFRM_MSG_BUFSIZE];

	cbc_sa(&sa, AUTH_HMAC_SHA2_256_128, 32, 32);
	addr(&sa.id.src, "192.0.2.1");
	addr(&sa.id.dst, "198.51.100.2");
	sa.id.spi = 0x01020304;
	sa.id.mark = (struct kernel_mark){ 0x20, 0xffffffff };
	sa.id.if_id = 9;
	sa.mode = KERNEL_MODE_TUNNEL;
	sa.reqid = 0x6b620003;
	sa.replay_window = 64;
	sa.encap = (struct kernel_encap){ .type = KERNEL_ENCAP_ESPINUDP,
					  .sport = 4500,
					  .dport = 4501 };
	sa.encap.oa.family = AF_INET; /* 0.0.0.0, as `ip` sends it */
	check_fixture("sa_cbc_sha256_v4_encap", buf,
		      xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false));
	kernel_sa_wipe(&sa);
}

TEST(xfrm_msg_sa_cbc_sha384_sha512_sha1)
{
	struct kernel_sa sa;
	uint8_t buf[XFRM_MSG_BUFSIZE];

	cbc_sa(&sa, AUTH_HMAC_SHA2_384_192, 16, 48);
	addr(&sa.id.src, "192.0.2.1");
	addr(&sa.id.dst, "192.0.2.2");
	sa.id.spi = 0x0a0b0c0d;
	sa.reqid = 0x6b620004;
	check_fixture("sa_cbc_sha384_v4", buf,
		      xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false));

	cbc_sa(&sa, AUTH_HMAC_SHA2_512_256, 24, 64);
	addr(&sa.id.src, "2001:db8::1");
	addr(&sa.id.dst, "2001:db8::2");
	sa.id.spi = 0x0a0b0c0e;
	sa.reqid = 0x6b620005;
	sa.mode = KERNEL_MODE_TUNNEL;
	check_fixture("sa_cbc_sha512_v6", buf,
		      xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false));

	cbc_sa(&sa, AUTH_HMAC_SHA1_96, 16, 20);
	seq_bytes(sa.integ_key, 10, 0x60); /* the fixture's 60..69 70..79 */
	seq_bytes(sa.integ_key + 10, 10, 0x70);
	addr(&sa.id.src, "192.0.2.1");
	addr(&sa.id.dst, "192.0.2.2");
	sa.id.spi = 0x0a0b0c0f;
	sa.reqid = 0x6b620006;
	check_fixture("sa_cbc_sha1_v4", buf,
		      xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false));
	kernel_sa_wipe(&sa);
}

TEST(xfrm_msg_sa_del_get_allocspi)
{
	struct kernel_sa_id id = { .proto = KERNEL_PROTO_ESP };
	uint8_t buf[XFRM_MSG_BUFSIZE];

	addr(&id.src, "192.0.2.1");
	addr(&id.dst, "192.0.2.2");
	id.spi = 0xc0ffee01;
	check_fixture("sa_del_v4", buf,
		      xfrm_msg_sa_del(buf, sizeof(buf), 1, &id));
	addr(&id.src, "2001:db8::1");
	addr(&id.dst, "2001:db8::2");
	id.spi = 0x1234;
	id.mark = (struct kernel_mark){ 0x20, 0xffffffff };
	check_fixture("sa_get_v6_mark", buf,
		      xfrm_msg_sa_get(buf, sizeof(buf), 1, &id));
	memset(&id, 0, sizeof(id));
	id.proto = KERNEL_PROTO_ESP;
	addr(&id.src, "192.0.2.2");
	addr(&id.dst, "192.0.2.1");
	check_fixture("allocspi_v4", buf,
		      xfrm_msg_spi_alloc(buf, sizeof(buf), 1, &id,
					 KERNEL_MODE_TUNNEL, 0x6b620007, 0,
					 0x100, 0x1000));
}

static void migrate_v4(struct kernel_migrate *m)
{
	memset(m, 0, sizeof(*m));
	m->sel.family = AF_INET;
	addr(&m->sel.src, "10.1.0.0");
	addr(&m->sel.dst, "10.2.0.0");
	m->sel.src_plen = m->sel.dst_plen = 16;
	m->dir = KERNEL_DIR_OUT;
	addr(&m->old_src, "192.0.2.1");
	addr(&m->old_dst, "192.0.2.2");
	addr(&m->new_src, "198.51.100.7");
	addr(&m->new_dst, "192.0.2.2");
	m->proto = KERNEL_PROTO_ESP;
	m->mode = KERNEL_MODE_TUNNEL;
	m->reqid = 0x6b620001;
}

/* MOBIKE's move of a policy and its SA (RFC 4555 §3.5). */
TEST(xfrm_msg_migrate_v4_encap)
{
	struct kernel_migrate m;
	uint8_t buf[XFRM_MSG_BUFSIZE];

	migrate_v4(&m);
	m.encap = (struct kernel_encap){ .type = KERNEL_ENCAP_ESPINUDP,
					 .sport = 4500,
					 .dport = 4500 };
	check_fixture("migrate_out_v4_encap", buf,
		      xfrm_msg_migrate(buf, sizeof(buf), 3, &m));
	/* Without encapsulation: the same message minus XFRMA_ENCAP. */
	m.encap.type = KERNEL_ENCAP_NONE;
	CHECK_EQ(xfrm_msg_migrate(buf, sizeof(buf), 3, &m), 160);
}

/* An IPv6 fwd policy whose peer moved: if_id travels as XFRMA_IF_ID, and
 * the selector is written as the policy was installed. */
TEST(xfrm_msg_migrate_v6_fwd_ifid_and_refusals)
{
	struct kernel_migrate m;
	struct kernel_policy p = { .dir = KERNEL_DIR_FWD };
	uint8_t buf[XFRM_MSG_BUFSIZE], pol[XFRM_MSG_BUFSIZE];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct nlattr *a;
	struct xfrm_user_migrate um;
	unsigned seen = 0;
	int len;

	memset(&m, 0, sizeof(m));
	m.sel.family = AF_INET6;
	addr(&m.sel.src, "2001:db8:1::");
	addr(&m.sel.dst, "2001:db8:2::");
	m.sel.src_plen = m.sel.dst_plen = 64;
	m.sel.proto = 6;
	m.sel.dport = 443;
	m.dir = KERNEL_DIR_FWD;
	m.if_id = 7;
	addr(&m.old_src, "2001:db8:f::2");
	addr(&m.old_dst, "2001:db8:f::1");
	addr(&m.new_src, "2001:db8:f::2");
	addr(&m.new_dst, "2001:db8:e::1");
	m.proto = KERNEL_PROTO_ESP;
	m.mode = KERNEL_MODE_TUNNEL;
	m.reqid = 0x6b620009;
	len = xfrm_msg_migrate(buf, sizeof(buf), 9, &m);
	REQUIRE_EQ(len, 16 + 64 + 80 + 8);
	CHECK_EQ(nlh->nlmsg_type, XFRM_MSG_MIGRATE);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(nlh->nlmsg_seq, 9);
	/* The kernel finds the policy by comparing selectors whole: ours must
	 * be the bytes the policy was installed with. */
	p.sel = m.sel;
	REQUIRE_GE(xfrm_msg_policy_add(pol, sizeof(pol), 1, &p, false), 16);
	CHECK_MEM((const uint8_t *)buf + 16, pol + 16,
		  sizeof(struct xfrm_selector));
	CHECK_EQ(buf[16 + sizeof(struct xfrm_selector) + 4], KERNEL_DIR_FWD);
	mnl_attr_for_each(a, nlh, sizeof(struct xfrm_userpolicy_id))
	{
		if (mnl_attr_get_type(a) == XFRMA_MIGRATE) {
			REQUIRE_EQ(mnl_attr_get_payload_len(a), sizeof(um));
			memcpy(&um, mnl_attr_get_payload(a), sizeof(um));
			CHECK_EQ(um.old_family, AF_INET6);
			CHECK_EQ(um.new_family, AF_INET6);
			CHECK_EQ(um.reqid, 0x6b620009);
			CHECK_EQ(um.proto, KERNEL_PROTO_ESP);
			CHECK_EQ(um.mode, KERNEL_MODE_TUNNEL);
			CHECK_MEM(&um.new_daddr, m.new_dst.a.v6, 16);
			CHECK_MEM(&um.old_daddr, m.old_dst.a.v6, 16);
			seen |= 1;
		} else if (mnl_attr_get_type(a) == XFRMA_IF_ID) {
			CHECK_EQ(mnl_attr_get_u32(a), 7);
			seen |= 2;
		} else {
			seen |= 4;
		}
	}
	CHECK_EQ(seen, 3);

	/* Refusals: nothing half-built is claimed as a message. */
	CHECK_EQ(xfrm_msg_migrate(buf, 100, 9, &m), -ENOSPC);
	migrate_v4(&m);
	addr(&m.new_dst, "2001:db8::1"); /* v4 source, v6 destination */
	CHECK_EQ(xfrm_msg_migrate(buf, sizeof(buf), 1, &m), -EINVAL);
	migrate_v4(&m);
	m.dir = 3;
	CHECK_EQ(xfrm_msg_migrate(buf, sizeof(buf), 1, &m), -EINVAL);
	migrate_v4(&m);
	m.proto = KERNEL_PROTO_AH;
	m.encap.type = KERNEL_ENCAP_ESPINUDP; /* RFC 3948 is ESP only */
	CHECK_EQ(xfrm_msg_migrate(buf, sizeof(buf), 1, &m), -EINVAL);
	migrate_v4(&m);
	m.sel.family = 0;
	CHECK_EQ(xfrm_msg_migrate(buf, sizeof(buf), 1, &m), -EINVAL);
}

TEST(xfrm_msg_refusals)
{
	struct kernel_sa sa;
	struct kernel_policy p;
	uint8_t buf[XFRM_MSG_BUFSIZE];
	char why[128];

	cbc_sa(&sa, AUTH_HMAC_SHA2_256_128, 32, 32);
	addr(&sa.id.src, "192.0.2.1");
	addr(&sa.id.dst, "192.0.2.2");
	CHECK_GT(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false), 0);
	/* Too small a buffer, at every size: never a partial message. */
	for (size_t cap = 0; cap < 400; cap += 13)
		CHECK_EQ(xfrm_msg_sa_add(buf, cap, 1, &sa, false), -ENOSPC);
	sa.integ_key_len = 20; /* RFC 4868 §2.1.1: 32 bytes for SHA-256 */
	CHECK_EQ(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false), -EINVAL);
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "AUTH_HMAC_SHA2_256_128 needs a 32-byte key, got 20 "
		       "bytes");
	sa.integ_key_len = 32;
	sa.enc_key_len = 20; /* not an AES key size */
	CHECK_EQ(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false), -EINVAL);
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "ENCR_AES_CBC needs a 16, 24 or 32-byte key plus 0 "
		       "bytes of salt, got 20 bytes");
	sa.enc_key_len = 32;
	sa.encr_id = ENCR_CAMELLIA_CCM_8; /* no kernel name */
	CHECK_EQ(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false),
		 -ENOPROTOOPT);
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), -ENOPROTOOPT);
	CHECK_STR(why, "no kernel algorithm for ENCR_CAMELLIA_CCM_8 (25)");
	sa.encr_id = ENCR_AES_GCM_16; /* AEAD plus integrity */
	sa.enc_key_len = 20;
	CHECK_EQ(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false), -EINVAL);
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "ENCR_AES_GCM_16 is an AEAD and takes no integrity "
		       "algorithm");
	sa.integ_id = AUTH_NONE;
	CHECK_GT(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false), 0);
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), 0);
	CHECK_STR(why, "");
	sa.enc_key_len = 16; /* the salt is missing (RFC 4106 §8.1) */
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	CHECK_STR(why, "ENCR_AES_GCM_16 needs a 16, 24 or 32-byte key plus 4 "
		       "bytes of salt, got 16 bytes");
	sa.enc_key_len = 20;
	sa.encap.type = 1; /* non-IKE marker encapsulation: not ours */
	CHECK_EQ(xfrm_msg_sa_check(&sa, why, sizeof(why)), -EINVAL);
	sa.encap.type = 0;
	sa.id.src.family = AF_INET6; /* mixed families */
	CHECK_EQ(xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false), -EINVAL);
	CHECK_EQ(xfrm_msg_sa_check(&sa, NULL, 0), -EINVAL);
	kernel_sa_wipe(&sa);

	fwd_block(&p);
	p.index = kernel_policy_index(1, KERNEL_DIR_OUT); /* index & 7 != dir */
	CHECK_EQ(xfrm_msg_policy_add(buf, sizeof(buf), 1, &p, false), -EINVAL);
	fwd_block(&p);
	p.n_tmpl = 1; /* templates on a block policy */
	CHECK_EQ(xfrm_msg_policy_add(buf, sizeof(buf), 1, &p, false), -EINVAL);
	p.action = KERNEL_ACTION_ALLOW;
	p.tmpl[0].mode = KERNEL_MODE_TUNNEL; /* tunnel without endpoints */
	CHECK_EQ(xfrm_msg_policy_add(buf, sizeof(buf), 1, &p, false), -EINVAL);
}

/* Built messages parse back into the same model (what dumps return). */
TEST(xfrm_msg_parse_roundtrip)
{
	struct kernel_sa sa, back;
	struct kernel_sa_id id;
	struct kernel_sa_stats st;
	struct kernel_policy p, pb;
	uint8_t buf[XFRM_MSG_BUFSIZE];
	int n;

	cbc_sa(&sa, AUTH_HMAC_SHA2_512_256, 32, 64);
	addr(&sa.id.src, "2001:db8::1");
	addr(&sa.id.dst, "2001:db8::2");
	sa.id.spi = 0xdeadbeef;
	sa.id.mark = (struct kernel_mark){ 3, 0xf };
	sa.id.if_id = 4;
	sa.reqid = 0x6b620009;
	sa.replay_window = 1024;
	sa.esn = true;
	sa.mode = KERNEL_MODE_TUNNEL;
	sa.soft.bytes = 77;
	sa.hard.use_seconds = 99;
	sa.encap = (struct kernel_encap){ .type = KERNEL_ENCAP_ESPINUDP,
					  .sport = 4500,
					  .dport = 4501 };
	n = xfrm_msg_sa_add(buf, sizeof(buf), 1, &sa, false);
	REQUIRE_GE(n, 1);
	REQUIRE_EQ(xfrm_msg_parse_sa((struct nlmsghdr *)buf, &id, &st, &back),
		   0);
	CHECK_MEM(&id, &sa.id, sizeof(id));
	CHECK_EQ(st.reqid, 0x6b620009);
	CHECK_EQ(back.mode, KERNEL_MODE_TUNNEL);
	CHECK_EQ(back.encr_id, ENCR_AES_CBC);
	CHECK_EQ(back.integ_id, AUTH_HMAC_SHA2_512_256);
	CHECK_EQ(back.replay_window, 1024);
	CHECK(back.esn);
	CHECK_EQ(back.soft.bytes, 77);
	CHECK_EQ(back.soft.packets, 0);
	CHECK_EQ(back.hard.use_seconds, 99);
	CHECK_EQ(back.encap.dport, 4501);
	CHECK_EQ(back.enc_key_len, 0); /* keys are never copied back */
	kernel_sa_wipe(&sa);

	fwd_block(&p);
	p.action = KERNEL_ACTION_ALLOW;
	p.n_tmpl = 2;
	p.tmpl[0] = (struct kernel_tmpl){ .proto = KERNEL_PROTO_COMP,
					  .reqid = 5,
					  .optional = true };
	p.tmpl[1] = (struct kernel_tmpl){ .proto = KERNEL_PROTO_ESP,
					  .reqid = KERNEL_REQID_MIN };
	p.hard.add_seconds = 60;
	n = xfrm_msg_policy_add(buf, sizeof(buf), 1, &p, true);
	REQUIRE_GE(n, 1);
	REQUIRE_EQ(xfrm_msg_parse_policy((struct nlmsghdr *)buf, &pb), 0);
	CHECK_MEM(&pb, &p, sizeof(p));
	/* Truncated by one byte: refused, not read past the end. */
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)n - 1;
	CHECK_EQ(xfrm_msg_parse_policy((struct nlmsghdr *)buf, &pb), -EBADMSG);
	((struct nlmsghdr *)buf)->nlmsg_len = 100;
	CHECK_EQ(xfrm_msg_parse_policy((struct nlmsghdr *)buf, &pb), -EBADMSG);
}

TEST(xfrm_msg_alg_names)
{
	CHECK_STR(xfrm_alg_encr(ENCR_AES_GCM_16)->name, "rfc4106(gcm(aes))");
	CHECK_EQ(xfrm_alg_encr(ENCR_AES_GCM_8)->bits, 64);
	CHECK_STR(xfrm_alg_encr(ENCR_CHACHA20_POLY1305)->name,
		  "rfc7539esp(chacha20,poly1305)");
	CHECK_STR(xfrm_alg_integ(AUTH_HMAC_SHA2_384_192)->name, "hmac(sha384)");
	CHECK_EQ(xfrm_alg_integ(AUTH_HMAC_SHA1_96)->bits, 96);
	CHECK_EQ(xfrm_alg_encr_by_name("rfc4106(gcm(aes))", 96)->id,
		 ENCR_AES_GCM_12);
	CHECK_EQ(xfrm_alg_integ_by_name("hmac(sha512)", 256)->id,
		 AUTH_HMAC_SHA2_512_256);
	CHECK(xfrm_alg_encr(ENCR_DES) == NULL);
	CHECK(xfrm_alg_integ_by_name("hmac(rmd160)", 96) == NULL);
}

/* Builds an NLMSG_ERROR for request seq 9: error `error`, echoing
 * `echo` bytes of request (0 = capped), then an NLMSGERR_ATTR_MSG. */
static size_t make_ack(uint8_t *buf, size_t cap, int error, size_t echo,
		       const char *text)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = 9;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS | (echo ? 0 : NLM_F_CAPPED);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e) + echo);
	e->error = error;
	e->msg.nlmsg_len = (uint32_t)(sizeof(e->msg) + echo);
	e->msg.nlmsg_seq = 9;
	if (text)
		REQUIRE(mnl_attr_put_strz_check(nlh, cap, NLMSGERR_ATTR_MSG,
						text));
	return nlh->nlmsg_len;
}

TEST(xfrm_msg_parse_ack_tlvs)
{
	uint8_t buf[512];
	char detail[64];
	uint32_t seq;
	int error;

	make_ack(buf, sizeof(buf), -EINVAL, 0, "Bad selector");
	REQUIRE_EQ(xfrm_msg_parse_ack((void *)buf, &error, &seq, detail,
				      sizeof(detail)),
		   0);
	CHECK_EQ(error, -EINVAL);
	CHECK_EQ(seq, 9);
	CHECK_STR(detail, "Bad selector");
	/* Not capped: the TLVs follow the whole echoed request. */
	make_ack(buf, sizeof(buf), -EEXIST, 40, "Exists");
	REQUIRE_EQ(xfrm_msg_parse_ack((void *)buf, &error, &seq, detail,
				      sizeof(detail)),
		   0);
	CHECK_STR(detail, "Exists");
	/* A detail longer than the caller's room is cut, still terminated. */
	make_ack(buf, sizeof(buf), -EEXIST, 0, "0123456789");
	REQUIRE_EQ(xfrm_msg_parse_ack((void *)buf, &error, &seq, detail, 5), 0);
	CHECK_STR(detail, "0123");
	/* A plain ack. */
	make_ack(buf, sizeof(buf), 0, 0, NULL);
	REQUIRE_EQ(xfrm_msg_parse_ack((void *)buf, &error, &seq, detail,
				      sizeof(detail)),
		   0);
	CHECK_EQ(error, 0);
	CHECK_STR(detail, "");
	/* An echoed length that cannot be: refused, nothing read. */
	make_ack(buf, sizeof(buf), -EINVAL, 40, "x");
	((struct nlmsgerr *)mnl_nlmsg_get_payload((void *)buf))->msg.nlmsg_len =
		3;
	CHECK_EQ(xfrm_msg_parse_ack((void *)buf, &error, &seq, detail,
				    sizeof(detail)),
		 -EBADMSG);
	/* Not an error message at all. */
	((struct nlmsghdr *)buf)->nlmsg_type = XFRM_MSG_NEWSA;
	CHECK_EQ(xfrm_msg_parse_ack((void *)buf, &error, &seq, detail,
				    sizeof(detail)),
		 -ENOMSG);
}

/* Events the kernel really sent (captures described in the .hex files). */
TEST(xfrm_msg_parse_captured_acquire_and_expire)
{
	uint8_t buf[1024];
	struct kernel_event ev;
	const struct kernel_acquire *a = &ev.u.acquire;
	char s[64];
	size_t n = fixture("ev_acquire", buf, sizeof(buf));

	CHECK_EQ(((struct nlmsghdr *)buf)->nlmsg_len, n);
	REQUIRE_EQ(xfrm_msg_parse_event((struct nlmsghdr *)buf, &ev), 0);
	CHECK_EQ(ev.type, KERNEL_EV_ACQUIRE);
	CHECK_EQ(a->policy_index, 0x6b000019);
	CHECK_EQ(a->policy_dir, KERNEL_DIR_OUT);
	CHECK_EQ(a->tmpl.reqid, 0x6b620003);
	CHECK_EQ(a->tmpl.proto, KERNEL_PROTO_ESP);
	CHECK_EQ(a->tmpl.mode, KERNEL_MODE_TRANSPORT);
	CHECK_STR(kernel_addr_str(&a->src, s, sizeof(s)), "127.0.0.1");
	CHECK_STR(kernel_addr_str(&a->dst, s, sizeof(s)), "127.0.0.2");
	CHECK_EQ(a->sel.proto, 17);
	CHECK_EQ(a->sel.dst_plen, 32);
	CHECK_EQ(a->packet.dport, 9999);
	CHECK_EQ(a->packet.proto, 17);
	CHECK_NE(a->seq, 0);

	n = fixture("ev_expire_larval", buf, sizeof(buf));
	REQUIRE_EQ(xfrm_msg_parse_event((struct nlmsghdr *)buf, &ev), 0);
	CHECK_EQ(ev.type, KERNEL_EV_EXPIRE);
	CHECK(ev.u.expire.hard);
	CHECK_EQ(ev.u.expire.id.spi, 0);
	CHECK_EQ(ev.u.expire.id.proto, KERNEL_PROTO_ESP);
	CHECK_EQ(ev.u.expire.stats.reqid, 0x6b620003);
	CHECK_STR(kernel_addr_str(&ev.u.expire.id.dst, s, sizeof(s)),
		  "127.0.0.2");
	/* A shorter prefix is refused unless it ends where a part ends: the
	 * fixed header alone (16 + 232 bytes) or the last attribute (5-byte
	 * XFRMA_SA_DIR) without its padding. */
	for (size_t len = 16; len < n; len++) {
		uint8_t *cut = malloc(len); /* ASan catches any read past it */
		REQUIRE(cut);
		memcpy(cut, buf, len);
		((struct nlmsghdr *)cut)->nlmsg_len = (uint32_t)len;
		int r = xfrm_msg_parse_event((struct nlmsghdr *)cut, &ev);
		if (r == 0 && len != 248 && len < 253)
			test_fail(__FILE__, __LINE__, "length %zu accepted",
				  len);
		free(cut);
	}
}
