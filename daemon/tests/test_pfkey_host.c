/* The PF_KEY backend against a real kernel: AF_KEY sockets in a private
 * network namespace per test, each object checked from both sides (our
 * parser and `ip xfrm`). This machine's kernel has no AF_KEY: here the
 * tests skip saying so; kmod-tests/50-pfkey-host.sh runs them in the guest
 * (Debian's kernel), where a skip is a failure. */
#include "ike_iana.h"
#include "kernel/pfkey.h"
#include "kernel/pfkey_msg.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <errno.h>
#include <linux/pfkeyv2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQID (KERNEL_REQID_MIN + 1) /* 0x3001 = 12289 in the kernel */

static struct pfkey *open_pfkey(bool events)
{
	struct kernel_err err;
	struct pfkey *k = NULL;
	int r = pfkey_open(&k, events, &err);

	if (r == -EAFNOSUPPORT && !getenv("KB_IN_GUEST"))
		test_skip("no AF_KEY in this kernel (%s); "
			  "kmod-tests/50-pfkey-host.sh runs this in the guest",
			  err.msg);
	if (r)
		test_note("%s", err.msg);
	REQUIRE_EQ(r, 0);
	return k;
}

static void seq_bytes(uint8_t *p, size_t n, uint8_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

/* An ESP SA src -> dst, AES-CBC-128 with `integ` (SHA-1 or SHA-512). */
static void esp_sa(struct kernel_sa *sa, const char *src, const char *dst,
		   uint32_t spi, uint16_t integ, uint8_t mode)
{
	memset(sa, 0, sizeof(*sa));
	sa->id.src = xt_addr(src);
	sa->id.dst = xt_addr(dst);
	sa->id.spi = spi;
	sa->id.proto = KERNEL_PROTO_ESP;
	sa->mode = mode;
	sa->reqid = REQID;
	sa->encr_id = ENCR_AES_CBC;
	sa->encr_key_bits = 128;
	sa->enc_key_len = 16;
	seq_bytes(sa->enc_key, 16, 0xa0);
	sa->integ_id = integ;
	sa->integ_key_len = integ == AUTH_HMAC_SHA2_512_256 ? 64 : 20;
	seq_bytes(sa->integ_key, sa->integ_key_len, 0x10);
	sa->replay_window = 32;
}

static int sa_add(struct pfkey *k, const struct kernel_sa *sa, bool update,
		  struct kernel_err *err)
{
	struct kernel_req q = { .type = update ? KERNEL_REQ_SA_UPDATE
					       : KERNEL_REQ_SA_ADD };
	int r;

	q.o.sa = sa;
	r = pfkey_apply(k, &q, 1);
	*err = q.err;
	return r;
}

static int sa_del(struct pfkey *k, const struct kernel_sa_id *id,
		  struct kernel_err *err)
{
	struct kernel_req q = { .type = KERNEL_REQ_SA_DEL };
	int r;

	q.o.sa_id = id;
	r = pfkey_apply(k, &q, 1);
	*err = q.err;
	return r;
}

static int policy_req(struct pfkey *k, uint8_t type,
		      const struct kernel_policy *p, struct kernel_err *err)
{
	struct kernel_req q = { .type = type };
	int r;

	q.o.policy = p;
	r = pfkey_apply(k, &q, 1);
	*err = q.err;
	return r;
}

struct count {
	unsigned all, ours;
};

static int count_sa(const struct kernel_sa_id *id,
		    const struct kernel_sa_stats *st, void *arg)
{
	struct count *c = arg;

	(void)id;
	c->all++;
	c->ours += kernel_reqid_is_ours(st->reqid);
	return 0;
}

static int count_policy(const struct kernel_policy *p, void *arg)
{
	struct count *c = arg;

	c->all++;
	c->ours += kernel_policy_is_ours(p);
	return 0;
}

static struct count sas(struct pfkey *k)
{
	struct count c = { 0 };
	struct kernel_err err;

	REQUIRE_EQ(pfkey_sa_list(k, count_sa, &c, &err), 0);
	return c;
}

static struct count policies(struct pfkey *k)
{
	struct count c = { 0 };
	struct kernel_err err;

	REQUIRE_EQ(pfkey_policy_list(k, count_policy, &c, &err), 0);
	return c;
}

/* GETSPI, UPDATE (inbound) and ADD (outbound), read back through PF_KEY
 * and `ip xfrm`, then DELETE; deleting again names the SA and the
 * errno. */
TEST(pfkey_host_sa_lifecycle)
{
	struct kernel_sa in, out, got;
	struct kernel_sa_stats st;
	struct kernel_err err;
	struct pfkey *k;
	uint32_t spi = 0;
	const char *s;

	xt_netns();
	k = open_pfkey(false);
	CHECK_EQ(sas(k).all, 0);
	esp_sa(&in, "192.0.2.2", "192.0.2.1", 0xc1000001, AUTH_HMAC_SHA1_96,
	       KERNEL_MODE_TUNNEL);
	REQUIRE_EQ(pfkey_spi_alloc(k, &in.id, KERNEL_MODE_TUNNEL, REQID, 0,
				   0xc1000001, 0xc1000001, &spi, &err),
		   0);
	CHECK_EQ(spi, 0xc1000001);
	REQUIRE_EQ(sa_add(k, &in, true, &err), 0);
	esp_sa(&out, "192.0.2.1", "192.0.2.2", 0xc1000002,
	       AUTH_HMAC_SHA2_512_256, KERNEL_MODE_TUNNEL);
	out.soft.add_seconds = 3000;
	out.hard.add_seconds = 3600;
	REQUIRE_EQ(sa_add(k, &out, false, &err), 0);

	s = xt_sh_out("ip -s xfrm state get src 192.0.2.2 dst 192.0.2.1 "
		      "proto esp spi 0xc1000001");
	test_note("%s", s);
	CHECK(strstr(s, "reqid 12289(0x00003001) mode tunnel") != NULL);
	CHECK(strstr(s, "enc cbc(aes) 0xa0a1a2a3a4a5a6a7a8a9aaabacadaeaf"));
	CHECK(strstr(s, "auth-trunc hmac(sha1) 0x1011121314151617"
			"18191a1b1c1d1e1f20212223 (160 bits) 96"));
	s = xt_sh_out("ip -s xfrm state get src 192.0.2.1 dst 192.0.2.2 "
		      "proto esp spi 0xc1000002");
	test_note("%s", s);
	CHECK(strstr(s, "auth-trunc hmac(sha512)") != NULL);
	CHECK(strstr(s, "(512 bits) 256\n") != NULL); /* RFC 4868 */
	CHECK(strstr(s, "expire add: soft 3000(sec), hard 3600(sec)"));

	REQUIRE_EQ(pfkey_sa_get(k, &out.id, &st, &got, &err), 0);
	CHECK_EQ(st.reqid, REQID);
	CHECK_EQ(got.mode, KERNEL_MODE_TUNNEL);
	CHECK_EQ(got.encr_id, ENCR_AES_CBC);
	CHECK_EQ(got.integ_id, AUTH_HMAC_SHA2_512_256);
	CHECK_EQ(got.hard.add_seconds, 3600);
	CHECK_EQ(sas(k).ours, 2);

	CHECK_EQ(sa_add(k, &out, false, &err), -EEXIST);
	test_note("%s", err.msg);
	CHECK(strstr(err.msg, "add SA esp spi 0xc1000002 192.0.2.1->192.0.2.2 "
			      "reqid 0x6b620001: File exists") != NULL);
	REQUIRE_EQ(sa_del(k, &in.id, &err), 0);
	REQUIRE_EQ(sa_del(k, &out.id, &err), 0);
	CHECK_EQ(sas(k).all, 0);
	CHECK_STR(xt_sh_out("ip xfrm state"), "");
	CHECK_EQ(sa_del(k, &out.id, &err), -ESRCH);
	test_note("%s", err.msg);
	CHECK(strstr(err.msg, "delete SA esp spi 0xc1000002") != NULL);
	CHECK(strstr(err.msg, "no such SA") != NULL);
	pfkey_close(k);
}

/* Policies: added (tunnel out/in/fwd, transport out), seen by `ip xfrm`
 * with their templates' reqids, listed as ours, deleted by selector. */
TEST(pfkey_host_policy_lifecycle)
{
	struct kernel_policy p[3], t;
	struct kernel_err err;
	struct pfkey *k;
	const char *s;

	xt_netns();
	k = open_pfkey(false);
	for (uint8_t d = KERNEL_DIR_IN; d <= KERNEL_DIR_FWD; d++) {
		bool out = d == KERNEL_DIR_OUT;

		xt_policy(&p[d], out ? "10.1.0.0" : "10.2.0.0", 16,
			  out ? "10.2.0.0" : "10.1.0.0", 16, d, d, REQID,
			  out ? "192.0.2.1" : "192.0.2.2",
			  out ? "192.0.2.2" : "192.0.2.1");
		p[d].priority = 1000;
		REQUIRE_EQ(policy_req(k, KERNEL_REQ_POLICY_ADD, &p[d], &err),
			   0);
	}
	xt_policy(&t, "192.0.2.1", 32, "192.0.2.9", 32, KERNEL_DIR_OUT, 9,
		  REQID + 1, NULL, NULL);
	t.sel.proto = 6;
	t.sel.dport = 443;
	REQUIRE_EQ(policy_req(k, KERNEL_REQ_POLICY_UPDATE, &t, &err), 0);
	s = xt_sh_out("ip xfrm policy");
	test_note("%s", s);
	CHECK(strstr(s, "src 10.1.0.0/16 dst 10.2.0.0/16 \n\tdir out "
			"priority 1000") != NULL);
	CHECK(strstr(s, "tmpl src 192.0.2.1 dst 192.0.2.2\n\t\tproto esp "
			"reqid 12289 mode tunnel") != NULL);
	CHECK(strstr(s, "proto tcp dport 443") != NULL);
	CHECK(strstr(s, "reqid 12290 mode transport") != NULL);
	CHECK_EQ(policies(k).ours, 4);
	CHECK_EQ(policy_req(k, KERNEL_REQ_POLICY_ADD, &t, &err), -EEXIST);
	test_note("%s", err.msg);
	for (uint8_t d = KERNEL_DIR_IN; d <= KERNEL_DIR_FWD; d++) {
		p[d].index = 0; /* by selector, as the daemon deletes */
		REQUIRE_EQ(policy_req(k, KERNEL_REQ_POLICY_DEL, &p[d], &err),
			   0);
	}
	CHECK_EQ(policies(k).all, 1);
	t.index = 0;
	REQUIRE_EQ(policy_req(k, KERNEL_REQ_POLICY_DEL, &t, &err), 0);
	CHECK_EQ(policy_req(k, KERNEL_REQ_POLICY_DEL, &t, &err), -ENOENT);
	test_note("%s", err.msg);
	CHECK(strstr(err.msg, "no such policy") != NULL);
	CHECK_STR(xt_sh_out("ip xfrm policy"), "");
	pfkey_close(k);
}

/* Cleanup removes keybridge's objects and nothing else; it never
 * flushes. */
TEST(pfkey_host_cleanup_only_ours)
{
	struct kernel_sa sa;
	struct kernel_policy p;
	struct kernel_err err;
	struct pfkey *k;
	unsigned n_sa, n_pol;

	xt_netns();
	k = open_pfkey(false);
	esp_sa(&sa, "192.0.2.1", "192.0.2.2", 0xc1000003, AUTH_HMAC_SHA1_96,
	       KERNEL_MODE_TRANSPORT);
	REQUIRE_EQ(sa_add(k, &sa, false, &err), 0);
	xt_policy(&p, "192.0.2.1", 32, "192.0.2.2", 32, KERNEL_DIR_OUT, 1,
		  REQID, NULL, NULL);
	REQUIRE_EQ(policy_req(k, KERNEL_REQ_POLICY_ADD, &p, &err), 0);
	/* someone else's: reqid 5 (setkey's range) and a bypass */
	REQUIRE_EQ(xt_sh("ip xfrm state add src 192.0.2.1 dst 192.0.2.3 "
			 "proto esp spi 0x5 reqid 5 mode transport "
			 "enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f "
			 "auth-trunc 'hmac(sha1)' "
			 "0x000102030405060708090a0b0c0d0e0f10111213 96"),
		   0);
	REQUIRE_EQ(xt_sh("ip xfrm policy add src 192.0.2.1/32 dst "
			 "192.0.2.3/32 dir out tmpl proto esp reqid 5 "
			 "mode transport"),
		   0);
	REQUIRE_EQ(pfkey_cleanup(k, &n_sa, &n_pol, &err), 0);
	CHECK_EQ(n_sa, 1);
	CHECK_EQ(n_pol, 1);
	CHECK_EQ(sas(k).all, 1);
	CHECK_EQ(policies(k).all, 1);
	CHECK(strstr(xt_sh_out("ip xfrm state"), "spi 0x00000005") != NULL);
	pfkey_close(k);
}

struct wait_ctx {
	uint8_t type;
	bool got;
	struct kernel_event *out;
};

static void wait_cb(const struct kernel_event *ev, void *arg)
{
	struct wait_ctx *c = arg;

	if (!c->got && ev->type == c->type) {
		*c->out = *ev;
		c->got = true;
	}
}

/* Waits up to `ms` for an event of `type`. */
static bool wait_event(struct pfkey *k, uint8_t type, int ms,
		       struct kernel_event *out)
{
	struct wait_ctx c = { type, false, out };
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf = { .fd = pfkey_event_fd(k),
				     .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 +
			     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return false;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		REQUIRE_EQ(pfkey_event_read(k, wait_cb, &c), 0);
		if (c.got)
			return true;
	}
}

/* A trap: an outbound policy without SA; the first packet makes the
 * kernel ACQUIRE, and the backend completes it with the policy's reqid. */
TEST(pfkey_host_acquire_from_trap)
{
	struct kernel_policy p;
	struct kernel_event ev;
	struct kernel_err err;
	struct pfkey *k;
	char buf[64];

	xt_netns();
	xt_sysctl("net/core/xfrm_acq_expires", "1");
	k = open_pfkey(true);
	xt_policy(&p, "127.0.0.1", 32, "127.0.0.2", 32, KERNEL_DIR_OUT, 3,
		  REQID + 2, NULL, NULL);
	p.sel.proto = 17;
	REQUIRE_EQ(policy_req(k, KERNEL_REQ_POLICY_UPDATE, &p, &err), 0);
	test_note("sendto through a policy without SA: %d",
		  xt_send_udp("127.0.0.1", "127.0.0.2", 9999));
	REQUIRE(wait_event(k, KERNEL_EV_ACQUIRE, 3000, &ev));
	CHECK_EQ(ev.u.acquire.tmpl.reqid, REQID + 2);
	CHECK_EQ(ev.u.acquire.tmpl.proto, KERNEL_PROTO_ESP);
	CHECK_EQ(ev.u.acquire.policy_dir, KERNEL_DIR_OUT);
	CHECK_NE(ev.u.acquire.policy_index, 0);
	CHECK_NE(ev.u.acquire.seq, 0);
	CHECK_STR(kernel_addr_str(&ev.u.acquire.dst, buf, sizeof(buf)),
		  "127.0.0.2");
	CHECK_EQ(ev.u.acquire.sel.proto, 17);
	pfkey_close(k);
}

/* Soft then hard EXPIRE of an SA whose add-time limits are 1 and 2 s; the
 * same limits on someone else's SA (reqid 6) raise no event for us. */
TEST(pfkey_host_soft_and_hard_expire)
{
	struct kernel_sa sa;
	struct kernel_event ev;
	struct kernel_err err;
	struct pfkey *k;

	xt_netns();
	k = open_pfkey(true);
	esp_sa(&sa, "192.0.2.1", "192.0.2.2", 0xc1000004, AUTH_HMAC_SHA1_96,
	       KERNEL_MODE_TRANSPORT);
	sa.soft.add_seconds = 1;
	sa.hard.add_seconds = 2;
	REQUIRE_EQ(xt_sh("ip xfrm state add src 192.0.2.1 dst 192.0.2.3 "
			 "proto esp spi 0x6 reqid 6 mode transport "
			 "enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f "
			 "auth-trunc 'hmac(sha1)' "
			 "0x000102030405060708090a0b0c0d0e0f10111213 96 "
			 "limit time-soft 1 limit time-hard 2"),
		   0);
	REQUIRE_EQ(sa_add(k, &sa, false, &err), 0);
	REQUIRE(wait_event(k, KERNEL_EV_EXPIRE, 4000, &ev));
	CHECK(!ev.u.expire.hard);
	CHECK_EQ(ev.u.expire.id.spi, 0xc1000004);
	CHECK_EQ(ev.u.expire.stats.reqid, REQID);
	REQUIRE(wait_event(k, KERNEL_EV_EXPIRE, 4000, &ev));
	CHECK(ev.u.expire.hard);
	CHECK_EQ(ev.u.expire.id.spi, 0xc1000004);
	CHECK_EQ(sas(k).all, 0);
	pfkey_close(k);
}

/* A NAT-T SA (RFC 3948 UDP encapsulation) as the kernel keeps it. */
TEST(pfkey_host_natt_sa)
{
	struct kernel_sa sa, got;
	struct kernel_sa_stats st;
	struct kernel_err err;
	struct pfkey *k;
	const char *s;

	xt_netns();
	k = open_pfkey(false);
	esp_sa(&sa, "192.0.2.1", "198.51.100.7", 0xc1000005, AUTH_HMAC_SHA1_96,
	       KERNEL_MODE_TUNNEL);
	sa.encap = (struct kernel_encap){
		KERNEL_ENCAP_ESPINUDP, 4500, 31337, { 0 }
	};
	REQUIRE_EQ(sa_add(k, &sa, false, &err), 0);
	s = xt_sh_out("ip xfrm state");
	test_note("%s", s);
	CHECK(strstr(s, "encap type espinudp sport 4500 dport 31337") != NULL);
	REQUIRE_EQ(pfkey_sa_get(k, &sa.id, &st, &got, &err), 0);
	CHECK_EQ(got.encap.type, KERNEL_ENCAP_ESPINUDP);
	CHECK_EQ(got.encap.sport, 4500);
	CHECK_EQ(got.encap.dport, 31337);
	pfkey_close(k);
}

/* Pins what Linux's PF_KEY cannot do: no AEAD (an SADB_ADD with AES-GCM's
 * number is refused with ENOSYS, and REGISTER does not list it), and the
 * algorithms it lists are what the backend reports. */
TEST(pfkey_host_no_aead_and_register_lists_algorithms)
{
	struct kernel_sa sa;
	struct kernel_caps caps;
	struct pfkey_hdr h;
	struct pfkey *k;
	uint8_t msg[PFKEY_MSG_BUFSIZE];
	int fd, n;
	char why[200];

	xt_netns();
	k = open_pfkey(true);
	pfkey_caps(k, &caps);
	CHECK(!caps.aead);
	CHECK(kernel_caps_check(&caps, "pfkey", TRANS_ENCR, ENCR_AES_CBC, why,
				sizeof(why)) == 0);
	CHECK(kernel_caps_check(&caps, "pfkey", TRANS_INTEG,
				AUTH_HMAC_SHA2_512_256, why, sizeof(why)) == 0);
	CHECK(kernel_caps_check(&caps, "pfkey", TRANS_ENCR, ENCR_AES_GCM_16,
				why, sizeof(why)) == -ENOTSUP);
	for (unsigned i = 0; i < caps.n_encr; i++)
		test_note("kernel lists ENCR %u", caps.encr[i]);
	pfkey_close(k);

	/* a raw SADB_ADD naming SADB_X_EALG_AES_GCM_ICV16 (20) */
	esp_sa(&sa, "192.0.2.1", "192.0.2.2", 0xc1000006, AUTH_HMAC_SHA1_96,
	       KERNEL_MODE_TRANSPORT);
	n = pfkey_msg_sa_add(msg, sizeof(msg), 77, (uint32_t)getpid(), &sa,
			     false);
	REQUIRE_GE(n, 32);
	REQUIRE_EQ(msg[16 + 11], SADB_X_EALG_AESCBC);
	msg[16 + 11] = SADB_X_EALG_AES_GCM_ICV16;
	msg[16 + 10] = SADB_AALG_NONE;
	fd = socket(PF_KEY, SOCK_RAW | SOCK_CLOEXEC, PF_KEY_V2);
	REQUIRE(fd >= 0);
	REQUIRE_EQ(send(fd, msg, (size_t)n, 0), n);
	for (;;) {
		ssize_t got = recv(fd, msg, sizeof(msg), 0);

		REQUIRE(got > 0);
		if (pfkey_msg_parse_hdr(msg, (size_t)got, &h) == 0 &&
		    h.seq == 77 && h.type == SADB_ADD)
			break;
	}
	CHECK_EQ(h.errno_, ENOSYS);
	close(fd);
	CHECK_STR(xt_sh_out("ip xfrm state"), "");
}

/* The IKE sockets' bypass in PF_KEY's form (IP_IPSEC_POLICY). */
TEST(pfkey_host_socket_bypass)
{
	struct pfkey *k;
	int fd4, fd6;

	xt_netns();
	k = open_pfkey(false); /* loads af_key, which compiles the policy */
	fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd4 >= 0 && fd6 >= 0);
	CHECK_EQ(pfkey_socket_bypass(fd4, AF_INET), 0);
	CHECK_EQ(pfkey_socket_bypass(fd6, AF_INET6), 0);
	close(fd4);
	close(fd6);
	pfkey_close(k);
}
