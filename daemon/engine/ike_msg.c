/* Message helpers of the IKEv2 codec: datagram classification, building and
 * searching a message; see ike_msg.h. */
#include "engine/ike_msg.h"

#include <stdio.h>
#include <string.h>

enum ike_dgram_kind ike_msg_classify(const void *buf, size_t len,
				     bool natt_port, size_t *ike_off)
{
	const uint8_t *p = buf;

	*ike_off = 0;
	/* RFC 3948 §2.3: a NAT-keepalive is one octet 0xFF */
	if (len == 1 && p[0] == 0xff)
		return IKE_DGRAM_KEEPALIVE;
	if (!natt_port)
		return len > 0 ? IKE_DGRAM_IKE : IKE_DGRAM_INVALID;
	/* RFC 3948 §2.2: on 4500 IKE follows four zero octets (the non-ESP
	 * marker), where ESP would carry its non-zero SPI. */
	if (len < IKE_NON_ESP_MARKER_LEN)
		return IKE_DGRAM_INVALID;
	if (p[0] | p[1] | p[2] | p[3]) {
		/* RFC 3948 §2.1: ESP header (SPI, sequence) is 8 octets */
		return len >= 8 ? IKE_DGRAM_ESP : IKE_DGRAM_INVALID;
	}
	if (len == IKE_NON_ESP_MARKER_LEN)
		return IKE_DGRAM_INVALID;
	*ike_off = IKE_NON_ESP_MARKER_LEN;
	return IKE_DGRAM_IKE;
}

void ike_msg_init(struct ike_msg *m, uint64_t spi_i, uint64_t spi_r,
		  uint8_t exchange, uint8_t flags, uint32_t msg_id)
{
	m->hdr = (struct ike_hdr){
		.spi_i = spi_i,
		.spi_r = spi_r,
		.version = IKE_VERSION_2,
		.exchange = exchange,
		.flags = flags,
		.msg_id = msg_id,
	};
	m->raw = (struct ike_bytes){ 0 };
	m->n_payloads = 0;
	m->err_payload = 0;
	m->err_off = 0;
	m->n_proposal_pool = 0;
	m->n_transform_pool = 0;
	m->n_ts_pool = 0;
	m->n_cfg_pool = 0;
}

struct ike_payload *ike_msg_add(struct ike_msg *m, uint8_t type)
{
	struct ike_payload *p;

	if (m->n_payloads >= IKE_MSG_MAX_PAYLOADS)
		return NULL;
	p = &m->payloads[m->n_payloads++];
	memset(p, 0, sizeof(*p));
	p->type = type;
	return p;
}

const struct ike_payload *ike_msg_find(const struct ike_msg *m, uint8_t type,
				       const struct ike_payload *prev)
{
	size_t i = prev ? (size_t)(prev - m->payloads) + 1 : 0;

	for (; i < m->n_payloads; i++) {
		if (m->payloads[i].type == type)
			return &m->payloads[i];
	}
	return NULL;
}

const struct ike_payload *ike_msg_find_notify(const struct ike_msg *m,
					      uint16_t type)
{
	const struct ike_payload *p = NULL;

	while ((p = ike_msg_find(m, PL_NOTIFY, p)) != NULL) {
		if (p->u.notify.type == type)
			return p;
	}
	return NULL;
}

uint32_t ike_msg_delete_spi(const struct ike_pl_delete *d, uint16_t i)
{
	const uint8_t *s;

	if (d->spi_size != 4 || i >= d->n_spis ||
	    (size_t)(i + 1) * 4 > d->spis.len)
		return 0;
	s = d->spis.ptr + (size_t)i * 4;
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
	       (uint32_t)s[2] << 8 | s[3];
}

/* Appends to a summary being built; keeps *n at most cap - 1. */
static void ike_msg_sum_put(char *buf, size_t cap, size_t *n, const char *fmt,
			    const char *s, unsigned v)
{
	int k;

	if (*n + 1 >= cap)
		return;
	k = s ? snprintf(buf + *n, cap - *n, fmt, s)
	      : snprintf(buf + *n, cap - *n, fmt, v);
	if (k > 0)
		*n += (size_t)k < cap - *n ? (size_t)k : cap - *n - 1;
}

static void ike_msg_put_payload(const struct ike_payload *p, char *buf,
				size_t cap, size_t *n)
{
	const char *name = ike_payload_type_name(p->type);
	const char *nn;

	if (p->type != PL_NOTIFY) {
		if (name)
			ike_msg_sum_put(buf, cap, n, " %s", name, 0);
		else
			ike_msg_sum_put(buf, cap, n, " #%u", NULL, p->type);
		return;
	}
	nn = ike_notify_type_name(p->u.notify.type);
	if (nn)
		ike_msg_sum_put(buf, cap, n, " N(%s)", nn, 0);
	else
		ike_msg_sum_put(buf, cap, n, " N(%u)", NULL, p->u.notify.type);
}

const char *ike_msg_summary(const struct ike_msg *m, char *buf, size_t cap)
{
	const char *ex = ike_exchange_type_name(m->hdr.exchange);
	bool in_sk = false;
	size_t n = 0;

	if (cap == 0)
		return buf;
	buf[0] = 0;
	if (ex)
		ike_msg_sum_put(buf, cap, &n, "%s", ex, 0);
	else
		ike_msg_sum_put(buf, cap, &n, "exchange %u", NULL,
				m->hdr.exchange);
	ike_msg_sum_put(
		buf, cap, &n, " %s",
		m->hdr.flags & IKE_FLAG_RESPONSE ? "response" : "request", 0);
	ike_msg_sum_put(buf, cap, &n, " %u [", NULL, m->hdr.msg_id);
	for (unsigned i = 0; i < m->n_payloads; i++) {
		const struct ike_payload *p = &m->payloads[i];

		if (p->inner && !in_sk)
			ike_msg_sum_put(buf, cap, &n, "%s", " {", 0);
		in_sk = p->inner;
		ike_msg_put_payload(p, buf, cap, &n);
	}
	ike_msg_sum_put(buf, cap, &n, "%s", in_sk ? " } ]" : " ]", 0);
	return buf;
}
