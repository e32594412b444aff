/* Sending, message ID windows and per-SA timers: request retransmission
 * with exponential backoff, cached responses, half-open expiry and liveness
 * checks (RFC 7296 §2.1, §2.3, §2.4). */
#include "engine/ike_sa.h"

#include <stdlib.h>
#include <string.h>

static const struct engine_retransmit rtx_defaults = { 4000, 1.8, 5 };

static const struct engine_retransmit *rtx_cfg(const struct ike_sa *sa)
{
	if (sa->conn && sa->conn->rtx.timeout_ms)
		return &sa->conn->rtx;
	return &rtx_defaults;
}

uint64_t rtx_first_delay(const struct ike_sa *sa)
{
	return rtx_delay_ms(rtx_cfg(sa), 0);
}

uint64_t rtx_delay_ms(const struct engine_retransmit *r, uint32_t n)
{
	double d = r->timeout_ms;

	for (uint32_t i = 0; i < n; i++)
		d *= r->base;
	return (uint64_t)d;
}

int rtx_send(struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	struct engine_action *a = engine_push(sa->e, ENGINE_ACT_SEND, sa->id);

	if (!a)
		return -ENG_ERR_NOMEM;
	a->u.send.buf = malloc(len ? len : 1);
	if (!a->u.send.buf) {
		sa->e->n_act--;
		return -ENG_ERR_NOMEM;
	}
	memcpy(a->u.send.buf, buf, len);
	a->u.send.len = len;
	a->u.send.local = sa->local;
	a->u.send.remote = sa->remote;
	/* RFC 3948 §2.2: IKE on the NAT-T port carries the marker. */
	a->u.send.non_esp_marker = sa->natt;
	return 0;
}

int rtx_resend(struct ike_sa *sa, const uint8_t *buf, size_t len, bool train)
{
	size_t pos = 0;
	int err = 0;

	if (!train)
		return rtx_send(sa, buf, len);
	while (!err && pos + 2 <= len) {
		size_t n = (size_t)buf[pos] << 8 | buf[pos + 1];

		if (pos + 2 + n > len)
			break;
		err = rtx_send(sa, buf + pos + 2, n);
		pos += 2 + n;
	}
	return err;
}

/* The peer stopped answering (§2.4): forget the SA, restart if asked. */
static void rtx_give_up(struct ike_sa *sa, const struct ike_request *r,
			uint64_t now)
{
	struct engine *e = sa->e;
	const struct engine_conn *conn = sa->conn;
	bool restart = sa->initiator && conn &&
		       conn->dpd_action == ENGINE_DPD_RESTART &&
		       sa->state == IKE_SA_ESTABLISHED;

	engine_log(e, sa, 4,
		   "no response to %s request %u after %u retransmissions, "
		   "peer is dead; deleting IKE SA%s",
		   ike_exchange_type_name(r->exchange), r->msg_id, r->tries,
		   restart ? " and initiating again" : "");
	ike_sa_destroy(sa, -ENG_ERR_TIMEOUT);
	if (restart)
		(void)engine_initiate(e, now, conn->name, NULL);
}

/* RFC 3948 §2.3: one 0xFF octet keeps the NAT mapping of port 4500. */
static void rtx_keepalive(struct ike_sa *sa, uint64_t now)
{
	static const uint8_t ka = 0xff;
	struct engine_action *a;

	sa->keepalive_deadline = now + sa->conn->natt_keepalive_ms;
	if (rtx_send(sa, &ka, 1))
		return;
	a = &sa->e->act[sa->e->n_act - 1];
	a->u.send.non_esp_marker = false;
}

bool rtx_timeout(struct ike_sa *sa, uint64_t now)
{
	const struct engine_retransmit *r = rtx_cfg(sa);

	struct ike_request *q;

	/* each request of the window on its own schedule (§2.1) */
	while ((q = win_request_due(sa, now))) {
		if (q->tries >= r->tries) {
			rtx_give_up(sa, q, now);
			return true;
		}
		q->tries++;
		q->deadline = now + rtx_delay_ms(r, q->tries);
		engine_log(sa->e, sa, 6, "retransmitting %s request %u (%u/%u)",
			   ike_exchange_type_name(q->exchange), q->msg_id,
			   q->tries, r->tries);
		(void)rtx_resend(sa, q->buf, q->len, q->train);
	}
	if (sa->state != IKE_SA_ESTABLISHED && sa->state != IKE_SA_DELETING &&
	    sa->half_open_deadline && now >= sa->half_open_deadline) {
		engine_log(sa->e, sa, 4,
			   "half-open IKE SA timed out in state %d; deleting",
			   sa->state);
		ike_sa_destroy(sa, -ENG_ERR_TIMEOUT);
		return true;
	}
	if (sa->state == IKE_SA_ESTABLISHED && sa->keepalive_deadline &&
	    now >= sa->keepalive_deadline)
		rtx_keepalive(sa, now);
	if (sa->state == IKE_SA_ESTABLISHED && sa->dpd_deadline && !sa->tasks &&
	    now >= sa->dpd_deadline) {
		sa->dpd_deadline = 0;
		if (!task_new(sa, TASK_DPD, false))
			engine_log(sa->e, sa, 3,
				   "could not queue a liveness check");
		task_kick(sa, now);
	}
	return lifetime_timeout(sa, now);
}

uint64_t rtx_deadline(const struct ike_sa *sa)
{
	uint64_t d = win_request_deadline(sa);
	if (sa->state != IKE_SA_ESTABLISHED && sa->state != IKE_SA_DELETING &&
	    sa->half_open_deadline && sa->half_open_deadline < d)
		d = sa->half_open_deadline;
	if (sa->state == IKE_SA_ESTABLISHED && sa->dpd_deadline && !sa->tasks &&
	    sa->dpd_deadline < d)
		d = sa->dpd_deadline;
	if (sa->state == IKE_SA_ESTABLISHED && sa->keepalive_deadline &&
	    sa->keepalive_deadline < d)
		d = sa->keepalive_deadline;
	if (lifetime_deadline(sa) < d)
		d = lifetime_deadline(sa);
	return d;
}
