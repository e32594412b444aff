/* IKEv2 message decoder: header, payload chain and the fixed-layout
 * payloads (RFC 7296 §3); list payloads are in ike_msg_decode_list.c. */
#include "engine/ike_msg.h"
#include "engine/ike_msg_int.h"
#include "engine/rd.h"

#include <string.h>

/* Smallest body (after the generic header) of each payload we decode. */
static int ike_msg_min_body(uint8_t type)
{
	switch (type) {
	case PL_SA: return 8; /* one proposal header */
	case PL_KE: return 4;
	case PL_IDI:
	case PL_IDR: return 4;
	case PL_CERT:
	case PL_CERTREQ: return 1;
	case PL_AUTH: return 4;
	case PL_NONCE: return 16; /* §3.9: 16 to 256 octets */
	case PL_NOTIFY: return 4;
	case PL_DELETE: return 4;
	case PL_VENDOR: return 0;
	case PL_TSI:
	case PL_TSR: return 4;
	case PL_SK: return 0;
	case PL_CP: return 4;
	case PL_EAP: return 4;
	case PL_SKF: return 4;
	}
	return -1; /* not a payload this codec understands */
}

/* RFC 7296 §3.10: the SPI, if any, belongs to the SA of `protocol`. */
static bool ike_msg_notify_spi_ok(uint8_t protocol, size_t spi_size)
{
	switch (protocol) {
	case PROTO_NONE: return spi_size == 0;
	case PROTO_IKE: return spi_size == 0 || spi_size == 8;
	case PROTO_AH:
	case PROTO_ESP: return spi_size == 0 || spi_size == 4;
	}
	return true;
}

static int ike_msg_decode_notify(struct ike_pl_notify *n, struct rd *r)
{
	uint8_t spi_size;

	n->protocol = rd_u8(r);
	spi_size = rd_u8(r);
	n->type = rd_u16(r);
	if (!ike_msg_notify_spi_ok(n->protocol, spi_size))
		return IKE_ERR_SPI_SIZE;
	if (spi_size > rd_left(r))
		return IKE_ERR_PAYLOAD_SYNTAX;
	n->spi = ike_msg_view(r, spi_size);
	n->data = ike_msg_view(r, rd_left(r));
	return 0;
}

/* RFC 7296 §3.11: IKE SA deletion carries no SPI; AH/ESP SPIs are 4. */
static int ike_msg_decode_delete(struct ike_pl_delete *d, struct rd *r)
{
	d->protocol = rd_u8(r);
	d->spi_size = rd_u8(r);
	d->n_spis = rd_u16(r);
	switch (d->protocol) {
	case PROTO_IKE:
		if (d->spi_size != 0)
			return IKE_ERR_SPI_SIZE;
		break;
	case PROTO_AH:
	case PROTO_ESP:
		if (d->spi_size != 4)
			return IKE_ERR_SPI_SIZE;
		break;
	}
	if ((size_t)d->n_spis * d->spi_size != rd_left(r))
		return IKE_ERR_PAYLOAD_SYNTAX;
	d->spis = ike_msg_view(r, rd_left(r));
	return 0;
}

/* RFC 7296 §3.16 carries one EAP message (RFC 3748 §4.1) whose own length
 * must fill the payload. */
static int ike_msg_decode_eap(struct ike_pl_eap *e, struct rd *r)
{
	size_t len = rd_left(r);
	struct ike_bytes all = { .ptr = r->pos, .len = len };
	uint16_t eap_len;

	e->code = rd_u8(r);
	e->identifier = rd_u8(r);
	eap_len = rd_u16(r);
	if (eap_len != len)
		return IKE_ERR_EAP_LENGTH;
	e->type = 0;
	if (e->code == 1 || e->code == 2) {
		if (len < 5)
			return IKE_ERR_EAP_LENGTH;
		e->type = rd_u8(r);
	}
	rd_skip(r, rd_left(r));
	e->data = all;
	return 0;
}

/* RFC 7383 §2.5: fragments are numbered 1 … Total Fragments. */
static int ike_msg_decode_skf(struct ike_pl_skf *f, struct rd *r)
{
	f->frag_num = rd_u16(r);
	f->total = rd_u16(r);
	if (f->frag_num == 0 || f->total == 0 || f->frag_num > f->total)
		return IKE_ERR_FRAGMENT;
	f->body = ike_msg_view(r, rd_left(r));
	return 0;
}

/* Decodes the body of a payload whose type ike_msg_min_body() knows. */
static int ike_msg_decode_body(struct ike_msg *m, struct ike_payload *p,
			       uint8_t next, struct rd *r)
{
	switch (p->type) {
	case PL_SA: return ike_msg_decode_sa(m, p, r);
	case PL_TSI:
	case PL_TSR: return ike_msg_decode_ts(m, p, r);
	case PL_CP: return ike_msg_decode_cp(m, p, r);
	case PL_NOTIFY: return ike_msg_decode_notify(&p->u.notify, r);
	case PL_DELETE: return ike_msg_decode_delete(&p->u.del, r);
	case PL_EAP: return ike_msg_decode_eap(&p->u.eap, r);
	case PL_SKF:
		p->u.skf.first_payload = next;
		return ike_msg_decode_skf(&p->u.skf, r);
	case PL_KE:
		p->u.ke.group = rd_u16(r);
		rd_skip(r, 2); /* reserved */
		p->u.ke.data = ike_msg_view(r, rd_left(r));
		return 0;
	case PL_IDI:
	case PL_IDR:
		p->u.id.type = rd_u8(r);
		rd_skip(r, 3);
		p->u.id.data = ike_msg_view(r, rd_left(r));
		return 0;
	case PL_CERT:
	case PL_CERTREQ:
		p->u.cert.encoding = rd_u8(r);
		p->u.cert.data = ike_msg_view(r, rd_left(r));
		return 0;
	case PL_AUTH:
		p->u.auth.method = rd_u8(r);
		rd_skip(r, 3);
		p->u.auth.data = ike_msg_view(r, rd_left(r));
		return 0;
	case PL_NONCE:
		if (rd_left(r) > 256)
			return IKE_ERR_PAYLOAD_LENGTH;
		p->u.nonce.data = ike_msg_view(r, rd_left(r));
		return 0;
	case PL_VENDOR: p->u.vendor.id = ike_msg_view(r, rd_left(r)); return 0;
	case PL_SK:
		p->u.sk.first_payload = next;
		p->u.sk.body = ike_msg_view(r, rd_left(r));
		return 0;
	}
	return IKE_ERR_PAYLOAD_SYNTAX;
}

/* Reads one generic payload header (RFC 7296 §3.2) and its body into a new
 * payload of `m`; *next receives its Next Payload field. */
static int ike_msg_decode_one(struct ike_msg *m, uint8_t type, struct rd *r,
			      size_t off, bool inner, uint8_t *next)
{
	struct ike_payload *p;
	struct rd body;
	uint16_t plen;
	uint8_t flags;
	int min, rc;

	if (m->n_payloads >= IKE_MSG_MAX_PAYLOADS)
		return IKE_ERR_TOO_MANY_PAYLOADS;
	if (rd_left(r) < 4)
		return IKE_ERR_PAYLOAD_OVERRUN;
	*next = rd_u8(r);
	flags = rd_u8(r);
	plen = rd_u16(r);
	if (plen < 4)
		return IKE_ERR_PAYLOAD_LENGTH;
	if (plen - 4u > rd_left(r))
		return IKE_ERR_PAYLOAD_OVERRUN;
	body = rd_sub(r, plen - 4u);

	min = ike_msg_min_body(type);
	if (min < 0 && (flags & IKE_PAYLOAD_CRITICAL))
		return IKE_ERR_CRITICAL; /* §2.5 */
	if (min >= 0 && rd_left(&body) < (size_t)min)
		return IKE_ERR_PAYLOAD_LENGTH;
	if (inner && (type == PL_SK || type == PL_SKF))
		return IKE_ERR_PAYLOAD_SYNTAX; /* no SK inside SK */

	p = &m->payloads[m->n_payloads];
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->critical = flags & IKE_PAYLOAD_CRITICAL;
	p->inner = inner;
	p->off = off;
	p->body = (struct ike_bytes){ .ptr = body.pos, .len = rd_left(&body) };
	if (min >= 0) {
		rc = ike_msg_decode_body(m, p, *next, &body);
		if (rc < 0)
			return rc;
		if (!rd_end(&body))
			return IKE_ERR_PAYLOAD_SYNTAX;
	}
	m->n_payloads++;
	return 0;
}

/* Walks a payload chain starting with `first` over exactly `r`. `base` is
 * where the IKE message starts, for payload offsets. */
static int ike_msg_walk(struct ike_msg *m, uint8_t first, struct rd *r,
			const uint8_t *base, bool inner)
{
	uint8_t type = first, next = 0;
	int rc;

	while (type != PL_NONE) {
		size_t off = (size_t)(r->pos - base);

		rc = ike_msg_decode_one(m, type, r, off, inner, &next);
		if (rc < 0) {
			m->err_payload = type;
			m->err_off = off;
			return rc;
		}
		if (type == PL_SK || type == PL_SKF) {
			/* §3.14: SK is last; its Next Payload names the first
			 * payload inside. */
			if (rd_left(r) != 0) {
				m->err_payload = type;
				m->err_off = off;
				return IKE_ERR_SK_NOT_LAST;
			}
			return 0;
		}
		type = next;
	}
	if (rd_left(r) != 0) {
		m->err_off = (size_t)(r->pos - base);
		return IKE_ERR_TRAILING;
	}
	return 0;
}

int ike_msg_decode(struct ike_msg *m, const void *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	struct ike_hdr *h = &m->hdr;

	ike_msg_init(m, 0, 0, 0, 0, 0);
	m->hdr.version = 0;
	if (len < IKE_HDR_LEN)
		return IKE_ERR_TRUNCATED;
	/* RFC 7296 §3.1 */
	h->spi_i = rd_u64(&r);
	h->spi_r = rd_u64(&r);
	h->next_payload = rd_u8(&r);
	h->version = rd_u8(&r);
	h->exchange = rd_u8(&r);
	h->flags = rd_u8(&r);
	h->msg_id = rd_u32(&r);
	h->length = rd_u32(&r);
	m->raw = (struct ike_bytes){ .ptr = buf, .len = len };
	/* §2.5: a different major version is refused before anything else */
	if (h->version >> 4 != IKE_VERSION_2 >> 4)
		return IKE_ERR_MAJOR_VERSION;
	if (h->length != len)
		return IKE_ERR_LENGTH;
	return ike_msg_walk(m, h->next_payload, &r, buf, false);
}

int ike_msg_decode_chain(struct ike_msg *m, uint8_t first, const void *buf,
			 size_t len, bool inner)
{
	struct rd r = rd_init(buf, len);

	return ike_msg_walk(m, first, &r, buf, inner);
}

int ike_msg_decode_inner(struct ike_msg *m, const void *plain, size_t len)
{
	for (size_t i = m->n_payloads; i-- > 0;) {
		const struct ike_payload *p = &m->payloads[i];

		if (p->inner)
			continue;
		if (p->type == PL_SK)
			return ike_msg_decode_chain(m, p->u.sk.first_payload,
						    plain, len, true);
		if (p->type == PL_SKF)
			return ike_msg_decode_chain(m, p->u.skf.first_payload,
						    plain, len, true);
		break;
	}
	return IKE_ERR_PAYLOAD_SYNTAX;
}
