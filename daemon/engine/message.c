/* Message helpers shared by the exchanges: header, SK protection
 * (RFC 7296 §3.14) and the request/response send paths. */
#include "engine/ike_sa.h"

#include "crypto/skp.h"

#include <string.h>

void msg_start(struct ike_sa *sa, struct ike_msg *m, uint8_t exchange,
	       bool response, uint32_t msg_id)
{
	uint8_t flags = 0;

	/* §3.1: I is set by the original initiator, R on responses. */
	if (sa->initiator)
		flags |= IKE_FLAG_INITIATOR;
	if (response)
		flags |= IKE_FLAG_RESPONSE;
	ike_msg_init(m, sa->spi_i, sa->spi_r, exchange, flags, msg_id);
}

struct ike_payload *msg_add_notify(struct ike_msg *m, bool inner, uint16_t type,
				   uint8_t proto, const void *data, size_t len)
{
	struct ike_payload *p = ike_msg_add(m, PL_NOTIFY);

	if (!p)
		return NULL;
	p->inner = inner;
	p->u.notify.type = type;
	p->u.notify.protocol = proto;
	p->u.notify.data = (struct ike_bytes){ data, len };
	return p;
}

static bool msg_has_inner(const struct ike_msg *m)
{
	for (size_t i = 0; i < m->n_payloads; i++)
		if (m->payloads[i].inner)
			return true;
	return false;
}

/* Encodes the inner payloads, reserves an SK payload for them at the end
 * of the message and protects it in place. */
static int msg_seal_sk(struct ike_sa *sa, struct ike_msg *m, uint8_t *buf,
		       size_t cap, size_t *len)
{
	uint8_t plain[IKE_SA_MSG_MAX];
	size_t plain_len = 0, body_len, hdr_len, out_len;
	struct ike_payload *sk;
	uint8_t first = PL_NONE;
	int err;

	for (size_t i = 0; i < m->n_payloads && first == PL_NONE; i++)
		if (m->payloads[i].inner)
			first = m->payloads[i].type;
	if (first != PL_NONE) {
		err = ike_msg_encode_inner(m, plain, sizeof(plain), &plain_len);
		if (err)
			return err;
	}
	body_len = plain_len + skp_overhead(sa->sk, plain_len);
	sk = ike_msg_add(m, PL_SK);
	if (!sk)
		return -ENG_ERR_NOMEM;
	sk->u.sk.first_payload = first;
	sk->u.sk.body = (struct ike_bytes){ NULL, body_len };
	err = ike_msg_encode(m, buf, cap, &out_len);
	if (err)
		goto out;
	hdr_len = out_len - body_len;
	memcpy(buf + hdr_len + skp_iv_len(sa->sk), plain, plain_len);
	err = skp_protect(sa->sk, buf, cap, hdr_len, PL_SK, plain_len, NULL,
			  len);
out:
	crypto_wipe(plain, plain_len);
	return err;
}

int msg_seal(struct ike_sa *sa, struct ike_msg *m, uint8_t *buf, size_t cap,
	     size_t *len)
{
	if (sa->sk && (msg_has_inner(m) || m->hdr.exchange != EXCH_IKE_SA_INIT))
		return msg_seal_sk(sa, m, buf, cap, len);
	return ike_msg_encode(m, buf, cap, len);
}

int msg_open(struct ike_sa *sa, struct ike_msg *m, uint8_t *plain, size_t cap)
{
	const struct ike_payload *sk = ike_msg_find(m, PL_SK, NULL);
	size_t off, len;
	int err;

	if (!sk || !sa->sk)
		return -ENG_ERR_MISSING;
	if (m->raw.len > cap)
		return -ENG_ERR_MALFORMED;
	memcpy(plain, m->raw.ptr, m->raw.len);
	err = skp_unprotect(sa->sk, plain, m->raw.len,
			    sk->off + skp_header_len(PL_SK), PL_SK, &off, &len);
	if (err)
		return err;
	return ike_msg_decode_inner(m, plain + off, len);
}

/* Seals `m` again as fragments (RFC 7383 §2.5) into `buf`. The SK
 * payload msg_seal() appended is dropped first. */
static int msg_fragment(struct ike_sa *sa, struct ike_msg *m, uint8_t *buf,
			size_t cap, size_t *len)
{
	if (m->n_payloads && m->payloads[m->n_payloads - 1].type == PL_SK)
		m->n_payloads--;
	return frag_seal(sa, m, buf, cap, len);
}

int msg_send_request(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	uint8_t buf[2 * IKE_SA_MSG_MAX]; /* room for fragments' headers */
	size_t len;
	bool train;
	int err;

	m->hdr.msg_id = sa->req_next;
	err = msg_seal(sa, m, buf, sizeof(buf), &len);
	if (err)
		return err;
	train = frag_wanted(sa, m->hdr.exchange, len);
	if (train && (err = msg_fragment(sa, m, buf, sizeof(buf), &len)))
		return err;
	err = win_request(sa, now, m->hdr.exchange, sa->req_next, buf, len,
			  train);
	if (!err)
		sa->req_next++;
	return err;
}

int msg_send_response(struct ike_sa *sa, struct ike_msg *m)
{
	uint8_t buf[2 * IKE_SA_MSG_MAX]; /* room for fragments' headers */
	size_t len;
	bool train;
	int err;

	m->hdr.msg_id = sa->resp_cur;
	err = msg_seal(sa, m, buf, sizeof(buf), &len);
	if (err)
		return err;
	train = frag_wanted(sa, m->hdr.exchange, len);
	if (train && (err = msg_fragment(sa, m, buf, sizeof(buf), &len)))
		return err;
	return win_respond(sa, sa->resp_cur, buf, len, train);
}
