/* SA proposal selection; see proposal.h. RFC 7296 §2.7, §3.3.6. */
#include "engine/proposal.h"

#include "engine/engine_err.h"
#include "ike_iana.h"

#include <stdio.h>
#include <string.h>

enum { PROPOSAL_NTYPES = TRANS_ESN + 1 };

static bool proposal_has_type(const struct engine_proposal *p, uint8_t type)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->x[i].type == type)
			return true;
	return false;
}

static bool proposal_has(const struct engine_proposal *p,
			 const struct engine_xform *x)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->x[i].type == x->type && p->x[i].id == x->id &&
		    p->x[i].keylen == x->keylen)
			return true;
	return false;
}

/* A KE list of only NONE counts as "no KE" (§3.3.3). */
static bool proposal_has_real_ke(const struct engine_proposal *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->x[i].type == TRANS_KE && p->x[i].id != KE_NONE)
			return true;
	return false;
}

static void proposal_set(struct proposal_chosen *c,
			 const struct engine_xform *x)
{
	switch (x->type) {
	case TRANS_ENCR:
		c->encr = x->id;
		c->encr_keylen = x->keylen;
		break;
	case TRANS_PRF: c->prf = x->id; break;
	case TRANS_INTEG: c->integ = x->id; break;
	case TRANS_KE: c->ke = x->id; break;
	case TRANS_ESN:
		c->has_esn = true;
		c->esn = x->id == ESN_YES;
		break;
	}
}

/* For each transform type present in either proposal, finds our first
 * alternative the peer also lists. An unknown type in theirs fails the
 * match (§3.3.6: the whole proposal is then unacceptable). */
static bool proposal_match(const struct engine_proposal *ours,
			   const struct engine_proposal *theirs, bool need_ke,
			   uint16_t prefer_ke, struct proposal_chosen *c)
{
	for (size_t i = 0; i < theirs->n; i++)
		if (theirs->x[i].type == 0 ||
		    theirs->x[i].type >= PROPOSAL_NTYPES)
			return false;
	memset(c, 0, sizeof(*c));
	for (uint8_t t = 1; t < PROPOSAL_NTYPES; t++) {
		bool in_o = proposal_has_type(ours, t);
		bool in_t = proposal_has_type(theirs, t);
		bool found = false;

		if (t == TRANS_KE && !need_ke) {
			/* No PFS wanted: KE absent or NONE on both sides. */
			if (proposal_has_real_ke(ours) ||
			    proposal_has_real_ke(theirs))
				return false;
			continue;
		}
		if (!in_o && !in_t)
			continue;
		if (in_o != in_t)
			return false;
		for (size_t i = 0; i < ours->n && !found; i++) {
			if (ours->x[i].type != t ||
			    !proposal_has(theirs, &ours->x[i]))
				continue;
			proposal_set(c, &ours->x[i]);
			found = true;
		}
		if (!found)
			return false;
	}
	if (need_ke && c->ke == KE_NONE)
		return false;
	if (need_ke && prefer_ke) {
		struct engine_xform x = { .type = TRANS_KE, .id = prefer_ke };

		if (proposal_has(ours, &x) && proposal_has(theirs, &x))
			c->ke = prefer_ke;
	}
	return true;
}

int proposal_select(const struct engine_proposal *ours, size_t n_ours,
		    const struct engine_proposal *theirs, size_t n_theirs,
		    bool need_ke, uint16_t prefer_ke,
		    struct proposal_chosen *out)
{
	for (size_t o = 0; o < n_ours; o++) {
		for (size_t t = 0; t < n_theirs; t++) {
			if (!proposal_match(&ours[o], &theirs[t], need_ke,
					    prefer_ke, out))
				continue;
			out->num = (uint8_t)(t + 1);
			return 0;
		}
	}
	return -ENG_ERR_NO_PROPOSAL;
}

int proposal_accept(const struct engine_proposal *ours, size_t n_ours,
		    const struct engine_proposal *reply, bool need_ke,
		    struct proposal_chosen *out)
{
	/* The reply must carry exactly one transform per type (§3.3.6). */
	for (size_t i = 0; i < reply->n; i++)
		for (size_t j = i + 1; j < reply->n; j++)
			if (reply->x[i].type == reply->x[j].type)
				return -ENG_ERR_NO_PROPOSAL;
	for (size_t o = 0; o < n_ours; o++) {
		struct proposal_chosen c;

		/* Types are compared both ways: every type either lists. */
		if (!proposal_match(reply, &ours[o], need_ke, 0, &c))
			continue;
		*out = c;
		return 0;
	}
	return -ENG_ERR_NO_PROPOSAL;
}

uint16_t proposal_first_ke(const struct engine_proposal *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->x[i].type == TRANS_KE)
			return p->x[i].id;
	return 0;
}

bool proposal_offers_ke(const struct engine_proposal *ours, size_t n_ours,
			uint16_t ke)
{
	struct engine_xform x = { .type = TRANS_KE, .id = ke };

	for (size_t o = 0; o < n_ours; o++)
		if (proposal_has(&ours[o], &x))
			return true;
	return false;
}

static void proposal_add(struct engine_proposal *p, uint8_t type, uint16_t id,
			 uint16_t keylen)
{
	if (p->n < ENGINE_MAX_XFORMS)
		p->x[p->n++] = (struct engine_xform){ type, id, keylen };
}

void proposal_from_chosen(const struct proposal_chosen *c,
			  struct engine_proposal *out)
{
	memset(out, 0, sizeof(*out));
	if (c->encr)
		proposal_add(out, TRANS_ENCR, c->encr, c->encr_keylen);
	if (c->prf)
		proposal_add(out, TRANS_PRF, c->prf, 0);
	if (c->integ)
		proposal_add(out, TRANS_INTEG, c->integ, 0);
	if (c->ke)
		proposal_add(out, TRANS_KE, c->ke, 0);
	if (c->has_esn)
		proposal_add(out, TRANS_ESN, c->esn ? ESN_YES : ESN_NONE, 0);
}

static bool proposal_ours_have(const struct engine_proposal *ours,
			       size_t n_ours, const struct engine_xform *x)
{
	for (size_t o = 0; o < n_ours; o++)
		if (proposal_has(&ours[o], x))
			return true;
	return false;
}

/* One received proposal, filtered to what we could ever select. */
static void proposal_filter(const struct ike_proposal *ip,
			    const struct engine_proposal *ours, size_t n_ours,
			    struct engine_proposal *out)
{
	uint32_t types = 0, kept = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ip->n_transforms; i++) {
		const struct ike_transform *t = &ip->transforms[i];
		struct engine_xform x = { t->type, t->id, t->key_len };

		if (t->type < 32)
			types |= 1u << t->type;
		if (t->n_unknown_attrs || !proposal_ours_have(ours, n_ours, &x))
			continue;
		if (out->n < ENGINE_MAX_XFORMS) {
			out->x[out->n++] = x;
			kept |= 1u << t->type;
		}
	}
	/* A type only present with IDs we do not know: keep it required. */
	for (uint8_t t = 1; t < 32; t++)
		if ((types & ~kept) & (1u << t) && out->n < ENGINE_MAX_XFORMS)
			out->x[out->n++] =
				(struct engine_xform){ t, 0xffff, 0 };
}

size_t proposal_from_sa(const struct ike_pl_sa *sa, uint8_t protocol,
			const struct engine_proposal *ours, size_t n_ours,
			struct engine_proposal *out, uint8_t *nums,
			uint32_t *spis, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < sa->n_proposals && n < cap; i++) {
		const struct ike_proposal *ip = &sa->proposals[i];

		if (ip->protocol != protocol)
			continue;
		proposal_filter(ip, ours, n_ours, &out[n]);
		if (nums)
			nums[n] = ip->num;
		if (spis) {
			uint32_t spi = 0;

			for (size_t k = 0; k < ip->spi.len && k < 4; k++)
				spi = spi << 8 | ip->spi.ptr[k];
			spis[n] = ip->spi.len == 4 ? spi : 0;
		}
		n++;
	}
	return n;
}

void proposal_to_sa(const struct engine_proposal *ps, size_t n,
		    uint8_t protocol, const uint8_t *spi, size_t spi_len,
		    uint8_t first_num, struct proposal_wire *w,
		    struct ike_pl_sa *out)
{
	size_t nx = 0;

	if (n > ENGINE_MAX_PROPOSALS)
		n = ENGINE_MAX_PROPOSALS;
	if (spi_len)
		memcpy(w->spi, spi, spi_len);
	for (size_t i = 0; i < n; i++) {
		struct ike_proposal *p = &w->props[i];
		bool esn = false;

		p->num = (uint8_t)(first_num + i);
		p->protocol = protocol;
		p->spi = (struct ike_bytes){ spi_len ? w->spi : NULL, spi_len };
		p->transforms = &w->xf[nx];
		for (size_t k = 0; k < ps[i].n; k++) {
			const struct engine_xform *x = &ps[i].x[k];

			w->xf[nx++] =
				(struct ike_transform){ .type = x->type,
							.id = x->id,
							.key_len = x->keylen };
			esn |= x->type == TRANS_ESN;
		}
		if (protocol == PROTO_ESP && !esn)
			w->xf[nx++] = (struct ike_transform){ .type = TRANS_ESN,
							      .id = ESN_NONE };
		p->n_transforms = (uint16_t)(&w->xf[nx] - p->transforms);
	}
	out->n_proposals = (uint16_t)n;
	out->proposals = w->props;
}

const char *proposal_str(const struct proposal_chosen *c, char *buf, size_t cap)
{
	const char *e = ike_encr_id_name(c->encr);
	const char *p = ike_prf_id_name(c->prf);
	const char *i = ike_integ_id_name(c->integ);
	const char *k = ike_ke_id_name(c->ke);

	snprintf(buf, cap, "%s_%u/%s/%s/%s%s", e ? e : "?", c->encr_keylen,
		 c->integ ? (i ? i : "?") : "AEAD",
		 c->prf ? (p ? p : "?") : "-", c->ke ? (k ? k : "?") : "no-KE",
		 c->has_esn ? (c->esn ? "/ESN" : "/NO_ESN") : "");
	return buf;
}

void proposal_esp_normalize(const struct engine_proposal *in, size_t n,
			    struct engine_proposal *out)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = in[i];
		if (!proposal_has_type(&out[i], TRANS_ESN))
			proposal_add(&out[i], TRANS_ESN, ESN_NONE, 0);
	}
}
