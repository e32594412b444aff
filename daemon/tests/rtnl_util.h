/* Helper of the rtnetlink tests (test_rtnl.c, test_route.c): one dump
 * from the real kernel of the test's namespace, read on a socket of the
 * test's own so that every buffer recv() returned is seen as it came. */
#ifndef KB_TESTS_RTNL_UTIL_H
#define KB_TESTS_RTNL_UTIL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

/* Dumps `type` (RTM_GETROUTE, RTM_GETADDR) of every family and runs each
 * buffer of the answer through rtnl_msg_run() with `cb`, failing the test
 * if one is refused. With KB_SEED_DIR set, buffer i is also written to
 * $KB_SEED_DIR/<seed>-<i>.bin: the fuzz seeds (fuzz/make-seeds.sh).
 * Returns the number of buffers. */
int rtnl_util_dump(uint16_t type, size_t hdr_len, const char *seed, mnl_cb_t cb,
		   void *data);

#endif
