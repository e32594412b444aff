/* The PF_KEY v2 backend (RFC 2367 with the KAME/Linux extensions):
 * keybridge's SAs and policies through AF_KEY sockets, for kernels and
 * setups that want PF_KEY. Linux has deprecated PF_KEY in favour of XFRM
 * netlink; this backend exists for parity with tools that still speak it
 * and for comparison. It installs less than XFRM (see pfkey_caps): no AEAD,
 * HMAC-SHA-256 only with a 96-bit ICV, no ESN, no marks, replay windows of
 * at most 32 packets.
 *
 * Messages come from the pure builders in pfkey_msg.h; this file owns two
 * sockets: one for requests, and (when asked for events) one registered
 * for ESP, to which the kernel sends ACQUIRE, EXPIRE and NAT-T mapping
 * messages. Every request goes through pfkey_transact(), which sends one
 * message and reads until the answer with its sequence number and our
 * process id arrives; PF_KEY also copies every SA and policy change to
 * every socket, and those copies are skipped.
 *
 * Ownership is XFRM's rule in PF_KEY's form: only SAs and policies whose
 * reqid is keybridge's (carried as 0x3000 + n, see pfkey_msg.h) are ever
 * changed, listed as ours or removed; the backend never sends FLUSH.
 * Linux picks policy indexes itself under PF_KEY, so a policy is ours by
 * its template's reqid.
 */
#ifndef KB_KERNEL_PFKEY_H
#define KB_KERNEL_PFKEY_H

#include "kernel/kernel.h"

struct pfkey;

/* Opens the backend; `events` also opens and registers the event socket
 * (and reads the kernel's algorithm list). Fails with -EAFNOSUPPORT when
 * the kernel has no AF_KEY. */
int pfkey_open(struct pfkey **out, bool events,
	       struct kernel_err *err) KERNEL_WARN_UNUSED;
void pfkey_close(struct pfkey *k);

/* Runs `n` requests one after another (PF_KEY has no batches); see
 * kernel_ops.apply. */
int pfkey_apply(struct pfkey *k, struct kernel_req *reqs, size_t n);

/* SADB_GETSPI; see kernel_ops.spi_alloc. */
int pfkey_spi_alloc(struct pfkey *k, const struct kernel_sa_id *id,
		    uint8_t mode, uint32_t reqid, uint32_t seq, uint32_t min,
		    uint32_t max, uint32_t *spi, struct kernel_err *err);

/* SADB_GET: counters of one SA; `sa` (may be NULL) gets what
 * pfkey_msg_parse_sa reads (no keys). */
int pfkey_sa_get(struct pfkey *k, const struct kernel_sa_id *id,
		 struct kernel_sa_stats *stats, struct kernel_sa *sa,
		 struct kernel_err *err);

/* SADB_X_SPDGET by index. */
int pfkey_policy_get(struct pfkey *k, uint32_t index, struct kernel_policy *out,
		     struct kernel_err *err);

/* Dumps (ESP SAs; every policy). */
int pfkey_sa_list(struct pfkey *k, kernel_sa_cb cb, void *arg,
		  struct kernel_err *err);
int pfkey_policy_list(struct pfkey *k, kernel_policy_cb cb, void *arg,
		      struct kernel_err *err);

/* Removes keybridge's own SAs and policies, nothing else. */
int pfkey_cleanup(struct pfkey *k, unsigned *n_sa, unsigned *n_policy,
		  struct kernel_err *err);

/* Event socket: fd to poll, and a non-blocking read of what is pending.
 * An ACQUIRE is completed with its policy's template and selector
 * (SADB_X_SPDGET) before `cb` sees it; messages that do not parse,
 * EXPIREs of SAs that are not keybridge's and ACQUIREs whose policy is
 * gone are skipped. */
int pfkey_event_fd(struct pfkey *k);
int pfkey_event_read(struct pfkey *k, kernel_event_cb cb, void *arg);

/* What this backend installs; with an open event socket, narrowed to the
 * algorithms the kernel's REGISTER reply listed. `k` may be NULL. */
void pfkey_caps(const struct pfkey *k, struct kernel_caps *out);

/* IP_IPSEC_POLICY / IPV6_IPSEC_POLICY bypass in both directions (loads
 * af_key first; without AF_KEY it does nothing and returns 0, since
 * pfkey_open() then fails). */
int pfkey_socket_bypass(int fd, int family);

/* The backend as struct kernel_ops (struct kernel is a struct pfkey). */
extern const struct kernel_ops kernel_pfkey_ops;

#endif
