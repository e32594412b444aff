/* Datagram dispatch and the exchange table; see exchange.h. */
#include "engine/exchange.h"

#include "engine/cp.h"

#include <stdlib.h>
#include <string.h>

#define S(x) EXCH_STATE(x)
#define P(x) EXCH_PL(x)

/* RFC 7296 §1.2, §1.4, §1.3: the messages this engine understands. */
static const struct exchange_def exchange_table[] = {
	{ "IKE_SA_INIT response", EXCH_IKE_SA_INIT, true, false,
	  S(IKE_SA_INIT_I), 0, ike_sa_init_process_i },
	/* without AUTH, the peer asks for EAP (§2.16) */
	{ "IKE_AUTH request", EXCH_IKE_AUTH, false, true, S(IKE_SA_INIT_R),
	  P(PL_IDI), ike_auth_process_r },
	/* EAP rounds, then AUTH: the handler checks which is due */
	{ "IKE_AUTH request (EAP)", EXCH_IKE_AUTH, false, true, S(IKE_SA_EAP_R),
	  0, ike_auth_eap_process_r },
	{ "IKE_AUTH response", EXCH_IKE_AUTH, true, true, S(IKE_SA_AUTH_I), 0,
	  ike_auth_process_i },
	{ "INFORMATIONAL request", EXCH_INFORMATIONAL, false, true,
	  S(IKE_SA_ESTABLISHED) | S(IKE_SA_DELETING) | S(IKE_SA_AUTH_I), 0,
	  informational_process_r },
	{ "INFORMATIONAL request (EAP)", EXCH_INFORMATIONAL, false, true,
	  S(IKE_SA_EAP_R), 0, ike_auth_eap_info_r },
	{ "INFORMATIONAL response", EXCH_INFORMATIONAL, true, true,
	  S(IKE_SA_ESTABLISHED) | S(IKE_SA_DELETING), 0,
	  informational_process_i },
	{ "CREATE_CHILD_SA request", EXCH_CREATE_CHILD_SA, false, true,
	  S(IKE_SA_ESTABLISHED) | S(IKE_SA_DELETING), 0,
	  create_child_process_r },
	{ "CREATE_CHILD_SA response", EXCH_CREATE_CHILD_SA, true, true,
	  S(IKE_SA_ESTABLISHED) | S(IKE_SA_DELETING), 0,
	  create_child_process_i },
};

const struct exchange_def *exchange_find(uint8_t exchange, bool response,
					 enum ike_sa_state state)
{
	for (size_t i = 0;
	     i < sizeof(exchange_table) / sizeof(exchange_table[0]); i++) {
		const struct exchange_def *d = &exchange_table[i];

		if (d->exchange == exchange && d->response == response &&
		    (d->states & S(state)))
			return d;
	}
	return NULL;
}

uint64_t exchange_payloads(const struct ike_msg *m)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < m->n_payloads; i++) {
		uint8_t t = m->payloads[i].type;

		if (t >= PL_SA && t < PL_SA + 64)
			bits |= P(t);
	}
	return bits;
}

/* Finds the SA a (non IKE_SA_INIT-request) message belongs to and checks
 * that the SPIs and the I flag agree with our role (§3.1). */
static struct ike_sa *exchange_lookup(struct engine *e, const struct ike_msg *m)
{
	bool from_initiator = m->hdr.flags & IKE_FLAG_INITIATOR;
	uint64_t local_spi = from_initiator ? m->hdr.spi_r : m->hdr.spi_i;
	struct ike_sa *sa = local_spi ? ike_sa_find(e, local_spi) : NULL;

	if (!sa || sa->initiator == from_initiator)
		return NULL;
	if (from_initiator)
		return sa->spi_i == m->hdr.spi_i ? sa : NULL;
	/* The IKE_SA_INIT response tells the initiator SPIr (§2.6). */
	if (sa->state == IKE_SA_INIT_I && m->hdr.exchange == EXCH_IKE_SA_INIT)
		return sa;
	return sa->spi_r == m->hdr.spi_r ? sa : NULL;
}

/* Message ID checks (§2.3, window.c). Returns 1 to process, 0 if handled
 * (kept response resent or dropped). */
static int exchange_window(struct ike_sa *sa, const struct ike_msg *m)
{
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	const struct ike_response *kept;
	const struct ike_request *q;

	if (response) {
		q = win_request_find(sa, m->hdr.msg_id);
		if (q && m->hdr.exchange == q->exchange)
			return 1;
		engine_log(sa->e, sa, 7, "dropping unexpected %s response %u",
			   ike_exchange_type_name(m->hdr.exchange),
			   m->hdr.msg_id);
		return 0;
	}
	switch (win_check_request(sa, m->hdr.msg_id)) {
	case WIN_NEW:
		/* requests may arrive out of order within the window:
		 * each is answered under its own ID */
		sa->resp_cur = m->hdr.msg_id;
		return 1;
	case WIN_ANSWERED: {
		const struct ike_payload *f = ike_msg_find(m, PL_SKF, NULL);

		/* RFC 7383 §2.6.1: a retransmitted fragmented request is
		 * answered once, on its first fragment */
		if (f && f->u.skf.frag_num != 1)
			return 0;
		/* §2.1: a retransmitted request gets the same response,
		 * without processing it again. */
		kept = win_response(sa, m->hdr.msg_id);
		engine_log(sa->e, sa, 6,
			   "retransmitted %s request %u, resending response",
			   ike_exchange_type_name(m->hdr.exchange),
			   m->hdr.msg_id);
		(void)rtx_resend(sa, kept->buf, kept->len, kept->train);
		return 0;
	}
	case WIN_OUTSIDE: break;
	}
	engine_log(sa->e, sa, 6,
		   "dropping %s request %u outside the window "
		   "(expected %u)",
		   ike_exchange_type_name(m->hdr.exchange), m->hdr.msg_id,
		   sa->resp_expect);
	return 0;
}

/* §2.23: after an authenticated message, follow the peer's address and
 * port if they changed (a NAT rebinding), and note a move to 4500. */
static void exchange_track_peer(struct ike_sa *sa,
				const struct engine_addr *local,
				const struct engine_addr *remote)
{
	if (local->port == IKE_NATT_PORT)
		sa->natt = true;
	if (!ike_sa_addr_eq(&sa->remote, remote, true) &&
	    (sa->nat_local || sa->nat_remote || sa->natt)) {
		sa->remote = *remote;
		sa->local = *local;
		sa_idx_sa_file(sa); /* the peer's NAT moved it */
	}
}

static int exchange_run(struct ike_sa *sa, uint64_t now,
			const struct engine_addr *local,
			const struct engine_addr *remote, struct ike_msg *m)
{
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	const struct exchange_def *d;
	uint8_t *plain = NULL;
	size_t plain_len = 0;
	uint64_t have, missing;
	struct engine *sa_e = sa->e; /* the handler may free sa */
	int err;

	sa->e->rx_local = *local;
	sa->e->rx_remote = *remote;
	d = exchange_find(m->hdr.exchange, response, sa->state);
	if (!d) {
		engine_log(sa->e, sa, 5,
			   "%s %s %u unexpected in state %d; "
			   "dropped",
			   ike_exchange_type_name(m->hdr.exchange),
			   response ? "response" : "request", m->hdr.msg_id,
			   sa->state);
		return -ENG_ERR_STATE;
	}
	if (d->encrypted && (err = ike_sa_init_sk(sa)))
		return err;
	if (d->encrypted && ike_msg_find(m, PL_SKF, NULL) &&
	    !ike_msg_find(m, PL_SK, NULL)) {
		/* RFC 7383: one fragment; the handler runs once all are in */
		err = frag_receive(sa, m, &plain, &plain_len);
		if (err == FRAG_INCOMPLETE)
			return 0;
		if (err)
			return err;
		exchange_track_peer(sa, local, remote);
	} else if (d->encrypted) {
		plain_len = m->raw.len;
		plain = engine_rx_plain(sa->e, plain_len);
		if (!plain)
			return -ENG_ERR_NOMEM;
		err = msg_open(sa, m, plain, m->raw.len);
		if (err) {
			/* §2.21.1: unauthenticated garbage is dropped. */
			engine_log(sa->e, sa, 5, "%s dropped: %s", d->name,
				   engine_err_name(err));
			goto out;
		}
		exchange_track_peer(sa, local, remote);
	}
	have = exchange_payloads(m);
	missing = d->required & ~have;
	if (missing) {
		engine_log(sa->e, sa, 4,
			   "%s lacks required payloads "
			   "(mask %#llx); dropped",
			   d->name, (unsigned long long)missing);
		err = -ENG_ERR_MISSING;
		goto out;
	}
	sa->last_heard = now;
	if (sa->conn && sa->conn->dpd_delay_ms)
		sa->dpd_deadline = now + sa->conn->dpd_delay_ms;
	if (m->hdr.exchange != EXCH_IKE_AUTH)
		cp_unexpected(sa, m);
	err = d->handler(sa, now, m);
out:
	if (plain) {
		crypto_wipe(plain, plain_len);
		if (plain != sa_e->rx_plain) /* frag_receive's own */
			free(plain);
	}
	return err == EXCH_SA_GONE ? 0 : err;
}

int engine_datagram(struct engine *e, uint64_t now_ms,
		    const struct engine_addr *local,
		    const struct engine_addr *remote, const uint8_t *buf,
		    size_t len)
{
	struct ike_msg *m = e->rx_msg;
	struct ike_sa *sa;
	int err;

	/* One decoded message per engine, reused: no 17 KB allocation per
	 * datagram (the engine is not re-entered while it runs). */
	e->now_ms = now_ms;
	err = ike_msg_decode(m, buf, len);
	if (err) {
		engine_log(e, NULL, 6, "dropping malformed datagram: %s",
			   engine_err_name(err));
		goto out;
	}
	if (m->hdr.exchange == EXCH_IKE_SA_INIT &&
	    !(m->hdr.flags & IKE_FLAG_RESPONSE)) {
		err = ike_sa_init_process_r(e, now_ms, local, remote, m);
		goto out;
	}
	sa = exchange_lookup(e, m);
	if (!sa) {
		err = -ENG_ERR_UNKNOWN_SPI;
		if (!(m->hdr.flags & IKE_FLAG_RESPONSE))
			informational_invalid_spi(e, now_ms, local, remote, m);
		else
			engine_log(e, NULL, 6,
				   "dropping %s response for "
				   "unknown IKE SA",
				   ike_exchange_type_name(m->hdr.exchange));
		goto out;
	}
	if (exchange_window(sa, m))
		err = exchange_run(sa, now_ms, local, remote, m);
out:
	return err;
}
