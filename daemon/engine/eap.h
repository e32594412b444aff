/* The EAP server of an IKE SA (RFC 7296 §2.16, RFC 3748): EAP-Identity,
 * then EAP-MSCHAPv2 (RFC 2759 in the EAP framing of
 * draft-kamath-pppext-eap-mschapv2):
 *
 *   Request/Identity              -->   (unless the identity is known)
 *                                 <--   Response/Identity
 *   Request/MSCHAPv2 Challenge    -->
 *                                 <--   Response/MSCHAPv2 Response
 *   Request/MSCHAPv2 Success      -->   (the peer's password was right)
 *                                 <--   Response/MSCHAPv2 Success
 *   EAP-Success                   -->   (the MSK keys the AUTH payloads)
 *
 * A wrong password (or a user without a secret, answered alike so that
 * user names cannot be probed) is told in MS-CHAPv2's own terms first
 * (RFC 2759 §6; no retry offered):
 *   Request/MSCHAPv2 Failure      -->   "E=691 R=0 C=<challenge> V=3 M=..."
 *                                 <--   Response/MSCHAPv2 Failure
 *   EAP-Failure                   -->   (and AUTHENTICATION_FAILED)
 * Anything else — a response out of sequence (wrong Identifier, Type or
 * OpCode), a Nak, too many rounds — ends in EAP-Failure at once. This file moves EAP bytes only; ike_auth.c carries them in
 * IKE_AUTH and does the IKE side. */
#ifndef KB_ENGINE_EAP_H
#define KB_ENGINE_EAP_H

#include "crypto/mschapv2.h"
#include "engine/ike_sa.h"

enum eap_r_state {
	EAP_R_IDENTITY = 1, /* Request/Identity sent */
	EAP_R_CHALLENGE,    /* MSCHAPv2 Challenge sent */
	EAP_R_SUCCESS_SENT, /* MSCHAPv2 Success sent, waiting for the ack */
	EAP_R_DONE,	    /* EAP-Success sent, MSK ready */
	EAP_R_FAILURE_SENT, /* MSCHAPv2 Failure sent, waiting for the ack */
};

enum {
	EAP_R_MAX_ROUNDS = 8, /* EAP requests before we give up */
	EAP_R_MORE = 0,	      /* eap_r_process: send the request in `out` */
	EAP_R_OK = 1,	      /* eap_r_process: `out` is EAP-Success */
};

struct eap_r {
	enum eap_r_state state;
	uint8_t identifier; /* of our request in flight */
	uint8_t ms_id;	    /* MS-CHAPv2-ID of our Challenge */
	unsigned rounds;
	uint8_t challenge[MSCHAPV2_CHALLENGE_LEN];
	uint16_t user_len; /* the EAP identity */
	uint8_t user[ENGINE_ID_MAX];
	uint8_t msk[MSCHAPV2_MSK_LEN];
	/* ike_auth.c's: the first IKE_AUTH request's IDi (for the last
	 * AUTH, §2.16) and its payloads, re-encoded (for the CHILD SA the
	 * last exchange creates) */
	uint16_t idi_len;
	uint8_t idi[4 + ENGINE_ID_MAX];
	struct ike_hdr first_hdr;
	uint8_t first_type;
	size_t first_len;
	uint8_t *first;
};

/* A zeroed server, or NULL. */
struct eap_r *eap_r_new(void);
/* Wipes and frees; NULL is fine. */
void eap_r_free(struct eap_r *s);

/* The first EAP request of `sa` into `out`: Request/Identity when the
 * connection asks for it (eap_id = %any or a fixed identity), otherwise the
 * MSCHAPv2 Challenge for `ike_id` (the IKE identity's data). 0 or an
 * engine error (nothing to send then). */
int eap_r_start(struct ike_sa *sa, struct eap_r *s, const uint8_t *ike_id,
		size_t ike_id_len, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/* Takes the peer's EAP message `in` and puts the next one into `out`:
 * EAP_R_MORE (a request, the MSCHAPv2 Failure included), EAP_R_OK
 * (EAP-Success; s->msk is set), or a negative engine error with
 * EAP-Failure in `out` (*len 0 if even that could not be built). Logs
 * why a peer failed, naming the SA. */
int eap_r_process(struct ike_sa *sa, struct eap_r *s, const uint8_t *in,
		  size_t in_len, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

/* The EAP identity the server works with, printable, for logs ("" before
 * the peer named one). */
const char *eap_r_user_str(const struct eap_r *s, char *buf, size_t cap);

/* ---- the client (peer) side ----
 *
 * Answers the server's requests: Identity with our EAP identity, the
 * MSCHAPv2 Challenge with our NT-Response, and the Success request only
 * if its authenticator response proves the server knows our password
 * (RFC 2759 §5: mutual authentication). A method other than MSCHAPv2 is
 * answered with a Nak. The server's MSCHAPv2 Failure request (wrong
 * password) is logged with its error code and acknowledged, as RFC 2759
 * §6 asks, with no retry (we hold one password); its EAP-Failure then
 * ends it, as does EAP-Success before the server proved itself.
 */
enum eap_i_state {
	EAP_I_START = 0, /* our first IKE_AUTH request is out */
	EAP_I_WAIT,	 /* the server authenticated; EAP rounds go on */
	EAP_I_RESPONDED, /* MSCHAPv2 Response sent */
	EAP_I_ACKED,	 /* the server proved itself, Success acked */
	EAP_I_DONE,	 /* EAP-Success: our AUTH with the MSK is out */
	EAP_I_FAILED,	 /* MSCHAPv2 Failure acked, EAP-Failure next */
};

enum {
	EAP_I_MORE = 0, /* eap_i_process: send the response in `out` */
	EAP_I_OK = 1,	/* eap_i_process: EAP-Success, s->msk is set */
};

struct eap_i {
	enum eap_i_state state;
	unsigned rounds;
	uint8_t auth_challenge[MSCHAPV2_CHALLENGE_LEN];
	uint8_t peer_challenge[MSCHAPV2_CHALLENGE_LEN];
	uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN];
	uint8_t msk[MSCHAPV2_MSK_LEN];
	/* ike_auth.c's: the responder's IDr body, for its last AUTH */
	uint16_t idr_len;
	uint8_t idr[4 + ENGINE_ID_MAX];
};

struct eap_i *eap_i_new(void);
void eap_i_free(struct eap_i *s);

/* Takes the server's EAP message `in`: EAP_I_MORE with our response in
 * `out`, EAP_I_OK (EAP-Success after a proven server; nothing to send),
 * or a negative engine error (logged with the SA's name): -ENG_ERR_PEER
 * for the server's EAP-Failure (it has ended the IKE SA, §2.21.2: nothing
 * more to tell it), -ENG_ERR_EAP for what we refuse. */
int eap_i_process(struct ike_sa *sa, struct eap_i *s, const uint8_t *in,
		  size_t in_len, uint8_t *out, size_t cap, size_t *len)
	__attribute__((warn_unused_result));

#endif
