/* PF_KEY v2 messages (RFC 2367 with the KAME/Linux extensions of
 * <linux/pfkeyv2.h>) built and parsed without a socket.
 *
 * A message is a struct sadb_msg header followed by extensions, every
 * length counted in 64-bit words; integers are in host order except SPIs,
 * ports and addresses (network order, inside struct sockaddr). Builders
 * write one complete message at `buf`, at most `cap` bytes, with sequence
 * number `seq` and process id `pid` in the header, and return its length,
 * or a -errno: -ENOSPC if it does not fit, -EINVAL for an object PF_KEY
 * cannot express, -ENOPROTOOPT for an algorithm it has no number for.
 *
 * Parsers take one message as read from the socket (`len` bytes) and fill
 * the neutral model (kernel/kernel.h); they return 0, -EBADMSG for a
 * truncated, oversized or malformed message, or -ENOMSG for a message type
 * they do not handle. Extensions they do not know are skipped.
 *
 * Reqids: Linux keeps a policy template's reqid only up to
 * IPSEC_MANUAL_REQID_MAX (0x3fff) and replaces larger ones with its own,
 * which would cut the link between SA and policy. keybridge's reqids
 * (KERNEL_REQID_MIN + n) therefore travel as PFKEY_REQID_BASE + n, in SAs
 * and policies alike, and parsers map them back; see pfkey_reqid_*.
 */
#ifndef KB_KERNEL_PFKEY_MSG_H
#define KB_KERNEL_PFKEY_MSG_H

#include "kernel/kernel.h"

#include <stddef.h>
#include <stdint.h>

#define PFKEY_MSG_WARN __attribute__((warn_unused_result))

/* Room for the largest message we build or read (an SA with two 64-byte
 * keys, lifetimes and NAT-T is ~400 bytes; a REGISTER reply lists every
 * algorithm, ~300). Dump entries are smaller than this. */
#define PFKEY_MSG_BUFSIZE 2048

/* keybridge's reqids as PF_KEY carries them (see above): 4096 of them. */
#define PFKEY_REQID_BASE 0x3000u
#define PFKEY_REQID_LAST 0x3fffu

/* A keybridge reqid as sent to the kernel; 0 if it has no PF_KEY form (our
 * range beyond 4095 children). Reqids outside our range pass unchanged. */
uint32_t pfkey_reqid_out(uint32_t reqid);

/* A reqid read from the kernel, mapped back into keybridge's range when it
 * is in PFKEY_REQID_BASE..PFKEY_REQID_LAST. */
uint32_t pfkey_reqid_in(uint32_t reqid);

/* The header fields of a message. */
struct pfkey_hdr {
	uint8_t type;	/* SADB_* */
	uint8_t errno_; /* 0, or the errno the kernel refused a request with */
	uint8_t satype; /* SADB_SATYPE_* */
	uint32_t seq;
	uint32_t pid;
};

/* ---- Algorithms ------------------------------------------------------- */

/* The SADB_*ALG_* number of an IANA encryption (ENCR_*) / integrity
 * (AUTH_*) transform ID, or 0 if PF_KEY has none that means the same. */
uint8_t pfkey_alg_encr(uint16_t id);
uint8_t pfkey_alg_integ(uint16_t id);

/* Reverse look-ups; 0 (ENCR/AUTH_NONE) if unknown. */
uint16_t pfkey_alg_encr_iana(uint8_t sadb_id);
uint16_t pfkey_alg_integ_iana(uint8_t sadb_id);

/* ---- Builders --------------------------------------------------------- */

/* Checks that `sa` can be expressed in PF_KEY (families, mode, known
 * algorithms, key sizes, no AEAD, no ESN, no marks, replay window up to
 * 32, reqid mappable). Returns 0 or a -errno with the reason in `why`
 * (may be NULL). */
int pfkey_msg_sa_check(const struct kernel_sa *sa, char *why,
		       size_t len) PFKEY_MSG_WARN;

/* SADB_REGISTER for ESP: the kernel answers with the algorithms it has and
 * sends this socket ACQUIRE and EXPIRE messages from then on. */
int pfkey_msg_register(void *buf, size_t cap, uint32_t seq,
		       uint32_t pid) PFKEY_MSG_WARN;

/* SADB_GETSPI: an SPI in [min, max] for an SA from id->src to id->dst,
 * with `mode` and `reqid` (SA2). Linux also uses `seq` to find the larval
 * SA of an ACQUIRE with that sequence number. */
int pfkey_msg_spi_alloc(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			const struct kernel_sa_id *id, uint8_t mode,
			uint32_t reqid, uint32_t min,
			uint32_t max) PFKEY_MSG_WARN;

/* SADB_ADD (SADB_UPDATE when `update`, which fills the larval SA of a
 * GETSPI): SA, lifetimes, addresses, keys, SA2 (mode, reqid), NAT-T. */
int pfkey_msg_sa_add(void *buf, size_t cap, uint32_t seq, uint32_t pid,
		     const struct kernel_sa *sa, bool update) PFKEY_MSG_WARN;

/* SADB_DELETE / SADB_GET of the SA `id` (SA, source and destination). */
int pfkey_msg_sa_del(void *buf, size_t cap, uint32_t seq, uint32_t pid,
		     const struct kernel_sa_id *id) PFKEY_MSG_WARN;
int pfkey_msg_sa_get(void *buf, size_t cap, uint32_t seq, uint32_t pid,
		     const struct kernel_sa_id *id) PFKEY_MSG_WARN;

/* SADB_DUMP of the ESP SAs / SADB_X_SPDDUMP of every policy. */
int pfkey_msg_sa_dump(void *buf, size_t cap, uint32_t seq,
		      uint32_t pid) PFKEY_MSG_WARN;
int pfkey_msg_policy_dump(void *buf, size_t cap, uint32_t seq,
			  uint32_t pid) PFKEY_MSG_WARN;

/* SADB_X_SPDADD (SADB_X_SPDUPDATE when `update`): selector as addresses,
 * lifetimes when set, X_POLICY with direction, priority and one
 * ipsecrequest per template. Linux chooses the index itself. */
int pfkey_msg_policy_add(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			 const struct kernel_policy *p,
			 bool update) PFKEY_MSG_WARN;

/* SADB_X_SPDDELETE2 by p->index when nonzero, else SADB_X_SPDDELETE by
 * (selector, direction). */
int pfkey_msg_policy_del(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			 const struct kernel_policy *p) PFKEY_MSG_WARN;

/* SADB_X_SPDGET of the policy with index `index` (its direction is in the
 * low bits of the index). */
int pfkey_msg_policy_get(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			 uint32_t index) PFKEY_MSG_WARN;

/* The per-socket policy of IP_IPSEC_POLICY / IPV6_IPSEC_POLICY: an
 * X_POLICY extension alone, type BYPASS, direction `dir` (KERNEL_DIR_IN or
 * KERNEL_DIR_OUT). */
int pfkey_msg_socket_bypass(void *buf, size_t cap, uint8_t dir) PFKEY_MSG_WARN;

/* ---- Parsers ---------------------------------------------------------- */

/* The header of a message: checks the version, that the length field
 * matches `len` exactly, and that the extensions are well formed. */
int pfkey_msg_parse_hdr(const void *buf, size_t len,
			struct pfkey_hdr *out) PFKEY_MSG_WARN;

/* An SA as the kernel describes it (ADD/UPDATE/GET/GETSPI replies, DUMP
 * entries, notifications): its id and counters; `sa` (may be NULL) also
 * receives mode, reqid, algorithm IDs, lifetimes, replay window and NAT-T
 * (never keys: the kernel sends them back, they are not copied, and the
 * buffer is the caller's to wipe). */
int pfkey_msg_parse_sa(const void *buf, size_t len, struct kernel_sa_id *id,
		       struct kernel_sa_stats *stats,
		       struct kernel_sa *sa) PFKEY_MSG_WARN;

/* A policy (SPDADD/SPDUPDATE/SPDDELETE/SPDGET replies, SPDDUMP entries). */
int pfkey_msg_parse_policy(const void *buf, size_t len,
			   struct kernel_policy *p) PFKEY_MSG_WARN;

/* What the kernel volunteers: ACQUIRE, EXPIRE (soft or hard) and
 * X_NAT_T_NEW_MAPPING. An ACQUIRE names the policy by index only: its
 * template (reqid) and selector stay zero, for the caller to look up with
 * SADB_X_SPDGET. -ENOMSG for anything else. */
int pfkey_msg_parse_event(const void *buf, size_t len,
			  struct kernel_event *ev) PFKEY_MSG_WARN;

/* A REGISTER reply: the IANA IDs of the algorithms it lists that keybridge
 * knows, into caps->encr / caps->integ (the other fields untouched). */
int pfkey_msg_parse_supported(const void *buf, size_t len,
			      struct kernel_caps *caps) PFKEY_MSG_WARN;

/* Name of a message type ("ADD", "X_SPDDUMP", …) for logs. */
const char *pfkey_msg_type_name(uint8_t type);

#endif
