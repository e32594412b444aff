/* XFRM netlink messages (<linux/xfrm.h>) built and parsed without a socket.
 *
 * Builders write one complete netlink message (struct nlmsghdr included) at
 * `buf`, at most `cap` bytes, with sequence number `seq` and port id 0, and
 * return its length, or a -errno: -ENOSPC if it does not fit, -EINVAL for an
 * inconsistent object (bad key length, unknown family…), -ENOPROTOOPT for an
 * algorithm the kernel has no name for. Batching is the caller writing
 * several messages one after another in one buffer.
 *
 * Requests carry NLM_F_REQUEST|NLM_F_ACK (GET requests only NLM_F_REQUEST,
 * the reply is the answer), exactly like iproute2's `ip xfrm`; the tests
 * compare the bytes with captures of `ip xfrm` (daemon/tests/vectors/xfrm/).
 *
 * Parsers take one message the kernel sent and fill the neutral model
 * (kernel/kernel.h); they return 0, -EBADMSG for a truncated or malformed
 * message, or -ENOMSG for a message type they do not handle.
 */
#ifndef KB_KERNEL_XFRM_MSG_H
#define KB_KERNEL_XFRM_MSG_H

#include "kernel/kernel.h"

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#define XFRM_MSG_WARN __attribute__((warn_unused_result))

/* Room for the largest message we build (SA with two 64-byte keys, encap,
 * ESN, mark, if_id: ~600 bytes). */
#define XFRM_MSG_BUFSIZE 1024

/* ---- Algorithms (RFC 7296 §3.3.2 transform IDs -> kernel names) ---- */

/* How the kernel names an IKEv2 algorithm. */
struct xfrm_alg_info {
	uint16_t id;	   /* IANA transform ID */
	const char *name;  /* crypto API name, e.g. "rfc4106(gcm(aes))" */
	uint16_t bits;	   /* AEAD ICV or integrity truncation, in bits */
	uint8_t salt;	   /* bytes of salt/nonce after the key (RFC 4106
			      §8.1: 4 for GCM; RFC 4309: 3 for CCM) */
	uint8_t key_fixed; /* required key bytes without salt, 0 = AES
			      (16, 24 or 32) */
	bool aead;
};

/* The entry for an encryption (ENCR_*) or integrity (AUTH_*) ID, or NULL. */
const struct xfrm_alg_info *xfrm_alg_encr(uint16_t id);
const struct xfrm_alg_info *xfrm_alg_integ(uint16_t id);

/* Reverse look-ups by kernel name (for dumps and events); NULL if unknown.
 * For AEADs the ICV length picks among e.g. ENCR_AES_GCM_8/12/16. */
const struct xfrm_alg_info *xfrm_alg_encr_by_name(const char *name,
						  uint16_t icv_bits);
const struct xfrm_alg_info *xfrm_alg_integ_by_name(const char *name,
						   uint16_t trunc_bits);

/* ---- Builders ------------------------------------------------------- */

/* Checks that `sa` can be expressed to the kernel (families, mode, known
 * algorithms, key sizes, encapsulation). Returns 0, -EINVAL or
 * -ENOPROTOOPT, with the reason in `why` (may be NULL) for the operator,
 * e.g. "AUTH_HMAC_SHA2_256_128 needs a 32-byte key, got 20 bytes". */
int xfrm_msg_sa_check(const struct kernel_sa *sa, char *why,
		      size_t len) XFRM_MSG_WARN;

/* XFRM_MSG_NEWSA (or UPDSA when `update`): installs `sa` (after
 * xfrm_msg_sa_check()). */
int xfrm_msg_sa_add(void *buf, size_t cap, uint32_t seq,
		    const struct kernel_sa *sa, bool update) XFRM_MSG_WARN;

/* XFRM_MSG_DELSA / XFRM_MSG_GETSA for the SA `id` (dst, spi, proto; src as
 * XFRMA_SRCADDR; mark and if_id when set). */
int xfrm_msg_sa_del(void *buf, size_t cap, uint32_t seq,
		    const struct kernel_sa_id *id) XFRM_MSG_WARN;
int xfrm_msg_sa_get(void *buf, size_t cap, uint32_t seq,
		    const struct kernel_sa_id *id) XFRM_MSG_WARN;

/* XFRM_MSG_GETSA / GETPOLICY with NLM_F_DUMP: every SA / policy. */
int xfrm_msg_sa_dump(void *buf, size_t cap, uint32_t seq) XFRM_MSG_WARN;
int xfrm_msg_policy_dump(void *buf, size_t cap, uint32_t seq) XFRM_MSG_WARN;

/* XFRM_MSG_ALLOCSPI: an SPI in [min, max] for an SA from id->src to
 * id->dst with protocol id->proto (spi ignored), `mode`, `reqid`; `acq_seq`
 * is the seq of the ACQUIRE being answered or 0. */
int xfrm_msg_spi_alloc(void *buf, size_t cap, uint32_t seq,
		       const struct kernel_sa_id *id, uint8_t mode,
		       uint32_t reqid, uint32_t acq_seq, uint32_t min,
		       uint32_t max) XFRM_MSG_WARN;

/* XFRM_MSG_NEWPOLICY (UPDPOLICY when `update`). */
int xfrm_msg_policy_add(void *buf, size_t cap, uint32_t seq,
			const struct kernel_policy *p,
			bool update) XFRM_MSG_WARN;

/* XFRM_MSG_DELPOLICY / GETPOLICY: by p->index when nonzero (the selector is
 * then sent empty, as the kernel ignores it), else by (sel, dir); mark and
 * if_id when set. */
int xfrm_msg_policy_del(void *buf, size_t cap, uint32_t seq,
			const struct kernel_policy *p) XFRM_MSG_WARN;
int xfrm_msg_policy_get(void *buf, size_t cap, uint32_t seq,
			const struct kernel_policy *p) XFRM_MSG_WARN;

/* XFRM_MSG_MIGRATE: moves the policy (m->sel, m->dir, m->if_id) and the SA
 * matching its old template to the new addresses (kernel.h, struct
 * kernel_migrate), with XFRMA_ENCAP when m->encap.type is set. The kernel
 * keeps an SA's UDP encapsulation when none is given: the message cannot
 * take it away (an XFRMA_ENCAP of type 0 would still encapsulate). */
int xfrm_msg_migrate(void *buf, size_t cap, uint32_t seq,
		     const struct kernel_migrate *m) XFRM_MSG_WARN;

/* ---- Parsers ------------------------------------------------------- */

/* A NEWSA/UPDSA message (dump entry, GETSA or ALLOCSPI reply): the SA's id
 * and counters. `sa` (may be NULL) also receives mode, reqid, selector,
 * lifetimes, encap, replay and algorithm IDs; never keys (the kernel does
 * send them back in dumps: they are not copied, and the message buffer is
 * the caller's to wipe). */
int xfrm_msg_parse_sa(const struct nlmsghdr *nlh, struct kernel_sa_id *id,
		      struct kernel_sa_stats *stats,
		      struct kernel_sa *sa) XFRM_MSG_WARN;

/* A NEWPOLICY/UPDPOLICY message (dump entry or GETPOLICY reply). */
int xfrm_msg_parse_policy(const struct nlmsghdr *nlh,
			  struct kernel_policy *p) XFRM_MSG_WARN;

/* A multicast notification: ACQUIRE, EXPIRE, POLEXPIRE, NEWSA, UPDSA, DELSA,
 * NEWPOLICY, UPDPOLICY, DELPOLICY, MAPPING. -ENOMSG for anything else. */
int xfrm_msg_parse_event(const struct nlmsghdr *nlh,
			 struct kernel_event *ev) XFRM_MSG_WARN;

/* An NLMSG_ERROR message: stores the error (0 for an ACK, else -errno) in
 * *error, the request's seq in *seq, and the extended ack text
 * (NLMSGERR_ATTR_MSG), if any, in `detail` ("" otherwise). */
int xfrm_msg_parse_ack(const struct nlmsghdr *nlh, int *error, uint32_t *seq,
		       char *detail, size_t detail_len) XFRM_MSG_WARN;

/* Calls `cb` for each netlink message in `len` bytes at `buf`; stops at the
 * first nonzero return and returns it; -EBADMSG if the buffer does not hold
 * whole messages. */
typedef int (*xfrm_msg_cb)(const struct nlmsghdr *nlh, void *arg);
int xfrm_msg_walk(const void *buf, size_t len, xfrm_msg_cb cb,
		  void *arg) XFRM_MSG_WARN;

/* Name of an XFRM message type ("NEWSA", …) for logs. */
const char *xfrm_msg_type_name(uint16_t type);

#endif
