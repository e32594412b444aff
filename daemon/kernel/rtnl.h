/* The rtnetlink plumbing that addr.c and route.c share: the start of a
 * request over a caller's buffer, the walk over what the kernel answers (a
 * pure function over bytes, so the fuzzer and the tests reach it without a
 * socket), and one function that owns the socket.
 *
 * Each call of rtnl_talk() uses a fresh NETLINK_ROUTE socket with a 5 s
 * receive timeout: these requests are rare (a virtual address or route
 * comes and goes with a tunnel), so nothing is kept open between them. */
#ifndef KB_KERNEL_RTNL_H
#define KB_KERNEL_RTNL_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#define RTNL_WARN __attribute__((warn_unused_result))

/* Starts a request in `buf`: zeroes its first `size` bytes (the most the
 * caller will write) and puts a netlink header of `type` with
 * NLM_F_REQUEST | `flags` and `seq`. NULL when `cap` < `size`. */
struct nlmsghdr *rtnl_msg_start(void *buf, size_t cap, size_t size,
				uint16_t type, uint16_t flags, uint32_t seq);

/* A dump request of `type` (RTM_GETROUTE, RTM_GETADDR …) for every
 * family: the header and a zeroed family header of `hdr_len` bytes
 * (struct rtmsg, struct ifaddrmsg), family AF_UNSPEC. Returns the length
 * or -ENOSPC. */
int rtnl_msg_dump(void *buf, size_t cap, uint16_t type, uint32_t seq,
		  size_t hdr_len) RTNL_WARN;

/* Walks the messages of `buf` (`len` bytes, 4-byte aligned, as one recv()
 * returned them) as mnl_cb_run() does, `seq` and `portid` checked unless
 * 0 (in the message or here), `cb` seeing every message that is not a
 * control message (cb may be NULL). Every message must lie in the buffer
 * up to its aligned end (what libmnl's attribute walk reads), or nothing
 * runs. Returns 1 when more answers are to come, 0 when the answer is
 * complete (NLMSG_DONE, an ack, or `cb` returned MNL_CB_STOP), or -errno:
 * the error the kernel reported, -EBADMSG for a malformed buffer, -ESRCH
 * or -EPROTO for an answer to another socket or request (port id,
 * sequence number), -EINTR for a dump the kernel interrupted, what `cb`
 * set in errno with MNL_CB_ERROR (-EBADMSG if it set none), -EINVAL for
 * a misaligned buffer. */
int rtnl_msg_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		 mnl_cb_t cb, void *data) RTNL_WARN;

/* Sends request `req` (its nlmsg_seq names the answers) on a fresh
 * NETLINK_ROUTE socket and runs rtnl_msg_run() over the answers until it
 * is complete. Returns 0 or -errno (-EIO when the socket closed early,
 * -EAGAIN when the kernel did not answer within 5 s). */
int rtnl_talk(const void *req, size_t len, mnl_cb_t cb, void *data) RTNL_WARN;

#endif
