/* PF_KEY v2 message builders and parsers; see pfkey_msg.h.
 *
 * Layouts are RFC 2367 §2.3 plus <linux/pfkeyv2.h>. Nothing here casts a
 * struct onto a message: fields are written and read at their offsets with
 * memcpy, after the extension's length was checked against its minimum. */
#include "kernel/pfkey_msg.h"

#include "ike_iana.h"

#include <errno.h>
#include <linux/ipsec.h>
#include <linux/pfkeyv2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ---- Reqids ----------------------------------------------------------- */

uint32_t pfkey_reqid_out(uint32_t reqid)
{
	if (!kernel_reqid_is_ours(reqid))
		return reqid;
	if (reqid - KERNEL_REQID_MIN > PFKEY_REQID_LAST - PFKEY_REQID_BASE)
		return 0;
	return PFKEY_REQID_BASE + (reqid - KERNEL_REQID_MIN);
}

uint32_t pfkey_reqid_in(uint32_t reqid)
{
	if (reqid < PFKEY_REQID_BASE || reqid > PFKEY_REQID_LAST)
		return reqid;
	return KERNEL_REQID_MIN + (reqid - PFKEY_REQID_BASE);
}

/* ---- Algorithms ------------------------------------------------------- */

struct pk_alg {
	uint16_t iana;
	uint8_t sadb;
	uint8_t key_bytes; /* integrity key size; 0 for ciphers */
};

/* Linux's PF_KEY names (pfkey_supported in net/xfrm/xfrm_algo.c); AEADs
 * have no PF_KEY number there. */
static const struct pk_alg pk_encr[] = {
	{ ENCR_AES_CBC, SADB_X_EALG_AESCBC, 0 },
	{ ENCR_AES_CTR, SADB_X_EALG_AESCTR, 0 },
	{ ENCR_3DES, SADB_EALG_3DESCBC, 0 },
	{ ENCR_NULL, SADB_EALG_NULL, 0 },
};

/* HMAC-SHA-256 is here, but Linux gives it a 96-bit ICV under PF_KEY
 * (kmod-tests/11-pfkey-sanity.sh): pfkey_msg_sa_check refuses it. */
static const struct pk_alg pk_integ[] = {
	{ AUTH_HMAC_SHA1_96, SADB_AALG_SHA1HMAC, 20 },
	{ AUTH_HMAC_SHA2_256_128, SADB_X_AALG_SHA2_256HMAC, 32 },
	{ AUTH_HMAC_SHA2_384_192, SADB_X_AALG_SHA2_384HMAC, 48 },
	{ AUTH_HMAC_SHA2_512_256, SADB_X_AALG_SHA2_512HMAC, 64 },
	{ AUTH_HMAC_MD5_96, SADB_AALG_MD5HMAC, 16 },
	{ AUTH_AES_XCBC_96, SADB_X_AALG_AES_XCBC_MAC, 16 },
};

#define PK_N(a) (sizeof(a) / sizeof((a)[0]))

static const struct pk_alg *pk_find(const struct pk_alg *t, size_t n,
				    uint16_t iana, uint8_t sadb)
{
	for (size_t i = 0; i < n; i++)
		if ((iana && t[i].iana == iana) || (sadb && t[i].sadb == sadb))
			return &t[i];
	return NULL;
}

uint8_t pfkey_alg_encr(uint16_t id)
{
	const struct pk_alg *a = pk_find(pk_encr, PK_N(pk_encr), id, 0);
	return a ? a->sadb : 0;
}

uint8_t pfkey_alg_integ(uint16_t id)
{
	const struct pk_alg *a = pk_find(pk_integ, PK_N(pk_integ), id, 0);
	return id && a ? a->sadb : 0;
}

uint16_t pfkey_alg_encr_iana(uint8_t sadb_id)
{
	const struct pk_alg *a = pk_find(pk_encr, PK_N(pk_encr), 0, sadb_id);
	return sadb_id && a ? a->iana : 0;
}

uint16_t pfkey_alg_integ_iana(uint8_t sadb_id)
{
	const struct pk_alg *a = pk_find(pk_integ, PK_N(pk_integ), 0, sadb_id);
	return sadb_id && a ? a->iana : 0;
}

/* ---- Writing ---------------------------------------------------------- */

/* Host-order and network-order stores at an offset of a zeroed area. */
static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

struct pw {
	uint8_t *buf;
	size_t cap, len;
	bool err;
};

/* Reserves `n` zeroed bytes (a multiple of 8), or NULL once full. */
static uint8_t *pw_take(struct pw *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	p = w->buf + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

/* An extension of `n` bytes (a multiple of 8) of `type`, length filled. */
static uint8_t *pw_ext(struct pw *w, size_t n, uint16_t type)
{
	uint8_t *p = pw_take(w, n);

	if (p) {
		put16(p, (uint16_t)(n / 8));
		put16(p + 2, type);
	}
	return p;
}

static struct pw pw_start(void *buf, size_t cap, uint8_t type, uint8_t satype,
			  uint32_t seq, uint32_t pid)
{
	struct pw w = { buf, cap, 0, false };
	uint8_t *h = pw_take(&w, 16);

	if (h) {
		h[0] = PF_KEY_V2;
		h[1] = type;
		h[3] = satype;
		put32(h + 8, seq);
		put32(h + 12, pid);
	}
	return w;
}

/* Fills the header's length and returns the message's, or -ENOSPC. */
static int pw_finish(struct pw *w)
{
	if (w->err || w->len / 8 > UINT16_MAX)
		return -ENOSPC;
	put16(w->buf + 4, (uint16_t)(w->len / 8));
	return (int)w->len;
}

static size_t pk_sockaddr_len(uint16_t family)
{
	return family == AF_INET    ? sizeof(struct sockaddr_in)
	       : family == AF_INET6 ? sizeof(struct sockaddr_in6)
				    : 0;
}

/* A struct sockaddr_in / sockaddr_in6 at `p` (zeroed by the caller). */
static void pk_put_sockaddr(uint8_t *p, const struct kernel_addr *a,
			    uint16_t port)
{
	put16(p, a->family);
	put_be16(p + 2, port);
	if (a->family == AF_INET)
		memcpy(p + 4, a->a.v4, 4);
	else
		memcpy(p + 8, a->a.v6, 16); /* after sin6_flowinfo */
}

/* SADB_EXT_ADDRESS_* (RFC 2367 §2.3.3). */
static void pw_addr(struct pw *w, uint16_t type, const struct kernel_addr *a,
		    uint8_t plen, uint8_t proto, uint16_t port)
{
	size_t sl = pk_sockaddr_len(a->family);
	uint8_t *p;

	if (!sl) {
		w->err = true;
		return;
	}
	p = pw_ext(w, 8 + ((sl + 7) & ~(size_t)7), type);
	if (!p)
		return;
	p[4] = proto;
	p[5] = plen;
	pk_put_sockaddr(p + 8, a, port);
}

static uint8_t pk_full_plen(uint16_t family)
{
	return family == AF_INET ? 32 : 128;
}

static void pw_lifetime(struct pw *w, uint16_t type,
			const struct kernel_lifetime *l)
{
	uint8_t *p = pw_ext(w, 32, type);

	if (!p)
		return;
	/* allocations are packets in Linux's reading (RFC 2367 §2.3.2) */
	put32(p + 4,
	      l->packets > UINT32_MAX ? UINT32_MAX : (uint32_t)l->packets);
	put64(p + 8, l->bytes);
	put64(p + 16, l->add_seconds);
	put64(p + 24, l->use_seconds);
}

static void pw_key(struct pw *w, uint16_t type, const uint8_t *key,
		   size_t bytes)
{
	uint8_t *p = pw_ext(w, 8 + ((bytes + 7) & ~(size_t)7), type);

	if (!p)
		return;
	put16(p + 4, (uint16_t)(bytes * 8));
	memcpy(p + 8, key, bytes);
}

static void pw_sa2(struct pw *w, uint8_t mode, uint32_t reqid)
{
	uint8_t *p = pw_ext(w, 16, SADB_X_EXT_SA2);

	if (!p)
		return;
	p[4] = mode == KERNEL_MODE_TUNNEL ? IPSEC_MODE_TUNNEL
					  : IPSEC_MODE_TRANSPORT;
	put32(p + 12, pfkey_reqid_out(reqid));
}

static void pw_sa(struct pw *w, uint32_t spi, uint8_t replay, uint8_t auth,
		  uint8_t encrypt, uint32_t flags)
{
	uint8_t *p = pw_ext(w, 16, SADB_EXT_SA);

	if (!p)
		return;
	put_be32(p + 4, spi);
	p[8] = replay;
	p[9] = SADB_SASTATE_MATURE;
	p[10] = auth;
	p[11] = encrypt;
	put32(p + 12, flags);
}

static uint8_t pk_satype(uint8_t proto)
{
	switch (proto) {
	case KERNEL_PROTO_ESP: return SADB_SATYPE_ESP;
	case KERNEL_PROTO_AH: return SADB_SATYPE_AH;
	case KERNEL_PROTO_COMP: return SADB_X_SATYPE_IPCOMP;
	}
	return 0;
}

static int pk_refuse(char *why, size_t len, int code, const char *fmt,
		     unsigned a, unsigned b)
{
	if (why && len)
		snprintf(why, len, fmt, a, b);
	return code;
}

static int pk_check_id(const struct kernel_sa_id *id, char *why, size_t len)
{
	if (!pk_sockaddr_len(id->dst.family) ||
	    id->src.family != id->dst.family)
		return pk_refuse(why, len, -EINVAL,
				 "PF_KEY needs source and destination of one "
				 "family (got %u and %u)",
				 id->src.family, id->dst.family);
	if (!pk_satype(id->proto))
		return pk_refuse(why, len, -EINVAL,
				 "IPsec protocol %u has no PF_KEY type%.0u",
				 id->proto, 0);
	if (id->mark.mask || id->if_id)
		return pk_refuse(why, len, -EINVAL,
				 "PF_KEY cannot carry marks or interface IDs "
				 "(mark mask 0x%x, if_id %u)",
				 id->mark.mask, id->if_id);
	return 0;
}

/* Cipher key bytes as PF_KEY wants them (AES-CTR carries its nonce). */
static int pk_check_encr(const struct kernel_sa *sa, char *why, size_t len)
{
	unsigned n = sa->enc_key_len, bits = sa->encr_key_bits;

	switch (sa->encr_id) {
	case ENCR_AES_CBC:
	case ENCR_AES_CTR: {
		unsigned key = n - (sa->encr_id == ENCR_AES_CTR ? 4 : 0);
		if (n < 4 || (key != 16 && key != 24 && key != 32) ||
		    (bits && bits != key * 8))
			return pk_refuse(why, len, -EINVAL,
					 "AES key of %u bytes for %u bits", n,
					 bits);
		return 0;
	}
	case ENCR_3DES:
		return n == 24 ? 0
			       : pk_refuse(why, len, -EINVAL,
					   "3DES needs a 24-byte key, got "
					   "%u%.0u",
					   n, 0);
	case ENCR_NULL:
		return n == 0 ? 0
			      : pk_refuse(why, len, -EINVAL,
					  "ENCR_NULL takes no key, got %u "
					  "bytes%.0u",
					  n, 0);
	}
	return pk_refuse(why, len, -ENOPROTOOPT,
			 "encryption transform %u has no PF_KEY number (no "
			 "AEAD ciphers in PF_KEY on Linux)%.0u",
			 sa->encr_id, 0);
}

int pfkey_msg_sa_check(const struct kernel_sa *sa, char *why, size_t len)
{
	const struct pk_alg *ia;
	int r = pk_check_id(&sa->id, why, len);

	if (r)
		return r;
	if (sa->esn)
		return pk_refuse(why, len, -EINVAL,
				 "PF_KEY cannot install extended sequence "
				 "numbers%.0u%.0u",
				 0, 0);
	if (sa->replay_window > 32)
		return pk_refuse(why, len, -EINVAL,
				 "replay window of %u packets, PF_KEY on Linux "
				 "holds at most 32%.0u",
				 sa->replay_window, 0);
	if (sa->mode != KERNEL_MODE_TRANSPORT && sa->mode != KERNEL_MODE_TUNNEL)
		return pk_refuse(why, len, -EINVAL, "mode %u%.0u", sa->mode, 0);
	if (!pfkey_reqid_out(sa->reqid) && sa->reqid)
		return pk_refuse(why, len, -ERANGE,
				 "reqid 0x%08x has no PF_KEY form (at most "
				 "%u of keybridge's reqids fit)",
				 sa->reqid,
				 PFKEY_REQID_LAST - PFKEY_REQID_BASE + 1);
	if (sa->encap.type && sa->encap.type != KERNEL_ENCAP_ESPINUDP)
		return pk_refuse(why, len, -EINVAL, "encapsulation type %u%.0u",
				 sa->encap.type, 0);
	r = pk_check_encr(sa, why, len);
	if (r)
		return r;
	if (sa->integ_id == AUTH_NONE)
		return sa->encr_id == ENCR_NULL
			       ? pk_refuse(why, len, -EINVAL,
					   "neither encryption nor "
					   "integrity%.0u%.0u",
					   0, 0)
			       : 0;
	if (sa->integ_id == AUTH_HMAC_SHA2_256_128)
		return pk_refuse(why, len, -ENOPROTOOPT,
				 "Linux gives HMAC-SHA-256 a 96-bit ICV under "
				 "PF_KEY, not RFC 4868's 128 (transform "
				 "%u)%.0u",
				 sa->integ_id, 0);
	ia = pk_find(pk_integ, PK_N(pk_integ), sa->integ_id, 0);
	if (!ia)
		return pk_refuse(why, len, -ENOPROTOOPT,
				 "integrity transform %u has no PF_KEY "
				 "number%.0u",
				 sa->integ_id, 0);
	if (sa->integ_key_len != ia->key_bytes)
		return pk_refuse(why, len, -EINVAL,
				 "integrity key of %u bytes, %u expected",
				 sa->integ_key_len, ia->key_bytes);
	return 0;
}

/* ---- Builders --------------------------------------------------------- */

int pfkey_msg_register(void *buf, size_t cap, uint32_t seq, uint32_t pid)
{
	struct pw w =
		pw_start(buf, cap, SADB_REGISTER, SADB_SATYPE_ESP, seq, pid);
	return pw_finish(&w);
}

static void pw_sa_addrs(struct pw *w, const struct kernel_sa_id *id)
{
	pw_addr(w, SADB_EXT_ADDRESS_SRC, &id->src, pk_full_plen(id->src.family),
		0, 0);
	pw_addr(w, SADB_EXT_ADDRESS_DST, &id->dst, pk_full_plen(id->dst.family),
		0, 0);
}

int pfkey_msg_spi_alloc(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			const struct kernel_sa_id *id, uint8_t mode,
			uint32_t reqid, uint32_t min, uint32_t max)
{
	struct pw w;
	uint8_t *p;

	if (pk_check_id(id, NULL, 0) || min > max ||
	    (reqid && !pfkey_reqid_out(reqid)))
		return -EINVAL;
	w = pw_start(buf, cap, SADB_GETSPI, pk_satype(id->proto), seq, pid);
	pw_sa2(&w, mode, reqid);
	pw_sa_addrs(&w, id);
	p = pw_ext(&w, 16, SADB_EXT_SPIRANGE);
	if (p) {
		put32(p + 4, min);
		put32(p + 8, max);
	}
	return pw_finish(&w);
}

static uint32_t pk_sa_flags(uint32_t f)
{
	return (f & KERNEL_SA_F_DECAP_DSCP ? SADB_SAFLAGS_DECAP_DSCP : 0) |
	       (f & KERNEL_SA_F_NOPMTUDISC ? SADB_SAFLAGS_NOPMTUDISC : 0);
}

static void pw_natt(struct pw *w, const struct kernel_encap *e)
{
	uint8_t *p = pw_ext(w, 8, SADB_X_EXT_NAT_T_TYPE);

	if (p)
		p[4] = e->type;
	p = pw_ext(w, 8, SADB_X_EXT_NAT_T_SPORT);
	if (p)
		put_be16(p + 4, e->sport);
	p = pw_ext(w, 8, SADB_X_EXT_NAT_T_DPORT);
	if (p)
		put_be16(p + 4, e->dport);
	if (e->oa.family)
		pw_addr(w, SADB_X_EXT_NAT_T_OA, &e->oa,
			pk_full_plen(e->oa.family), 0, 0);
}

int pfkey_msg_sa_add(void *buf, size_t cap, uint32_t seq, uint32_t pid,
		     const struct kernel_sa *sa, bool update)
{
	struct pw w;
	int r = pfkey_msg_sa_check(sa, NULL, 0);

	if (r)
		return r;
	w = pw_start(buf, cap, update ? SADB_UPDATE : SADB_ADD,
		     pk_satype(sa->id.proto), seq, pid);
	pw_sa(&w, sa->id.spi, (uint8_t)sa->replay_window,
	      pfkey_alg_integ(sa->integ_id), pfkey_alg_encr(sa->encr_id),
	      pk_sa_flags(sa->flags));
	/* Linux wants both lifetimes or neither; 0 means no limit. */
	pw_lifetime(&w, SADB_EXT_LIFETIME_HARD, &sa->hard);
	pw_lifetime(&w, SADB_EXT_LIFETIME_SOFT, &sa->soft);
	pw_sa_addrs(&w, &sa->id);
	if (sa->integ_id != AUTH_NONE)
		pw_key(&w, SADB_EXT_KEY_AUTH, sa->integ_key, sa->integ_key_len);
	/* ESP always carries an encryption key extension, NULL's empty. */
	pw_key(&w, SADB_EXT_KEY_ENCRYPT, sa->enc_key, sa->enc_key_len);
	pw_sa2(&w, sa->mode, sa->reqid);
	if (sa->encap.type)
		pw_natt(&w, &sa->encap);
	return pw_finish(&w);
}

static int pk_sa_id_msg(void *buf, size_t cap, uint8_t type, uint32_t seq,
			uint32_t pid, const struct kernel_sa_id *id)
{
	struct pw w;

	if (pk_check_id(id, NULL, 0))
		return -EINVAL;
	w = pw_start(buf, cap, type, pk_satype(id->proto), seq, pid);
	pw_sa(&w, id->spi, 0, 0, 0, 0);
	pw_sa_addrs(&w, id);
	return pw_finish(&w);
}

int pfkey_msg_sa_del(void *buf, size_t cap, uint32_t seq, uint32_t pid,
		     const struct kernel_sa_id *id)
{
	return pk_sa_id_msg(buf, cap, SADB_DELETE, seq, pid, id);
}

int pfkey_msg_sa_get(void *buf, size_t cap, uint32_t seq, uint32_t pid,
		     const struct kernel_sa_id *id)
{
	return pk_sa_id_msg(buf, cap, SADB_GET, seq, pid, id);
}

int pfkey_msg_sa_dump(void *buf, size_t cap, uint32_t seq, uint32_t pid)
{
	struct pw w = pw_start(buf, cap, SADB_DUMP, SADB_SATYPE_ESP, seq, pid);
	return pw_finish(&w);
}

int pfkey_msg_policy_dump(void *buf, size_t cap, uint32_t seq, uint32_t pid)
{
	struct pw w = pw_start(buf, cap, SADB_X_SPDDUMP, SADB_SATYPE_UNSPEC,
			       seq, pid);
	return pw_finish(&w);
}

static int pk_check_policy(const struct kernel_policy *p)
{
	const struct kernel_selector *s = &p->sel;

	if (!pk_sockaddr_len(s->family) || p->dir > KERNEL_DIR_FWD ||
	    p->n_tmpl > KERNEL_TMPL_MAX || p->mark.mask || p->if_id ||
	    s->ifindex)
		return -EINVAL;
	if ((s->src.family && s->src.family != s->family) ||
	    (s->dst.family && s->dst.family != s->family) ||
	    s->src_plen > pk_full_plen(s->family) ||
	    s->dst_plen > pk_full_plen(s->family))
		return -EINVAL;
	for (unsigned i = 0; i < p->n_tmpl; i++) {
		const struct kernel_tmpl *t = &p->tmpl[i];

		if (!pk_satype(t->proto) ||
		    (t->reqid && !pfkey_reqid_out(t->reqid)))
			return -EINVAL;
		if (t->mode == KERNEL_MODE_TUNNEL &&
		    (!pk_sockaddr_len(t->src.family) ||
		     t->src.family != t->dst.family))
			return -EINVAL;
		if (t->mode != KERNEL_MODE_TUNNEL &&
		    t->mode != KERNEL_MODE_TRANSPORT)
			return -EINVAL;
	}
	return 0;
}

/* The selector as two address extensions (Linux reads the protocol from
 * each and the ports from the sockaddrs). */
static void pw_selector(struct pw *w, const struct kernel_selector *s)
{
	uint8_t proto = s->proto ? s->proto : IPSEC_PROTO_ANY;
	struct kernel_addr src = s->src, dst = s->dst;

	src.family = dst.family = s->family; /* "any" is 0.0.0.0/0 */
	pw_addr(w, SADB_EXT_ADDRESS_SRC, &src, s->src_plen, proto, s->sport);
	pw_addr(w, SADB_EXT_ADDRESS_DST, &dst, s->dst_plen, proto, s->dport);
}

static void pw_request(struct pw *w, uint8_t *pol, const struct kernel_tmpl *t)
{
	bool tunnel = t->mode == KERNEL_MODE_TUNNEL;
	size_t sl = tunnel ? pk_sockaddr_len(t->src.family) : 0;
	size_t n = 16 + 2 * sl; /* 48 or 72: already a multiple of 8 */
	uint8_t *p = pw_take(w, n);

	if (!p)
		return;
	put16(p, (uint16_t)n); /* in bytes, unlike every other length */
	put16(p + 2, t->proto);
	p[4] = tunnel ? IPSEC_MODE_TUNNEL : IPSEC_MODE_TRANSPORT;
	p[5] = t->optional ? IPSEC_LEVEL_USE
	       : t->reqid  ? IPSEC_LEVEL_UNIQUE
			   : IPSEC_LEVEL_REQUIRE;
	put32(p + 8, pfkey_reqid_out(t->reqid));
	if (tunnel) {
		pk_put_sockaddr(p + 16, &t->src, 0);
		pk_put_sockaddr(p + 16 + sl, &t->dst, 0);
	}
	{
		uint16_t words; /* X_POLICY's length grows by the request */

		memcpy(&words, pol, 2);
		put16(pol, (uint16_t)(words + n / 8));
	}
}

/* SADB_X_EXT_POLICY and its ipsecrequests. */
static void pw_policy(struct pw *w, const struct kernel_policy *p,
		      uint32_t index)
{
	uint8_t *pol = pw_ext(w, 16, SADB_X_EXT_POLICY);
	size_t at = w->len - 16;

	if (!pol)
		return;
	put16(pol + 4, p->action == KERNEL_ACTION_BLOCK ? IPSEC_POLICY_DISCARD
		       : p->n_tmpl			? IPSEC_POLICY_IPSEC
							: IPSEC_POLICY_NONE);
	pol[6] = (uint8_t)(p->dir + 1); /* IPSEC_DIR_INBOUND = 1 … */
	put32(pol + 8, index);
	put32(pol + 12, p->priority);
	for (unsigned i = 0; i < p->n_tmpl && p->action != KERNEL_ACTION_BLOCK;
	     i++)
		pw_request(w, w->buf + at, &p->tmpl[i]);
}

static bool pk_lifetime_set(const struct kernel_lifetime *l)
{
	return l->bytes || l->packets || l->add_seconds || l->use_seconds;
}

int pfkey_msg_policy_add(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			 const struct kernel_policy *p, bool update)
{
	struct pw w;

	if (pk_check_policy(p))
		return -EINVAL;
	w = pw_start(buf, cap, update ? SADB_X_SPDUPDATE : SADB_X_SPDADD,
		     SADB_SATYPE_UNSPEC, seq, pid);
	pw_selector(&w, &p->sel);
	if (pk_lifetime_set(&p->hard) || pk_lifetime_set(&p->soft)) {
		pw_lifetime(&w, SADB_EXT_LIFETIME_HARD, &p->hard);
		pw_lifetime(&w, SADB_EXT_LIFETIME_SOFT, &p->soft);
	}
	pw_policy(&w, p, p->index);
	return pw_finish(&w);
}

int pfkey_msg_policy_del(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			 const struct kernel_policy *p)
{
	struct kernel_policy bare = { .dir = p->dir, .action = p->action };
	struct pw w;

	if (p->index) {
		w = pw_start(buf, cap, SADB_X_SPDDELETE2, SADB_SATYPE_UNSPEC,
			     seq, pid);
		pw_policy(&w, &bare, p->index);
		return pw_finish(&w);
	}
	if (pk_check_policy(p))
		return -EINVAL;
	w = pw_start(buf, cap, SADB_X_SPDDELETE, SADB_SATYPE_UNSPEC, seq, pid);
	pw_selector(&w, &p->sel);
	pw_policy(&w, &bare, 0);
	return pw_finish(&w);
}

int pfkey_msg_policy_get(void *buf, size_t cap, uint32_t seq, uint32_t pid,
			 uint32_t index)
{
	struct kernel_policy bare = { .dir = (uint8_t)(index & 7) };
	struct pw w =
		pw_start(buf, cap, SADB_X_SPDGET, SADB_SATYPE_UNSPEC, seq, pid);

	pw_policy(&w, &bare, index);
	return pw_finish(&w);
}

int pfkey_msg_socket_bypass(void *buf, size_t cap, uint8_t dir)
{
	struct pw w = { buf, cap, 0, false };
	uint8_t *p;

	if (dir != KERNEL_DIR_IN && dir != KERNEL_DIR_OUT)
		return -EINVAL;
	p = pw_ext(&w, 16, SADB_X_EXT_POLICY);
	if (!p)
		return -ENOSPC;
	put16(p + 4, IPSEC_POLICY_BYPASS);
	p[6] = (uint8_t)(dir + 1);
	return (int)w.len;
}

/* ---- Reading ---------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

struct pk_ext {
	const uint8_t *p;
	size_t len;
};

struct pk_msg {
	struct pfkey_hdr h;
	struct pk_ext ext[SADB_EXT_MAX + 1];
};

/* Smallest valid size of each extension we read (RFC 2367 §2.3). */
static size_t pk_ext_min(uint16_t type)
{
	switch (type) {
	case SADB_EXT_SA:
	case SADB_EXT_SPIRANGE:
	case SADB_X_EXT_POLICY:
	case SADB_X_EXT_SA2: return 16;
	case SADB_EXT_LIFETIME_CURRENT:
	case SADB_EXT_LIFETIME_HARD:
	case SADB_EXT_LIFETIME_SOFT: return 32;
	}
	return 8;
}

/* Splits a message into its header and extensions; every length checked,
 * an extension twice is malformed, one we do not know is skipped. */
static int pk_split(const void *buf, size_t len, struct pk_msg *m)
{
	const uint8_t *p = buf;
	size_t off = 16;

	memset(m, 0, sizeof(*m));
	if (len < 16 || len % 8 || p[0] != PF_KEY_V2 ||
	    (size_t)get16(p + 4) * 8 != len)
		return -EBADMSG;
	m->h.type = p[1];
	m->h.errno_ = p[2];
	m->h.satype = p[3];
	m->h.seq = get32(p + 8);
	m->h.pid = get32(p + 12);
	while (off < len) {
		size_t n = (size_t)get16(p + off) * 8;
		uint16_t type = get16(p + off + 2);

		if (n == 0 || n > len - off || type == SADB_EXT_RESERVED)
			return -EBADMSG;
		if (type <= SADB_EXT_MAX) {
			if (m->ext[type].p || n < pk_ext_min(type))
				return -EBADMSG;
			m->ext[type] = (struct pk_ext){ p + off, n };
		}
		off += n;
	}
	return 0;
}

int pfkey_msg_parse_hdr(const void *buf, size_t len, struct pfkey_hdr *out)
{
	struct pk_msg m;
	int r = pk_split(buf, len, &m);

	if (!r)
		*out = m.h;
	return r;
}

/* A struct sockaddr_in / sockaddr_in6 in `avail` bytes at `p`; returns
 * its length or -EBADMSG. */
static int pk_get_sockaddr(const uint8_t *p, size_t avail,
			   struct kernel_addr *a, uint16_t *port)
{
	uint16_t family;
	size_t sl;

	memset(a, 0, sizeof(*a));
	if (avail < 2)
		return -EBADMSG;
	family = get16(p);
	sl = pk_sockaddr_len(family);
	if (!sl || avail < sl)
		return -EBADMSG;
	a->family = family;
	if (family == AF_INET)
		memcpy(a->a.v4, p + 4, 4);
	else
		memcpy(a->a.v6, p + 8, 16);
	if (port)
		*port = get_be16(p + 2);
	return (int)sl;
}

/* An address extension: family, address, port, prefix length, protocol
 * (IPSEC_PROTO_ANY as 0). */
static int pk_get_addr(const struct pk_ext *e, struct kernel_addr *a,
		       uint16_t *port, uint8_t *plen, uint8_t *proto)
{
	memset(a, 0, sizeof(*a));
	if (!e->p || pk_get_sockaddr(e->p + 8, e->len - 8, a, port) < 0 ||
	    e->p[5] > pk_full_plen(a->family))
		return -EBADMSG;
	if (plen)
		*plen = e->p[5];
	if (proto)
		*proto = e->p[4] == IPSEC_PROTO_ANY ? 0 : e->p[4];
	return 0;
}

static void pk_get_lifetime(const struct pk_ext *e, struct kernel_lifetime *l)
{
	memset(l, 0, sizeof(*l));
	if (!e->p)
		return;
	l->packets = get32(e->p + 4);
	l->bytes = get64(e->p + 8);
	l->add_seconds = get64(e->p + 16);
	l->use_seconds = get64(e->p + 24);
}

static uint8_t pk_proto(uint8_t satype)
{
	switch (satype) {
	case SADB_SATYPE_ESP: return KERNEL_PROTO_ESP;
	case SADB_SATYPE_AH: return KERNEL_PROTO_AH;
	case SADB_X_SATYPE_IPCOMP: return KERNEL_PROTO_COMP;
	}
	return 0;
}

static uint8_t pk_mode_in(uint8_t mode)
{
	return mode == IPSEC_MODE_TUNNEL ? KERNEL_MODE_TUNNEL
					 : KERNEL_MODE_TRANSPORT;
}

/* id (SA + addresses) of an SA message. */
static int pk_get_sa_id(const struct pk_msg *m, struct kernel_sa_id *id)
{
	const struct pk_ext *sa = &m->ext[SADB_EXT_SA];

	memset(id, 0, sizeof(*id));
	if (!sa->p ||
	    pk_get_addr(&m->ext[SADB_EXT_ADDRESS_SRC], &id->src, NULL, NULL,
			NULL) ||
	    pk_get_addr(&m->ext[SADB_EXT_ADDRESS_DST], &id->dst, NULL, NULL,
			NULL) ||
	    id->src.family != id->dst.family)
		return -EBADMSG;
	id->spi = get_be32(sa->p + 4);
	id->proto = pk_proto(m->h.satype);
	return id->proto ? 0 : -EBADMSG;
}

static void pk_get_stats(const struct pk_msg *m, struct kernel_sa_stats *st)
{
	const struct pk_ext *sa = &m->ext[SADB_EXT_SA];
	const struct pk_ext *sa2 = &m->ext[SADB_X_EXT_SA2];
	struct kernel_lifetime cur;

	memset(st, 0, sizeof(*st));
	pk_get_lifetime(&m->ext[SADB_EXT_LIFETIME_CURRENT], &cur);
	st->packets = cur.packets;
	st->bytes = cur.bytes;
	st->add_time = cur.add_seconds;
	st->use_time = cur.use_seconds;
	st->replay_window = sa->p[8];
	st->encr_id = pfkey_alg_encr_iana(sa->p[11]);
	st->integ_id = pfkey_alg_integ_iana(sa->p[10]);
	if (sa2->p) {
		st->mode = pk_mode_in(sa2->p[4]);
		st->reqid = pfkey_reqid_in(get32(sa2->p + 12));
	}
}

static bool pk_is_sa_msg(uint8_t type)
{
	switch (type) {
	case SADB_GETSPI:
	case SADB_UPDATE:
	case SADB_ADD:
	case SADB_DELETE:
	case SADB_GET:
	case SADB_EXPIRE:
	case SADB_DUMP: return true;
	}
	return false;
}

static void pk_get_natt(const struct pk_msg *m, struct kernel_encap *e)
{
	const struct pk_ext *t = &m->ext[SADB_X_EXT_NAT_T_TYPE];
	const struct pk_ext *s = &m->ext[SADB_X_EXT_NAT_T_SPORT];
	const struct pk_ext *d = &m->ext[SADB_X_EXT_NAT_T_DPORT];

	memset(e, 0, sizeof(*e));
	if (!t->p)
		return;
	e->type = t->p[4];
	e->sport = s->p ? get_be16(s->p + 4) : 0;
	e->dport = d->p ? get_be16(d->p + 4) : 0;
	if (m->ext[SADB_X_EXT_NAT_T_OA].p &&
	    pk_get_addr(&m->ext[SADB_X_EXT_NAT_T_OA], &e->oa, NULL, NULL, NULL))
		memset(&e->oa, 0, sizeof(e->oa));
}

int pfkey_msg_parse_sa(const void *buf, size_t len, struct kernel_sa_id *id,
		       struct kernel_sa_stats *stats, struct kernel_sa *sa)
{
	struct pk_msg m;
	int r = pk_split(buf, len, &m);

	if (r)
		return r;
	if (!pk_is_sa_msg(m.h.type) || m.h.errno_)
		return -ENOMSG;
	r = pk_get_sa_id(&m, id);
	if (r)
		return r;
	pk_get_stats(&m, stats);
	if (!sa)
		return 0;
	memset(sa, 0, sizeof(*sa));
	sa->id = *id;
	sa->mode = stats->mode;
	sa->reqid = stats->reqid;
	sa->encr_id = stats->encr_id;
	sa->integ_id = stats->integ_id;
	sa->replay_window = stats->replay_window;
	sa->flags = (get32(m.ext[SADB_EXT_SA].p + 12) & SADB_SAFLAGS_DECAP_DSCP
			     ? KERNEL_SA_F_DECAP_DSCP
			     : 0) |
		    (get32(m.ext[SADB_EXT_SA].p + 12) & SADB_SAFLAGS_NOPMTUDISC
			     ? KERNEL_SA_F_NOPMTUDISC
			     : 0);
	pk_get_lifetime(&m.ext[SADB_EXT_LIFETIME_HARD], &sa->hard);
	pk_get_lifetime(&m.ext[SADB_EXT_LIFETIME_SOFT], &sa->soft);
	pk_get_natt(&m, &sa->encap);
	return 0;
}

/* The ipsecrequests after X_POLICY's 16 bytes, each consumed exactly. */
static int pk_get_requests(const struct pk_ext *e, struct kernel_policy *p)
{
	size_t off = 16;

	while (off < e->len) {
		const uint8_t *q = e->p + off;
		size_t n = e->len - off < 16 ? 0 : get16(q);
		struct kernel_tmpl *t = &p->tmpl[p->n_tmpl];

		if (n < 16 || n > e->len - off || p->n_tmpl >= KERNEL_TMPL_MAX)
			return -EBADMSG;
		memset(t, 0, sizeof(*t));
		t->proto = (uint8_t)get16(q + 2);
		t->mode = pk_mode_in(q[4]);
		t->optional = q[5] == IPSEC_LEVEL_USE;
		t->reqid = pfkey_reqid_in(get32(q + 8));
		if (q[4] == IPSEC_MODE_TUNNEL) {
			/* the endpoints: two sockaddrs of one family */
			int sl = pk_get_sockaddr(q + 16, n - 16, &t->src, NULL);

			if (sl < 0 ||
			    pk_get_sockaddr(q + 16 + sl, n - 16 - (size_t)sl,
					    &t->dst, NULL) != sl ||
			    t->src.family != t->dst.family)
				return -EBADMSG;
		}
		p->n_tmpl++;
		off += n;
	}
	return 0;
}

int pfkey_msg_parse_policy(const void *buf, size_t len, struct kernel_policy *p)
{
	const struct pk_ext *pol;
	struct pk_msg m;
	struct kernel_selector *s = &p->sel;
	uint8_t proto_d = 0;
	int r = pk_split(buf, len, &m);

	if (r)
		return r;
	switch (m.h.type) {
	case SADB_X_SPDADD:
	case SADB_X_SPDUPDATE:
	case SADB_X_SPDDELETE:
	case SADB_X_SPDGET:
	case SADB_X_SPDDUMP:
	case SADB_X_SPDDELETE2: break;
	default: return -ENOMSG;
	}
	if (m.h.errno_)
		return -ENOMSG;
	memset(p, 0, sizeof(*p));
	pol = &m.ext[SADB_X_EXT_POLICY];
	if (!pol->p || pol->p[6] < IPSEC_DIR_INBOUND ||
	    pol->p[6] > IPSEC_DIR_FWD)
		return -EBADMSG;
	if (pk_get_addr(&m.ext[SADB_EXT_ADDRESS_SRC], &s->src, &s->sport,
			&s->src_plen, &s->proto) ||
	    pk_get_addr(&m.ext[SADB_EXT_ADDRESS_DST], &s->dst, &s->dport,
			&s->dst_plen, &proto_d) ||
	    s->src.family != s->dst.family)
		return -EBADMSG;
	s->family = s->src.family;
	if (!s->proto)
		s->proto = proto_d;
	p->dir = (uint8_t)(pol->p[6] - 1);
	p->action = get16(pol->p + 4) == IPSEC_POLICY_DISCARD
			    ? KERNEL_ACTION_BLOCK
			    : KERNEL_ACTION_ALLOW;
	p->index = get32(pol->p + 8);
	p->priority = get32(pol->p + 12);
	pk_get_lifetime(&m.ext[SADB_EXT_LIFETIME_HARD], &p->hard);
	pk_get_lifetime(&m.ext[SADB_EXT_LIFETIME_SOFT], &p->soft);
	return pk_get_requests(pol, p);
}

static int pk_acquire(const struct pk_msg *m, struct kernel_acquire *a)
{
	const struct pk_ext *pol = &m->ext[SADB_X_EXT_POLICY];

	memset(a, 0, sizeof(*a));
	if (!pol->p ||
	    pk_get_addr(&m->ext[SADB_EXT_ADDRESS_SRC], &a->src, NULL, NULL,
			NULL) ||
	    pk_get_addr(&m->ext[SADB_EXT_ADDRESS_DST], &a->dst, NULL, NULL,
			NULL) ||
	    pol->p[6] < IPSEC_DIR_INBOUND || pol->p[6] > IPSEC_DIR_FWD)
		return -EBADMSG;
	a->policy_index = get32(pol->p + 8);
	a->policy_dir = (uint8_t)(pol->p[6] - 1);
	a->tmpl.proto = pk_proto(m->h.satype);
	a->tmpl.src = a->src;
	a->tmpl.dst = a->dst;
	a->seq = m->h.seq;
	return 0;
}

static int pk_expire(const struct pk_msg *m, struct kernel_expire *x)
{
	int r;

	memset(x, 0, sizeof(*x));
	r = pk_get_sa_id(m, &x->id);
	if (r)
		return r;
	/* RFC 2367 §3.1.6: the lifetime that was reached is included. */
	if (!m->ext[SADB_EXT_LIFETIME_HARD].p &&
	    !m->ext[SADB_EXT_LIFETIME_SOFT].p)
		return -EBADMSG;
	x->hard = m->ext[SADB_EXT_LIFETIME_HARD].p != NULL;
	pk_get_stats(m, &x->stats);
	return 0;
}

/* HDR | SA | ADDRESS_SRC (old) | NAT_T_SPORT (old) | ADDRESS_DST (new) |
 * NAT_T_DPORT (new), as Linux sends it. */
static int pk_mapping(const struct pk_msg *m, struct kernel_mapping *x)
{
	const struct pk_ext *sp = &m->ext[SADB_X_EXT_NAT_T_SPORT];
	const struct pk_ext *dp = &m->ext[SADB_X_EXT_NAT_T_DPORT];

	memset(x, 0, sizeof(*x));
	if (!m->ext[SADB_EXT_SA].p || !sp->p || !dp->p ||
	    pk_get_addr(&m->ext[SADB_EXT_ADDRESS_SRC], &x->old_addr, NULL, NULL,
			NULL) ||
	    pk_get_addr(&m->ext[SADB_EXT_ADDRESS_DST], &x->new_addr, NULL, NULL,
			NULL))
		return -EBADMSG;
	x->id.spi = get_be32(m->ext[SADB_EXT_SA].p + 4);
	x->id.proto = pk_proto(m->h.satype);
	x->id.src = x->old_addr;
	x->old_port = get_be16(sp->p + 4);
	x->new_port = get_be16(dp->p + 4);
	return 0;
}

int pfkey_msg_parse_event(const void *buf, size_t len, struct kernel_event *ev)
{
	struct pk_msg m;
	int r = pk_split(buf, len, &m);

	if (r)
		return r;
	memset(ev, 0, sizeof(*ev));
	if (m.h.errno_)
		return -ENOMSG;
	switch (m.h.type) {
	case SADB_ACQUIRE:
		ev->type = KERNEL_EV_ACQUIRE;
		return pk_acquire(&m, &ev->u.acquire);
	case SADB_EXPIRE:
		ev->type = KERNEL_EV_EXPIRE;
		return pk_expire(&m, &ev->u.expire);
	case SADB_X_NAT_T_NEW_MAPPING:
		ev->type = KERNEL_EV_MAPPING;
		return pk_mapping(&m, &ev->u.mapping);
	}
	return -ENOMSG;
}

/* One SADB_EXT_SUPPORTED_* list into `ids`. */
static int pk_supported(const struct pk_ext *e, bool integ, uint16_t *ids,
			uint8_t *n)
{
	*n = 0;
	if (!e->p)
		return 0;
	for (size_t off = 8; off + 8 <= e->len; off += 8) {
		uint8_t id = e->p[off];
		uint16_t iana = integ ? pfkey_alg_integ_iana(id)
				      : pfkey_alg_encr_iana(id);

		if (iana && *n < KERNEL_CAPS_ALGS)
			ids[(*n)++] = iana;
	}
	return 0;
}

int pfkey_msg_parse_supported(const void *buf, size_t len,
			      struct kernel_caps *caps)
{
	struct pk_msg m;
	int r = pk_split(buf, len, &m);

	if (r)
		return r;
	if (m.h.type != SADB_REGISTER || m.h.errno_)
		return -ENOMSG;
	pk_supported(&m.ext[SADB_EXT_SUPPORTED_AUTH], true, caps->integ,
		     &caps->n_integ);
	return pk_supported(&m.ext[SADB_EXT_SUPPORTED_ENCRYPT], false,
			    caps->encr, &caps->n_encr);
}

const char *pfkey_msg_type_name(uint8_t type)
{
	static const char *const names[] = {
		[SADB_GETSPI] = "GETSPI",
		[SADB_UPDATE] = "UPDATE",
		[SADB_ADD] = "ADD",
		[SADB_DELETE] = "DELETE",
		[SADB_GET] = "GET",
		[SADB_ACQUIRE] = "ACQUIRE",
		[SADB_REGISTER] = "REGISTER",
		[SADB_EXPIRE] = "EXPIRE",
		[SADB_FLUSH] = "FLUSH",
		[SADB_DUMP] = "DUMP",
		[SADB_X_PROMISC] = "X_PROMISC",
		[SADB_X_PCHANGE] = "X_PCHANGE",
		[SADB_X_SPDUPDATE] = "X_SPDUPDATE",
		[SADB_X_SPDADD] = "X_SPDADD",
		[SADB_X_SPDDELETE] = "X_SPDDELETE",
		[SADB_X_SPDGET] = "X_SPDGET",
		[SADB_X_SPDACQUIRE] = "X_SPDACQUIRE",
		[SADB_X_SPDDUMP] = "X_SPDDUMP",
		[SADB_X_SPDFLUSH] = "X_SPDFLUSH",
		[SADB_X_SPDSETIDX] = "X_SPDSETIDX",
		[SADB_X_SPDEXPIRE] = "X_SPDEXPIRE",
		[SADB_X_SPDDELETE2] = "X_SPDDELETE2",
		[SADB_X_NAT_T_NEW_MAPPING] = "X_NAT_T_NEW_MAPPING",
		[SADB_X_MIGRATE] = "X_MIGRATE",
	};

	return type < PK_N(names) && names[type] ? names[type] : "?";
}
