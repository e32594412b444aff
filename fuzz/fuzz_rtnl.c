/* libFuzzer target: the answers of rtnetlink dumps on hostile bytes, as
 * the start-up cleanup of virtual addresses and their routes reads them
 * (kernel/addr.c, kernel/route.c through kernel/rtnl.c).
 *
 * The input is one buffer as a recv() on a NETLINK_ROUTE socket returns
 * it. It goes through the walk rtnl_talk() runs (rtnl_msg_run: lengths,
 * acks, errors, the end of a dump) and every data message through the
 * route and address dump parsers; ASan/UBSan catch reads outside the
 * input. What a parser accepts must be what the daemon can act on: a
 * prefix within its family, a destination only where the prefix has one.
 * Seeds: fuzz/seeds/rtnl_dump_*.bin, route and address dumps of this
 * machine's kernel (test_route.c, test_rtnl.c with KB_SEED_DIR; see
 * make-seeds.sh), and the rtnl_*.bin of test_roam_msg.c. */
#include "kernel/addr.h"
#include "kernel/route.h"
#include "kernel/rtnl.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t alen(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static int one(const struct nlmsghdr *nlh, void *arg)
{
	static const uint8_t zero[16];
	struct route_entry re;
	struct addr_entry ae;
	int r;

	(void)arg;
	r = route_msg_parse(nlh, &re);
	assert(r == 0 || r == -EBADMSG || r == -ENOMSG);
	if (r == 0) {
		assert(alen(re.family) && re.plen <= alen(re.family) * 8);
		assert(re.plen || !memcmp(re.dst, zero, 16));
	}
	r = addr_msg_parse(nlh, &ae);
	assert(r == 0 || r == -EBADMSG || r == -ENOMSG);
	if (r == 0)
		assert(alen(ae.family) && ae.prefix <= alen(ae.family) * 8);
	return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of the input's own size (reads past it hit ASan's
	 * redzone), aligned as rtnl_talk()'s receive buffer is */
	void *buf = malloc(size ? size : 1);
	int r;

	assert(buf != NULL);
	memcpy(buf, data, size);
	/* as rtnl_talk() calls it for a dump (seq 2) with any sender, and
	 * with neither checked */
	r = rtnl_msg_run(buf, size, 2, 0, one, NULL);
	assert(r == 0 || r == 1 || (r < 0 && r > -4096));
	r = rtnl_msg_run(buf, size, 0, 0, one, NULL);
	assert(r == 0 || r == 1 || (r < 0 && r > -4096));
	free(buf);
	return 0;
}
