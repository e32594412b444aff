/* IKE fragmentation (RFC 7383): the peer's Encrypted Fragment payloads
 * are verified one by one and put together with bounded memory (§2.6),
 * and our own protected messages above the fragment size go out as
 * fragments when the peer announced support (§2.5). */
#include "engine/exchange.h"

#include "crypto/skp.h"

#include <stdlib.h>
#include <string.h>

enum {
	FRAG_BYTES_MAX = 65536, /* plaintext of one reassembled message */
	FRAG_IP4_UDP = 20 + 8,
	FRAG_IP6_UDP = 40 + 8,
};

struct frag_buf {
	bool active, response;
	uint32_t msg_id;
	uint16_t total, n_have;
	uint8_t first; /* first inner payload, from fragment 1 */
	size_t bytes;
	uint8_t *part[IKE_FRAG_MAX];
	uint16_t len[IKE_FRAG_MAX];
};

static void frag_reset(struct frag_buf *f)
{
	for (size_t i = 0; i < IKE_FRAG_MAX; i++) {
		if (f->part[i]) {
			crypto_wipe(f->part[i], f->len[i]);
			free(f->part[i]);
		}
	}
	memset(f, 0, sizeof(*f));
}

void frag_free(struct ike_sa *sa)
{
	if (!sa->frag_in)
		return;
	frag_reset(sa->frag_in);
	free(sa->frag_in);
	sa->frag_in = NULL;
}

/* Verifies and decrypts one fragment; stores its plaintext. */
static int frag_store(struct ike_sa *sa, struct frag_buf *f,
		      const struct ike_msg *m, const struct ike_payload *skf)
{
	const struct ike_pl_skf *s = &skf->u.skf;
	uint8_t *tmp = malloc(m->raw.len);
	size_t off, len;
	int err;

	if (!tmp)
		return -ENG_ERR_NOMEM;
	memcpy(tmp, m->raw.ptr, m->raw.len);
	/* §2.6: each fragment is authenticated before it is kept */
	err = skp_unprotect(sa->sk, tmp, m->raw.len,
			    skf->off + skp_header_len(PL_SKF), PL_SKF, &off,
			    &len);
	if (!err && f->bytes + len > FRAG_BYTES_MAX)
		err = -ENG_ERR_MALFORMED;
	if (!err && !(f->part[s->frag_num - 1] = malloc(len ? len : 1)))
		err = -ENG_ERR_NOMEM;
	if (!err) {
		memcpy(f->part[s->frag_num - 1], tmp + off, len);
		f->len[s->frag_num - 1] = (uint16_t)len;
		f->bytes += len;
		f->n_have++;
		if (s->frag_num == 1)
			f->first = s->first_payload;
	}
	crypto_wipe(tmp, m->raw.len);
	free(tmp);
	return err;
}

int frag_receive(struct ike_sa *sa, struct ike_msg *m, uint8_t **plain,
		 size_t *plain_len)
{
	const struct ike_payload *skf = ike_msg_find(m, PL_SKF, NULL);
	bool resp = m->hdr.flags & IKE_FLAG_RESPONSE;
	struct frag_buf *f = sa->frag_in;
	uint16_t num, total;
	uint8_t *out;
	int err;

	if (!skf || !sa->sk)
		return -ENG_ERR_MISSING;
	num = skf->u.skf.frag_num;
	total = skf->u.skf.total;
	if (total > IKE_FRAG_MAX) {
		engine_log(sa->e, sa, 5,
			   "message %u in %u fragments, more than the %u we "
			   "take; dropped",
			   m->hdr.msg_id, total, IKE_FRAG_MAX);
		return -ENG_ERR_MALFORMED;
	}
	if (!f && !(f = sa->frag_in = calloc(1, sizeof(*f))))
		return -ENG_ERR_NOMEM;
	if (f->active && (f->msg_id != m->hdr.msg_id || f->response != resp ||
			  total > f->total))
		frag_reset(f); /* §2.6.1: a newer message, or more parts */
	if (f->active && total < f->total) {
		engine_log(sa->e, sa, 6,
			   "fragment %u/%u of message %u disagrees with %u "
			   "fragments seen; dropped",
			   num, total, m->hdr.msg_id, f->total);
		return FRAG_INCOMPLETE;
	}
	if (f->active && f->part[num - 1])
		return FRAG_INCOMPLETE; /* a retransmitted fragment */
	if (!f->active) {
		f->active = true;
		f->response = resp;
		f->msg_id = m->hdr.msg_id;
		f->total = total;
	}
	if ((err = frag_store(sa, f, m, skf))) {
		engine_log(sa->e, sa, 5, "fragment %u/%u of message %u: %s; %s",
			   num, total, m->hdr.msg_id, engine_err_name(err),
			   err == -ENG_ERR_MALFORMED
				   ? "the message is too large, dropped"
				   : "dropped");
		if (err == -ENG_ERR_MALFORMED)
			frag_reset(f);
		return err;
	}
	if (f->n_have < f->total)
		return FRAG_INCOMPLETE;
	/* all there: the inner payloads of the whole message (§2.6) */
	if (!(out = malloc(f->bytes ? f->bytes : 1))) {
		frag_reset(f);
		return -ENG_ERR_NOMEM;
	}
	*plain_len = 0;
	for (size_t i = 0; i < f->total; i++) {
		memcpy(out + *plain_len, f->part[i], f->len[i]);
		*plain_len += f->len[i];
	}
	err = ike_msg_decode_chain(m, f->first, out, *plain_len, true);
	engine_log(sa->e, sa, 7, "message %u reassembled from %u fragments",
		   m->hdr.msg_id, f->total);
	frag_reset(f);
	if (err) {
		crypto_wipe(out, *plain_len);
		free(out);
		return err;
	}
	*plain = out;
	return 0;
}

size_t frag_limit(const struct ike_sa *sa)
{
	size_t ip = sa->remote.family == 10 ? FRAG_IP6_UDP : FRAG_IP4_UDP;
	size_t size = sa->e->set.fragment_size;

	/* fragment_size counts the whole IP datagram, as strongSwan's */
	return size - ip - (sa->natt ? 4 : 0);
}

bool frag_wanted(const struct ike_sa *sa, uint8_t exchange, size_t len)
{
	return sa->peer_frag && sa->sk && exchange != EXCH_IKE_SA_INIT &&
	       sa->conn && sa->conn->fragmentation == ENGINE_FRAG_YES &&
	       len > frag_limit(sa);
}

/* One fragment of `chunk` as a whole protected message into `out`. */
static int frag_seal_one(struct ike_sa *sa, const struct ike_msg *m,
			 uint8_t first, uint16_t num, uint16_t total,
			 const uint8_t *chunk, size_t len, uint8_t *out,
			 size_t cap, size_t *out_len)
{
	struct ike_msg *f = malloc(sizeof(*f));
	struct ike_payload *p;
	size_t body, enc_len, hdr_len;
	int err = -ENG_ERR_NOMEM;

	if (!f)
		return err;
	ike_msg_init(f, m->hdr.spi_i, m->hdr.spi_r, m->hdr.exchange,
		     m->hdr.flags, m->hdr.msg_id);
	body = len + skp_overhead(sa->sk, len);
	if ((p = ike_msg_add(f, PL_SKF))) {
		/* §2.5: Next Payload only in the first fragment */
		p->u.skf.first_payload = num == 1 ? first : PL_NONE;
		p->u.skf.frag_num = num;
		p->u.skf.total = total;
		p->u.skf.body = (struct ike_bytes){ NULL, body };
		err = ike_msg_encode(f, out, cap, &enc_len);
	}
	if (!err) {
		hdr_len = enc_len - body;
		memcpy(out + hdr_len + skp_iv_len(sa->sk), chunk, len);
		err = skp_protect(sa->sk, out, cap, hdr_len, PL_SKF, len, NULL,
				  out_len);
	}
	free(f);
	return err;
}

int frag_seal(struct ike_sa *sa, struct ike_msg *m, uint8_t *blob, size_t cap,
	      size_t *blob_len)
{
	uint8_t plain[IKE_SA_MSG_MAX];
	size_t plain_len = 0, room, chunk, pos = 0, out = 0;
	uint8_t first = PL_NONE;
	uint16_t total;
	int err = 0;

	for (size_t i = 0; i < m->n_payloads && first == PL_NONE; i++)
		if (m->payloads[i].inner)
			first = m->payloads[i].type;
	if ((err = ike_msg_encode_inner(m, plain, sizeof(plain), &plain_len)))
		return err;
	/* header 28, SKF header 8, and the protection's overhead */
	room = frag_limit(sa) - 28 - 8;
	chunk = room - skp_overhead(sa->sk, room) - 16; /* padding slack */
	if (chunk < 64 || (plain_len + chunk - 1) / chunk > IKE_FRAG_MAX) {
		err = -ENG_ERR_UNSUPPORTED;
		goto wipe;
	}
	total = (uint16_t)((plain_len + chunk - 1) / chunk);
	for (uint16_t n = 1; n <= total && !err; n++) {
		size_t len = plain_len - pos < chunk ? plain_len - pos : chunk;
		size_t flen = 0;

		/* the blob: a 2-byte length before each datagram */
		if (out + 2 > cap) {
			err = -ENG_ERR_NOMEM;
			break;
		}
		err = frag_seal_one(sa, m, first, n, total, plain + pos, len,
				    blob + out + 2, cap - out - 2, &flen);
		blob[out] = (uint8_t)(flen >> 8);
		blob[out + 1] = (uint8_t)flen;
		out += 2 + flen;
		pos += len;
	}
	*blob_len = out;
wipe:
	crypto_wipe(plain, plain_len);
	return err;
}
