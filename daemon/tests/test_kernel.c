/* Tests of the neutral kernel model helpers (daemon/kernel/kernel.c). */
#include "kernel/kernel.h"
#include "tests/test.h"

#include <errno.h>
#include <stdlib.h>

TEST(kernel_ownership_markers)
{
	struct kernel_policy p = { 0 };

	CHECK(kernel_reqid_is_ours(KERNEL_REQID_MIN));
	CHECK(kernel_reqid_is_ours(0x6b62ffff));
	CHECK(!kernel_reqid_is_ours(0x6b630000));
	CHECK(!kernel_reqid_is_ours(1));
	/* The kernel requires index & 7 == dir (xfrm_policy_id2dir). */
	CHECK_EQ(kernel_policy_index(1, KERNEL_DIR_OUT), 0x6b000009);
	CHECK_EQ(kernel_policy_index(KERNEL_INDEX_SEQ_MAX, KERNEL_DIR_FWD),
		 0x6bfffffa);
	CHECK(kernel_policy_index_is_ours(kernel_policy_index(7, 0)));
	CHECK(!kernel_policy_index_is_ours(0x1000));
	CHECK(!kernel_policy_is_ours(&p));
	p.n_tmpl = 1;
	p.tmpl[0].reqid = KERNEL_REQID_MIN + 5;
	CHECK(kernel_policy_is_ours(&p));
	p.tmpl[0].reqid = 5;
	CHECK(!kernel_policy_is_ours(&p));
	p.index = kernel_policy_index(3, KERNEL_DIR_IN);
	CHECK(kernel_policy_is_ours(&p));
}

TEST(kernel_addr_text)
{
	struct kernel_addr a;
	char buf[64];

	REQUIRE_EQ(kernel_addr_parse(&a, "192.0.2.7"), 0);
	CHECK_EQ(a.family, AF_INET);
	CHECK_EQ(kernel_addr_len(a.family), 4);
	CHECK_EQ(a.a.v4[3], 7);
	CHECK_EQ(a.a.raw[4], 0);
	CHECK_STR(kernel_addr_str(&a, buf, sizeof(buf)), "192.0.2.7");
	REQUIRE_EQ(kernel_addr_parse(&a, "2001:db8::1"), 0);
	CHECK_EQ(a.family, AF_INET6);
	CHECK_STR(kernel_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	CHECK_EQ(kernel_addr_parse(&a, "10.0.0.300"), -EINVAL);
	a.family = 0;
	CHECK_STR(kernel_addr_str(&a, buf, sizeof(buf)), "any");
}

TEST(kernel_describe_and_errors)
{
	struct kernel_sa_id id = { .spi = 0xc0ffee01, .proto = 50 };
	struct kernel_policy p = { .dir = KERNEL_DIR_OUT, .index = 0x6b000009 };
	struct kernel_err err;
	char buf[200];

	REQUIRE_EQ(kernel_addr_parse(&id.src, "10.0.0.1"), 0);
	REQUIRE_EQ(kernel_addr_parse(&id.dst, "10.0.0.2"), 0);
	kernel_sa_describe(&id, 0x6b620001, buf, sizeof(buf));
	CHECK_STR(buf, "SA esp spi 0xc0ffee01 10.0.0.1->10.0.0.2 reqid "
		       "0x6b620001");
	REQUIRE_EQ(kernel_addr_parse(&p.sel.src, "10.1.0.0"), 0);
	REQUIRE_EQ(kernel_addr_parse(&p.sel.dst, "10.2.0.0"), 0);
	p.sel.src_plen = p.sel.dst_plen = 16;
	p.sel.proto = 17;
	kernel_policy_describe(&p, buf, sizeof(buf));
	CHECK_STR(buf, "policy out 10.1.0.0/16->10.2.0.0/16 proto 17 index "
		       "0x6b000009");
	CHECK_EQ(kernel_err_set(&err, -EINVAL, "add x", "Bad key"), -EINVAL);
	CHECK_EQ(err.code, -EINVAL);
	CHECK_STR(err.msg, "add x: Invalid argument (kernel: Bad key)");
	CHECK_EQ(kernel_err_set(NULL, -ENOENT, "x", NULL), -ENOENT);
	kernel_err_set(&err, -ENOENT, "del y", NULL);
	CHECK_STR(err.msg, "del y: No such file or directory");
}

TEST(kernel_sa_wiped)
{
	struct kernel_sa *sa = kernel_sa_new();

	REQUIRE(sa);
	memset(sa->enc_key, 0xa5, sizeof(sa->enc_key));
	memset(sa->integ_key, 0x5a, sizeof(sa->integ_key));
	sa->enc_key_len = sa->integ_key_len = KERNEL_KEY_MAX;
	kernel_sa_wipe(sa);
	for (size_t i = 0; i < KERNEL_KEY_MAX; i++)
		if (sa->enc_key[i] || sa->integ_key[i])
			CHECK(!"key byte survived the wipe");
	CHECK_EQ(sa->enc_key_len, 0);
	kernel_sa_free(sa);
	kernel_sa_free(NULL);
}
