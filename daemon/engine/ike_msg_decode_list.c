/* Decoders of the payloads that carry lists: SA (proposals, transforms,
 * attributes), TSi/TSr and CP (RFC 7296 §3.3, §3.13, §3.15). */
#include "engine/ike_msg_int.h"

#include <string.h>

/* RFC 7296 §3.3.5: attributes are TV (AF=1, 2-byte value) or TLV; the only
 * IKEv2 attribute, KEY_LENGTH, must be TV and appear at most once. */
static int ike_msg_decode_attrs(struct ike_transform *t, struct rd *r)
{
	bool have_key_len = false;

	t->attrs = (struct ike_bytes){ .ptr = r->pos, .len = rd_left(r) };
	while (rd_left(r) > 0) {
		uint16_t type, val;

		if (rd_left(r) < 4)
			return IKE_ERR_TRANSFORM_ATTR;
		type = rd_u16(r);
		val = rd_u16(r);
		if (!(type & 0x8000) && !rd_skip(r, val))
			return IKE_ERR_TRANSFORM_ATTR;
		if ((type & 0x7fff) != TATTR_KEY_LENGTH) {
			if (t->n_unknown_attrs < UINT8_MAX)
				t->n_unknown_attrs++;
			continue;
		}
		if (!(type & 0x8000) || have_key_len || val == 0)
			return IKE_ERR_TRANSFORM_ATTR;
		have_key_len = true;
		t->key_len = val;
	}
	return 0;
}

/* RFC 7296 §3.3.2: Last Substruc is 3 before another transform, 0 last. */
static int ike_msg_decode_transform(struct ike_transform *t, struct rd *r,
				    bool last)
{
	uint8_t more;
	uint16_t len;
	struct rd sub;

	if (rd_left(r) < 8)
		return IKE_ERR_PROPOSAL_COUNT; /* fewer than announced */
	more = rd_u8(r);
	rd_skip(r, 1);
	len = rd_u16(r);
	if (len < 8 || len - 4u > rd_left(r))
		return IKE_ERR_TRANSFORM;
	if (more != (last ? 0 : 3))
		return IKE_ERR_PROPOSAL_COUNT;
	sub = rd_sub(r, len - 4u);
	memset(t, 0, sizeof(*t));
	t->type = rd_u8(&sub);
	rd_skip(&sub, 1);
	t->id = rd_u16(&sub);
	return ike_msg_decode_attrs(t, &sub);
}

/* RFC 7296 §3.3.1: SPI size is 0 or 8 for IKE (8 when rekeying), 4 for AH
 * and ESP (and the Fibre Channel protocols of RFC 4595). */
static bool ike_msg_proposal_spi_ok(uint8_t protocol, size_t spi_size)
{
	switch (protocol) {
	case PROTO_IKE: return spi_size == 0 || spi_size == 8;
	case PROTO_AH:
	case PROTO_ESP:
	case PROTO_FC_ESP_HEADER:
	case PROTO_FC_CT_AUTHENTICATION: return spi_size == 4;
	}
	return true;
}

static int ike_msg_decode_proposal(struct ike_msg *m, struct ike_proposal *pr,
				   struct rd *r)
{
	uint8_t spi_size, n;
	int rc;

	pr->num = rd_u8(r);
	pr->protocol = rd_u8(r);
	spi_size = rd_u8(r);
	n = rd_u8(r);
	if (!ike_msg_proposal_spi_ok(pr->protocol, spi_size))
		return IKE_ERR_SPI_SIZE;
	if (spi_size > rd_left(r))
		return IKE_ERR_PAYLOAD_SYNTAX;
	pr->spi = ike_msg_view(r, spi_size);
	if (n == 0)
		return IKE_ERR_PROPOSAL_COUNT;
	if (m->n_transform_pool + n > IKE_MSG_MAX_TRANSFORMS)
		return IKE_ERR_TOO_MANY_ITEMS;
	pr->transforms = &m->transform_pool[m->n_transform_pool];
	pr->n_transforms = n;
	for (unsigned i = 0; i < n; i++) {
		struct ike_transform *t =
			&m->transform_pool[m->n_transform_pool];

		rc = ike_msg_decode_transform(t, r, i + 1 == n);
		if (rc < 0)
			return rc;
		m->n_transform_pool++;
	}
	/* The proposal length must be used up by exactly n transforms. */
	return rd_left(r) == 0 ? 0 : IKE_ERR_PROPOSAL_COUNT;
}

/* RFC 7296 §3.3.1: an offer numbers its proposals 1, 2, 3 …; an answer
 * carries one proposal with the number it accepted. Last Substruc is 2
 * before another proposal and 0 on the last one. */
int ike_msg_decode_sa(struct ike_msg *m, struct ike_payload *p, struct rd *r)
{
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	struct ike_pl_sa *sa = &p->u.sa;
	uint8_t more = 2;
	int rc;

	sa->proposals = &m->proposal_pool[m->n_proposal_pool];
	sa->n_proposals = 0;
	while (rd_left(r) > 0) {
		struct ike_proposal *pr;
		struct rd sub;
		uint16_t len;

		if (more != 2)
			return IKE_ERR_PROPOSAL_COUNT; /* data after the last */
		if (m->n_proposal_pool >= IKE_MSG_MAX_PROPOSALS)
			return IKE_ERR_TOO_MANY_ITEMS;
		if (rd_left(r) < 8)
			return IKE_ERR_PAYLOAD_SYNTAX;
		more = rd_u8(r);
		rd_skip(r, 1);
		len = rd_u16(r);
		if (more != 0 && more != 2)
			return IKE_ERR_PROPOSAL_COUNT;
		if (len < 8 || len - 4u > rd_left(r))
			return IKE_ERR_PAYLOAD_SYNTAX;
		sub = rd_sub(r, len - 4u);
		pr = &m->proposal_pool[m->n_proposal_pool];
		memset(pr, 0, sizeof(*pr));
		rc = ike_msg_decode_proposal(m, pr, &sub);
		if (rc < 0)
			return rc;
		if (pr->num == 0 ||
		    (sa->n_proposals == 0 && !response && pr->num != 1) ||
		    (sa->n_proposals > 0 &&
		     pr->num != sa->proposals[sa->n_proposals - 1].num + 1))
			return IKE_ERR_PROPOSAL_NUM;
		m->n_proposal_pool++;
		sa->n_proposals++;
	}
	return more == 0 ? 0 : IKE_ERR_PROPOSAL_COUNT;
}

static int ike_msg_decode_selector(struct ike_ts *ts, struct rd *r)
{
	uint16_t len;
	size_t alen;
	struct rd sub;

	if (rd_left(r) < 4)
		return IKE_ERR_TS_LENGTH;
	memset(ts, 0, sizeof(*ts));
	ts->type = rd_u8(r);
	ts->ip_proto = rd_u8(r);
	len = rd_u16(r);
	if (len < 4 || len - 4u > rd_left(r))
		return IKE_ERR_TS_LENGTH;
	sub = rd_sub(r, len - 4u);
	switch (ts->type) {
	case TS_IPV4_ADDR_RANGE: alen = 4; break;
	case TS_IPV6_ADDR_RANGE: alen = 16; break;
	default: ts->raw = ike_msg_view(&sub, rd_left(&sub)); return 0;
	}
	/* §3.13.1: 16 octets for IPv4, 40 for IPv6, header included */
	if (len != 8 + 2 * alen)
		return IKE_ERR_TS_LENGTH;
	ts->start_port = rd_u16(&sub);
	ts->end_port = rd_u16(&sub);
	ts->start = ike_msg_view(&sub, alen);
	ts->end = ike_msg_view(&sub, alen);
	/* Start port > end port is legal (OPAQUE, RFC 4301 §4.4.1); a start
	 * address above the end address is not a range. */
	if (memcmp(ts->start.ptr, ts->end.ptr, alen) > 0)
		return IKE_ERR_TS_RANGE;
	return 0;
}

/* RFC 7296 §3.13: Number of TSs, 3 reserved octets, then the selectors. */
int ike_msg_decode_ts(struct ike_msg *m, struct ike_payload *p, struct rd *r)
{
	struct ike_pl_ts *t = &p->u.ts;
	uint8_t n = rd_u8(r);
	int rc;

	rd_skip(r, 3);
	if (m->n_ts_pool + n > IKE_MSG_MAX_TS)
		return IKE_ERR_TOO_MANY_ITEMS;
	t->ts = &m->ts_pool[m->n_ts_pool];
	t->n_ts = n;
	for (unsigned i = 0; i < n; i++) {
		rc = ike_msg_decode_selector(&m->ts_pool[m->n_ts_pool], r);
		if (rc < 0)
			return rc;
		m->n_ts_pool++;
	}
	return rd_left(r) == 0 ? 0 : IKE_ERR_TS_LENGTH;
}

/* RFC 7296 §3.15.1 (and RFC 4306 §3.15.1, RFC 5739, RFC 8598): allowed
 * value lengths of the fixed-size attributes; 0 always means "asking for
 * it". Returns true when `len` fits `type`. */
static bool ike_msg_cfg_len_ok(uint16_t type, size_t len)
{
	switch (type) {
	case CFGA_INTERNAL_IP4_ADDRESS:
	case CFGA_INTERNAL_IP4_NETMASK:
	case CFGA_INTERNAL_IP4_DNS:
	case CFGA_INTERNAL_IP4_NBNS:
	case CFGA_INTERNAL_IP4_DHCP:
	case CFGA_P_CSCF_IP4_ADDRESS: return len == 0 || len == 4;
	case CFGA_INTERNAL_IP6_DNS:
	case CFGA_INTERNAL_IP6_DHCP:
	case CFGA_P_CSCF_IP6_ADDRESS: return len == 0 || len == 16;
	case CFGA_INTERNAL_IP6_ADDRESS:
	case CFGA_INTERNAL_IP6_SUBNET: return len == 0 || len == 17;
	case CFGA_INTERNAL_IP4_SUBNET: return len == 0 || len == 8;
	case CFGA_SUPPORTED_ATTRIBUTES: return len % 2 == 0;
	}
	return true;
}

/* RFC 7296 §3.15: CFG Type, 3 reserved octets, then attributes. */
int ike_msg_decode_cp(struct ike_msg *m, struct ike_payload *p, struct rd *r)
{
	struct ike_pl_cp *cp = &p->u.cp;

	cp->cfg_type = rd_u8(r);
	rd_skip(r, 3);
	cp->attrs = &m->cfg_pool[m->n_cfg_pool];
	cp->n_attrs = 0;
	while (rd_left(r) > 0) {
		struct ike_cp_attr *a;
		uint16_t len;

		if (m->n_cfg_pool >= IKE_MSG_MAX_CFG_ATTRS)
			return IKE_ERR_TOO_MANY_ITEMS;
		a = &m->cfg_pool[m->n_cfg_pool];
		if (rd_left(r) < 4)
			return IKE_ERR_PAYLOAD_SYNTAX;
		a->type = rd_u16(r) & 0x7fff;
		len = rd_u16(r);
		if (len > rd_left(r) || !ike_msg_cfg_len_ok(a->type, len))
			return IKE_ERR_PAYLOAD_SYNTAX;
		a->value = ike_msg_view(r, len);
		m->n_cfg_pool++;
		cp->n_attrs++;
	}
	return 0;
}
