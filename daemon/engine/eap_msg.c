/* EAP message codec; see eap_msg.h. */
#include "engine/eap_msg.h"

#include "engine/rd.h"
#include "engine/wr.h"

#include <string.h>

static struct ike_bytes eap_view(struct rd *r, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);

	return (struct ike_bytes){ p, p ? n : 0 };
}

/* The MS-CHAPv2 packet after the EAP Type octet. A request carries
 * Challenge, Success or Failure; a response Response, or the bare OpCode
 * acknowledging Success or Failure. */
static int eap_msg_decode_ms(struct eap_msg *m, struct rd *r)
{
	struct eap_ms *ms = &m->ms;
	bool req = m->code == EAP_CODE_REQUEST;
	uint8_t vsize;

	ms->op = rd_u8(r);
	if (!rd_ok(r))
		return IKE_ERR_EAP_LENGTH;
	if (!req && (ms->op == EAP_MS_SUCCESS || ms->op == EAP_MS_FAILURE))
		return rd_left(r) ? IKE_ERR_PAYLOAD_SYNTAX : 0;
	ms->ms_id = rd_u8(r);
	(void)rd_u16(r); /* MS-Length: see eap_msg.h */
	switch (ms->op) {
	case EAP_MS_CHALLENGE:
		if (!req)
			return IKE_ERR_PAYLOAD_SYNTAX;
		vsize = rd_u8(r);
		if (rd_ok(r) && vsize != EAP_MS_CHALLENGE_LEN)
			return IKE_ERR_PAYLOAD_SYNTAX;
		ms->challenge = rd_bytes(r, EAP_MS_CHALLENGE_LEN);
		ms->name = eap_view(r, rd_left(r));
		break;
	case EAP_MS_RESPONSE:
		if (req)
			return IKE_ERR_PAYLOAD_SYNTAX;
		vsize = rd_u8(r);
		if (rd_ok(r) && vsize != EAP_MS_RESPONSE_LEN)
			return IKE_ERR_PAYLOAD_SYNTAX;
		ms->peer_challenge = rd_bytes(r, 16);
		rd_skip(r, 8); /* reserved */
		ms->nt_response = rd_bytes(r, 24);
		ms->flags = rd_u8(r);
		ms->name = eap_view(r, rd_left(r));
		break;
	case EAP_MS_SUCCESS:
	case EAP_MS_FAILURE:
		if (!req)
			return IKE_ERR_PAYLOAD_SYNTAX;
		ms->message = eap_view(r, rd_left(r));
		break;
	default: /* Change-Password and the unknown: not understood */
		return IKE_ERR_PAYLOAD_SYNTAX;
	}
	return rd_end(r) ? 0 : IKE_ERR_EAP_LENGTH;
}

int eap_msg_decode(struct eap_msg *m, const void *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	uint16_t eap_len;

	memset(m, 0, sizeof(*m));
	m->code = rd_u8(&r);
	m->identifier = rd_u8(&r);
	eap_len = rd_u16(&r);
	if (!rd_ok(&r) || eap_len != len)
		return IKE_ERR_EAP_LENGTH;
	if (m->code != EAP_CODE_REQUEST && m->code != EAP_CODE_RESPONSE)
		return len == 4 ? 0 : IKE_ERR_EAP_LENGTH;
	m->type = rd_u8(&r);
	if (!rd_ok(&r))
		return IKE_ERR_EAP_LENGTH;
	m->data = (struct ike_bytes){ r.pos, rd_left(&r) };
	if (m->type == EAP_TYPE_MSCHAPV2)
		return eap_msg_decode_ms(m, &r);
	return 0;
}

/* Header with the Length reserved; the Type octet only in Requests and
 * Responses (§4.2: Success and Failure have none). */
static size_t eap_msg_start(struct wr *w, uint8_t code, uint8_t id,
			    uint8_t type)
{
	size_t at;

	wr_u8(w, code);
	wr_u8(w, id);
	at = wr_reserve_u16(w);
	if (code == EAP_CODE_REQUEST || code == EAP_CODE_RESPONSE)
		wr_u8(w, type);
	return at;
}

static int eap_msg_finish(struct wr *w, size_t at, size_t *len)
{
	if (!wr_fill_len_u16(w, at, 0) || !wr_ok(w))
		return IKE_ERR_NO_SPACE;
	*len = wr_len(w);
	return 0;
}

int eap_msg_encode_result(uint8_t code, uint8_t id, void *buf, size_t cap,
			  size_t *len)
{
	struct wr w = wr_init(buf, cap);
	size_t at = eap_msg_start(&w, code, id, 0);

	return eap_msg_finish(&w, at, len);
}

int eap_msg_encode_simple(uint8_t code, uint8_t id, uint8_t type,
			  const void *data, size_t data_len, void *buf,
			  size_t cap, size_t *len)
{
	struct wr w = wr_init(buf, cap);
	size_t at = eap_msg_start(&w, code, id, type);

	wr_bytes(&w, data, data_len);
	return eap_msg_finish(&w, at, len);
}

int eap_msg_encode_ms(uint8_t code, uint8_t id, const struct eap_ms *ms,
		      void *buf, size_t cap, size_t *len)
{
	struct wr w = wr_init(buf, cap);
	size_t at = eap_msg_start(&w, code, id, EAP_TYPE_MSCHAPV2), ms_at, from;

	wr_u8(&w, ms->op);
	if (code == EAP_CODE_RESPONSE &&
	    (ms->op == EAP_MS_SUCCESS || ms->op == EAP_MS_FAILURE))
		return eap_msg_finish(&w, at, len);
	from = wr_len(&w) - 1; /* MS-Length counts from the OpCode */
	wr_u8(&w, ms->ms_id);
	ms_at = wr_reserve_u16(&w);
	switch (ms->op) {
	case EAP_MS_CHALLENGE:
		wr_u8(&w, EAP_MS_CHALLENGE_LEN);
		wr_bytes(&w, ms->challenge, EAP_MS_CHALLENGE_LEN);
		wr_bytes(&w, ms->name.ptr, ms->name.len);
		break;
	case EAP_MS_RESPONSE:
		wr_u8(&w, EAP_MS_RESPONSE_LEN);
		wr_bytes(&w, ms->peer_challenge, 16);
		wr_zero(&w, 8);
		wr_bytes(&w, ms->nt_response, 24);
		wr_u8(&w, ms->flags);
		wr_bytes(&w, ms->name.ptr, ms->name.len);
		break;
	default: wr_bytes(&w, ms->message.ptr, ms->message.len); break;
	}
	if (!wr_fill_len_u16(&w, ms_at, from))
		return IKE_ERR_NO_SPACE;
	return eap_msg_finish(&w, at, len);
}
