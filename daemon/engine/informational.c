/* INFORMATIONAL (RFC 7296 §1.4, §1.5, §2.4):
 *
 *   HDR, SK {[N,] [D,] ...}  -->
 *                      <--  HDR, SK {[N,] [D,] ...}
 *
 * Delete of the IKE SA or of CHILD SAs, liveness checks (an empty request),
 * and the unprotected INVALID_IKE_SPI answer for unknown SAs (§2.21.4).
 */
#include "engine/exchange.h"

#include "engine/dos_share.h"

#include <stdlib.h>
#include <string.h>

enum { INFO_MAX_SPIS = 32 };

static void info_spi_put(uint8_t *p, uint32_t spi)
{
	p[0] = (uint8_t)(spi >> 24);
	p[1] = (uint8_t)(spi >> 16);
	p[2] = (uint8_t)(spi >> 8);
	p[3] = (uint8_t)spi;
}

static struct ike_payload *info_add_delete(struct ike_msg *m, uint8_t proto,
					   const uint8_t *spis, uint16_t n)
{
	struct ike_payload *p = ike_msg_add(m, PL_DELETE);

	if (!p)
		return NULL;
	p->inner = true;
	p->u.del.protocol = proto;
	p->u.del.spi_size = proto == PROTO_IKE ? 0 : 4;
	p->u.del.n_spis = n;
	p->u.del.spis = (struct ike_bytes){ spis, (size_t)n * 4 };
	return p;
}

int informational_delete_ike_i(struct ike_sa *sa, uint64_t now)
{
	struct task *t, *next;

	if (task_find(sa, TASK_IKE_DELETE, 0))
		return 0;
	/* Queued work is moot once the IKE SA goes (§1.4.1). */
	for (t = sa->tasks; t; t = next) {
		next = t->next;
		if (!t->active)
			task_remove(sa, t);
	}
	if (!task_new(sa, TASK_IKE_DELETE, true))
		return -ENG_ERR_NOMEM;
	task_kick(sa, now);
	return 0;
}

int informational_delete_child_i(struct ike_sa *sa, uint64_t now,
				 struct child_sa *c)
{
	struct task *t;

	if (task_find(sa, TASK_CHILD_DELETE, c->spi_in))
		return 0;
	if (!(t = task_new(sa, TASK_CHILD_DELETE, false)))
		return -ENG_ERR_NOMEM;
	t->spi_in = c->spi_in;
	task_kick(sa, now);
	return 0;
}

static int info_build_delete_child(struct ike_sa *sa, struct task *t,
				   struct ike_msg *m, uint8_t spi[4])
{
	struct child_sa *c = ike_sa_child_by_spi_in(sa, t->spi_in);

	if (!c || c->state == CHILD_DELETED)
		return 1;
	if (c->state == CHILD_DELETING)
		return 1; /* already said */
	info_spi_put(spi, c->spi_in);
	if (!info_add_delete(m, PROTO_ESP, spi, 1))
		return -ENG_ERR_NOMEM;
	return 0;
}

int informational_build_i(struct ike_sa *sa, struct task *t, uint64_t now)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct child_sa *c;
	uint8_t spi[4];
	int err = 0;

	if (!m)
		return -ENG_ERR_NOMEM;
	msg_start(sa, m, EXCH_INFORMATIONAL, false, 0);
	if (t->type == TASK_CHILD_DELETE)
		err = info_build_delete_child(sa, t, m, spi);
	else if (t->type == TASK_IKE_DELETE &&
		 !info_add_delete(m, PROTO_IKE, NULL, 0))
		err = -ENG_ERR_NOMEM;
	/* §2.4: an empty INFORMATIONAL request is a liveness check. */
	if (!err)
		err = msg_send_request(sa, now, m);
	free(m);
	if (err)
		return err;
	switch (t->type) {
	case TASK_CHILD_DELETE:
		c = ike_sa_child_by_spi_in(sa, t->spi_in);
		if (c->state != CHILD_REKEYED) {
			c->state = CHILD_DELETING;
			engine_log(sa->e, sa, 5, "deleting CHILD SA %08x/%08x",
				   c->spi_in, c->spi_out);
		}
		break;
	case TASK_IKE_DELETE:
		engine_log(sa->e, sa, 5,
			   "deleting IKE SA, Delete sent to peer");
		break;
	default: engine_log(sa->e, sa, 7, "liveness check sent"); break;
	}
	return 0;
}

/* Deletes the CHILD SAs the peer names (its outbound SPIs = our spi_out)
 * and lists ours in `out` (room for INFO_MAX_SPIS) for the response,
 * after the `n` already there (§1.4.1). */
static uint16_t info_delete_children(struct ike_sa *sa, uint64_t now,
				     const struct ike_pl_delete *d,
				     uint8_t *out, uint16_t n)
{
	for (uint16_t i = 0; i < d->n_spis; i++) {
		uint32_t spi = ike_msg_delete_spi(d, i);
		struct child_sa *c = ike_sa_child_by_spi_out(sa, spi), *x;

		if (!c) {
			engine_log(sa->e, sa, 6,
				   "Delete for unknown CHILD SA %08x ignored",
				   spi);
			continue;
		}
		/* Both sides deleting at once: no Delete back (§1.4.1). */
		if (c->state != CHILD_DELETING && n < INFO_MAX_SPIS)
			info_spi_put(out + 4 * n++, c->spi_in);
		for (x = sa->children; x; x = x->next)
			if (x->replaces == c->spi_in && !x->created_by_us &&
			    x->state == CHILD_INSTALLING)
				break;
		if (x) {
			/* §1.3.3: the initiator of the rekey deletes the
			 * old SA once it uses the new one; so do we now. */
			create_child_activate(sa, x, c, now);
			continue;
		}
		if (c->state == CHILD_REKEYED) {
			/* replaced already: its inbound stays a moment */
			uint64_t at = now + sa->e->set.delete_rekeyed_delay_ms;

			if (!c->delete_at || c->delete_at > at)
				c->delete_at = at;
			continue;
		}
		engine_log(sa->e, sa, 5, "peer deleted CHILD SA %08x/%08x",
			   c->spi_in, c->spi_out);
		ike_sa_child_remove(sa, c);
	}
	return n;
}

/* §1.5: the peer got ESP for an SPI it does not know. The SPI is our
 * outbound one: that CHILD SA is stale on the peer, so remove it here. */
static void info_invalid_spi(struct ike_sa *sa, const struct ike_msg *m)
{
	for (const struct ike_payload *p = ike_msg_find(m, PL_NOTIFY, NULL); p;
	     p = ike_msg_find(m, PL_NOTIFY, p)) {
		const struct ike_pl_notify *n = &p->u.notify;
		struct child_sa *c;
		uint32_t spi;

		if (n->type != N_INVALID_SPI || n->data.len != 4)
			continue;
		spi = (uint32_t)n->data.ptr[0] << 24 | n->data.ptr[1] << 16 |
		      n->data.ptr[2] << 8 | n->data.ptr[3];
		c = ike_sa_child_by_spi_out(sa, spi);
		engine_log(sa->e, sa, 4, "peer reports INVALID_SPI %08x%s", spi,
			   c ? "; removing that CHILD SA" : " (not ours)");
		if (c)
			ike_sa_child_remove(sa, c);
	}
}

int informational_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	struct ike_msg *r = malloc(sizeof(*r));
	uint8_t spis[4 * INFO_MAX_SPIS], nat[2 * NAT_HASH_LEN];
	uint16_t n = 0;
	bool delete_ike = false;
	int err;

	if (!r)
		return -ENG_ERR_NOMEM;
	for (const struct ike_payload *p = ike_msg_find(m, PL_DELETE, NULL); p;
	     p = ike_msg_find(m, PL_DELETE, p))
		if (p->u.del.protocol == PROTO_IKE)
			delete_ike = true;
	/* Every Delete payload counts, and the response lists every SA of
	 * them we deleted (§1.4.1). */
	for (const struct ike_payload *p = ike_msg_find(m, PL_DELETE, NULL);
	     p && !delete_ike; p = ike_msg_find(m, PL_DELETE, p))
		if (p->u.del.protocol == PROTO_ESP)
			n = info_delete_children(sa, now, &p->u.del, spis, n);
	info_invalid_spi(sa, m);
	if (ike_msg_find_notify(m, N_AUTHENTICATION_FAILED)) {
		/* The initiator rejected our AUTH (§2.21.2). */
		engine_log(sa->e, sa, 4,
			   "peer reports AUTHENTICATION_FAILED; "
			   "deleting IKE SA");
		free(r);
		ike_sa_destroy(sa, -ENG_ERR_AUTH);
		return EXCH_SA_GONE;
	}
	msg_start(sa, r, EXCH_INFORMATIONAL, true, 0);
	if ((n && !delete_ike && !info_add_delete(r, PROTO_ESP, spis, n)) ||
	    (!delete_ike && mobike_process_r(sa, m, r, nat))) {
		free(r);
		return -ENG_ERR_NOMEM;
	}
	err = msg_send_response(sa, r);
	free(r);
	if (delete_ike) {
		/* §1.4.1: answer, then the IKE SA and its children go. */
		engine_log(sa->e, sa, 5, "peer deleted the IKE SA");
		ike_sa_destroy(sa, 0);
		return EXCH_SA_GONE;
	}
	task_kick(sa, now);
	return err;
}

int informational_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
{
	struct task *t = task_by_msg_id(sa, m->hdr.msg_id);
	struct child_sa *c;

	win_request_done(sa, m->hdr.msg_id);
	if (sa->state == IKE_SA_DELETING || (t && t->type == TASK_IKE_DELETE)) {
		engine_log(sa->e, sa, 5, "peer confirmed the IKE SA delete");
		ike_sa_destroy(sa, 0);
		return EXCH_SA_GONE;
	}
	if (t && t->type == TASK_MOBIKE)
		(void)mobike_process_i(sa, t, m);
	if (t && t->type == TASK_CHILD_DELETE &&
	    (c = ike_sa_child_by_spi_in(sa, t->spi_in))) {
		if (c->state == CHILD_REKEYED && !c->redundant) {
			/* A rekeyed SA: the peer may still send on it for
			 * a moment (doc/rekeying.md, step 4). */
			uint64_t at = now + sa->e->set.delete_rekeyed_delay_ms;

			if (!c->delete_at || c->delete_at > at)
				c->delete_at = at;
		} else {
			ike_sa_child_remove(sa, c);
		}
	}
	if (t)
		task_remove(sa, t);
	task_kick(sa, now);
	return 0;
}

void informational_invalid_spi(struct engine *e, uint64_t now,
			       const struct engine_addr *local,
			       const struct engine_addr *remote,
			       const struct ike_msg *m)
{
	struct ike_msg *r;
	struct engine_action *a;
	uint8_t buf[128];
	size_t len;

	if (m->hdr.exchange == EXCH_IKE_SA_INIT)
		return;
	/* §2.21.4 says SHOULD answer, and also to rate-limit: spoofed
	 * requests must not turn us into a reflector. */
	if (!dos_invalid_spi_allowed(e, now)) /* every worker's answers */
		return;
	engine_log(e, NULL, 6,
		   "%s request for unknown IKE SA %016llx_i "
		   "%016llx_r; answering INVALID_IKE_SPI",
		   ike_exchange_type_name(m->hdr.exchange) ?: "?",
		   (unsigned long long)m->hdr.spi_i,
		   (unsigned long long)m->hdr.spi_r);
	if (!(r = malloc(sizeof(*r))))
		return;
	/* §2.21.4: same SPIs and message ID, unprotected, a response. */
	ike_msg_init(r, m->hdr.spi_i, m->hdr.spi_r, m->hdr.exchange,
		     (uint8_t)((m->hdr.flags & IKE_FLAG_INITIATOR)
				       ? 0
				       : IKE_FLAG_INITIATOR) |
			     IKE_FLAG_RESPONSE,
		     m->hdr.msg_id);
	if (msg_add_notify(r, false, N_INVALID_IKE_SPI, 0, NULL, 0) &&
	    !ike_msg_encode(r, buf, sizeof(buf), &len) &&
	    (a = engine_push(e, ENGINE_ACT_SEND, 0)) &&
	    (a->u.send.buf = malloc(len))) {
		memcpy(a->u.send.buf, buf, len);
		a->u.send.len = len;
		a->u.send.local = *local;
		a->u.send.remote = *remote;
		a->u.send.non_esp_marker = local->port == IKE_NATT_PORT;
	}
	free(r);
}
