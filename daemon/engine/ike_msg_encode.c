/* IKEv2 message encoder: writes the header and payload chain from a
 * struct ike_msg, computing every length, count and Next Payload field
 * (RFC 7296 §3). Reserved fields are written as zero. */
#include "engine/ike_msg.h"
#include "engine/wr.h"

/* Flags `bad` when `v` does not fit in `max`; returns v clamped. */
static unsigned ike_msg_fit(size_t v, size_t max, bool *bad)
{
	if (v > max)
		*bad = true;
	return (unsigned)(v > max ? max : v);
}

static void ike_msg_put(struct wr *w, struct ike_bytes b)
{
	if (b.len && !b.ptr)
		wr_fail(w);
	else
		wr_bytes(w, b.ptr, b.len);
}

static void ike_msg_encode_transform(struct wr *w,
				     const struct ike_transform *t, bool last)
{
	size_t at, from = wr_len(w);

	wr_u8(w, last ? 0 : 3); /* §3.3.2 Last Substruc */
	wr_u8(w, 0);
	at = wr_reserve_u16(w);
	wr_u8(w, t->type);
	wr_u8(w, 0);
	wr_u16(w, t->id);
	if (t->attrs.len) {
		ike_msg_put(w, t->attrs);
	} else if (t->key_len) {
		wr_u16(w, 0x8000 | TATTR_KEY_LENGTH); /* §3.3.5 TV format */
		wr_u16(w, t->key_len);
	}
	wr_fill_len_u16(w, at, from);
}

static void ike_msg_encode_sa(struct wr *w, const struct ike_pl_sa *sa,
			      bool *bad)
{
	if (sa->n_proposals == 0 || !sa->proposals)
		*bad = true;
	for (unsigned i = 0; !*bad && i < sa->n_proposals; i++) {
		const struct ike_proposal *pr = &sa->proposals[i];
		size_t at, from = wr_len(w);

		wr_u8(w, i + 1 < sa->n_proposals ? 2 : 0); /* §3.3.1 */
		wr_u8(w, 0);
		at = wr_reserve_u16(w);
		wr_u8(w, pr->num);
		wr_u8(w, pr->protocol);
		wr_u8(w, ike_msg_fit(pr->spi.len, UINT8_MAX, bad));
		wr_u8(w, ike_msg_fit(pr->n_transforms, UINT8_MAX, bad));
		ike_msg_put(w, pr->spi);
		if (pr->n_transforms == 0 || !pr->transforms)
			*bad = true;
		for (unsigned j = 0; !*bad && j < pr->n_transforms; j++)
			ike_msg_encode_transform(w, &pr->transforms[j],
						 j + 1 == pr->n_transforms);
		wr_fill_len_u16(w, at, from);
	}
}

static void ike_msg_encode_ts(struct wr *w, const struct ike_pl_ts *t,
			      bool *bad)
{
	if (t->n_ts && !t->ts)
		*bad = true;
	wr_u8(w, ike_msg_fit(t->n_ts, UINT8_MAX, bad));
	wr_zero(w, 3);
	for (unsigned i = 0; i < t->n_ts && !*bad; i++) {
		const struct ike_ts *ts = &t->ts[i];
		size_t at, from = wr_len(w), alen = 0;

		wr_u8(w, ts->type);
		wr_u8(w, ts->ip_proto);
		at = wr_reserve_u16(w);
		if (ts->type == TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (ts->type == TS_IPV6_ADDR_RANGE)
			alen = 16;
		if (alen) {
			if (ts->start.len != alen || ts->end.len != alen)
				*bad = true;
			wr_u16(w, ts->start_port);
			wr_u16(w, ts->end_port);
			ike_msg_put(w, ts->start);
			ike_msg_put(w, ts->end);
		} else {
			ike_msg_put(w, ts->raw);
		}
		wr_fill_len_u16(w, at, from);
	}
}

static void ike_msg_encode_cp(struct wr *w, const struct ike_pl_cp *cp,
			      bool *bad)
{
	if (cp->n_attrs && !cp->attrs)
		*bad = true;
	wr_u8(w, cp->cfg_type);
	wr_zero(w, 3);
	for (unsigned i = 0; i < cp->n_attrs && !*bad; i++) {
		const struct ike_cp_attr *a = &cp->attrs[i];

		wr_u16(w, a->type & 0x7fff);
		wr_u16(w, ike_msg_fit(a->value.len, UINT16_MAX, bad));
		ike_msg_put(w, a->value);
	}
}

static void ike_msg_encode_notify(struct wr *w, const struct ike_pl_notify *n,
				  bool *bad)
{
	wr_u8(w, n->protocol);
	wr_u8(w, ike_msg_fit(n->spi.len, UINT8_MAX, bad));
	wr_u16(w, n->type);
	ike_msg_put(w, n->spi);
	ike_msg_put(w, n->data);
}

static void ike_msg_encode_delete(struct wr *w, const struct ike_pl_delete *d,
				  bool *bad)
{
	if ((size_t)d->n_spis * d->spi_size != d->spis.len)
		*bad = true;
	wr_u8(w, d->protocol);
	wr_u8(w, d->spi_size);
	wr_u16(w, d->n_spis);
	ike_msg_put(w, d->spis);
}

/* Writes the body of `p` (everything after its generic header). */
static void ike_msg_encode_body(struct wr *w, const struct ike_payload *p,
				bool *bad)
{
	const uint8_t zero3[3] = { 0 };

	switch (p->type) {
	case PL_SA: ike_msg_encode_sa(w, &p->u.sa, bad); return;
	case PL_TSI:
	case PL_TSR: ike_msg_encode_ts(w, &p->u.ts, bad); return;
	case PL_CP: ike_msg_encode_cp(w, &p->u.cp, bad); return;
	case PL_NOTIFY: ike_msg_encode_notify(w, &p->u.notify, bad); return;
	case PL_DELETE: ike_msg_encode_delete(w, &p->u.del, bad); return;
	case PL_KE:
		wr_u16(w, p->u.ke.group);
		wr_u16(w, 0);
		ike_msg_put(w, p->u.ke.data);
		return;
	case PL_IDI:
	case PL_IDR:
		wr_u8(w, p->u.id.type);
		wr_bytes(w, zero3, 3);
		ike_msg_put(w, p->u.id.data);
		return;
	case PL_CERT:
	case PL_CERTREQ:
		wr_u8(w, p->u.cert.encoding);
		ike_msg_put(w, p->u.cert.data);
		return;
	case PL_AUTH:
		wr_u8(w, p->u.auth.method);
		wr_bytes(w, zero3, 3);
		ike_msg_put(w, p->u.auth.data);
		return;
	case PL_NONCE: ike_msg_put(w, p->u.nonce.data); return;
	case PL_VENDOR: ike_msg_put(w, p->u.vendor.id); return;
	case PL_EAP: ike_msg_put(w, p->u.eap.data); return;
	case PL_SK:
		if (p->u.sk.body.ptr)
			ike_msg_put(w, p->u.sk.body);
		else
			wr_zero(w, p->u.sk.body.len);
		return;
	case PL_SKF:
		wr_u16(w, p->u.skf.frag_num);
		wr_u16(w, p->u.skf.total);
		if (p->u.skf.body.ptr)
			ike_msg_put(w, p->u.skf.body);
		else
			wr_zero(w, p->u.skf.body.len);
		return;
	}
	ike_msg_put(w, p->body); /* a payload we do not know: as received */
}

/* Writes one payload with generic header (RFC 7296 §3.2). SK and SKF carry
 * the type of the first inner payload instead of the next one (§3.14). */
static void ike_msg_encode_payload(struct wr *w, const struct ike_payload *p,
				   uint8_t next, bool *bad)
{
	size_t at, from = wr_len(w);

	if (p->type == PL_SK)
		next = p->u.sk.first_payload;
	else if (p->type == PL_SKF)
		next = p->u.skf.first_payload;
	wr_u8(w, next);
	wr_u8(w, p->critical ? IKE_PAYLOAD_CRITICAL : 0);
	at = wr_reserve_u16(w);
	ike_msg_encode_body(w, p, bad);
	wr_fill_len_u16(w, at, from);
}

static int ike_msg_result(struct wr *w, bool bad, size_t *out_len)
{
	*out_len = wr_len(w);
	if (bad)
		return IKE_ERR_ENCODE;
	return wr_ok(w) ? 0 : IKE_ERR_NO_SPACE;
}

/* Type of the first payload of `m` marked inner, or PL_NONE. */
static uint8_t ike_msg_first_inner(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n_payloads; i++) {
		if (m->payloads[i].inner)
			return m->payloads[i].type;
	}
	return PL_NONE;
}

/* Writes payload `p`; an SK payload whose first_payload is left 0 names
 * the first inner payload of `m` (RFC 7296 §3.14). */
static void ike_msg_encode_outer(struct wr *w, const struct ike_msg *m,
				 const struct ike_payload *p, uint8_t next,
				 bool *bad)
{
	struct ike_payload sk;

	if (p->type == PL_SK && p->u.sk.first_payload == PL_NONE) {
		sk = *p;
		sk.u.sk.first_payload = ike_msg_first_inner(m);
		p = &sk;
	}
	ike_msg_encode_payload(w, p, next, bad);
}

/* Encodes the payloads of `m` whose `inner` equals `inner`, in order. */
static void ike_msg_encode_list(struct wr *w, const struct ike_msg *m,
				bool inner, bool *bad)
{
	const struct ike_payload *prev = NULL;

	for (unsigned i = 0; i < m->n_payloads && !*bad; i++) {
		const struct ike_payload *p = &m->payloads[i];

		if (p->inner != inner)
			continue;
		if (prev)
			ike_msg_encode_outer(w, m, prev, p->type, bad);
		prev = p;
	}
	if (prev && !*bad)
		ike_msg_encode_outer(w, m, prev, PL_NONE, bad);
}

int ike_msg_encode_chain(const struct ike_payload *p, size_t n, void *buf,
			 size_t cap, size_t *out_len)
{
	struct wr w = wr_init(buf, cap);
	bool bad = false;

	for (size_t i = 0; i < n && !bad; i++)
		ike_msg_encode_payload(
			&w, &p[i], i + 1 < n ? p[i + 1].type : PL_NONE, &bad);
	return ike_msg_result(&w, bad, out_len);
}

int ike_msg_encode_inner(const struct ike_msg *m, void *buf, size_t cap,
			 size_t *out_len)
{
	struct wr w = wr_init(buf, cap);
	bool bad = false;

	ike_msg_encode_list(&w, m, true, &bad);
	return ike_msg_result(&w, bad, out_len);
}

/* Type of the first outer payload; fails when SK/SKF is not the last. */
static uint8_t ike_msg_first_outer(const struct ike_msg *m, bool *bad)
{
	uint8_t first = PL_NONE;
	bool sk_seen = false;

	for (unsigned i = 0; i < m->n_payloads; i++) {
		const struct ike_payload *p = &m->payloads[i];

		if (p->inner)
			continue;
		if (sk_seen)
			*bad = true; /* §3.14: SK must be last */
		if (first == PL_NONE)
			first = p->type;
		sk_seen = p->type == PL_SK || p->type == PL_SKF;
	}
	return first;
}

int ike_msg_encode(const struct ike_msg *m, void *buf, size_t cap,
		   size_t *out_len)
{
	struct wr w = wr_init(buf, cap);
	const struct ike_hdr *h = &m->hdr;
	bool bad = false;
	size_t at;

	/* RFC 7296 §3.1 */
	wr_u64(&w, h->spi_i);
	wr_u64(&w, h->spi_r);
	wr_u8(&w, ike_msg_first_outer(m, &bad));
	wr_u8(&w, h->version);
	wr_u8(&w, h->exchange);
	wr_u8(&w, h->flags);
	wr_u32(&w, h->msg_id);
	at = wr_reserve_u32(&w);
	ike_msg_encode_list(&w, m, false, &bad);
	wr_fill_len_u32(&w, at, 0);
	return ike_msg_result(&w, bad, out_len);
}
