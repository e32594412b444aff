/* kernel/rtnl.c: the requests' common start, the walk over the kernel's
 * answers on crafted buffers (acks, errors, broken lengths), then a real
 * address dump and real errors from this machine's kernel. */
#include "kernel/addr.h"
#include "kernel/route.h"
#include "kernel/rtnl.h"
#include "tests/netns.h"
#include "tests/rtnl_util.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>

TEST(rtnl_msg_dump_bytes)
{
	uint8_t buf[64], want[64];
	long n;

	/* what `ip route show table all` asks, family AF_UNSPEC */
	n = test_unhex("1c 00 00 00 1a 00 01 03" /* 28 bytes, RTM_GETROUTE,
						    REQUEST|DUMP */
		       "05 00 00 00 00 00 00 00" /* seq 5 */
		       "00 00 00 00 00 00 00 00 00 00 00 00", /* rtmsg */
		       want, sizeof(want));
	REQUIRE_EQ(rtnl_msg_dump(buf, sizeof(buf), RTM_GETROUTE, 5,
				 sizeof(struct rtmsg)),
		   n);
	CHECK_MEM(buf, want, (size_t)n);
	memset(buf, 0xee, sizeof(buf));
	n = test_unhex("18 00 00 00 16 00 01 03 06 00 00 00 00 00 00 00"
		       "00 00 00 00 00 00 00 00", /* RTM_GETADDR, ifaddrmsg */
		       want, sizeof(want));
	REQUIRE_EQ(rtnl_msg_dump(buf, sizeof(buf), RTM_GETADDR, 6,
				 sizeof(struct ifaddrmsg)),
		   n);
	CHECK_MEM(buf, want, (size_t)n);
	CHECK_EQ(rtnl_msg_dump(buf, 27, RTM_GETROUTE, 5, sizeof(struct rtmsg)),
		 -ENOSPC);
	CHECK(rtnl_msg_start(buf, 64, 65, RTM_GETROUTE, 0, 1) == NULL);
}

/* Appends one message of `type` and `flags` with `payload` to `buf` at
 * *len (4-byte aligned). */
static struct nlmsghdr *put(uint8_t *buf, size_t *len, uint16_t type,
			    uint16_t flags, uint32_t seq, const void *payload,
			    size_t plen)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(buf + *len);

	memset(nlh, 0, sizeof(*nlh));
	nlh->nlmsg_len = (uint32_t)(sizeof(*nlh) + plen);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	memcpy(nlh + 1, payload, plen);
	*len += MNL_ALIGN(nlh->nlmsg_len);
	return nlh;
}

static struct nlmsgerr err_of(int error)
{
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = error;
	return e;
}

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	return MNL_CB_OK;
}

static int fail_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	errno = *(int *)data;
	return MNL_CB_ERROR;
}

/* Acks, the kernel's errors, the end of a dump, and what the walk must
 * refuse before libmnl sees it. */
TEST(rtnl_msg_run_answers)
{
	static uint32_t mem[256];
	uint8_t *buf = (uint8_t *)mem, rtm[12] = { AF_INET };
	struct nlmsgerr e;
	struct nlmsghdr *nlh;
	size_t len = 0;
	int seen = 0, err;

	/* an ack, an error (EEXIST), an error without its payload */
	e = err_of(0);
	put(buf, &len, NLMSG_ERROR, 0, 1, &e, sizeof(e));
	CHECK_EQ(rtnl_msg_run(buf, len, 1, 0, NULL, NULL), 0);
	len = 0;
	e = err_of(-EEXIST);
	put(buf, &len, NLMSG_ERROR, 0, 1, &e, sizeof(e));
	CHECK_EQ(rtnl_msg_run(buf, len, 1, 0, NULL, NULL), -EEXIST);
	len = 0;
	put(buf, &len, NLMSG_ERROR, 0, 1, &e, 2);
	CHECK_EQ(rtnl_msg_run(buf, len, 1, 0, NULL, NULL), -EBADMSG);
	/* an error no errno can hold */
	len = 0;
	e = err_of(INT_MIN);
	put(buf, &len, NLMSG_ERROR, 0, 1, &e, sizeof(e));
	CHECK_EQ(rtnl_msg_run(buf, len, 1, 0, NULL, NULL), -EBADMSG);
	/* a dump's part: more to come; its end */
	len = 0;
	put(buf, &len, RTM_NEWROUTE, NLM_F_MULTI, 2, rtm, sizeof(rtm));
	put(buf, &len, RTM_NEWROUTE, NLM_F_MULTI, 2, rtm, 5); /* padded */
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, count_cb, &seen), 1);
	CHECK_EQ(seen, 2);
	put(buf, &len, NLMSG_DONE, NLM_F_MULTI, 2, rtm, 4);
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, count_cb, &seen), 0);
	CHECK_EQ(seen, 4);
	/* an answer to another request; a dump the kernel interrupted */
	CHECK_EQ(rtnl_msg_run(buf, len, 3, 0, count_cb, &seen), -EPROTO);
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 77, count_cb, &seen), 0);
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_pid = 78;
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 77, count_cb, &seen), -ESRCH);
	nlh->nlmsg_pid = 0;
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, count_cb, &seen), -EINTR);
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;
	/* a callback's failure, with and without errno */
	err = ENOMEM;
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, fail_cb, &err), -ENOMEM);
	err = 0;
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, fail_cb, &err), -EBADMSG);
	/* lengths: past the buffer, unaligned at its end, shorter than a
	 * header, trailing bytes; and a buffer off alignment */
	seen = 0;
	CHECK_EQ(rtnl_msg_run(buf, len - 4, 2, 0, count_cb, &seen), -EBADMSG);
	CHECK_EQ(rtnl_msg_run(buf, 16 + 12 + 16 + 5, 2, 0, count_cb, &seen),
		 -EBADMSG);
	nlh->nlmsg_len = 8;
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, count_cb, &seen), -EBADMSG);
	nlh->nlmsg_len = 16 + 12;
	CHECK_EQ(rtnl_msg_run(buf, len + 8, 2, 0, count_cb, &seen), -EBADMSG);
	CHECK_EQ(rtnl_msg_run(buf + 2, 16, 2, 0, count_cb, &seen), -EINVAL);
	nlh->nlmsg_len = UINT32_MAX - 1; /* aligned: wraps in 32 bits */
	CHECK_EQ(rtnl_msg_run(buf, len, 2, 0, count_cb, &seen), -EBADMSG);
	CHECK_EQ(seen, 0); /* nothing ran on a refused buffer */
	CHECK_EQ(rtnl_msg_run(buf, 0, 2, 0, count_cb, &seen), 1); /* no end */
}

struct addr_seen {
	int n, other;
	struct addr_entry a[4];
};

static int addr_seen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_seen *s = data;
	struct addr_entry e;
	int r = addr_msg_parse(nlh, &e);

	CHECK(r == 0 || r == -ENOMSG);
	if (r == 0 && s->n < 4)
		s->a[s->n++] = e;
	else if (r)
		s->other++;
	return MNL_CB_OK;
}

/* This machine's kernel: an address dump holds our two virtual addresses
 * among the others (the fuzz seeds of addresses come from here), and the
 * kernel's refusals reach the caller as its errno. */
TEST(rtnl_talk_to_the_kernel)
{
	uint8_t v4[4] = { 10, 3, 0, 1 }, v6[16], buf[ROUTE_MSG_BUFSIZE];
	uint32_t lo = if_nametoindex("lo");
	struct addr_seen s = { 0 };
	int len;

	test_netns_enter();
	test_netns_add_lo_addr("10.9.9.9/32"); /* not ours */
	test_netns_add_lo_addr("fd00::9/128");
	inet_pton(AF_INET6, "fd00::7", v6);
	REQUIRE_EQ(addr_change(true, lo, AF_INET, v4, 32), 0);
	REQUIRE_EQ(addr_change(true, lo, AF_INET6, v6, 128), 0);
	CHECK_GE(rtnl_util_dump(RTM_GETADDR, sizeof(struct ifaddrmsg),
				"rtnl_dump_addr", addr_seen_cb, &s),
		 1);
	REQUIRE_EQ(s.n, 2);
	CHECK_EQ(s.a[0].family, AF_INET);
	CHECK_MEM(s.a[0].ip, v4, 4);
	CHECK_EQ(s.a[1].family, AF_INET6);
	CHECK_MEM(s.a[1].ip, v6, 16);
	CHECK_GE(s.other, 3); /* 127.0.0.1, ::1, 10.9.9.9, fd00::9 */
	/* the same address again: the kernel's EEXIST (addr_change hides
	 * it); a route to remove that is not there: ESRCH */
	len = addr_msg_build(buf, sizeof(buf), true, 3, lo, AF_INET, v4, 32);
	REQUIRE_GE(len, 0);
	CHECK_EQ(rtnl_talk(buf, (size_t)len, NULL, NULL), -EEXIST);
	len = route_msg_build(buf, sizeof(buf), false, 4, AF_INET, v4, 32, NULL,
			      NULL, 0);
	REQUIRE_GE(len, 0);
	CHECK_EQ(rtnl_talk(buf, (size_t)len, NULL, NULL), -ESRCH);
	CHECK_EQ(rtnl_talk(buf, 8, NULL, NULL), -EINVAL);
	/* a crash left both: the next start finds and removes both (IPv6
	 * names the address in IFA_ADDRESS alone) */
	CHECK_EQ(addr_ours_ifindex(AF_INET6, v6), lo);
	CHECK_EQ(addr_flush_ours(), 2);
	CHECK_EQ(addr_ours_ifindex(AF_INET, v4), 0);
	CHECK_EQ(addr_ours_ifindex(AF_INET6, v6), 0);
}
