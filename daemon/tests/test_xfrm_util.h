/* Helpers shared by the XFRM tests that use the real kernel: a private
 * network namespace per test, shell commands inside it, waiting for kernel
 * events. Tests run each in a forked child, so unshare() there leaves the
 * shared kernel's main namespace untouched. */
#ifndef KB_TEST_XFRM_UTIL_H
#define KB_TEST_XFRM_UTIL_H

#include "kernel/xfrm.h"

#include <stdbool.h>
#include <stddef.h>

/* Moves the test into a new network namespace with `lo` up and IPsec
 * enabled on it; skips the test loudly if that is not permitted. */
void xt_netns(void);

/* A second namespace beside the test's: after xt_netns(), xt_ns_fd()
 * returns a file descriptor for the current namespace, xt_ns_enter() moves
 * the test (its new sockets) into the one given. */
int xt_ns_fd(void);
void xt_ns_enter(int fd);

/* Writes a sysctl of the test's namespace ("net/core/xfrm_acq_expires"). */
void xt_sysctl(const char *name, const char *value);

/* Runs a shell command (printf-style), returns its exit status. */
int xt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a command and returns its standard output (static buffer). */
const char *xt_sh_out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Parses an address or fails the test. */
struct kernel_addr xt_addr(const char *s);

/* Fills a policy: selector src/plen -> dst/plen (family of src), `dir`,
 * our index number `n`, one ESP template with `reqid` (tunnel between
 * `tsrc` and `tdst` when both are given, else transport). */
void xt_policy(struct kernel_policy *p, const char *src, unsigned splen,
	       const char *dst, unsigned dplen, uint8_t dir, uint32_t n,
	       uint32_t reqid, const char *tsrc, const char *tdst);

/* Waits up to `ms` for an event of `type` that `match` (may be NULL)
 * accepts; true and the event in *out if one came. */
bool xt_wait_event(struct xfrm *x, uint8_t type, int ms,
		   bool (*match)(const struct kernel_event *ev, void *arg),
		   void *arg, struct kernel_event *out);

/* Number of policies / SAs the kernel lists, and how many are ours. */
unsigned xt_count_policies(struct xfrm *x, unsigned *ours);
unsigned xt_count_sas(struct xfrm *x, unsigned *ours);

/* Sends one UDP datagram from src to dst:port (addresses on lo); returns
 * sendto()'s result or -errno. */
int xt_send_udp(const char *src, const char *dst, uint16_t port);

#endif
