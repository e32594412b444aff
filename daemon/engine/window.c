/* Message ID windows (RFC 7296 §2.3): our requests in flight, each kept
 * for retransmission until its response arrives, and our responses, each
 * kept to answer a retransmitted request without processing it again.
 *
 * Both windows are one until the initial exchanges complete. Then ours
 * (engine setting window_size) is what we announce with SET_WINDOW_SIZE
 * and the number of responses we keep; the peer's, from its
 * SET_WINDOW_SIZE, is how many requests we may have outstanding. A slot
 * holds message ID `id` at index id % window: IDs in flight (or kept) are
 * always fewer than the window apart, so they never share a slot. With a
 * window of one the single slot lives in the IKE SA itself, so SAs that
 * never negotiate a window allocate nothing for it. */
#include "engine/ike_sa.h"

#include <stdlib.h>
#include <string.h>

static struct ike_request *win_req_slot(struct ike_sa *sa, uint32_t msg_id)
{
	return sa->req_window > 1 ? &sa->reqs[msg_id % sa->req_window]
				  : &sa->req;
}

static const struct ike_request *win_req_at(const struct ike_sa *sa, uint32_t i)
{
	return sa->req_window > 1 ? &sa->reqs[i] : &sa->req;
}

static struct ike_response *win_resp_slot(struct ike_sa *sa, uint32_t msg_id)
{
	return sa->resp_window > 1 ? &sa->resps[msg_id % sa->resp_window]
				   : &sa->resp;
}

static uint32_t win_req_slots(const struct ike_sa *sa)
{
	return sa->req_window > 1 ? sa->req_window : 1;
}

static uint32_t win_resp_slots(const struct ike_sa *sa)
{
	return sa->resp_window > 1 ? sa->resp_window : 1;
}

static void win_response_clear(struct ike_response *r)
{
	free(r->buf);
	*r = (struct ike_response){ 0 };
}

int win_request(struct ike_sa *sa, uint64_t now, uint8_t exchange,
		uint32_t msg_id, const uint8_t *buf, size_t len, bool train)
{
	struct ike_request *r = win_req_slot(sa, msg_id);
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENG_ERR_NOMEM;
	memcpy(copy, buf, len);
	free(r->buf);
	*r = (struct ike_request){
		.active = true,
		.exchange = exchange,
		.msg_id = msg_id,
		.deadline = now + rtx_first_delay(sa),
		.len = len,
		.buf = copy,
		.train = train,
	};
	return rtx_resend(sa, buf, len, train);
}

struct ike_request *win_request_find(struct ike_sa *sa, uint32_t msg_id)
{
	struct ike_request *r = win_req_slot(sa, msg_id);

	return r->active && r->msg_id == msg_id ? r : NULL;
}

void win_request_done(struct ike_sa *sa, uint32_t msg_id)
{
	struct ike_request *r = win_request_find(sa, msg_id);

	if (!r)
		return;
	free(r->buf);
	*r = (struct ike_request){ 0 };
}

size_t win_requests(const struct ike_sa *sa)
{
	size_t n = 0;

	for (uint32_t i = 0; i < win_req_slots(sa); i++)
		n += win_req_at(sa, i)->active;
	return n;
}

bool win_can_send(const struct ike_sa *sa)
{
	/* §2.3: request X waits for the responses up to X - window. */
	for (uint32_t i = 0; i < win_req_slots(sa); i++) {
		const struct ike_request *r = win_req_at(sa, i);

		if (r->active && sa->req_next - r->msg_id >= win_req_slots(sa))
			return false;
	}
	return true;
}

struct ike_request *win_request_due(struct ike_sa *sa, uint64_t now)
{
	for (uint32_t i = 0; i < win_req_slots(sa); i++) {
		struct ike_request *r =
			sa->req_window > 1 ? &sa->reqs[i] : &sa->req;

		if (r->active && now >= r->deadline)
			return r;
	}
	return NULL;
}

uint64_t win_request_deadline(const struct ike_sa *sa)
{
	uint64_t d = UINT64_MAX;

	for (uint32_t i = 0; i < win_req_slots(sa); i++) {
		const struct ike_request *r = win_req_at(sa, i);

		if (r->active && r->deadline < d)
			d = r->deadline;
	}
	return d;
}

int win_respond(struct ike_sa *sa, uint32_t msg_id, const uint8_t *buf,
		size_t len, bool train)
{
	struct ike_response *r = win_resp_slot(sa, msg_id);
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENG_ERR_NOMEM;
	memcpy(copy, buf, len);
	win_response_clear(r);
	*r = (struct ike_response){
		.valid = true,
		.train = train,
		.msg_id = msg_id,
		.len = len,
		.buf = copy,
	};
	/* the window's low edge moves past every answered request */
	while ((r = win_resp_slot(sa, sa->resp_expect))->valid &&
	       r->msg_id == sa->resp_expect)
		sa->resp_expect++;
	return rtx_resend(sa, buf, len, train);
}

const struct ike_response *win_response(struct ike_sa *sa, uint32_t msg_id)
{
	const struct ike_response *r = win_resp_slot(sa, msg_id);

	return r->valid && r->msg_id == msg_id ? r : NULL;
}

enum win_verdict win_check_request(struct ike_sa *sa, uint32_t msg_id)
{
	if (win_response(sa, msg_id))
		return WIN_ANSWERED;
	/* unsigned distance: IDs below the low edge wrap to huge values */
	if (msg_id - sa->resp_expect < win_resp_slots(sa))
		return WIN_NEW;
	return WIN_OUTSIDE;
}

/* RFC 7296 §3.10.1: four octets, the number of requests the peer keeps
 * state for. 0 cannot be meant; above our limit, we send no more than the
 * limit (a window is a promise to accept, not a demand to send). */
void win_peer_notify(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_payload *n = ike_msg_find_notify(m, N_SET_WINDOW_SIZE);
	const struct ike_bytes *d;
	uint32_t w;

	if (!n)
		return;
	d = &n->u.notify.data;
	if (d->len != 4) {
		engine_log(sa->e, sa, 4,
			   "SET_WINDOW_SIZE with %zu octets of data (not 4) "
			   "ignored; sending one request at a time",
			   d->len);
		return;
	}
	w = (uint32_t)d->ptr[0] << 24 | (uint32_t)d->ptr[1] << 16 |
	    (uint32_t)d->ptr[2] << 8 | d->ptr[3];
	if (w == 0) {
		engine_log(sa->e, sa, 4,
			   "SET_WINDOW_SIZE 0 ignored; sending one request "
			   "at a time");
		return;
	}
	if (w > IKE_WINDOW_MAX) {
		engine_log(sa->e, sa, 6,
			   "peer accepts %u requests at once; we send at "
			   "most %u",
			   w, IKE_WINDOW_MAX);
		w = IKE_WINDOW_MAX;
	}
	sa->peer_window = w;
}

bool win_add_notify(const struct ike_sa *sa, struct ike_msg *m)
{
	uint32_t w = sa->e->set.window_size;
	uint8_t *be = sa->e->window_notify; /* lives as long as `m` */

	/* one is what the peer assumes without it (§2.3) */
	if (w <= 1)
		return true;
	be[0] = (uint8_t)(w >> 24);
	be[1] = (uint8_t)(w >> 16);
	be[2] = (uint8_t)(w >> 8);
	be[3] = (uint8_t)w;
	return msg_add_notify(m, true, N_SET_WINDOW_SIZE, 0, be, 4) != NULL;
}

/* Moves the single inline slot into an array of `size` slots. */
static int win_grow_requests(struct ike_sa *sa, uint32_t size)
{
	struct ike_request *a;

	if (size <= 1 || sa->req_window > 1)
		return 0;
	if (!(a = calloc(size, sizeof(*a))))
		return -ENG_ERR_NOMEM;
	if (sa->req.active)
		a[sa->req.msg_id % size] = sa->req;
	else
		free(sa->req.buf);
	sa->req = (struct ike_request){ 0 };
	sa->reqs = a;
	sa->req_window = size;
	return 0;
}

static int win_grow_responses(struct ike_sa *sa, uint32_t size)
{
	struct ike_response *a;

	if (size <= 1 || sa->resp_window > 1)
		return 0;
	if (!(a = calloc(size, sizeof(*a))))
		return -ENG_ERR_NOMEM;
	if (sa->resp.valid)
		a[sa->resp.msg_id % size] = sa->resp;
	else
		free(sa->resp.buf);
	sa->resp = (struct ike_response){ 0 };
	sa->resps = a;
	sa->resp_window = size;
	return 0;
}

int win_open(struct ike_sa *sa)
{
	int err = win_grow_requests(sa, sa->peer_window);

	if (!err)
		err = win_grow_responses(sa, sa->e->set.window_size);
	if (err)
		engine_log(sa->e, sa, 3,
			   "out of memory for a message ID window; staying "
			   "at one request at a time");
	else if (sa->req_window > 1 || sa->resp_window > 1)
		engine_log(sa->e, sa, 6,
			   "message ID windows: %u requests of ours, %u of "
			   "the peer's",
			   win_req_slots(sa), win_resp_slots(sa));
	return err;
}

void win_inherit(const struct ike_sa *old, struct ike_sa *n)
{
	/* The new IKE SA talks to the same implementation, which made its
	 * promise for the peer as a whole, as ours (an engine setting) is;
	 * the new SA starts at message ID 0 with nothing in flight. */
	n->peer_window = old->peer_window;
}

void win_free(struct ike_sa *sa)
{
	for (uint32_t i = 0; sa->reqs && i < sa->req_window; i++)
		free(sa->reqs[i].buf);
	free(sa->reqs);
	free(sa->req.buf);
	for (uint32_t i = 0; sa->resps && i < sa->resp_window; i++)
		free(sa->resps[i].buf);
	free(sa->resps);
	free(sa->resp.buf);
	sa->reqs = NULL;
	sa->resps = NULL;
}
