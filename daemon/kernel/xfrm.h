/* The XFRM netlink backend: keybridge's SAs and policies in the Linux
 * kernel, through libmnl.
 *
 * Messages come from the pure builders in xfrm_msg.h; this file owns the
 * sockets: one for requests (with NETLINK_EXT_ACK so the kernel explains a
 * refusal, NETLINK_CAP_ACK so acks stay small) and, when asked, one
 * non-blocking socket subscribed to the ACQUIRE, EXPIRE and MAPPING groups
 * (and, for tests and monitors, SA and POLICY: xfrm_event_watch_notes). All requests go through xfrm_transact(), which sends a
 * whole batch in one sendmsg() and matches every ack to its request by
 * sequence number.
 *
 * Callbacks of the list functions run while a dump is being read: they
 * must not issue requests on the same handle.
 */
#ifndef KB_KERNEL_XFRM_H
#define KB_KERNEL_XFRM_H

#include "kernel/kernel.h"

struct xfrm;

/* Opens the backend; `events` also opens the event socket. Fails with
 * -EPROTONOSUPPORT if the kernel has no XFRM netlink. */
int xfrm_open(struct xfrm **out, bool events,
	      struct kernel_err *err) KERNEL_WARN_UNUSED;
void xfrm_close(struct xfrm *x);

/* Runs `n` requests in as few sendmsg() calls as fit the send buffer (one
 * per 64 KiB of messages), one ack each; see kernel_ops.apply. */
int xfrm_apply(struct xfrm *x, struct kernel_req *reqs, size_t n);

/* Sets the request socket's receive buffer (what the kernel granted is
 * returned) and sizes batches so that their acks fit in it: the kernel
 * queues every ack of a batch before sendmsg() returns, and drops what
 * does not fit. xfrm_open() asks for 4 MiB. */
int xfrm_set_rcvbuf(struct xfrm *x, int bytes);

/* Requests per sendmsg() at most (follows from the receive buffer). */
size_t xfrm_batch_max(const struct xfrm *x);

/* How many sendmsg() calls the request socket made so far. */
unsigned long xfrm_sends(const struct xfrm *x);

/* Single-object conveniences over xfrm_apply(). */
int xfrm_sa_add(struct xfrm *x, const struct kernel_sa *sa, bool update,
		struct kernel_err *err);
int xfrm_sa_del(struct xfrm *x, const struct kernel_sa_id *id,
		struct kernel_err *err);
int xfrm_policy_add(struct xfrm *x, const struct kernel_policy *p, bool update,
		    struct kernel_err *err);
int xfrm_policy_del(struct xfrm *x, const struct kernel_policy *p,
		    struct kernel_err *err);

/* ALLOCSPI; see kernel_ops.spi_alloc. */
int xfrm_spi_alloc(struct xfrm *x, const struct kernel_sa_id *id, uint8_t mode,
		   uint32_t reqid, uint32_t seq, uint32_t min, uint32_t max,
		   uint32_t *spi, struct kernel_err *err);

/* GETSA: counters of one SA; `sa` (may be NULL) gets what xfrm_msg_parse_sa
 * reads (algorithm IDs, mode, lifetimes, encap — no keys). */
int xfrm_sa_get(struct xfrm *x, const struct kernel_sa_id *id,
		struct kernel_sa_stats *stats, struct kernel_sa *sa,
		struct kernel_err *err);

/* GETPOLICY by index or selector (as xfrm_msg_policy_get). */
int xfrm_policy_get(struct xfrm *x, const struct kernel_policy *key,
		    struct kernel_policy *out, struct kernel_err *err);

/* Dumps. */
int xfrm_sa_list(struct xfrm *x, kernel_sa_cb cb, void *arg,
		 struct kernel_err *err);
int xfrm_policy_list(struct xfrm *x, kernel_policy_cb cb, void *arg,
		     struct kernel_err *err);

/* Removes keybridge's own SAs and policies (kernel.h, "Ownership"). */
int xfrm_cleanup(struct xfrm *x, unsigned *n_sa, unsigned *n_policy,
		 struct kernel_err *err);

/* Event socket: fd to poll, and a non-blocking read of what is pending.
 * -ENOBUFS means the kernel dropped events (socket overrun): the caller
 * should resynchronise from dumps. */
int xfrm_event_fd(struct xfrm *x);
int xfrm_event_read(struct xfrm *x, kernel_event_cb cb, void *arg);

/* Also subscribes the event socket to the SA and POLICY groups
 * (KERNEL_EV_SA_* and KERNEL_EV_POLICY_ADDED/DELETED notes). A daemon does
 * not want them: the kernel sends every SA added by anyone with its keys,
 * into this process, and the extra traffic makes an overrun likelier. */
int xfrm_event_watch_notes(struct xfrm *x);

/* A per-socket "allow" policy in both directions (IP_XFRM_POLICY): IKE
 * packets on `fd` bypass every global IPsec policy; see
 * kernel_ops.socket_bypass. */
int xfrm_socket_bypass(int fd, int family);

/* The backend as struct kernel_ops (struct kernel is a struct xfrm). */
extern const struct kernel_ops kernel_xfrm_ops;

#endif
