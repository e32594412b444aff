/* XFRM netlink message builders and parsers: pure functions over buffers.
 *
 * The kernel's XFRM structs are host-endian C structs with fixed layouts
 * (<linux/xfrm.h>); the only network-order fields are SPIs and ports. We fill
 * local structs and copy them in with libmnl, and copy payloads out into
 * local structs after checking their length, never casting a pointer into a
 * received buffer to a struct.
 */
#include "kernel/xfrm_msg.h"

#include "ike_iana.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Algorithms ------------------------------------------------------ */

/* Kernel crypto API names, as iproute2 and strongSwan pass them. AEADs:
 * RFC 4106 (GCM, 4-byte salt), RFC 4309 (CCM, 3-byte salt), RFC 4543 (GMAC),
 * RFC 7634 (ChaCha20-Poly1305, 4-byte salt). CTR: RFC 3686 (4-byte nonce). */
static const struct xfrm_alg_info encr_algs[] = {
	{ ENCR_AES_GCM_16, "rfc4106(gcm(aes))", 128, 4, 0, true },
	{ ENCR_AES_GCM_12, "rfc4106(gcm(aes))", 96, 4, 0, true },
	{ ENCR_AES_GCM_8, "rfc4106(gcm(aes))", 64, 4, 0, true },
	{ ENCR_AES_CCM_16, "rfc4309(ccm(aes))", 128, 3, 0, true },
	{ ENCR_AES_CCM_12, "rfc4309(ccm(aes))", 96, 3, 0, true },
	{ ENCR_AES_CCM_8, "rfc4309(ccm(aes))", 64, 3, 0, true },
	{ ENCR_NULL_AUTH_AES_GMAC, "rfc4543(gcm(aes))", 128, 4, 0, true },
	{ ENCR_CHACHA20_POLY1305, "rfc7539esp(chacha20,poly1305)", 128, 4, 32,
	  true },
	{ ENCR_AES_CBC, "cbc(aes)", 0, 0, 0, false },
	{ ENCR_AES_CTR, "rfc3686(ctr(aes))", 0, 4, 0, false },
	{ ENCR_3DES, "cbc(des3_ede)", 0, 0, 24, false },
	{ ENCR_NULL, "ecb(cipher_null)", 0, 0, 0, false },
};

/* Integrity: truncation lengths from RFC 2404 (SHA-1/96), RFC 4868 §2.3
 * (SHA-256/128, SHA-384/192, SHA-512/256), RFC 3566 (XCBC/96), RFC 4494
 * (CMAC/96), RFC 2403 (MD5/96). Key length equals the hash output for
 * HMAC-SHA-2 (RFC 4868 §2.1.1). */
static const struct xfrm_alg_info integ_algs[] = {
	{ AUTH_HMAC_SHA2_256_128, "hmac(sha256)", 128, 0, 32, false },
	{ AUTH_HMAC_SHA2_384_192, "hmac(sha384)", 192, 0, 48, false },
	{ AUTH_HMAC_SHA2_512_256, "hmac(sha512)", 256, 0, 64, false },
	{ AUTH_HMAC_SHA1_96, "hmac(sha1)", 96, 0, 20, false },
	{ AUTH_HMAC_MD5_96, "hmac(md5)", 96, 0, 16, false },
	{ AUTH_AES_XCBC_96, "xcbc(aes)", 96, 0, 16, false },
	{ AUTH_AES_CMAC_96, "cmac(aes)", 96, 0, 16, false },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const struct xfrm_alg_info *xfrm_alg_encr(uint16_t id)
{
	for (size_t i = 0; i < N_ELEMS(encr_algs); i++)
		if (encr_algs[i].id == id)
			return &encr_algs[i];
	return NULL;
}

const struct xfrm_alg_info *xfrm_alg_integ(uint16_t id)
{
	for (size_t i = 0; i < N_ELEMS(integ_algs); i++)
		if (integ_algs[i].id == id)
			return &integ_algs[i];
	return NULL;
}

static const struct xfrm_alg_info *alg_by_name(const struct xfrm_alg_info *t,
					       size_t n, const char *name,
					       uint16_t bits)
{
	const struct xfrm_alg_info *any = NULL;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].name, name) != 0)
			continue;
		if (t[i].bits == bits)
			return &t[i];
		if (!any)
			any = &t[i];
	}
	return any;
}

const struct xfrm_alg_info *xfrm_alg_encr_by_name(const char *name,
						  uint16_t icv_bits)
{
	return alg_by_name(encr_algs, N_ELEMS(encr_algs), name, icv_bits);
}

const struct xfrm_alg_info *xfrm_alg_integ_by_name(const char *name,
						   uint16_t trunc_bits)
{
	return alg_by_name(integ_algs, N_ELEMS(integ_algs), name, trunc_bits);
}

/* ---- Model -> kernel structs ----------------------------------------- */

static bool family_ok(uint16_t family)
{
	return family == AF_INET || family == AF_INET6;
}

static void addr_out(xfrm_address_t *x, const struct kernel_addr *a)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, a->a.raw, kernel_addr_len(a->family));
}

static void sel_out(struct xfrm_selector *x, const struct kernel_selector *s)
{
	memset(x, 0, sizeof(*x));
	addr_out(&x->daddr, &s->dst);
	addr_out(&x->saddr, &s->src);
	x->dport = htons(s->dport);
	x->dport_mask = s->dport ? 0xffff : 0;
	x->sport = htons(s->sport);
	x->sport_mask = s->sport ? 0xffff : 0;
	x->family = s->family;
	x->prefixlen_d = s->dst_plen;
	x->prefixlen_s = s->src_plen;
	x->proto = s->proto;
	x->ifindex = (int)s->ifindex;
}

/* 0 means "no limit" in the model; XFRM says XFRM_INF for byte and packet
 * limits and 0 for time limits, as iproute2 does. */
static uint64_t lim(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static void lft_out(struct xfrm_lifetime_cfg *c,
		    const struct kernel_lifetime *soft,
		    const struct kernel_lifetime *hard)
{
	c->soft_byte_limit = lim(soft->bytes);
	c->hard_byte_limit = lim(hard->bytes);
	c->soft_packet_limit = lim(soft->packets);
	c->hard_packet_limit = lim(hard->packets);
	c->soft_add_expires_seconds = soft->add_seconds;
	c->hard_add_expires_seconds = hard->add_seconds;
	c->soft_use_expires_seconds = soft->use_seconds;
	c->hard_use_expires_seconds = hard->use_seconds;
}

/* Starts a message with a fixed header of `extra` bytes; NULL if it does
 * not fit. */
static struct nlmsghdr *msg_start(void *buf, size_t cap, uint16_t type,
				  uint16_t flags, uint32_t seq, size_t extra)
{
	struct nlmsghdr *nlh;

	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(extra))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, extra);
	return nlh;
}

static const uint16_t REQ_ACK = NLM_F_REQUEST | NLM_F_ACK;

/* Appends mark and if_id when set (XFRMA_MARK, XFRMA_IF_ID). */
static bool put_mark_ifid(struct nlmsghdr *nlh, size_t cap,
			  const struct kernel_mark *mark, uint32_t if_id)
{
	if (mark->mask || mark->value) {
		struct xfrm_mark m = { .v = mark->value, .m = mark->mask };
		if (!mnl_attr_put_check(nlh, cap, XFRMA_MARK, sizeof(m), &m))
			return false;
	}
	if (if_id &&
	    !mnl_attr_put_check(nlh, cap, XFRMA_IF_ID, sizeof(if_id), &if_id))
		return false;
	return true;
}

/* ---- SA builders ------------------------------------------------------ */

/* ---- SA validation ------------------------------------------------------ */

/* Formats a reason into `why` (if any) and returns `code`. */
static int refuse(char *why, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(char *why, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool aes_len(size_t n)
{
	return n == 16 || n == 24 || n == 32;
}

/* Key sizes: AES 16/24/32 bytes, others fixed, plus the salt or nonce the
 * kernel takes at the end of the key (RFC 4106 §8.1, RFC 4309 §7.1,
 * RFC 3686 §5.1, RFC 7634 §2). */
static int check_encr_key(const struct kernel_sa *sa,
			  const struct xfrm_alg_info *a, char *why, size_t len)
{
	const char *name = ike_encr_id_name(sa->encr_id);
	size_t n = sa->enc_key_len, key = n >= a->salt ? n - a->salt : 0;
	bool ok = sa->encr_id == ENCR_NULL ? n == 0
		  : a->key_fixed	   ? key == a->key_fixed && n > a->salt
					   : aes_len(key) && n > a->salt;

	if (!ok && a->key_fixed)
		return refuse(why, len, -EINVAL,
			      "%s needs a %u-byte key plus %u bytes of salt, "
			      "got %zu bytes",
			      name, a->key_fixed, a->salt, n);
	if (!ok && sa->encr_id != ENCR_NULL)
		return refuse(why, len, -EINVAL,
			      "%s needs a 16, 24 or 32-byte key plus %u bytes "
			      "of salt, got %zu bytes",
			      name, a->salt, n);
	if (!ok)
		return refuse(why, len, -EINVAL, "ENCR_NULL takes no key");
	if (sa->encr_key_bits && sa->encr_key_bits != key * 8)
		return refuse(why, len, -EINVAL,
			      "%s key length says %u bits, the key has %zu",
			      name, sa->encr_key_bits, key * 8);
	return 0;
}

static int check_algs(const struct kernel_sa *sa, char *why, size_t len)
{
	const struct xfrm_alg_info *e = NULL, *i = NULL;

	if (sa->enc_key_len > KERNEL_KEY_MAX ||
	    sa->integ_key_len > KERNEL_KEY_MAX)
		return refuse(why, len, -EINVAL, "key longer than %d bytes",
			      KERNEL_KEY_MAX);
	if (sa->id.proto == KERNEL_PROTO_ESP) {
		e = xfrm_alg_encr(sa->encr_id);
		if (!e)
			return refuse(why, len, -ENOPROTOOPT,
				      "no kernel algorithm for %s (%u)",
				      ike_encr_id_name(sa->encr_id),
				      sa->encr_id);
	} else if (sa->id.proto != KERNEL_PROTO_AH) {
		return refuse(why, len, -EINVAL, "protocol %u is not ESP or AH",
			      sa->id.proto);
	} else if (sa->encr_id) {
		return refuse(why, len, -EINVAL, "AH does not encrypt");
	}
	if (sa->integ_id != AUTH_NONE) {
		i = xfrm_alg_integ(sa->integ_id);
		if (!i)
			return refuse(why, len, -ENOPROTOOPT,
				      "no kernel algorithm for %s (%u)",
				      ike_integ_id_name(sa->integ_id),
				      sa->integ_id);
		if (e && e->aead) /* RFC 7296 §3.3: no integrity with AEAD */
			return refuse(why, len, -EINVAL,
				      "%s is an AEAD and takes no integrity "
				      "algorithm",
				      ike_encr_id_name(sa->encr_id));
		if (sa->integ_key_len != i->key_fixed) /* RFC 4868 §2.1.1 */
			return refuse(why, len, -EINVAL,
				      "%s needs a %u-byte key, got %u bytes",
				      ike_integ_id_name(sa->integ_id),
				      i->key_fixed, sa->integ_key_len);
	} else if (!e) {
		return refuse(why, len, -EINVAL,
			      "AH needs an integrity "
			      "algorithm");
	}
	return e ? check_encr_key(sa, e, why, len) : 0;
}

int xfrm_msg_sa_check(const struct kernel_sa *sa, char *why, size_t len)
{
	const struct kernel_sa_id *id = &sa->id;

	if (why && len)
		why[0] = 0;
	if (!family_ok(id->dst.family))
		return refuse(why, len, -EINVAL, "no destination address");
	if (id->src.family != id->dst.family)
		return refuse(why, len, -EINVAL,
			      "source and destination are not the same "
			      "address family");
	if (sa->sel.family && !family_ok(sa->sel.family))
		return refuse(why, len, -EINVAL, "selector family %u unknown",
			      sa->sel.family);
	if (sa->mode > KERNEL_MODE_TUNNEL)
		return refuse(why, len, -EINVAL, "mode %u unknown", sa->mode);
	if (sa->encap.type && (sa->encap.type != KERNEL_ENCAP_ESPINUDP ||
			       sa->id.proto != KERNEL_PROTO_ESP))
		return refuse(why, len, -EINVAL,
			      "UDP encapsulation is ESP-in-UDP only "
			      "(RFC 3948)");
	return check_algs(sa, why, len);
}

static void sa_info_out(struct xfrm_usersa_info *info,
			const struct kernel_sa *sa)
{
	const struct kernel_sa_id *id = &sa->id;

	memset(info, 0, sizeof(*info));
	if (sa->sel.family)
		sel_out(&info->sel, &sa->sel);
	addr_out(&info->id.daddr, &id->dst);
	info->id.spi = htonl(id->spi);
	info->id.proto = id->proto;
	addr_out(&info->saddr, &id->src);
	lft_out(&info->lft, &sa->soft, &sa->hard);
	info->seq = sa->acquire_seq;
	info->reqid = sa->reqid;
	info->family = id->dst.family;
	info->mode = sa->mode;
	if (sa->flags & KERNEL_SA_F_DECAP_DSCP)
		info->flags |= XFRM_STATE_DECAP_DSCP;
	if (sa->flags & KERNEL_SA_F_NOPMTUDISC)
		info->flags |= XFRM_STATE_NOPMTUDISC;
	if (sa->esn)
		info->flags |= XFRM_STATE_ESN;
	/* Without this flag the kernel gives an empty selector the SA's own
	 * family, and a v6 tunnel could not carry v4 (nor the reverse). */
	if (sa->mode == KERNEL_MODE_TUNNEL && !sa->sel.family)
		info->flags |= XFRM_STATE_AF_UNSPEC;
	/* The legacy replay state holds a 32-bit bitmap; beyond that, and
	 * always with ESN (RFC 4303 §2.2.1), the window goes in
	 * XFRMA_REPLAY_ESN_VAL (iproute2 does the same). */
	if (!sa->esn && sa->replay_window <= 32)
		info->replay_window = (uint8_t)sa->replay_window;
}

static int put_aead(struct nlmsghdr *nlh, size_t cap,
		    const struct kernel_sa *sa, const struct xfrm_alg_info *a)
{
	uint8_t raw[sizeof(struct xfrm_algo_aead) + KERNEL_KEY_MAX];
	struct xfrm_algo_aead hdr = { 0 };
	size_t key_len = sa->enc_key_len;
	bool ok;

	strcpy(hdr.alg_name, a->name);
	hdr.alg_key_len = (unsigned)(key_len * 8);
	hdr.alg_icv_len = sa->icv_len ? sa->icv_len * 8u : a->bits;
	memcpy(raw, &hdr, sizeof(hdr));
	memcpy(raw + sizeof(hdr), sa->enc_key, key_len);
	ok = mnl_attr_put_check(nlh, cap, XFRMA_ALG_AEAD, sizeof(hdr) + key_len,
				raw);
	explicit_bzero(raw, sizeof(raw));
	return ok ? 0 : -ENOSPC;
}

static int put_crypt(struct nlmsghdr *nlh, size_t cap,
		     const struct kernel_sa *sa, const struct xfrm_alg_info *a)
{
	uint8_t raw[sizeof(struct xfrm_algo) + KERNEL_KEY_MAX];
	struct xfrm_algo hdr = { 0 };
	size_t key_len = sa->enc_key_len;
	bool ok;

	strcpy(hdr.alg_name, a->name);
	hdr.alg_key_len = (unsigned)(key_len * 8);
	memcpy(raw, &hdr, sizeof(hdr));
	memcpy(raw + sizeof(hdr), sa->enc_key, key_len);
	ok = mnl_attr_put_check(nlh, cap, XFRMA_ALG_CRYPT,
				sizeof(hdr) + key_len, raw);
	explicit_bzero(raw, sizeof(raw));
	return ok ? 0 : -ENOSPC;
}

/* Integrity goes in xfrm_algo_auth, which carries the truncation length
 * (the older XFRMA_ALG_AUTH would truncate HMAC-SHA-256 to 96 bits). */
static int put_auth(struct nlmsghdr *nlh, size_t cap,
		    const struct kernel_sa *sa, const struct xfrm_alg_info *a)
{
	uint8_t raw[sizeof(struct xfrm_algo_auth) + KERNEL_KEY_MAX];
	struct xfrm_algo_auth hdr = { 0 };
	size_t key_len = sa->integ_key_len;
	bool ok;

	strcpy(hdr.alg_name, a->name);
	hdr.alg_key_len = (unsigned)(key_len * 8);
	hdr.alg_trunc_len = a->bits;
	memcpy(raw, &hdr, sizeof(hdr));
	memcpy(raw + sizeof(hdr), sa->integ_key, key_len);
	ok = mnl_attr_put_check(nlh, cap, XFRMA_ALG_AUTH_TRUNC,
				sizeof(hdr) + key_len, raw);
	explicit_bzero(raw, sizeof(raw));
	return ok ? 0 : -ENOSPC;
}

/* Writes the algorithm attributes of an SA xfrm_msg_sa_check() accepted. */
static int put_algs(struct nlmsghdr *nlh, size_t cap,
		    const struct kernel_sa *sa)
{
	const struct xfrm_alg_info *e = xfrm_alg_encr(sa->encr_id);
	const struct xfrm_alg_info *i = xfrm_alg_integ(sa->integ_id);
	int r = 0;

	if (sa->id.proto == KERNEL_PROTO_ESP && e)
		r = e->aead ? put_aead(nlh, cap, sa, e)
			    : put_crypt(nlh, cap, sa, e);
	if (!r && i)
		r = put_auth(nlh, cap, sa, i);
	return r;
}

static bool put_encap(struct nlmsghdr *nlh, size_t cap,
		      const struct kernel_encap *e)
{
	struct xfrm_encap_tmpl t;

	memset(&t, 0, sizeof(t));
	t.encap_type = e->type;
	t.encap_sport = htons(e->sport);
	t.encap_dport = htons(e->dport);
	addr_out(&t.encap_oa, &e->oa);
	return mnl_attr_put_check(nlh, cap, XFRMA_ENCAP, sizeof(t), &t);
}

static bool put_replay_esn(struct nlmsghdr *nlh, size_t cap, uint32_t window)
{
	struct xfrm_replay_state_esn r = { 0 };

	r.replay_window = window;
	r.bmp_len = (window + 31) / 32;
	return mnl_attr_put_check(nlh, cap, XFRMA_REPLAY_ESN_VAL, sizeof(r),
				  &r);
}

int xfrm_msg_sa_add(void *buf, size_t cap, uint32_t seq,
		    const struct kernel_sa *sa, bool update)
{
	struct xfrm_usersa_info info;
	struct nlmsghdr *nlh;
	int r = xfrm_msg_sa_check(sa, NULL, 0);

	if (r)
		return r;
	sa_info_out(&info, sa);
	nlh = msg_start(buf, cap, update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA,
			REQ_ACK, seq, sizeof(info));
	if (!nlh)
		return -ENOSPC;
	memcpy(mnl_nlmsg_get_payload(nlh), &info, sizeof(info));
	r = put_algs(nlh, cap, sa);
	if (!r && sa->encap.type && !put_encap(nlh, cap, &sa->encap))
		r = -ENOSPC;
	if (!r && (sa->esn || sa->replay_window > 32) &&
	    !put_replay_esn(nlh, cap, sa->replay_window))
		r = -ENOSPC;
	if (!r && !put_mark_ifid(nlh, cap, &sa->id.mark, sa->id.if_id))
		r = -ENOSPC;
	if (r) {
		explicit_bzero(buf,
			       cap < nlh->nlmsg_len ? cap : nlh->nlmsg_len);
		return r;
	}
	return (int)nlh->nlmsg_len;
}

static int sa_id_msg(void *buf, size_t cap, uint32_t seq, uint16_t type,
		     uint16_t flags, const struct kernel_sa_id *id)
{
	struct xfrm_usersa_id uid;
	struct nlmsghdr *nlh;

	if (!family_ok(id->dst.family) ||
	    (id->src.family && id->src.family != id->dst.family))
		return -EINVAL;
	memset(&uid, 0, sizeof(uid));
	addr_out(&uid.daddr, &id->dst);
	uid.spi = htonl(id->spi);
	uid.family = id->dst.family;
	uid.proto = id->proto;
	nlh = msg_start(buf, cap, type, flags, seq, sizeof(uid));
	if (!nlh)
		return -ENOSPC;
	memcpy(mnl_nlmsg_get_payload(nlh), &uid, sizeof(uid));
	if (id->src.family) {
		xfrm_address_t src;
		addr_out(&src, &id->src);
		if (!mnl_attr_put_check(nlh, cap, XFRMA_SRCADDR, sizeof(src),
					&src))
			return -ENOSPC;
	}
	if (!put_mark_ifid(nlh, cap, &id->mark, id->if_id))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

int xfrm_msg_sa_del(void *buf, size_t cap, uint32_t seq,
		    const struct kernel_sa_id *id)
{
	return sa_id_msg(buf, cap, seq, XFRM_MSG_DELSA, REQ_ACK, id);
}

int xfrm_msg_sa_get(void *buf, size_t cap, uint32_t seq,
		    const struct kernel_sa_id *id)
{
	return sa_id_msg(buf, cap, seq, XFRM_MSG_GETSA, NLM_F_REQUEST, id);
}

static int dump_msg(void *buf, size_t cap, uint32_t seq, uint16_t type)
{
	struct nlmsghdr *nlh =
		msg_start(buf, cap, type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0);
	return nlh ? (int)nlh->nlmsg_len : -ENOSPC;
}

int xfrm_msg_sa_dump(void *buf, size_t cap, uint32_t seq)
{
	return dump_msg(buf, cap, seq, XFRM_MSG_GETSA);
}

int xfrm_msg_policy_dump(void *buf, size_t cap, uint32_t seq)
{
	return dump_msg(buf, cap, seq, XFRM_MSG_GETPOLICY);
}

int xfrm_msg_spi_alloc(void *buf, size_t cap, uint32_t seq,
		       const struct kernel_sa_id *id, uint8_t mode,
		       uint32_t reqid, uint32_t acq_seq, uint32_t min,
		       uint32_t max)
{
	struct xfrm_userspi_info spi;
	struct nlmsghdr *nlh;

	if (!family_ok(id->dst.family) || id->src.family != id->dst.family ||
	    min > max || mode > KERNEL_MODE_TUNNEL)
		return -EINVAL;
	memset(&spi, 0, sizeof(spi));
	addr_out(&spi.info.id.daddr, &id->dst);
	spi.info.id.proto = id->proto;
	addr_out(&spi.info.saddr, &id->src);
	spi.info.seq = acq_seq;
	spi.info.reqid = reqid;
	spi.info.family = id->dst.family;
	spi.info.mode = mode;
	spi.min = min;
	spi.max = max;
	/* No NLM_F_ACK: the answer is the new SA (NEWSA) or an error. */
	nlh = msg_start(buf, cap, XFRM_MSG_ALLOCSPI, NLM_F_REQUEST, seq,
			sizeof(spi));
	if (!nlh)
		return -ENOSPC;
	memcpy(mnl_nlmsg_get_payload(nlh), &spi, sizeof(spi));
	if (!put_mark_ifid(nlh, cap, &id->mark, id->if_id))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

/* ---- Policy builders -------------------------------------------------- */

static int tmpl_out(struct xfrm_user_tmpl *x, const struct kernel_tmpl *t,
		    uint16_t sel_family)
{
	memset(x, 0, sizeof(*x));
	if (t->dst.family && t->src.family != t->dst.family)
		return -EINVAL;
	if (t->mode == KERNEL_MODE_TUNNEL && !family_ok(t->dst.family))
		return -EINVAL; /* a tunnel needs its endpoints */
	addr_out(&x->id.daddr, &t->dst);
	x->id.spi = htonl(t->spi);
	x->id.proto = t->proto;
	x->family = t->dst.family ? t->dst.family : sel_family;
	addr_out(&x->saddr, &t->src);
	x->reqid = t->reqid;
	x->mode = t->mode;
	x->optional = t->optional;
	x->aalgos = x->ealgos = x->calgos = ~0u; /* any algorithm */
	return 0;
}

static int put_tmpls(struct nlmsghdr *nlh, size_t cap,
		     const struct kernel_policy *p)
{
	struct xfrm_user_tmpl t[KERNEL_TMPL_MAX];

	if (p->n_tmpl > KERNEL_TMPL_MAX)
		return -EINVAL;
	if (!p->n_tmpl)
		return 0;
	if (p->action != KERNEL_ACTION_ALLOW)
		return -EINVAL;
	for (unsigned i = 0; i < p->n_tmpl; i++) {
		int r = tmpl_out(&t[i], &p->tmpl[i], p->sel.family);
		if (r)
			return r;
	}
	if (!mnl_attr_put_check(nlh, cap, XFRMA_TMPL, sizeof(t[0]) * p->n_tmpl,
				t))
		return -ENOSPC;
	return 0;
}

int xfrm_msg_policy_add(void *buf, size_t cap, uint32_t seq,
			const struct kernel_policy *p, bool update)
{
	struct xfrm_userpolicy_info info;
	struct nlmsghdr *nlh;
	int r;

	if (!family_ok(p->sel.family) || p->dir > KERNEL_DIR_FWD ||
	    p->action > KERNEL_ACTION_BLOCK ||
	    (p->index && (p->index & 7) != p->dir))
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	sel_out(&info.sel, &p->sel);
	lft_out(&info.lft, &p->soft, &p->hard);
	info.priority = p->priority;
	info.index = p->index;
	info.dir = p->dir;
	info.action = p->action;
	nlh = msg_start(buf, cap,
			update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY,
			REQ_ACK, seq, sizeof(info));
	if (!nlh)
		return -ENOSPC;
	memcpy(mnl_nlmsg_get_payload(nlh), &info, sizeof(info));
	r = put_tmpls(nlh, cap, p);
	if (r)
		return r;
	if (!put_mark_ifid(nlh, cap, &p->mark, p->if_id))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

static int policy_id_msg(void *buf, size_t cap, uint32_t seq, uint16_t type,
			 uint16_t flags, const struct kernel_policy *p)
{
	struct xfrm_userpolicy_id pid;
	struct nlmsghdr *nlh;

	if (p->dir > KERNEL_DIR_FWD || (!p->index && !family_ok(p->sel.family)))
		return -EINVAL;
	memset(&pid, 0, sizeof(pid));
	if (p->index)
		pid.sel.family = p->sel.family; /* the kernel looks up by id */
	else
		sel_out(&pid.sel, &p->sel);
	pid.index = p->index;
	pid.dir = p->dir;
	nlh = msg_start(buf, cap, type, flags, seq, sizeof(pid));
	if (!nlh)
		return -ENOSPC;
	memcpy(mnl_nlmsg_get_payload(nlh), &pid, sizeof(pid));
	if (!put_mark_ifid(nlh, cap, &p->mark, p->if_id))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

int xfrm_msg_policy_del(void *buf, size_t cap, uint32_t seq,
			const struct kernel_policy *p)
{
	return policy_id_msg(buf, cap, seq, XFRM_MSG_DELPOLICY, REQ_ACK, p);
}

int xfrm_msg_policy_get(void *buf, size_t cap, uint32_t seq,
			const struct kernel_policy *p)
{
	return policy_id_msg(buf, cap, seq, XFRM_MSG_GETPOLICY, NLM_F_REQUEST,
			     p);
}

/* ---- Migration (MOBIKE) ------------------------------------------------ */

static bool pair_ok(const struct kernel_addr *src,
		    const struct kernel_addr *dst)
{
	return family_ok(dst->family) && src->family == dst->family;
}

/* XFRM_MSG_MIGRATE (xfrm_do_migrate() in net/xfrm/xfrm_user.c): the policy
 * is looked up by selector and direction only (the index is not used), so
 * the selector goes out exactly as xfrm_msg_policy_add() wrote it. */
int xfrm_msg_migrate(void *buf, size_t cap, uint32_t seq,
		     const struct kernel_migrate *m)
{
	struct xfrm_userpolicy_id pid;
	struct xfrm_user_migrate um;
	struct nlmsghdr *nlh;

	if (!family_ok(m->sel.family) || m->dir > KERNEL_DIR_FWD ||
	    m->mode > KERNEL_MODE_TUNNEL || !m->proto ||
	    !pair_ok(&m->old_src, &m->old_dst) ||
	    !pair_ok(&m->new_src, &m->new_dst) ||
	    (m->encap.type && (m->encap.type != KERNEL_ENCAP_ESPINUDP ||
			       m->proto != KERNEL_PROTO_ESP)))
		return -EINVAL;
	memset(&pid, 0, sizeof(pid));
	sel_out(&pid.sel, &m->sel);
	pid.dir = m->dir;
	memset(&um, 0, sizeof(um));
	addr_out(&um.old_daddr, &m->old_dst);
	addr_out(&um.old_saddr, &m->old_src);
	addr_out(&um.new_daddr, &m->new_dst);
	addr_out(&um.new_saddr, &m->new_src);
	um.proto = m->proto;
	um.mode = m->mode;
	um.reqid = m->reqid;
	um.old_family = m->old_dst.family;
	um.new_family = m->new_dst.family;
	nlh = msg_start(buf, cap, XFRM_MSG_MIGRATE, REQ_ACK, seq, sizeof(pid));
	if (!nlh)
		return -ENOSPC;
	memcpy(mnl_nlmsg_get_payload(nlh), &pid, sizeof(pid));
	if (!mnl_attr_put_check(nlh, cap, XFRMA_MIGRATE, sizeof(um), &um))
		return -ENOSPC;
	if (m->encap.type && !put_encap(nlh, cap, &m->encap))
		return -ENOSPC;
	if (m->if_id && !mnl_attr_put_check(nlh, cap, XFRMA_IF_ID,
					    sizeof(m->if_id), &m->if_id))
		return -ENOSPC;
	return (int)nlh->nlmsg_len;
}

/* ---- Kernel structs -> model ----------------------------------------- */

static void addr_in(struct kernel_addr *a, const xfrm_address_t *x,
		    uint16_t family)
{
	memset(a, 0, sizeof(*a));
	if (!family_ok(family))
		return;
	a->family = family;
	memcpy(a->a.raw, x, kernel_addr_len(family));
}

static void sel_in(struct kernel_selector *s, const struct xfrm_selector *x)
{
	memset(s, 0, sizeof(*s));
	if (!family_ok(x->family))
		return;
	s->family = x->family;
	addr_in(&s->dst, &x->daddr, x->family);
	addr_in(&s->src, &x->saddr, x->family);
	s->dst_plen = x->prefixlen_d;
	s->src_plen = x->prefixlen_s;
	s->proto = x->proto;
	s->dport = x->dport_mask ? ntohs(x->dport) : 0;
	s->sport = x->sport_mask ? ntohs(x->sport) : 0;
	s->ifindex = x->ifindex > 0 ? (uint32_t)x->ifindex : 0;
}

static uint64_t unlim(uint64_t v)
{
	return v == XFRM_INF ? 0 : v;
}

static void lft_in(struct kernel_lifetime *soft, struct kernel_lifetime *hard,
		   const struct xfrm_lifetime_cfg *c)
{
	soft->bytes = unlim(c->soft_byte_limit);
	hard->bytes = unlim(c->hard_byte_limit);
	soft->packets = unlim(c->soft_packet_limit);
	hard->packets = unlim(c->hard_packet_limit);
	soft->add_seconds = unlim(c->soft_add_expires_seconds);
	hard->add_seconds = unlim(c->hard_add_expires_seconds);
	soft->use_seconds = unlim(c->soft_use_expires_seconds);
	hard->use_seconds = unlim(c->hard_use_expires_seconds);
}

static void tmpl_in(struct kernel_tmpl *t, const struct xfrm_user_tmpl *x)
{
	memset(t, 0, sizeof(*t));
	if (x->mode == XFRM_MODE_TUNNEL) {
		addr_in(&t->dst, &x->id.daddr, x->family);
		addr_in(&t->src, &x->saddr, x->family);
	}
	t->spi = ntohl(x->id.spi);
	t->proto = x->id.proto;
	t->reqid = x->reqid;
	t->mode = x->mode;
	t->optional = x->optional;
}

/* Copies a fixed-size payload out of a message, after `skip` bytes; false
 * if the message is too short. */
static bool payload_copy(const struct nlmsghdr *nlh, void *dst, size_t n)
{
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN ||
	    mnl_nlmsg_get_payload_len(nlh) < n)
		return false;
	memcpy(dst, mnl_nlmsg_get_payload(nlh), n);
	return true;
}

/* Attributes we read, collected by one pass over the message. */
struct attrs {
	const struct nlattr *a[XFRMA_MAX + 1];
};
_Static_assert(NLMSGERR_ATTR_MAX <= XFRMA_MAX, "ack attributes fit");

/* Indexes the attributes after a fixed header of `hdr` bytes. They must
 * fill the message exactly, up to nlmsg_len (libmnl's walk rounds the end
 * up and stops quietly at a truncated attribute). */
static int attrs_parse(const struct nlmsghdr *nlh, size_t hdr, struct attrs *at)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr);

	memset(at, 0, sizeof(*at));
	if (nlh->nlmsg_len < off)
		return -EBADMSG;
	while (off < nlh->nlmsg_len) {
		const struct nlattr *a =
			(const void *)((const uint8_t *)nlh + off);
		size_t left = nlh->nlmsg_len - off, step;
		uint16_t type;

		if (left < MNL_ATTR_HDRLEN || a->nla_len < MNL_ATTR_HDRLEN ||
		    a->nla_len > left)
			return -EBADMSG;
		type = mnl_attr_get_type(a);
		if (type <= XFRMA_MAX)
			at->a[type] = a;
		step = MNL_ALIGN((size_t)a->nla_len);
		off += step < left ? step : left;
	}
	return 0;
}

/* Copies an attribute of at least `n` bytes; false if absent or short. */
static bool attr_copy(const struct attrs *at, uint16_t type, void *dst,
		      size_t n)
{
	const struct nlattr *a = at->a[type];

	if (!a || mnl_attr_get_payload_len(a) < n)
		return false;
	memcpy(dst, mnl_attr_get_payload(a), n);
	return true;
}

static void mark_ifid_in(const struct attrs *at, struct kernel_mark *mark,
			 uint32_t *if_id)
{
	struct xfrm_mark m;

	if (attr_copy(at, XFRMA_MARK, &m, sizeof(m))) {
		mark->value = m.v;
		mark->mask = m.m;
	}
	if (!attr_copy(at, XFRMA_IF_ID, if_id, sizeof(*if_id)))
		*if_id = 0;
}

/* An algorithm attribute's name (the first 64 bytes of every xfrm_algo*),
 * NUL-terminated; false if absent. */
static bool alg_name(const struct attrs *at, uint16_t type, char *name,
		     uint32_t *bits)
{
	struct xfrm_algo_aead h; /* name, key_len, then icv/trunc len */

	if (!attr_copy(at, type, &h, sizeof(h)))
		return false;
	memcpy(name, h.alg_name, sizeof(h.alg_name));
	name[sizeof(h.alg_name) - 1] = 0;
	*bits = type == XFRMA_ALG_CRYPT ? 0 : h.alg_icv_len;
	return true;
}

static void algs_in(const struct attrs *at, struct kernel_sa *sa,
		    struct kernel_sa_stats *st)
{
	const struct xfrm_alg_info *a;
	char name[64];
	uint32_t bits;

	if (alg_name(at, XFRMA_ALG_AEAD, name, &bits) ||
	    alg_name(at, XFRMA_ALG_CRYPT, name, &bits)) {
		a = xfrm_alg_encr_by_name(name, (uint16_t)bits);
		st->encr_id = a ? a->id : 0;
		if (a && a->aead && bits)
			sa->icv_len = (uint8_t)(bits / 8);
	}
	if (alg_name(at, XFRMA_ALG_AUTH_TRUNC, name, &bits)) {
		a = xfrm_alg_integ_by_name(name, (uint16_t)bits);
		st->integ_id = a ? a->id : 0;
	}
	sa->encr_id = st->encr_id;
	sa->integ_id = st->integ_id;
}

static void sa_info_in(struct kernel_sa_id *id, struct kernel_sa_stats *st,
		       struct kernel_sa *sa, const struct xfrm_usersa_info *i)
{
	memset(id, 0, sizeof(*id));
	addr_in(&id->dst, &i->id.daddr, i->family);
	addr_in(&id->src, &i->saddr, i->family);
	id->spi = ntohl(i->id.spi);
	id->proto = i->id.proto;
	memset(st, 0, sizeof(*st));
	st->bytes = i->curlft.bytes;
	st->packets = i->curlft.packets;
	st->add_time = i->curlft.add_time;
	st->use_time = i->curlft.use_time;
	st->replay_window = i->stats.replay_window;
	st->replay_failed = i->stats.replay;
	st->integrity_failed = i->stats.integrity_failed;
	st->reqid = i->reqid;
	st->mode = i->mode;
	memset(sa, 0, sizeof(*sa));
	sa->mode = i->mode;
	sa->reqid = i->reqid;
	sa->replay_window = i->replay_window;
	sa->esn = i->flags & XFRM_STATE_ESN;
	sel_in(&sa->sel, &i->sel);
	lft_in(&sa->soft, &sa->hard, &i->lft);
}

static int sa_in(const struct nlmsghdr *nlh, const struct xfrm_usersa_info *i,
		 size_t hdr, struct kernel_sa_id *id,
		 struct kernel_sa_stats *st, struct kernel_sa *out)
{
	struct kernel_sa scratch, *sa = out ? out : &scratch;
	struct xfrm_replay_state_esn esn;
	struct xfrm_encap_tmpl enc;
	struct attrs at;

	if (attrs_parse(nlh, hdr, &at))
		return -EBADMSG;
	sa_info_in(id, st, sa, i);
	mark_ifid_in(&at, &id->mark, &id->if_id);
	algs_in(&at, sa, st);
	if (attr_copy(&at, XFRMA_REPLAY_ESN_VAL, &esn, sizeof(esn))) {
		sa->replay_window = esn.replay_window;
		st->replay_window = esn.replay_window;
	}
	if (attr_copy(&at, XFRMA_ENCAP, &enc, sizeof(enc))) {
		sa->encap.type = (uint8_t)enc.encap_type;
		sa->encap.sport = ntohs(enc.encap_sport);
		sa->encap.dport = ntohs(enc.encap_dport);
		addr_in(&sa->encap.oa, &enc.encap_oa, i->family);
	}
	sa->id = *id;
	if (!out)
		explicit_bzero(&scratch, sizeof(scratch));
	return 0;
}

int xfrm_msg_parse_sa(const struct nlmsghdr *nlh, struct kernel_sa_id *id,
		      struct kernel_sa_stats *stats, struct kernel_sa *sa)
{
	struct xfrm_usersa_info info;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA &&
	    nlh->nlmsg_type != XFRM_MSG_UPDSA)
		return -ENOMSG;
	if (!payload_copy(nlh, &info, sizeof(info)))
		return -EBADMSG;
	return sa_in(nlh, &info, sizeof(info), id, stats, sa);
}

static int policy_in(const struct nlmsghdr *nlh,
		     const struct xfrm_userpolicy_info *i, size_t hdr,
		     struct kernel_policy *p)
{
	const struct nlattr *t;
	struct attrs at;
	size_t n;

	if (attrs_parse(nlh, hdr, &at))
		return -EBADMSG;
	memset(p, 0, sizeof(*p));
	sel_in(&p->sel, &i->sel);
	lft_in(&p->soft, &p->hard, &i->lft);
	p->priority = i->priority;
	p->index = i->index;
	p->dir = i->dir;
	p->action = i->action;
	mark_ifid_in(&at, &p->mark, &p->if_id);
	t = at.a[XFRMA_TMPL];
	if (!t)
		return 0;
	/* Policies can nest up to XFRM_MAX_DEPTH (6) templates; ours use at
	 * most KERNEL_TMPL_MAX, which is all ownership needs to look at. */
	n = mnl_attr_get_payload_len(t) / sizeof(struct xfrm_user_tmpl);
	for (size_t k = 0; k < n && k < KERNEL_TMPL_MAX; k++) {
		struct xfrm_user_tmpl x;
		memcpy(&x,
		       (const uint8_t *)mnl_attr_get_payload(t) + k * sizeof(x),
		       sizeof(x));
		tmpl_in(&p->tmpl[k], &x);
		p->n_tmpl++;
	}
	return 0;
}

int xfrm_msg_parse_policy(const struct nlmsghdr *nlh, struct kernel_policy *p)
{
	struct xfrm_userpolicy_info info;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY &&
	    nlh->nlmsg_type != XFRM_MSG_UPDPOLICY)
		return -ENOMSG;
	if (!payload_copy(nlh, &info, sizeof(info)))
		return -EBADMSG;
	return policy_in(nlh, &info, sizeof(info), p);
}

/* ---- Events ---------------------------------------------------------- */

/* RFC 4301 §5.1: the kernel asks for the SA of the template that had none;
 * with nested templates pick the one naming the SA's protocol and peer. */
static int acquire_in(const struct nlmsghdr *nlh, struct kernel_acquire *a)
{
	struct xfrm_user_acquire ua;
	struct kernel_policy pol;
	int r;

	if (!payload_copy(nlh, &ua, sizeof(ua)))
		return -EBADMSG;
	r = policy_in(nlh, &ua.policy, sizeof(ua), &pol);
	if (r)
		return r;
	memset(a, 0, sizeof(*a));
	a->policy_index = ua.policy.index;
	a->policy_dir = ua.policy.dir;
	a->sel = pol.sel;
	sel_in(&a->packet, &ua.sel);
	addr_in(&a->dst, &ua.id.daddr,
		ua.sel.family ? ua.sel.family : ua.policy.sel.family);
	addr_in(&a->src, &ua.saddr, a->dst.family);
	a->seq = ua.seq;
	for (unsigned k = 0; k < pol.n_tmpl; k++) {
		const struct kernel_tmpl *t = &pol.tmpl[k];
		if (t->proto != ua.id.proto)
			continue;
		if (t->mode == KERNEL_MODE_TUNNEL &&
		    memcmp(t->dst.a.raw, a->dst.a.raw, sizeof(t->dst.a)) != 0)
			continue;
		a->tmpl = *t;
		return 0;
	}
	if (pol.n_tmpl)
		a->tmpl = pol.tmpl[0];
	return 0;
}

static int expire_in(const struct nlmsghdr *nlh, struct kernel_expire *e)
{
	struct xfrm_user_expire ue;
	struct kernel_sa sa;
	int r;

	if (!payload_copy(nlh, &ue, sizeof(ue)))
		return -EBADMSG;
	r = sa_in(nlh, &ue.state, sizeof(ue), &e->id, &e->stats, &sa);
	e->hard = ue.hard;
	return r;
}

static int polexpire_in(const struct nlmsghdr *nlh,
			struct kernel_policy_expire *e)
{
	struct xfrm_user_polexpire up;
	struct kernel_policy p;
	int r;

	if (!payload_copy(nlh, &up, sizeof(up)))
		return -EBADMSG;
	r = policy_in(nlh, &up.pol, sizeof(up), &p);
	e->index = p.index;
	e->dir = p.dir;
	e->sel = p.sel;
	e->hard = up.hard;
	return r;
}

/* DELSA notifications carry an xfrm_usersa_id and the whole SA in XFRMA_SA. */
static int sa_note_in(const struct nlmsghdr *nlh, struct kernel_sa_note *n)
{
	struct kernel_sa_stats st;
	struct xfrm_usersa_info info;
	struct xfrm_usersa_id uid;
	struct attrs at;

	memset(n, 0, sizeof(*n));
	n->update = nlh->nlmsg_type == XFRM_MSG_UPDSA;
	if (nlh->nlmsg_type != XFRM_MSG_DELSA) {
		if (!payload_copy(nlh, &info, sizeof(info)))
			return -EBADMSG;
		if (sa_in(nlh, &info, sizeof(info), &n->id, &st, NULL))
			return -EBADMSG;
		n->reqid = st.reqid;
		return 0;
	}
	if (!payload_copy(nlh, &uid, sizeof(uid)) ||
	    attrs_parse(nlh, sizeof(uid), &at))
		return -EBADMSG;
	addr_in(&n->id.dst, &uid.daddr, uid.family);
	n->id.spi = ntohl(uid.spi);
	n->id.proto = uid.proto;
	if (attr_copy(&at, XFRMA_SA, &info, sizeof(info))) {
		addr_in(&n->id.src, &info.saddr, info.family);
		n->reqid = info.reqid;
	}
	mark_ifid_in(&at, &n->id.mark, &n->id.if_id);
	return 0;
}

static void policy_note_from(struct kernel_policy_note *n,
			     const struct kernel_policy *p)
{
	n->index = p->index;
	n->dir = p->dir;
	n->action = p->action;
	n->priority = p->priority;
	n->sel = p->sel;
}

/* DELPOLICY notifications carry an xfrm_userpolicy_id and the policy in
 * XFRMA_POLICY. */
static int policy_note_in(const struct nlmsghdr *nlh,
			  struct kernel_policy_note *n)
{
	struct xfrm_userpolicy_info info;
	struct xfrm_userpolicy_id pid;
	struct kernel_policy p;
	struct attrs at;

	memset(n, 0, sizeof(*n));
	n->update = nlh->nlmsg_type == XFRM_MSG_UPDPOLICY;
	if (nlh->nlmsg_type != XFRM_MSG_DELPOLICY) {
		if (!payload_copy(nlh, &info, sizeof(info)) ||
		    policy_in(nlh, &info, sizeof(info), &p))
			return -EBADMSG;
		policy_note_from(n, &p);
		return 0;
	}
	if (!payload_copy(nlh, &pid, sizeof(pid)) ||
	    attrs_parse(nlh, sizeof(pid), &at))
		return -EBADMSG;
	n->index = pid.index;
	n->dir = pid.dir;
	sel_in(&n->sel, &pid.sel);
	if (attr_copy(&at, XFRMA_POLICY, &info, sizeof(info))) {
		memset(&p, 0, sizeof(p));
		sel_in(&p.sel, &info.sel);
		p.index = info.index;
		p.dir = info.dir;
		p.action = info.action;
		p.priority = info.priority;
		policy_note_from(n, &p);
	}
	return 0;
}

static int mapping_in(const struct nlmsghdr *nlh, struct kernel_mapping *m)
{
	struct xfrm_user_mapping um;

	if (!payload_copy(nlh, &um, sizeof(um)))
		return -EBADMSG;
	memset(m, 0, sizeof(*m));
	addr_in(&m->id.dst, &um.id.daddr, um.id.family);
	m->id.spi = ntohl(um.id.spi);
	m->id.proto = um.id.proto;
	m->reqid = um.reqid;
	addr_in(&m->old_addr, &um.old_saddr, um.id.family);
	addr_in(&m->new_addr, &um.new_saddr, um.id.family);
	m->old_port = ntohs(um.old_sport);
	m->new_port = ntohs(um.new_sport);
	return 0;
}

int xfrm_msg_parse_event(const struct nlmsghdr *nlh, struct kernel_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_ACQUIRE:
		ev->type = KERNEL_EV_ACQUIRE;
		return acquire_in(nlh, &ev->u.acquire);
	case XFRM_MSG_EXPIRE:
		ev->type = KERNEL_EV_EXPIRE;
		return expire_in(nlh, &ev->u.expire);
	case XFRM_MSG_POLEXPIRE:
		ev->type = KERNEL_EV_POLICY_EXPIRE;
		return polexpire_in(nlh, &ev->u.policy_expire);
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		ev->type = KERNEL_EV_SA_ADDED;
		return sa_note_in(nlh, &ev->u.sa);
	case XFRM_MSG_DELSA:
		ev->type = KERNEL_EV_SA_DELETED;
		return sa_note_in(nlh, &ev->u.sa);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		ev->type = KERNEL_EV_POLICY_ADDED;
		return policy_note_in(nlh, &ev->u.policy);
	case XFRM_MSG_DELPOLICY:
		ev->type = KERNEL_EV_POLICY_DELETED;
		return policy_note_in(nlh, &ev->u.policy);
	case XFRM_MSG_MAPPING:
		ev->type = KERNEL_EV_MAPPING;
		return mapping_in(nlh, &ev->u.mapping);
	}
	ev->type = 0;
	return -ENOMSG;
}

/* ---- Acks ------------------------------------------------------------ */

/* RFC 3549 §2.3.2.2 error messages; extended ack TLVs (NLM_F_ACK_TLVS)
 * follow the echoed request, which NETLINK_CAP_ACK cuts to its header. */
int xfrm_msg_parse_ack(const struct nlmsghdr *nlh, int *error, uint32_t *seq,
		       char *detail, size_t detail_len)
{
	const struct nlattr *msg;
	struct nlmsgerr e;
	struct attrs at;
	size_t off, n;

	if (detail_len)
		detail[0] = 0;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -ENOMSG;
	if (!payload_copy(nlh, &e, sizeof(e)))
		return -EBADMSG;
	*error = e.error;
	*seq = nlh->nlmsg_seq;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || !detail_len)
		return 0;
	off = sizeof(e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e.msg.nlmsg_len < sizeof(e.msg) ||
		    e.msg.nlmsg_len > nlh->nlmsg_len)
			return -EBADMSG;
		off += e.msg.nlmsg_len - sizeof(e.msg);
	}
	if (attrs_parse(nlh, off, &at))
		return -EBADMSG;
	msg = at.a[NLMSGERR_ATTR_MSG];
	if (!msg)
		return 0;
	n = mnl_attr_get_payload_len(msg);
	if (n >= detail_len)
		n = detail_len - 1;
	memcpy(detail, mnl_attr_get_payload(msg), n);
	detail[n] = 0;
	return 0;
}

/* libmnl's mnl_nlmsg_ok() casts nlmsg_len to int, so a hostile length
 * above 2^31 passes it; we bound every length in size_t instead. */
int xfrm_msg_walk(const void *buf, size_t len, xfrm_msg_cb cb, void *arg)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)(p + off);
		size_t n = nlh->nlmsg_len, step = MNL_ALIGN(n);
		int r;

		/* libmnl's attribute walks read up to the aligned end of a
		 * message (mnl_nlmsg_get_payload_tail): it must be in the
		 * buffer, as it always is in what the kernel sends */
		if (n < sizeof(*nlh) || step > len - off)
			return -EBADMSG;
		r = cb(nlh, arg);
		if (r)
			return r;
		off += step;
	}
	return off == len ? 0 : -EBADMSG;
}

const char *xfrm_msg_type_name(uint16_t type)
{
	switch (type) {
	case NLMSG_ERROR: return "ERROR";
	case NLMSG_DONE: return "DONE";
	case XFRM_MSG_NEWSA: return "NEWSA";
	case XFRM_MSG_DELSA: return "DELSA";
	case XFRM_MSG_GETSA: return "GETSA";
	case XFRM_MSG_NEWPOLICY: return "NEWPOLICY";
	case XFRM_MSG_DELPOLICY: return "DELPOLICY";
	case XFRM_MSG_GETPOLICY: return "GETPOLICY";
	case XFRM_MSG_ALLOCSPI: return "ALLOCSPI";
	case XFRM_MSG_ACQUIRE: return "ACQUIRE";
	case XFRM_MSG_EXPIRE: return "EXPIRE";
	case XFRM_MSG_UPDPOLICY: return "UPDPOLICY";
	case XFRM_MSG_UPDSA: return "UPDSA";
	case XFRM_MSG_POLEXPIRE: return "POLEXPIRE";
	case XFRM_MSG_MAPPING: return "MAPPING";
	case XFRM_MSG_MIGRATE: return "MIGRATE";
	}
	return "?";
}
