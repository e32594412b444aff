/* The neutral kernel model: IPsec SAs, policies and kernel events as the
 * IKEv2 engine sees them, independent of how a backend talks to the kernel.
 *
 * The engine emits actions (SA_ADD, SA_DEL, POLICY_ADD, …) carrying these
 * structs; daemon/io hands them to a backend (XFRM netlink in xfrm.c, PF_KEY
 * v2 in pfkey.c) through struct kernel_ops. Kernel notifications come back as
 * struct kernel_event. Nothing here depends on <linux/xfrm.h> or
 * <linux/pfkeyv2.h>: conversions live in the backends.
 *
 * Conventions for every struct below:
 *  - integers are in host byte order (SPIs and ports included); the backends
 *    convert to wire order;
 *  - addresses are a family (AF_INET or AF_INET6) plus a 16-byte union; an
 *    IPv4 address uses only the first four bytes, the rest stays zero;
 *  - a zero value means "unset / any / unlimited" unless a field says
 *    otherwise, so `struct kernel_sa sa = { 0 }` followed by the fields the
 *    engine knows is always well formed;
 *  - algorithms are IANA IKEv2 transform IDs (include/ike_iana.h), never
 *    kernel names: the backends translate (RFC 7296 §3.3.2).
 *
 * Ownership (how keybridge recognises its own objects, e.g. to remove stale
 * ones after a crash without touching other software's):
 *  - every SA keybridge installs carries a reqid in
 *    KERNEL_REQID_MIN..KERNEL_REQID_MAX (0x6b620000..0x6b62ffff, "kb");
 *  - every policy keybridge installs carries an index built by
 *    kernel_policy_index(): top byte 0x6b ('k'), low three bits the direction
 *    (the kernel insists on that, see xfrm_policy_id2dir()), and its IPsec
 *    templates carry reqids from the range above.
 *  Both survive in the kernel and show in `ip -s xfrm state|policy`
 *  output ("reqid 1801584641", "index 1795162113"; the index only with -s).
 *  Bypass and block policies have no template: their index alone marks
 *  them. Kernel-generated policy indexes
 *  count up from 8 in steps of 8 per network namespace, so they reach 0x6b
 *  only after ~225 million policy insertions. XFRM silently picks another
 *  index when the requested one is taken, so the engine must hand out
 *  indexes uniquely (one keybridge per network namespace); such a policy is
 *  still recognised as ours by its templates' reqids.
 */
#ifndef KB_KERNEL_KERNEL_H
#define KB_KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define KERNEL_WARN_UNUSED __attribute__((warn_unused_result))

/* ---- Ownership markers ------------------------------------------------ */

#define KERNEL_REQID_MIN     0x6b620000u /* "kb" << 16 */
#define KERNEL_REQID_MAX     0x6b62ffffu
#define KERNEL_INDEX_TAG     0x6b000000u /* top byte of our policy indexes */
#define KERNEL_INDEX_SEQ_MAX 0x1fffffu	 /* 21 bits of sequence per tag */

/* ---- Addresses and selectors ------------------------------------------- */

/* An IPv4 or IPv6 address. `family` is AF_INET, AF_INET6, or 0 (unset,
 * meaning "any" where a field allows it). Bytes are in network order. */
struct kernel_addr {
	uint16_t family;
	union {
		uint8_t v4[4];
		uint8_t v6[16];
		uint8_t raw[16];
	} a;
};

/* Traffic selector, as XFRM and PF_KEY both express it: one prefix per side,
 * one IP protocol, one port or any per side (RFC 4301 §4.4.1.1). IKEv2 port
 * ranges (RFC 7296 §3.13.1) that are neither a single port nor 0..65535 must
 * be narrowed by the engine before they get here. For ICMP/ICMPv6, `sport`
 * is the type and `dport` the code (RFC 4301 §4.4.1.1, "ICMP type/code"). */
struct kernel_selector {
	uint16_t family;	/* AF_INET / AF_INET6 (of both addresses) */
	struct kernel_addr src; /* source prefix; family may be 0 = any */
	struct kernel_addr dst; /* destination prefix */
	uint8_t src_plen;	/* prefix length; 0 = any address */
	uint8_t dst_plen;
	uint8_t proto;	  /* IP protocol (IPPROTO_UDP …); 0 = any */
	uint16_t sport;	  /* source port; 0 = any */
	uint16_t dport;	  /* destination port; 0 = any */
	uint32_t ifindex; /* restrict to one interface; 0 = any */
};

/* ---- Common pieces ------------------------------------------------------ */

/* IPsec protocol, by IP protocol number (RFC 4303 ESP = 50, RFC 4302 AH = 51,
 * RFC 3173 IPComp = 108). */
enum kernel_proto {
	KERNEL_PROTO_ESP = 50,
	KERNEL_PROTO_AH = 51,
	KERNEL_PROTO_COMP = 108,
};

/* Encapsulation mode (RFC 4301 §4.1). */
enum kernel_mode {
	KERNEL_MODE_TRANSPORT = 0,
	KERNEL_MODE_TUNNEL = 1,
};

/* Policy direction (RFC 4301 §4.4.1: SPD-I / SPD-O; fwd is Linux's SPD for
 * forwarded traffic arriving through a tunnel). */
enum kernel_dir {
	KERNEL_DIR_IN = 0,
	KERNEL_DIR_OUT = 1,
	KERNEL_DIR_FWD = 2,
};

/* Policy action (RFC 4301 §4.4.1: PROTECT is ALLOW with templates, BYPASS
 * is ALLOW without, DISCARD is BLOCK). */
enum kernel_action {
	KERNEL_ACTION_ALLOW = 0,
	KERNEL_ACTION_BLOCK = 1,
};

/* UDP encapsulation of ESP (RFC 3948 §2). */
enum kernel_encap_type {
	KERNEL_ENCAP_NONE = 0,
	KERNEL_ENCAP_ESPINUDP = 2, /* RFC 3948, non-ESP marker for IKE */
};

/* Firewall mark match (XFRMA_MARK / SADB_X_EXT_MARK): the SA or policy applies
 * to packets with (skb->mark & mask) == value. mask 0 = no mark. */
struct kernel_mark {
	uint32_t value;
	uint32_t mask;
};

/* Lifetime limits (RFC 4301 §4.4.2.1 "SA Lifetime"). 0 in a field means no
 * limit for that field. A soft limit makes the kernel send a soft EXPIRE (the
 * engine rekeys); a hard limit deletes the SA and sends a hard EXPIRE. */
struct kernel_lifetime {
	uint64_t bytes;
	uint64_t packets;
	uint64_t add_seconds; /* seconds since the SA was added */
	uint64_t use_seconds; /* seconds since the SA was first used */
};

/* ---- Security associations --------------------------------------------- */

/* Largest key we carry: HMAC-SHA-512 (64 bytes); AES-256 + 4-byte salt is
 * 36. */
#define KERNEL_KEY_MAX 64

/* How the kernel finds an SA: (destination, SPI, protocol) plus the mark
 * (RFC 4301 §4.1, SAD lookup). `src` is needed by PF_KEY and for the larval
 * SA created by an ACQUIRE (SPI 0); XFRM accepts it as a hint. */
struct kernel_sa_id {
	struct kernel_addr src;
	struct kernel_addr dst;
	uint32_t spi;  /* host order */
	uint8_t proto; /* enum kernel_proto */
	struct kernel_mark mark;
	uint32_t if_id;
};

/* UDP encapsulation parameters for NAT traversal (RFC 3948, RFC 7296
 * §2.23). Ports in host order. `oa` is the peer's original address as
 * carried in NAT-OA (used for transport mode checksum fixup); family 0 if
 * unknown. */
struct kernel_encap {
	uint8_t type; /* enum kernel_encap_type */
	uint16_t sport;
	uint16_t dport;
	struct kernel_addr oa;
};

/* An SA to install. Encryption is one of:
 *  - an AEAD (ENCR_AES_GCM_8/12/16, ENCR_CHACHA20_POLY1305, …) with
 *    `integ_id` = AUTH_NONE: `enc_key` is the KEYMAT slice of RFC 4106 §8.1
 *    / RFC 7634 §2 i.e. key || 4-byte salt, and `icv_len` the ICV in bytes
 *    (0: derived from the transform ID);
 *  - a cipher (ENCR_AES_CBC, ENCR_NULL …) plus an integrity algorithm
 *    (AUTH_HMAC_SHA2_256_128 …) with its key in `integ_key`; the truncation
 *    length follows from the transform ID (RFC 4868 §2.3).
 * Key bytes are secret: clear the struct with kernel_sa_wipe() when done. */
struct kernel_sa {
	struct kernel_sa_id id; /* dst, spi, proto, mark, if_id (+src) */
	uint8_t mode;		/* enum kernel_mode */
	uint32_t reqid;		/* links SA to policy templates; ours are
				   KERNEL_REQID_MIN..MAX */
	uint16_t encr_id;	/* IANA Transform Type 1 ID (ENCR_*) */
	uint16_t encr_key_bits; /* cipher key length without salt (AES 128/
				   192/256); 0 = from enc_key_len */
	uint16_t integ_id; /* IANA Transform Type 3 ID (AUTH_*), AUTH_NONE for
			      AEADs */
	uint8_t icv_len;   /* AEAD ICV bytes; 0 = from encr_id */
	uint8_t enc_key_len;
	uint8_t integ_key_len;
	uint8_t enc_key[KERNEL_KEY_MAX];
	uint8_t integ_key[KERNEL_KEY_MAX];
	uint32_t replay_window; /* packets; 0 = no anti-replay (RFC 4303
				   §3.4.3) */
	bool esn;		/* 64-bit sequence numbers (RFC 4303 §2.2.1) */
	struct kernel_selector sel; /* traffic the SA carries; family 0 = any,
				       in tunnel mode of either inner family
				       (tunnel mode usually leaves it so) */
	struct kernel_lifetime soft;
	struct kernel_lifetime hard;
	struct kernel_encap encap; /* type NONE = plain ESP */
	uint32_t flags;		   /* KERNEL_SA_F_* */
	uint32_t acquire_seq;	   /* seq of the ACQUIRE this SA answers, else 0
				 (lets the kernel replace its larval SA) */
};

/* SA flags. */
#define KERNEL_SA_F_DECAP_DSCP 0x1 /* copy DSCP to the inner header on decap */
#define KERNEL_SA_F_NOPMTUDISC 0x2 /* do not set DF on the outer header */

/* Live counters of an installed SA, as GETSA or an EXPIRE reports them. */
struct kernel_sa_stats {
	uint64_t bytes;	   /* bytes processed so far */
	uint64_t packets;  /* packets processed so far */
	uint64_t add_time; /* wall-clock seconds when the SA was added */
	uint64_t use_time; /* wall-clock seconds of first use; 0 = unused */
	uint32_t replay_window;	   /* current replay window */
	uint32_t replay_failed;	   /* packets dropped as replays */
	uint32_t integrity_failed; /* packets failing ICV check */
	uint32_t reqid;		   /* the SA's reqid (tells ours from others) */
	uint8_t mode;		   /* enum kernel_mode */
	uint16_t encr_id;	   /* as installed, 0 if unknown */
	uint16_t integ_id;
};

/* ---- Policies ----------------------------------------------------------- */

#define KERNEL_TMPL_MAX 4

/* One IPsec template of a policy: which SA must protect matching traffic.
 * In tunnel mode `src`/`dst` are the tunnel endpoints; in transport mode
 * they stay unset (family 0). */
struct kernel_tmpl {
	struct kernel_addr src;
	struct kernel_addr dst;
	uint32_t reqid; /* the SA's reqid */
	uint32_t spi;	/* 0 = any SA with this reqid */
	uint8_t proto;	/* enum kernel_proto */
	uint8_t mode;	/* enum kernel_mode */
	bool optional;	/* IPcomp-style "use" level instead of "require" */
};

/* A security policy (SPD entry, RFC 4301 §4.4.1). The kernel identifies a
 * policy by (selector, dir, mark, if_id) or by its index. */
struct kernel_policy {
	struct kernel_selector sel;
	uint8_t dir;	   /* enum kernel_dir */
	uint8_t action;	   /* enum kernel_action */
	uint32_t priority; /* lower value = matched first */
	uint32_t index;	   /* ours: kernel_policy_index(); 0 lets the kernel
			      choose (foreign-looking, avoid) */
	struct kernel_mark mark;
	uint32_t if_id;
	struct kernel_lifetime soft;
	struct kernel_lifetime hard;
	uint8_t n_tmpl; /* 0 with ALLOW = bypass */
	struct kernel_tmpl tmpl[KERNEL_TMPL_MAX];
};

/* ---- Kernel events ------------------------------------------------------ */

enum kernel_event_type {
	KERNEL_EV_ACQUIRE = 1, /* traffic hit a policy with no SA: negotiate */
	KERNEL_EV_EXPIRE,      /* an SA reached a soft or hard limit */
	KERNEL_EV_POLICY_EXPIRE,  /* a policy reached a soft or hard limit */
	KERNEL_EV_SA_ADDED,	  /* someone added/updated an SA */
	KERNEL_EV_SA_DELETED,	  /* someone deleted an SA */
	KERNEL_EV_POLICY_ADDED,	  /* someone added/updated a policy */
	KERNEL_EV_POLICY_DELETED, /* someone deleted a policy */
	KERNEL_EV_MAPPING,	  /* NAT-T peer port/address changed */
};

/* ACQUIRE: the kernel wants an SA for `tmpl` to send traffic matching `sel`
 * under the policy `policy_index` (RFC 4301 §5.1 "the SA is created … on
 * demand"). `src`/`dst` are the addresses the SA must have. `seq` identifies
 * the kernel's larval SA; pass it back when installing (XFRM) or in the
 * SADB_ACQUIRE reply (PF_KEY). */
struct kernel_acquire {
	uint32_t policy_index;
	uint8_t policy_dir;	       /* enum kernel_dir */
	struct kernel_selector sel;    /* the policy's selector */
	struct kernel_selector packet; /* the triggering packet's addresses,
					  protocol and ports (RFC 7296 §2.9:
					  the first traffic selector) */
	struct kernel_tmpl tmpl;
	struct kernel_addr src;
	struct kernel_addr dst;
	uint32_t seq;
};

/* EXPIRE for an SA. A larval SA (from an ACQUIRE that no SA answered) expires
 * hard with SPI 0. */
struct kernel_expire {
	struct kernel_sa_id id;
	bool hard; /* false: soft limit, rekey; true: SA gone */
	struct kernel_sa_stats stats;
};

/* EXPIRE for a policy. */
struct kernel_policy_expire {
	uint32_t index;
	uint8_t dir;
	struct kernel_selector sel;
	bool hard;
};

/* SA added/updated/deleted by anyone (the SA multicast group). */
struct kernel_sa_note {
	struct kernel_sa_id id;
	uint32_t reqid;
	bool update; /* UPDSA rather than NEWSA */
};

/* Policy added/updated/deleted by anyone (the POLICY multicast group). */
struct kernel_policy_note {
	uint32_t index;
	uint8_t dir;
	uint8_t action;
	uint32_t priority;
	struct kernel_selector sel;
	bool update;
};

/* NAT-T mapping change (RFC 3948 §4, XFRM_MSG_MAPPING): the peer of SA `id`
 * now sends from `new_addr`:`new_port`. */
struct kernel_mapping {
	struct kernel_sa_id id;
	uint32_t reqid;
	struct kernel_addr old_addr, new_addr;
	uint16_t old_port, new_port;
};

struct kernel_event {
	uint8_t type; /* enum kernel_event_type */
	union {
		struct kernel_acquire acquire;
		struct kernel_expire expire;
		struct kernel_policy_expire policy_expire;
		struct kernel_sa_note sa;
		struct kernel_policy_note policy;
		struct kernel_mapping mapping;
	} u;
};

/* ---- Errors ------------------------------------------------------------ */

#define KERNEL_ERR_MAX 256

/* An error as the operator should read it: what object, what the kernel
 * said. `code` is the -errno; `msg` a NUL-terminated sentence such as
 * "add SA esp spi 0xc0ffee01 10.0.0.1->10.0.0.2 reqid 0x6b620001: Invalid
 * argument (kernel: Invalid AEAD key length)". */
struct kernel_err {
	int code;
	char msg[KERNEL_ERR_MAX];
};

/* ---- Requests (batchable) --------------------------------------------- */

enum kernel_req_type {
	KERNEL_REQ_SA_ADD = 1, /* add; -EEXIST if present */
	KERNEL_REQ_SA_UPDATE,  /* replace or fill a larval SA */
	KERNEL_REQ_SA_DEL,
	KERNEL_REQ_POLICY_ADD,	  /* add; -EEXIST if present */
	KERNEL_REQ_POLICY_UPDATE, /* add or replace */
	KERNEL_REQ_POLICY_DEL,
	KERNEL_REQ_MIGRATE,   /* move a policy and its SA (kernel_migrate) */
	KERNEL_REQ_SPI_ALLOC, /* reserve an inbound SPI (kernel_spi_req) */
};

/* kernel_ops.spi_alloc as a request of a batch: reserves an SPI in
 * [min, max] for an inbound SA from `id.src` to `id.dst` (`id.spi`
 * ignored) with a larval SA that a later SA_UPDATE of the same batch or
 * another fills; the backend puts the SPI it got in `got`. */
struct kernel_spi_req {
	struct kernel_sa_id id;
	uint32_t reqid;
	uint32_t seq; /* an ACQUIRE's seq, or 0 */
	uint32_t min, max;
	uint32_t got; /* filled in on success */
};

/* Moves one policy and the SA its template names to new outer addresses
 * (MOBIKE, RFC 4555 §3.5: "the IPsec SAs … are updated with the new
 * addresses"), keys, sequence numbers and counters kept. The policy is
 * found by (sel, dir, if_id): `sel` must be the selector it was installed
 * with, byte for byte. Its template (old_src -> old_dst, proto, mode,
 * reqid) becomes new_src -> new_dst; the one SA with exactly those old
 * addresses, protocol, mode and reqid (if any: the in and fwd policies of
 * a CHILD SA share one inbound SA, the first request moves it) gets the
 * new addresses, and `encap` when its type is set. An SA keeps its old
 * UDP encapsulation when `encap` is NONE: XFRM_MSG_MIGRATE cannot remove
 * it (see xfrm_msg_migrate()). Backends without the operation answer
 * -EOPNOTSUPP (kernel_caps.migrate). */
struct kernel_migrate {
	struct kernel_selector sel;
	uint8_t dir; /* enum kernel_dir */
	uint32_t if_id;
	struct kernel_addr old_src, old_dst;
	struct kernel_addr new_src, new_dst;
	uint8_t proto; /* enum kernel_proto */
	uint8_t mode;  /* enum kernel_mode */
	uint32_t reqid;
	struct kernel_encap encap; /* type NONE: leave as it is */
};

/* One request of a batch. The backend fills `err` (code 0 on success). */
struct kernel_req {
	uint8_t type; /* enum kernel_req_type */
	union {
		const struct kernel_sa *sa;	      /* SA_ADD / SA_UPDATE */
		const struct kernel_sa_id *sa_id;     /* SA_DEL */
		const struct kernel_policy *policy;   /* POLICY_* (DEL uses sel,
						       dir, mark, if_id or
						       index) */
		const struct kernel_migrate *migrate; /* MIGRATE */
		struct kernel_spi_req *spi;	      /* SPI_ALLOC */
	} o;
	struct kernel_err err;
};

/* ---- Capabilities ------------------------------------------------------ */

#define KERNEL_CAPS_ALGS 16

/* What a backend can install (DESIGN.md "One kernel vocabulary"). io drops
 * ESP transforms outside these before the engine sees a configuration, so
 * the engine never negotiates an SA the kernel would refuse. Algorithms are
 * IANA IKEv2 transform IDs, as everywhere in this model. */
struct kernel_caps {
	bool aead;	     /* AEAD ciphers (AES-GCM/CCM, ChaCha20-Poly1305) */
	bool sha256_128;     /* HMAC-SHA-256 with RFC 4868's 128-bit ICV */
	bool esn;	     /* 64-bit sequence numbers (RFC 4303 §2.2.1) */
	bool marks;	     /* firewall marks and interface IDs */
	bool migrate;	     /* KERNEL_REQ_MIGRATE: SAs move to new addresses in
			 place (MOBIKE, RFC 4555) */
	uint32_t replay_max; /* largest replay window in packets; 0 = any */
	uint8_t n_encr, n_integ;
	uint16_t encr[KERNEL_CAPS_ALGS];  /* ENCR_* it can install */
	uint16_t integ[KERNEL_CAPS_ALGS]; /* AUTH_* it can install */
};

/* Checks one ESP transform (type TRANS_ENCR, TRANS_INTEG or TRANS_ESN, IANA
 * id) against `caps` of backend `backend`. Returns 0 when it can be
 * installed, else -ENOTSUP with the reason for the operator in `why`, e.g.
 * "the pfkey backend cannot install AEAD ciphers such as ENCR_AES_GCM_16
 * (Linux PF_KEY has none)". */
int kernel_caps_check(const struct kernel_caps *caps, const char *backend,
		      uint8_t type, uint16_t id, char *why,
		      size_t len) KERNEL_WARN_UNUSED;

/* ---- Backend interface ------------------------------------------------ */

struct kernel; /* a backend instance (socket(s) and state), opaque */

typedef void (*kernel_event_cb)(const struct kernel_event *ev, void *arg);
typedef int (*kernel_sa_cb)(const struct kernel_sa_id *id,
			    const struct kernel_sa_stats *stats, void *arg);
typedef int (*kernel_policy_cb)(const struct kernel_policy *p, void *arg);

/* What every backend (XFRM, PF_KEY) implements. Functions return 0 or a
 * -errno; on failure they fill `err` (may be NULL) with a sentence naming
 * the object. None of them blocks except for the kernel's reply. */
struct kernel_ops {
	const char *name; /* "xfrm", "pfkey" */

	/* Opens the backend's sockets; `events` also subscribes to the
	 * notifications a daemon acts on: ACQUIRE, EXPIRE (SA and policy)
	 * and MAPPING. Not to SA and POLICY changes by anyone (XFRM sends
	 * them with the SA's keys); see xfrm_event_watch_notes(). */
	int (*open)(struct kernel **out, bool events, struct kernel_err *err);
	void (*close)(struct kernel *k);

	/* Reserves an SPI in [min, max] for an inbound SA from `id->src` to
	 * `id->dst` (`id->spi` ignored) and returns it in *spi; creates a
	 * larval SA that a later SA_UPDATE fills (RFC 7296 §2.17 needs the SPI
	 * before the keys). `seq` is an ACQUIRE's seq or 0. XFRM draws random
	 * SPIs and gives up after as many draws as the range is wide: use
	 * wide ranges (RFC 4303 §2.1 leaves 256..2^32-1). */
	int (*spi_alloc)(struct kernel *k, const struct kernel_sa_id *id,
			 uint32_t reqid, uint32_t seq, uint32_t min,
			 uint32_t max, uint32_t *spi, struct kernel_err *err);

	/* Runs `n` requests, as few round trips as the backend can (XFRM: one
	 * send). Each request's `err` says how it went; returns 0 when all
	 * succeeded, else the first failure's code. A failed request does not
	 * stop the others. */
	int (*apply)(struct kernel *k, struct kernel_req *reqs, size_t n);

	/* Reads an SA's counters. */
	int (*sa_get)(struct kernel *k, const struct kernel_sa_id *id,
		      struct kernel_sa_stats *out, struct kernel_err *err);

	/* Calls `cb` for every SA / policy in the kernel (ours and others').
	 * A nonzero return from `cb` stops the walk and is returned. */
	int (*sa_list)(struct kernel *k, kernel_sa_cb cb, void *arg,
		       struct kernel_err *err);
	int (*policy_list)(struct kernel *k, kernel_policy_cb cb, void *arg,
			   struct kernel_err *err);

	/* Removes keybridge's own SAs and policies left by an earlier run
	 * (see "Ownership" above); never touches anything else. Reports how
	 * many of each it removed. */
	int (*cleanup)(struct kernel *k, unsigned *n_sa, unsigned *n_policy,
		       struct kernel_err *err);

	/* File descriptor to poll for events (-1 when opened without). */
	int (*event_fd)(struct kernel *k);

	/* Reads what is pending without blocking and calls `cb` per event;
	 * returns 0 (also when nothing was pending) or -errno. */
	int (*event_read)(struct kernel *k, kernel_event_cb cb, void *arg);

	/* What the backend can install. `k` may be NULL (no kernel opened,
	 * e.g. --check-config): the backend's static answer; with an open
	 * backend, what this kernel reported (PF_KEY: its REGISTER reply). */
	void (*caps)(struct kernel *k, struct kernel_caps *out);

	/* Puts a per-socket bypass policy in both directions on the UDP
	 * socket `fd` of `family`, so IKE itself is never caught by the
	 * tunnels it negotiates (XFRM: IP_XFRM_POLICY; PF_KEY:
	 * IP_IPSEC_POLICY with an sadb_x_policy). Needs no open backend. */
	int (*socket_bypass)(int fd, int family);
};

/* The backend called `name` ("xfrm", "pfkey"), or NULL. */
const struct kernel_ops *kernel_backend(const char *name);

/* ---- Helpers (kernel.c) ------------------------------------------------ */

/* True if `reqid` is in keybridge's range. */
static inline bool kernel_reqid_is_ours(uint32_t reqid)
{
	return reqid >= KERNEL_REQID_MIN && reqid <= KERNEL_REQID_MAX;
}

/* Builds keybridge's policy index number `seq` (0..KERNEL_INDEX_SEQ_MAX)
 * for direction `dir`. */
static inline uint32_t kernel_policy_index(uint32_t seq, uint8_t dir)
{
	return KERNEL_INDEX_TAG | (seq & KERNEL_INDEX_SEQ_MAX) << 3 |
	       (dir & 7u);
}

/* True if `index` was built by kernel_policy_index(). */
static inline bool kernel_policy_index_is_ours(uint32_t index)
{
	return (index & 0xff000000u) == KERNEL_INDEX_TAG;
}

/* True if the policy is keybridge's: our index, or an IPsec template with
 * our reqid. */
bool kernel_policy_is_ours(const struct kernel_policy *p);

/* Priority classes of policies, first matched first: pass shunts before
 * IPsec policies (and their traps), drop shunts after them as a fallback
 * for what no tunnel takes (strongSwan orders them so). */
enum kernel_prio_class {
	KERNEL_PRIO_PASS = 1,
	KERNEL_PRIO_IPSEC = 2,
	KERNEL_PRIO_DROP = 3,
};

/* The priority of a policy with selector `sel` in class `c`: within a
 * class, longer prefixes, then a protocol, then ports match first. */
uint32_t kernel_policy_priority(enum kernel_prio_class c,
				const struct kernel_selector *sel);

/* Fills `a` from text ("192.0.2.1", "2001:db8::1"); returns 0 or -EINVAL. */
int kernel_addr_parse(struct kernel_addr *a, const char *s) KERNEL_WARN_UNUSED;

/* Formats an address into `buf` (at least 46 bytes); returns `buf`. Family 0
 * prints as "any". */
const char *kernel_addr_str(const struct kernel_addr *a, char *buf, size_t len);

/* Bytes of an address of family `family` (4, 16, or 0). */
size_t kernel_addr_len(uint16_t family);

/* Describes an object for error messages and logs, e.g.
 * "SA esp spi 0xc0ffee01 10.0.0.1->10.0.0.2 reqid 0x6b620001",
 * "policy out 10.1.0.0/16->10.2.0.0/16 udp index 0x6b000009". */
void kernel_sa_describe(const struct kernel_sa_id *id, uint32_t reqid,
			char *buf, size_t len);
void kernel_policy_describe(const struct kernel_policy *p, char *buf,
			    size_t len);
/* "policy out 10.1.0.0/16->10.2.0.0/16 reqid 0x6b620001 from
 * 192.0.2.1->192.0.2.2 to 198.51.100.7->192.0.2.2". */
void kernel_migrate_describe(const struct kernel_migrate *m, char *buf,
			     size_t len);

/* Fills `err` (if not NULL) with "<what>: <strerror(-code)>[ (kernel:
 * <detail>)]" and returns `code`. */
int kernel_err_set(struct kernel_err *err, int code, const char *what,
		   const char *detail);

/* Names for logs. */
const char *kernel_dir_name(uint8_t dir);
const char *kernel_proto_name(uint8_t proto);
const char *kernel_mode_name(uint8_t mode);
const char *kernel_event_name(uint8_t type);

/* Erases key material: wipes the whole struct (explicit_bzero). */
void kernel_sa_wipe(struct kernel_sa *sa);

/* Heap SA for holders that outlive a stack frame; kernel_sa_free() wipes
 * before freeing, kernel_sa_free(NULL) is fine. */
struct kernel_sa *kernel_sa_new(void);
void kernel_sa_free(struct kernel_sa *sa);

#endif
