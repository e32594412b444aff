/* IKEv2 message codec: a datagram becomes a `struct ike_msg` of payload
 * views and back (RFC 7296 §3, RFC 7383 §2.5 for SKF).
 *
 * Decoding is pure: no SA lookup, no state, no allocation. Every byte string
 * in a decoded message (`struct ike_bytes`) points into the caller's datagram,
 * which must outlive the message. Lists inside payloads (proposals,
 * transforms, traffic selectors, CP attributes) point into pools that live in
 * the `struct ike_msg` itself, so one message is one object (about 17 KiB;
 * it may live on the stack of a thread with a normal stack size).
 *
 * Encoding takes the same structures and writes the header and the payload
 * chain, computing every length, count and Next Payload field. Lists of an
 * encoded message may point anywhere (the caller's own arrays). For every
 * message decode accepts, encode writes it back byte for byte, except for
 * reserved fields, which are written as zero (RFC 7296 §3.2: "MUST be sent as
 * zero; MUST be ignored on receipt").
 *
 * Typical use, receiving:
 *	ike_msg_classify(buf, len, port == IKE_NATT_PORT, &off) == IKE_DGRAM_IKE
 *	ike_msg_decode(&m, buf + off, len - off)           -> 0 or IKE_ERR_*
 *	(crypto opens SK) ike_msg_decode_inner(&m, plain, plain_len)
 *	ike_msg_find(&m, PL_NONCE, NULL) ...
 * sending:
 *	ike_msg_init(&m, spi_i, spi_r, EXCH_IKE_SA_INIT, flags, msg_id)
 *	p = ike_msg_add(&m, PL_SA); p->u.sa = ...
 *	ike_msg_encode(&m, buf, sizeof(buf), &len)
 */
#ifndef KB_ENGINE_IKE_MSG_H
#define KB_ENGINE_IKE_MSG_H

#include "engine/ike_err.h"
#include "ike_iana.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_MUST_CHECK __attribute__((warn_unused_result))

/* Sane bounds: a message that needs more is refused with
 * IKE_ERR_TOO_MANY_PAYLOADS / IKE_ERR_TOO_MANY_ITEMS. strongSwan's largest
 * default IKE proposal has about 60 transforms. */
enum {
	IKE_MSG_MAX_PAYLOADS = 64,
	IKE_MSG_MAX_PROPOSALS = 32,
	IKE_MSG_MAX_TRANSFORMS = 256,
	IKE_MSG_MAX_TS = 64,
	IKE_MSG_MAX_CFG_ATTRS = 64,
};

/* A byte string inside a datagram (decode) or the caller's memory (encode). */
struct ike_bytes {
	const uint8_t *ptr;
	size_t len;
};

/* RFC 7296 §3.1 IKE header. SPIs are the 8 wire bytes read big-endian. */
struct ike_hdr {
	uint64_t spi_i;
	uint64_t spi_r;
	uint8_t next_payload; /* type of the first payload */
	uint8_t version;      /* major << 4 | minor; IKE_VERSION_2 */
	uint8_t exchange;     /* enum ike_exchange_type */
	uint8_t flags;	      /* IKE_FLAG_INITIATOR | _VERSION | _RESPONSE */
	uint32_t msg_id;
	uint32_t length; /* whole message; set by the encoder */
};

/* RFC 7296 §3.3.2 transform. Attributes (§3.3.5): `key_len` is the
 * KEY_LENGTH attribute in bits, 0 when absent. `attrs` is the attribute
 * block as received; the encoder writes it verbatim when non-empty and
 * otherwise writes KEY_LENGTH from `key_len`. `n_unknown_attrs` counts
 * attribute types other than KEY_LENGTH (§3.3.6: such a transform must not
 * be selected). */
struct ike_transform {
	uint8_t type; /* enum ike_transform_type */
	uint16_t id;  /* transform ID of that type */
	uint16_t key_len;
	uint8_t n_unknown_attrs;
	struct ike_bytes attrs;
};

/* RFC 7296 §3.3.1 proposal. */
struct ike_proposal {
	uint8_t num; /* 1, 2, … in an offer; the chosen one in an answer */
	uint8_t protocol;     /* enum ike_protocol_id */
	struct ike_bytes spi; /* 0 or 8 bytes for IKE, 4 for AH/ESP */
	uint16_t n_transforms;
	const struct ike_transform *transforms;
};

struct ike_pl_sa { /* §3.3 */
	uint16_t n_proposals;
	const struct ike_proposal *proposals;
};

struct ike_pl_ke {	/* §3.4 */
	uint16_t group; /* enum ike_ke_id */
	struct ike_bytes data;
};

struct ike_pl_id {    /* §3.5, IDi and IDr */
	uint8_t type; /* enum ike_id_type */
	struct ike_bytes data;
};

struct ike_pl_cert {	       /* §3.6 CERT and §3.7 CERTREQ */
	uint8_t encoding;      /* enum ike_cert_encoding */
	struct ike_bytes data; /* CERTREQ: concatenated 20-byte SHA-1 hashes */
};

struct ike_pl_auth {	/* §3.8 */
	uint8_t method; /* enum ike_auth_method */
	struct ike_bytes data;
};

struct ike_pl_nonce { /* §3.9 */
	struct ike_bytes data;
};

struct ike_pl_notify {	      /* §3.10 */
	uint8_t protocol;     /* 0, or the protocol of the SA the SPI names */
	uint16_t type;	      /* enum ike_notify_type */
	struct ike_bytes spi; /* empty, 4 (AH/ESP) or 8 (IKE) bytes */
	struct ike_bytes data;
};

struct ike_pl_delete { /* §3.11; IKE: no SPIs; AH/ESP: 4-byte SPIs */
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t n_spis;
	struct ike_bytes
		spis; /* n_spis * spi_size bytes, see ike_msg_delete_spi */
};

struct ike_pl_vendor { /* §3.12 */
	struct ike_bytes id;
};

/* RFC 7296 §3.13.1 traffic selector. For TS_IPV4_ADDR_RANGE and
 * TS_IPV6_ADDR_RANGE, `start`/`end` are 4 or 16 address bytes and `raw` is
 * empty. For other types (TS_SECLABEL, TS_FC_ADDR_RANGE, unknown) only `raw`
 * is set: the selector body after its type and length. Start port 65535 with
 * end port 0 means OPAQUE (RFC 4301 §4.4.1). */
struct ike_ts {
	uint8_t type; /* enum ike_ts_type */
	uint8_t ip_proto;
	uint16_t start_port;
	uint16_t end_port;
	struct ike_bytes start;
	struct ike_bytes end;
	struct ike_bytes raw;
};

struct ike_pl_ts { /* §3.13, TSi and TSr */
	uint16_t n_ts;
	const struct ike_ts *ts;
};

/* RFC 7296 §3.14 Encrypted payload, kept opaque: the crypto module opens it.
 * `body` is IV || ciphertext || ICV. `first_payload` is the type of the first
 * payload inside; ike_msg_encode fills it in from the first `inner` payload
 * when left 0. On encode, a NULL `body.ptr` reserves `body.len` zero bytes
 * at the very end of the message for the caller to fill in place. */
struct ike_pl_sk {
	uint8_t first_payload;
	struct ike_bytes body;
};

/* RFC 7383 §2.5 Encrypted Fragment payload. `first_payload` is non-zero only
 * in fragment 1. Body as for SK. */
struct ike_pl_skf {
	uint8_t first_payload;
	uint16_t frag_num; /* 1 … total */
	uint16_t total;
	struct ike_bytes body;
};

struct ike_cp_attr {		/* §3.15.1; the reserved top bit is not kept */
	uint16_t type;		/* enum ike_cfg_attr */
	struct ike_bytes value; /* may be empty (a request for the attribute) */
};

struct ike_pl_cp {	  /* §3.15 */
	uint8_t cfg_type; /* enum ike_cfg_type */
	uint16_t n_attrs;
	const struct ike_cp_attr *attrs;
};

/* RFC 7296 §3.16 EAP payload: one EAP message (RFC 3748 §4). `type` is set
 * for Request/Response (code 1/2) and 0 otherwise. `data` is the whole EAP
 * message, header included, so it can be re-encoded verbatim. */
struct ike_pl_eap {
	uint8_t code;
	uint8_t identifier;
	uint8_t type;
	struct ike_bytes data;
};

/* One payload of the chain. `body` is the payload after its 4-byte generic
 * header; `off` is the offset of the generic header from the start of the
 * IKE message (the SK header is part of the AEAD associated data), or from
 * the start of the plaintext for `inner` payloads. Unknown non-critical
 * payloads are kept with only `body` set. */
struct ike_payload {
	uint8_t type; /* enum ike_payload_type */
	bool critical;
	bool inner; /* came from inside SK/SKF (ike_msg_decode_inner) */
	size_t off;
	struct ike_bytes body;
	union {
		struct ike_pl_sa sa;
		struct ike_pl_ke ke;
		struct ike_pl_id id;	 /* PL_IDI, PL_IDR */
		struct ike_pl_cert cert; /* PL_CERT, PL_CERTREQ */
		struct ike_pl_auth auth;
		struct ike_pl_nonce nonce;
		struct ike_pl_notify notify;
		struct ike_pl_delete del;
		struct ike_pl_vendor vendor;
		struct ike_pl_ts ts; /* PL_TSI, PL_TSR */
		struct ike_pl_sk sk;
		struct ike_pl_skf skf;
		struct ike_pl_cp cp;
		struct ike_pl_eap eap;
	} u;
};

/* A decoded (or to-be-encoded) IKE message. */
struct ike_msg {
	struct ike_hdr hdr;
	struct ike_bytes raw; /* the whole IKE message as decoded */
	uint16_t n_payloads;
	struct ike_payload payloads[IKE_MSG_MAX_PAYLOADS];

	/* Where a decode error was found, for logs and the notify data:
	 * err_payload is the offending payload type (the data of
	 * UNSUPPORTED_CRITICAL_PAYLOAD, RFC 7296 §3.10.1), err_off its offset
	 * in the IKE message. */
	uint8_t err_payload;
	size_t err_off;

	/* Storage for decoded lists; the payloads point into these. */
	uint16_t n_proposal_pool, n_transform_pool, n_ts_pool, n_cfg_pool;
	struct ike_proposal proposal_pool[IKE_MSG_MAX_PROPOSALS];
	struct ike_transform transform_pool[IKE_MSG_MAX_TRANSFORMS];
	struct ike_ts ts_pool[IKE_MSG_MAX_TS];
	struct ike_cp_attr cfg_pool[IKE_MSG_MAX_CFG_ATTRS];
};

/* What a UDP payload on port 500 or 4500 carries (RFC 3948 §2.2, §2.3). */
enum ike_dgram_kind {
	IKE_DGRAM_IKE,	     /* an IKE message starts at *ike_off */
	IKE_DGRAM_KEEPALIVE, /* NAT-keepalive: the single byte 0xFF */
	IKE_DGRAM_ESP,	     /* port 4500, non-zero SPI: UDP-encapsulated ESP */
	IKE_DGRAM_INVALID,   /* empty or too short to say */
};

/* Classifies a UDP payload; `natt_port` is true for port 4500, where IKE
 * follows a 4-byte zero non-ESP marker (then *ike_off = 4, else 0). */
enum ike_dgram_kind ike_msg_classify(const void *buf, size_t len,
				     bool natt_port, size_t *ike_off);

/* Decodes one IKE message (without non-ESP marker) into `m`: the header, then
 * the whole payload chain up to and including SK/SKF. Returns 0 or a
 * negative enum ike_err (IKE_ERR_*); on error m->err_payload/err_off say
 * where, and m->hdr holds whatever of the header was read (for a reply). */
int ike_msg_decode(struct ike_msg *m, const void *buf,
		   size_t len) IKE_MUST_CHECK;

/* Decodes the plaintext of m's SK payload (or of its SKF payload when it
 * is fragment 1 of 1), starting with the type in the SK's first_payload, and
 * appends those payloads to `m` with `inner` set. `plain` must outlive `m`.
 * For fragments reassembled from several messages, use
 * ike_msg_decode_chain with fragment 1's first_payload. Returns 0 or an
 * IKE_ERR_* (all are negative). */
int ike_msg_decode_inner(struct ike_msg *m, const void *plain,
			 size_t len) IKE_MUST_CHECK;

/* Decodes a bare payload chain starting with type `first` and appends it to
 * `m`, marking the payloads `inner` as asked (a reassembled SKF plaintext,
 * tests). The header in m->hdr is kept (an SA payload's numbering rules
 * depend on its R flag). Returns 0 or an IKE_ERR_*. */
int ike_msg_decode_chain(struct ike_msg *m, uint8_t first, const void *buf,
			 size_t len, bool inner) IKE_MUST_CHECK;

/* Empties `m` and sets its header for a new message (version 2.0). */
void ike_msg_init(struct ike_msg *m, uint64_t spi_i, uint64_t spi_r,
		  uint8_t exchange, uint8_t flags, uint32_t msg_id);

/* Appends an empty payload of `type` and returns it, or NULL when the
 * message already holds IKE_MSG_MAX_PAYLOADS. */
struct ike_payload *ike_msg_add(struct ike_msg *m, uint8_t type) IKE_MUST_CHECK;

/* Returns the first payload of `type` after `prev` (NULL: from the start),
 * or NULL. */
const struct ike_payload *ike_msg_find(const struct ike_msg *m, uint8_t type,
				       const struct ike_payload *prev);

/* Returns the first Notify payload of notify type `type`, or NULL. */
const struct ike_payload *ike_msg_find_notify(const struct ike_msg *m,
					      uint16_t type);

/* Returns the SPI at `i` of a Delete payload as a host integer (4-byte SPIs;
 * 0 when out of range). */
uint32_t ike_msg_delete_spi(const struct ike_pl_delete *d, uint16_t i);

/* Writes a one-line summary of `m` for logs into `buf` (always NUL
 * terminated, truncated to `cap`), e.g.
 * "IKE_SA_INIT request 0 [ SA KE Nonce N(NAT_DETECTION_SOURCE_IP) V ]";
 * payloads from inside SK are shown in braces after it: "[ SK { IDi AUTH } ]".
 * Returns `buf`. */
const char *ike_msg_summary(const struct ike_msg *m, char *buf, size_t cap);

/* Encodes `m` into `buf`: header then every payload not marked `inner`,
 * filling Length, Next Payload and every count. Writes the total into
 * *out_len (and m->hdr.length is ignored). Returns 0, IKE_ERR_NO_SPACE or
 * IKE_ERR_ENCODE (a field that does not fit its wire width, a list pointer
 * missing, a payload after SK). */
int ike_msg_encode(const struct ike_msg *m, void *buf, size_t cap,
		   size_t *out_len) IKE_MUST_CHECK;

/* Encodes the payloads of `m` marked `inner` as a bare chain (the plaintext
 * of an SK payload, before padding); the first one's type goes into the SK
 * payload's first_payload. Returns 0 or an IKE_ERR_*. */
int ike_msg_encode_inner(const struct ike_msg *m, void *buf, size_t cap,
			 size_t *out_len) IKE_MUST_CHECK;

/* Encodes `n` payloads as a bare chain, the last with Next Payload 0. */
int ike_msg_encode_chain(const struct ike_payload *p, size_t n, void *buf,
			 size_t cap, size_t *out_len) IKE_MUST_CHECK;

#endif
