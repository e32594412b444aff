/* The EAP server of an IKE SA; see eap.h. */
#include "engine/eap.h"

#include "engine/eap_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct eap_r *eap_r_new(void)
{
	return calloc(1, sizeof(struct eap_r));
}

void eap_r_free(struct eap_r *s)
{
	if (!s)
		return;
	if (s->first) {
		crypto_wipe(s->first, s->first_len);
		free(s->first);
	}
	crypto_wipe(s, sizeof(*s));
	free(s);
}

/* The identity as text for logs: printable bytes kept, others as '?'. */
static const char *eap_r_printable(const uint8_t *p, size_t len, char *buf,
				   size_t cap)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
	buf[n] = '\0';
	return buf;
}

/* A new request: the next Identifier (RFC 3748 §4.1: differs from the
 * last one), bounded in number. */
static int eap_r_next(struct ike_sa *sa, struct eap_r *s)
{
	if (++s->rounds > EAP_R_MAX_ROUNDS) {
		engine_log(sa->e, sa, 4,
			   "EAP: %u rounds without a result; giving up",
			   EAP_R_MAX_ROUNDS);
		return -ENG_ERR_EAP;
	}
	s->identifier++;
	return 0;
}

/* Request/MSCHAPv2 Challenge with a fresh 16-byte challenge; our name is
 * the connection's (the Name field is informational, RFC 2759 §4). */
static int eap_r_challenge(struct ike_sa *sa, struct eap_r *s, uint8_t *out,
			   size_t cap, size_t *len)
{
	struct eap_ms ms = { .op = EAP_MS_CHALLENGE };
	int err;

	if ((err = eap_r_next(sa, s)) ||
	    (err = engine_random(sa->e, s->challenge, sizeof(s->challenge))))
		return err;
	ms.ms_id = s->ms_id = s->identifier;
	ms.challenge = s->challenge;
	ms.name = (struct ike_bytes){ (const uint8_t *)"keybridge", 9 };
	if (eap_msg_encode_ms(EAP_CODE_REQUEST, s->identifier, &ms, out, cap,
			      len))
		return -ENG_ERR_NOMEM;
	s->state = EAP_R_CHALLENGE;
	return 0;
}

int eap_r_start(struct ike_sa *sa, struct eap_r *s, const uint8_t *ike_id,
		size_t ike_id_len, uint8_t *out, size_t cap, size_t *len)
{
	const struct engine_conn *c = sa->conn;
	int err;

	if ((err = engine_random(sa->e, &s->identifier, 1)))
		return err;
	if (c->eap_id_mode == ENGINE_EAP_ID_IKE) {
		/* RFC 7296 §2.16: without an EAP identity configured, the
		 * IKE identity is the user */
		if (!ike_id_len || ike_id_len > sizeof(s->user))
			return -ENG_ERR_ID;
		memcpy(s->user, ike_id, ike_id_len);
		s->user_len = (uint16_t)ike_id_len;
		return eap_r_challenge(sa, s, out, cap, len);
	}
	if ((err = eap_r_next(sa, s)))
		return err;
	if (eap_msg_encode_simple(EAP_CODE_REQUEST, s->identifier,
				  EAP_TYPE_IDENTITY, NULL, 0, out, cap, len))
		return -ENG_ERR_NOMEM;
	s->state = EAP_R_IDENTITY;
	return 0;
}

/* Response/Identity (RFC 3748 §5.1): the user whose secret is checked. */
static int eap_r_identity(struct ike_sa *sa, struct eap_r *s,
			  const struct eap_msg *m)
{
	const struct engine_conn *c = sa->conn;
	char who[64];

	if (!m->data.len || m->data.len > sizeof(s->user)) {
		engine_log(sa->e, sa, 4, "EAP: identity of %zu bytes refused",
			   m->data.len);
		return -ENG_ERR_ID;
	}
	if (c->eap_id_mode == ENGINE_EAP_ID_FIXED &&
	    (m->data.len != c->eap_id_len ||
	     memcmp(m->data.ptr, c->eap_id, c->eap_id_len))) {
		engine_log(sa->e, sa, 4,
			   "EAP: identity '%s' is not the one the connection "
			   "accepts",
			   eap_r_printable(m->data.ptr, m->data.len, who,
					   sizeof(who)));
		return -ENG_ERR_ID;
	}
	memcpy(s->user, m->data.ptr, m->data.len);
	s->user_len = (uint16_t)m->data.len;
	engine_log(sa->e, sa, 6, "EAP: peer is '%s'",
		   eap_r_printable(s->user, s->user_len, who, sizeof(who)));
	return 0;
}

const char *eap_r_user_str(const struct eap_r *s, char *buf, size_t cap)
{
	return eap_r_printable(s->user, s->user_len, buf, cap);
}

/* Request/MSCHAPv2 Failure (RFC 2759 §6): error 691 (authentication
 * failure), no retry, a fresh challenge as the format wants, version 3.
 * The same text whether the user is unknown or the password wrong. */
static int eap_r_failure(struct ike_sa *sa, struct eap_r *s, uint8_t *out,
			 size_t cap, size_t *len)
{
	static const char hex[] = "0123456789ABCDEF";
	struct eap_ms ms = { .op = EAP_MS_FAILURE };
	uint8_t c[MSCHAPV2_CHALLENGE_LEN];
	char msg[96];
	int n, err;

	if ((err = eap_r_next(sa, s)) ||
	    (err = engine_random(sa->e, c, sizeof(c))))
		return err;
	n = snprintf(msg, sizeof(msg), "E=691 R=0 C=");
	for (size_t i = 0; i < sizeof(c); i++) {
		msg[n++] = hex[c[i] >> 4];
		msg[n++] = hex[c[i] & 15];
	}
	n += snprintf(msg + n, sizeof(msg) - (size_t)n,
		      " V=3 M=wrong user name or password");
	/* the draft: MS-CHAPv2-ID of the Response it answers */
	ms.ms_id = s->ms_id;
	ms.message = (struct ike_bytes){ (const uint8_t *)msg, (size_t)n };
	if (eap_msg_encode_ms(EAP_CODE_REQUEST, s->identifier, &ms, out, cap,
			      len))
		return -ENG_ERR_NOMEM;
	s->state = EAP_R_FAILURE_SENT;
	return 0;
}

static const struct engine_eap_user *eap_r_user(const struct ike_sa *sa,
						const struct eap_r *s)
{
	const struct engine_conn *c = sa->conn;

	for (size_t i = 0; i < c->n_eap_users; i++)
		if (c->eap_users[i].id_len == s->user_len &&
		    !memcmp(c->eap_users[i].id, s->user, s->user_len))
			return &c->eap_users[i];
	return NULL;
}

/* Response/MSCHAPv2 Response: the NT-Response must be the one the user's
 * password gives (compared in constant time); then Request/Success with
 * the authenticator response, and the MSK. A wrong one gets
 * Request/Failure (eap_r_failure). */
static int eap_r_response(struct ike_sa *sa, struct eap_r *s,
			  const struct eap_msg *m, uint8_t *out, size_t cap,
			  size_t *len)
{
	const struct engine_eap_user *u = eap_r_user(sa, s);
	uint8_t expect[MSCHAPV2_NT_RESPONSE_LEN];
	uint8_t msg[MSCHAPV2_AUTH_RESPONSE_LEN + 20];
	struct eap_ms ms = { .op = EAP_MS_SUCCESS };
	const uint8_t *name;
	size_t name_len;
	char who[64];
	int err = -ENG_ERR_EAP;

	eap_r_printable(s->user, s->user_len, who, sizeof(who));
	if (!u) {
		engine_log(sa->e, sa, 4,
			   "EAP: no EAP secret for '%s'; answering MSCHAPv2 "
			   "Failure (E=691)",
			   who);
		err = eap_r_failure(sa, s, out, cap, len);
		goto out;
	}
	name = mschapv2_user(m->ms.name.ptr, m->ms.name.len, &name_len);
	if (mschapv2_nt_response(s->challenge, m->ms.peer_challenge, name,
				 name_len, u->nt_hash, expect)) {
		err = -ENG_ERR_CRYPTO;
		goto out;
	}
	if (!crypto_equal(expect, m->ms.nt_response, sizeof(expect))) {
		engine_log(sa->e, sa, 4,
			   "EAP-MSCHAPv2: wrong password for '%s'; answering "
			   "MSCHAPv2 Failure (E=691, no retry)",
			   who);
		err = eap_r_failure(sa, s, out, cap, len);
		goto out;
	}
	if (mschapv2_auth_response(u->nt_hash, m->ms.nt_response,
				   m->ms.peer_challenge, s->challenge, name,
				   name_len, msg) ||
	    mschapv2_msk(u->nt_hash, m->ms.nt_response, s->msk)) {
		err = -ENG_ERR_CRYPTO;
		goto out;
	}
	/* RFC 2759 §5: "S=<auth_string> M=<message>" */
	memcpy(msg + MSCHAPV2_AUTH_RESPONSE_LEN, " M=welcome", 10);
	if ((err = eap_r_next(sa, s)))
		goto out;
	ms.ms_id = s->identifier;
	ms.message = (struct ike_bytes){ msg, MSCHAPV2_AUTH_RESPONSE_LEN + 10 };
	if (eap_msg_encode_ms(EAP_CODE_REQUEST, s->identifier, &ms, out, cap,
			      len)) {
		err = -ENG_ERR_NOMEM;
		goto out;
	}
	s->state = EAP_R_SUCCESS_SENT;
	engine_log(sa->e, sa, 6, "EAP-MSCHAPv2: '%s' gave the right password",
		   who);
out:
	crypto_wipe(expect, sizeof(expect));
	return err;
}

/* What the peer's message must be in our state; 0 if it is. */
static int eap_r_expected(struct ike_sa *sa, const struct eap_r *s,
			  const struct eap_msg *m)
{
	static const char *const states[] = {
		"", "Identity", "Challenge", "Success", "EAP-Success", "Failure"
	};
	bool ok;

	if (m->code == EAP_CODE_RESPONSE && m->type == EAP_TYPE_NAK) {
		engine_log(sa->e, sa, 4,
			   "EAP: peer refuses EAP-MSCHAPv2 (Nak); it is the "
			   "only method this connection offers");
		return -ENG_ERR_EAP;
	}
	switch (s->state) {
	case EAP_R_IDENTITY: ok = m->type == EAP_TYPE_IDENTITY; break;
	case EAP_R_CHALLENGE:
		ok = m->type == EAP_TYPE_MSCHAPV2 &&
		     m->ms.op == EAP_MS_RESPONSE &&
		     m->ms.ms_id == s->identifier;
		break;
	case EAP_R_SUCCESS_SENT:
		ok = m->type == EAP_TYPE_MSCHAPV2 && m->ms.op == EAP_MS_SUCCESS;
		break;
	case EAP_R_FAILURE_SENT:
		ok = m->type == EAP_TYPE_MSCHAPV2 && m->ms.op == EAP_MS_FAILURE;
		break;
	default: ok = false; break;
	}
	if (m->code != EAP_CODE_RESPONSE || m->identifier != s->identifier ||
	    !ok) {
		engine_log(sa->e, sa, 4,
			   "EAP: out of sequence: code %u, identifier %u, type "
			   "%u, opcode %u after our %s request %u",
			   m->code, m->identifier, m->type, m->ms.op,
			   states[s->state], s->identifier);
		return -ENG_ERR_EAP;
	}
	return 0;
}

int eap_r_process(struct ike_sa *sa, struct eap_r *s, const uint8_t *in,
		  size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct eap_msg m;
	int err;

	*len = 0;
	if ((err = eap_msg_decode(&m, in, in_len))) {
		engine_log(sa->e, sa, 4, "EAP: malformed message (%s)",
			   ike_err_name(err));
		err = -ENG_ERR_EAP;
		goto fail;
	}
	if ((err = eap_r_expected(sa, s, &m)))
		goto fail;
	switch (s->state) {
	case EAP_R_IDENTITY:
		if ((err = eap_r_identity(sa, s, &m)) ||
		    (err = eap_r_challenge(sa, s, out, cap, len)))
			goto fail;
		return EAP_R_MORE;
	case EAP_R_CHALLENGE:
		if ((err = eap_r_response(sa, s, &m, out, cap, len)))
			goto fail;
		return EAP_R_MORE;
	case EAP_R_SUCCESS_SENT:
		/* §4.2: the Identifier of the response it answers */
		if (eap_msg_encode_result(EAP_CODE_SUCCESS, s->identifier, out,
					  cap, len)) {
			err = -ENG_ERR_NOMEM;
			goto fail;
		}
		s->state = EAP_R_DONE;
		return EAP_R_OK;
	case EAP_R_FAILURE_SENT: {
		char who[64];

		/* RFC 2759 §6 with R=0: the peer has read why; done */
		engine_log(sa->e, sa, 4,
			   "EAP-MSCHAPv2: '%s' acknowledged the failure; "
			   "answering EAP-Failure",
			   eap_r_printable(s->user, s->user_len, who,
					   sizeof(who)));
		err = -ENG_ERR_EAP;
		break;
	}
	default: err = -ENG_ERR_STATE; break;
	}
fail:
	crypto_wipe(s->msk, sizeof(s->msk));
	/* RFC 3748 §4.2: Failure carries the Identifier of the response
	 * (ours when the peer's was wrong) */
	if (eap_msg_encode_result(EAP_CODE_FAILURE, s->identifier, out, cap,
				  len))
		*len = 0;
	return err;
}

/* ---- client ---- */

struct eap_i *eap_i_new(void)
{
	return calloc(1, sizeof(struct eap_i));
}

void eap_i_free(struct eap_i *s)
{
	if (!s)
		return;
	crypto_wipe(s, sizeof(*s));
	free(s);
}

/* Response/MSCHAPv2 Response to the server's challenge. */
static int eap_i_challenge(struct ike_sa *sa, struct eap_i *s,
			   const struct eap_msg *m, uint8_t *out, size_t cap,
			   size_t *len)
{
	const struct engine_eap_user *me = &sa->conn->eap_client;
	struct eap_ms ms = { .op = EAP_MS_RESPONSE };
	const uint8_t *user;
	size_t user_len;
	int err;

	memcpy(s->auth_challenge, m->ms.challenge, MSCHAPV2_CHALLENGE_LEN);
	if ((err = engine_random(sa->e, s->peer_challenge,
				 sizeof(s->peer_challenge))))
		return err;
	user = mschapv2_user(me->id, me->id_len, &user_len);
	if (mschapv2_nt_response(s->auth_challenge, s->peer_challenge, user,
				 user_len, me->nt_hash, s->nt_response))
		return -ENG_ERR_CRYPTO;
	ms.ms_id = m->ms.ms_id;
	ms.peer_challenge = s->peer_challenge;
	ms.nt_response = s->nt_response;
	ms.name = (struct ike_bytes){ me->id, me->id_len };
	if (eap_msg_encode_ms(EAP_CODE_RESPONSE, m->identifier, &ms, out, cap,
			      len))
		return -ENG_ERR_NOMEM;
	s->state = EAP_I_RESPONDED;
	return 0;
}

/* Request/MSCHAPv2 Success: "S=<40 hex digits>" must be what the
 * password gives (RFC 2759 §8.7), compared in constant time. */
static int eap_i_success(struct ike_sa *sa, struct eap_i *s,
			 const struct eap_msg *m, uint8_t *out, size_t cap,
			 size_t *len)
{
	const struct engine_eap_user *me = &sa->conn->eap_client;
	struct eap_ms ms = { .op = EAP_MS_SUCCESS };
	uint8_t want[MSCHAPV2_AUTH_RESPONSE_LEN];
	const uint8_t *user;
	size_t user_len;
	int err = -ENG_ERR_EAP;

	user = mschapv2_user(me->id, me->id_len, &user_len);
	if (mschapv2_auth_response(me->nt_hash, s->nt_response,
				   s->peer_challenge, s->auth_challenge, user,
				   user_len, want)) {
		err = -ENG_ERR_CRYPTO;
		goto out;
	}
	if (m->ms.message.len < sizeof(want) ||
	    !crypto_equal(want, m->ms.message.ptr, sizeof(want))) {
		engine_log(sa->e, sa, 4,
			   "EAP-MSCHAPv2: the server's authenticator response "
			   "is wrong: it does not know our password");
		goto out;
	}
	if (mschapv2_msk(me->nt_hash, s->nt_response, s->msk) ||
	    eap_msg_encode_ms(EAP_CODE_RESPONSE, m->identifier, &ms, out, cap,
			      len)) {
		err = -ENG_ERR_CRYPTO;
		goto out;
	}
	s->state = EAP_I_ACKED;
	err = 0;
out:
	crypto_wipe(want, sizeof(want));
	return err;
}

/* The decimal value of "<key>=" in the server's Failure text, or -1. */
static long eap_i_field(const struct ike_bytes *msg, char key)
{
	for (size_t i = 0; i + 2 < msg->len; i++) {
		long v = 0;
		size_t k;

		if (msg->ptr[i] != (uint8_t)key || msg->ptr[i + 1] != '=' ||
		    (i && msg->ptr[i - 1] != ' '))
			continue;
		for (k = i + 2; k < msg->len && k < i + 12 &&
				msg->ptr[k] >= '0' && msg->ptr[k] <= '9';
		     k++)
			v = v * 10 + (msg->ptr[k] - '0');
		return k > i + 2 ? v : -1;
	}
	return -1;
}

/* Request/MSCHAPv2 Failure (RFC 2759 §6): "E=eeeeeeeeee R=r C=... V=v
 * M=<msg>". Logged, then acknowledged with Response/Failure; a retry the
 * server may offer (R=1) would need another password than our one. */
static int eap_i_failure(struct ike_sa *sa, struct eap_i *s,
			 const struct eap_msg *m, uint8_t *out, size_t cap,
			 size_t *len)
{
	static const struct {
		long code;
		const char *name;
	} errors[] = {
		{ 646, "restricted logon hours" },
		{ 647, "account disabled" },
		{ 648, "password expired" },
		{ 649, "no dial-in permission" },
		{ 691, "authentication failure" },
		{ 709, "error changing password" },
	};
	struct eap_ms ms = { .op = EAP_MS_FAILURE };
	long e = eap_i_field(&m->ms.message, 'E');
	long r = eap_i_field(&m->ms.message, 'R');
	const char *what = "unknown error";
	char text[120];

	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == e)
			what = errors[i].name;
	engine_log(sa->e, sa, 4,
		   "EAP-MSCHAPv2: the server refuses us (E=%ld, %s%s): "
		   "\"%s\"; acknowledging, the IKE SA ends",
		   e, what,
		   r == 1 ? "; it allows a retry, we have no other password"
			  : "",
		   eap_r_printable(m->ms.message.ptr, m->ms.message.len, text,
				   sizeof(text)));
	if (eap_msg_encode_ms(EAP_CODE_RESPONSE, m->identifier, &ms, out, cap,
			      len))
		return -ENG_ERR_NOMEM;
	s->state = EAP_I_FAILED;
	return 0;
}

/* A request of the server; 0 with the response in `out`. */
static int eap_i_request(struct ike_sa *sa, struct eap_i *s,
			 const struct eap_msg *m, uint8_t *out, size_t cap,
			 size_t *len)
{
	const struct engine_eap_user *me = &sa->conn->eap_client;
	static const uint8_t mschapv2 = EAP_TYPE_MSCHAPV2;

	if (m->type == EAP_TYPE_IDENTITY && s->state == EAP_I_WAIT)
		return eap_msg_encode_simple(EAP_CODE_RESPONSE, m->identifier,
					     EAP_TYPE_IDENTITY, me->id,
					     me->id_len, out, cap, len)
			       ? -ENG_ERR_NOMEM
			       : 0;
	if (m->type != EAP_TYPE_MSCHAPV2) {
		/* RFC 3748 §5.3.1: a Nak names the method we want */
		engine_log(sa->e, sa, 5,
			   "EAP: server asks for method %u; answering a Nak "
			   "for EAP-MSCHAPv2",
			   m->type);
		return eap_msg_encode_simple(EAP_CODE_RESPONSE, m->identifier,
					     EAP_TYPE_NAK, &mschapv2, 1, out,
					     cap, len)
			       ? -ENG_ERR_NOMEM
			       : 0;
	}
	if (m->ms.op == EAP_MS_CHALLENGE && s->state == EAP_I_WAIT)
		return eap_i_challenge(sa, s, m, out, cap, len);
	if (m->ms.op == EAP_MS_SUCCESS && s->state == EAP_I_RESPONDED)
		return eap_i_success(sa, s, m, out, cap, len);
	if (m->ms.op == EAP_MS_FAILURE && s->state == EAP_I_RESPONDED)
		return eap_i_failure(sa, s, m, out, cap, len);
	engine_log(sa->e, sa, 4,
		   "EAP-MSCHAPv2: opcode %u out of sequence (state %d)",
		   m->ms.op, s->state);
	return -ENG_ERR_EAP;
}

int eap_i_process(struct ike_sa *sa, struct eap_i *s, const uint8_t *in,
		  size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
	struct eap_msg m;
	int err;

	*len = 0;
	if ((err = eap_msg_decode(&m, in, in_len))) {
		engine_log(sa->e, sa, 4, "EAP: malformed message (%s)",
			   ike_err_name(err));
		return -ENG_ERR_EAP;
	}
	switch (m.code) {
	case EAP_CODE_SUCCESS:
		if (s->state != EAP_I_ACKED) {
			engine_log(sa->e, sa, 4,
				   "EAP-Success before the server proved "
				   "it knows our password; refused");
			return -ENG_ERR_EAP;
		}
		s->state = EAP_I_DONE;
		return EAP_I_OK;
	case EAP_CODE_FAILURE: {
		const struct engine_eap_user *me = &sa->conn->eap_client;
		char who[64];

		/* §2.16: it comes with AUTHENTICATION_FAILED, the server's
		 * IKE SA is gone (nothing to tell it) */
		engine_log(
			sa->e, sa, 4,
			"EAP: the server answers EAP-Failure: '%s' is "
			"not authenticated",
			eap_r_printable(me->id, me->id_len, who, sizeof(who)));
		return -ENG_ERR_PEER;
	}
	case EAP_CODE_REQUEST:
		if (++s->rounds > EAP_R_MAX_ROUNDS) {
			engine_log(sa->e, sa, 4,
				   "EAP: %u rounds without a result; giving "
				   "up",
				   EAP_R_MAX_ROUNDS);
			return -ENG_ERR_EAP;
		}
		if ((err = eap_i_request(sa, s, &m, out, cap, len))) {
			crypto_wipe(s->msk, sizeof(s->msk));
			return err;
		}
		return EAP_I_MORE;
	default:
		engine_log(sa->e, sa, 4, "EAP: a Response from the server");
		return -ENG_ERR_EAP;
	}
}
