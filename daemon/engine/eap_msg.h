/* EAP message codec (RFC 3748 §4) with the methods keybridge speaks:
 * Identity (§5.1), Nak (§5.3.1) and EAP-MSCHAPv2
 * (draft-kamath-pppext-eap-mschapv2-02, the format Windows, iOS and
 * strongSwan use).
 *
 * Decoding is pure, as ike_msg.h: byte strings in a decoded message point
 * into the caller's buffer. Encoding writes into a caller's buffer and
 * fills in both length fields. */
#ifndef KB_ENGINE_EAP_MSG_H
#define KB_ENGINE_EAP_MSG_H

#include "engine/ike_msg.h"

enum eap_code {
	EAP_CODE_REQUEST = 1,
	EAP_CODE_RESPONSE = 2,
	EAP_CODE_SUCCESS = 3,
	EAP_CODE_FAILURE = 4,
};

enum eap_type {
	EAP_TYPE_IDENTITY = 1,
	EAP_TYPE_NOTIFICATION = 2,
	EAP_TYPE_NAK = 3,
	EAP_TYPE_MSCHAPV2 = 26,
};

/* MS-CHAPv2 OpCodes (RFC 2759 and the EAP draft). */
enum eap_ms_op {
	EAP_MS_CHALLENGE = 1,
	EAP_MS_RESPONSE = 2,
	EAP_MS_SUCCESS = 3,
	EAP_MS_FAILURE = 4,
	EAP_MS_CHANGE_PASSWORD = 7,
};

enum {
	EAP_MS_CHALLENGE_LEN = 16,
	EAP_MS_RESPONSE_LEN =
		49,	    /* peer challenge, 8 zero, NT-Response, flags */
	EAP_MSG_MAX = 1024, /* largest EAP message we build */
};

/* The EAP-MSCHAPv2 part of a message of type 26. Requests and responses
 * carry MS-CHAPv2-ID and MS-Length except the peer's Success and Failure
 * acknowledgements, which are the OpCode alone. MS-Length is not relied
 * upon: the EAP Length bounds everything. */
struct eap_ms {
	uint8_t op;		       /* enum eap_ms_op */
	uint8_t ms_id;		       /* MS-CHAPv2-ID */
	const uint8_t *challenge;      /* CHALLENGE: 16 bytes */
	const uint8_t *peer_challenge; /* RESPONSE: 16 bytes */
	const uint8_t *nt_response;    /* RESPONSE: 24 bytes */
	uint8_t flags;		       /* RESPONSE: must be 0 */
	struct ike_bytes name;	       /* CHALLENGE, RESPONSE */
	struct ike_bytes message;      /* SUCCESS, FAILURE requests */
};

/* One EAP message. `data` is the Type-Data after the Type octet. */
struct eap_msg {
	uint8_t code; /* enum eap_code */
	uint8_t identifier;
	uint8_t type; /* Request and Response only */
	struct ike_bytes data;
	struct eap_ms ms; /* type EAP_TYPE_MSCHAPV2 */
};

/* Decodes one EAP message filling exactly `len` bytes. Returns 0 or
 * IKE_ERR_EAP_LENGTH (lengths inconsistent, a field cut short) or
 * IKE_ERR_PAYLOAD_SYNTAX (an MS-CHAPv2 Value-Size or OpCode that does not
 * fit its direction). Unknown types decode with only `data` set. */
int eap_msg_decode(struct eap_msg *m, const void *buf,
		   size_t len) IKE_MUST_CHECK;

/* Encoders: each writes one whole EAP message into `buf` and stores its
 * length. Return 0 or IKE_ERR_NO_SPACE. */
/* Success or Failure (§4.2): four bytes. */
int eap_msg_encode_result(uint8_t code, uint8_t id, void *buf, size_t cap,
			  size_t *len) IKE_MUST_CHECK;
/* Request or Response of `type` with Type-Data `data` (Identity). */
int eap_msg_encode_simple(uint8_t code, uint8_t id, uint8_t type,
			  const void *data, size_t data_len, void *buf,
			  size_t cap, size_t *len) IKE_MUST_CHECK;
/* An EAP-MSCHAPv2 message of `code` as described by `ms`: CHALLENGE
 * (challenge, name), RESPONSE (peer_challenge, nt_response, flags, name),
 * SUCCESS/FAILURE requests (message), and the peer's one-octet SUCCESS
 * and FAILURE responses. */
int eap_msg_encode_ms(uint8_t code, uint8_t id, const struct eap_ms *ms,
		      void *buf, size_t cap, size_t *len) IKE_MUST_CHECK;

#endif
