/* Internal to the codec: the decoders of list-carrying payloads, shared
 * between ike_msg_decode.c and ike_msg_decode_list.c. Not for the engine. */
#ifndef KB_ENGINE_IKE_MSG_INT_H
#define KB_ENGINE_IKE_MSG_INT_H

#include "engine/ike_msg.h"
#include "engine/rd.h"

/* Each decodes the body of payload `p` from `r` (exactly its body) into
 * p->u, taking list storage from m's pools; returns 0 or an IKE_ERR_*. */
int ike_msg_decode_sa(struct ike_msg *m, struct ike_payload *p,
		      struct rd *r) IKE_MUST_CHECK;
int ike_msg_decode_ts(struct ike_msg *m, struct ike_payload *p,
		      struct rd *r) IKE_MUST_CHECK;
int ike_msg_decode_cp(struct ike_msg *m, struct ike_payload *p,
		      struct rd *r) IKE_MUST_CHECK;

/* Returns a view of the next `n` bytes of `r` (empty on a short read). */
static inline struct ike_bytes ike_msg_view(struct rd *r, size_t n)
{
	const uint8_t *p = rd_bytes(r, n);
	return (struct ike_bytes){ .ptr = p, .len = p ? n : 0 };
}

#endif
