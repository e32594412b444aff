/* SA proposal selection (RFC 7296 §2.7, §3.3.6): pure functions over
 * struct engine_proposal, shared by IKE and CHILD SA negotiation. */
#ifndef KB_ENGINE_PROPOSAL_H
#define KB_ENGINE_PROPOSAL_H

#include "engine/engine.h"
#include "engine/ike_msg.h"

/* The one transform of each type a selected proposal carries. */
struct proposal_chosen {
	uint8_t num; /* 1-based index into the peer's list (see below) */
	uint16_t encr, encr_keylen, prf, integ, ke;
	bool has_esn, esn;
};

/* Picks, in our preference order (`ours[0]` first, within a proposal the
 * first alternative of each type), the first of our proposals that one of
 * the peer's proposals `theirs` (numbered 1..n_theirs in order) fully
 * covers: every transform type either side lists must have a common ID.
 * `need_ke` demands a KE transform (IKE SAs); for CHILD SAs without PFS
 * KE must be absent or NONE. Returns 0 and fills `out`, or
 * -ENG_ERR_NO_PROPOSAL. If both matching proposals list KE method
 * `prefer_ke` (the group of the KE payload received), it is chosen over
 * our first preference, saving an INVALID_KE_PAYLOAD round trip. */
int proposal_select(const struct engine_proposal *ours, size_t n_ours,
		    const struct engine_proposal *theirs, size_t n_theirs,
		    bool need_ke, uint16_t prefer_ke,
		    struct proposal_chosen *out)
	__attribute__((warn_unused_result));

/* Checks that the single proposal a responder returned is one we offered
 * (§2.7: the initiator MUST check it); fills `out`. */
int proposal_accept(const struct engine_proposal *ours, size_t n_ours,
		    const struct engine_proposal *reply, bool need_ke,
		    struct proposal_chosen *out)
	__attribute__((warn_unused_result));

/* The KE method of our proposal `idx` in preference order (first KE
 * transform), or 0. */
uint16_t proposal_first_ke(const struct engine_proposal *p);

/* True if any of our proposals offers KE method `ke`. */
bool proposal_offers_ke(const struct engine_proposal *ours, size_t n_ours,
			uint16_t ke);

/* Turns a chosen set back into a one-proposal SA (the responder's reply). */
void proposal_from_chosen(const struct proposal_chosen *c,
			  struct engine_proposal *out);

/* The proposals of a received SA payload for `protocol`, as engine
 * proposals: transforms we do not offer in any of `ours` (or with unknown
 * attributes, §3.3.6) are left out, but a type the peer lists stays
 * present (as an unmatched placeholder) so it is still required. `nums`
 * and `spis` (may be NULL) receive each proposal's number and 4-byte SPI.
 * Returns the number of proposals written (at most `cap`). */
size_t proposal_from_sa(const struct ike_pl_sa *sa, uint8_t protocol,
			const struct engine_proposal *ours, size_t n_ours,
			struct engine_proposal *out, uint8_t *nums,
			uint32_t *spis, size_t cap);

/* Storage for encoding engine proposals as an SA payload. */
struct proposal_wire {
	struct ike_proposal props[ENGINE_MAX_PROPOSALS];
	struct ike_transform xf[ENGINE_MAX_PROPOSALS * (ENGINE_MAX_XFORMS + 1)];
	uint8_t spi[8];
};

/* Fills `out` (pointing into `w`) with proposals `ps` numbered from
 * `first_num`, each with `spi_len` bytes of `spi` (0, or 4 for ESP). ESP
 * proposals without an ESN transform get "no ESN" (§3.3.2 requires one). */
void proposal_to_sa(const struct engine_proposal *ps, size_t n,
		    uint8_t protocol, const uint8_t *spi, size_t spi_len,
		    uint8_t first_num, struct proposal_wire *w,
		    struct ike_pl_sa *out);

/* Copies ESP proposals, adding "no ESN" to those that list no ESN
 * transform, so they compare with peers' (which must list one). */
void proposal_esp_normalize(const struct engine_proposal *in, size_t n,
			    struct engine_proposal *out);

/* Formats a chosen set for logs ("AES_GCM_16_256/PRF_HMAC_SHA2_256/…"). */
const char *proposal_str(const struct proposal_chosen *c, char *buf,
			 size_t cap);

#endif
