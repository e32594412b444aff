/* libFuzzer target: the netlink parsers on hostile bytes, XFRM's and the
 * rtnetlink ones of MOBIKE's address watch (kernel/roam_msg.h).
 *
 * The input is a buffer of netlink messages, as a recvmsg() on an XFRM or
 * rtnetlink socket returns it. Every message goes through each parser
 * (event, SA, policy, ack, address/route event, route answer); ASan/UBSan
 * catch reads outside the input. What the policy
 * parser accepts and the builder can express must survive build -> parse
 * unchanged. Seeds: fuzz/seeds/xfrm_*.bin (requests from ip xfrm and
 * events from the kernel, see daemon/tests/vectors/xfrm/) and
 * fuzz/seeds/rtnl_*.bin (what the kernel sent test_roam_msg.c). The
 * dump parsers of virtual IPs' cleanup have fuzz_rtnl.c. */
#include "kernel/roam_msg.h"
#include "kernel/xfrm_msg.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool parse_result_ok(int r)
{
	return r == 0 || r == -EBADMSG || r == -ENOMSG;
}

static void policy_roundtrip(const struct kernel_policy *p)
{
	static uint8_t buf[XFRM_MSG_BUFSIZE];
	struct kernel_policy back;
	int n = xfrm_msg_policy_add(buf, sizeof(buf), 1, p, false);

	if (n < 0)
		return; /* the builder refuses what it cannot express */
	assert(xfrm_msg_parse_policy((const struct nlmsghdr *)buf, &back) == 0);
	assert(memcmp(&back, p, sizeof(back)) == 0);
}

static int one(const struct nlmsghdr *nlh, void *arg)
{
	struct kernel_event ev;
	struct kernel_sa_id id;
	struct kernel_sa_stats st;
	struct kernel_sa sa;
	struct kernel_policy p;
	struct roam_event rev;
	struct roam_route rt;
	char detail[64];
	uint32_t seq;
	int error, r;

	(void)arg;
	assert(parse_result_ok(xfrm_msg_parse_event(nlh, &ev)));
	assert(parse_result_ok(xfrm_msg_parse_sa(nlh, &id, &st, &sa)));
	r = xfrm_msg_parse_policy(nlh, &p);
	assert(parse_result_ok(r));
	if (r == 0)
		policy_roundtrip(&p);
	r = xfrm_msg_parse_ack(nlh, &error, &seq, detail, sizeof(detail));
	assert(parse_result_ok(r));
	if (r == 0)
		assert(strlen(detail) < sizeof(detail));
	r = roam_msg_parse_event(nlh, &rev);
	assert(parse_result_ok(r));
	if (r == 0)
		assert(rev.addr.family == 0 || rev.addr.family == rev.family);
	assert(parse_result_ok(roam_msg_parse_route(nlh, &rt)));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer's buffer is freshly allocated, so aligned like a
	 * recvmsg() buffer; reads past `size` hit ASan's redzone. */
	int r = xfrm_msg_walk(data, size, one, NULL);

	assert(r == 0 || r == -EBADMSG);
	return 0;
}
