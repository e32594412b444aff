/* Kernel work batched per engine call; see kbatch.h. */
#include "io/kbatch.h"

#include "engine/engine_kernel.h"
#include "ike_iana.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool kbatch_takes(enum engine_action_type type)
{
	return type == ENGINE_ACT_ALLOC_SPI || type == ENGINE_ACT_SA_ADD ||
	       type == ENGINE_ACT_SA_DEL || type == ENGINE_ACT_POLICY_ADD ||
	       type == ENGINE_ACT_POLICY_DEL;
}

/* Room for `more` elements of `size` after `n` in *v (capacity *cap). */
static bool kbatch_room(void **v, size_t *cap, size_t n, size_t more,
			size_t size)
{
	size_t want = *cap ? *cap : 8;
	void *p;

	if (n + more <= *cap)
		return true;
	while (want < n + more)
		want *= 2;
	/* SA copies hold keys: never leave them behind in a freed block */
	if (!(p = calloc(want, size)))
		return false;
	if (*v)
		memcpy(p, *v, n * size);
	if (*v) {
		explicit_bzero(*v, *cap * size);
		free(*v);
	}
	*v = p;
	*cap = want;
	return true;
}

static int kbatch_add_sa(struct kbatch *b, struct kbatch_item *it)
{
	const struct engine_action *a = it->a;
	struct kernel_req *q;

	if (!kbatch_room((void **)&b->sa, &b->cap_sa, b->n_sa, 1,
			 sizeof(*b->sa)) ||
	    !kbatch_room((void **)&b->req, &b->cap_req, b->n_req, 1,
			 sizeof(*b->req)))
		return -ENOMEM;
	it->obj = b->n_sa++;
	engine_sa_to_kernel(&a->u.sa, &b->sa[it->obj]);
	q = &b->req[b->n_req++];
	memset(q, 0, sizeof(*q));
	if (a->type == ENGINE_ACT_SA_DEL)
		q->type = KERNEL_REQ_SA_DEL;
	else /* an inbound SA fills the larval SA ALLOCSPI created */
		q->type = a->u.sa.inbound ? KERNEL_REQ_SA_UPDATE
					  : KERNEL_REQ_SA_ADD;
	it->n = 1;
	return 0;
}

/* XFRM ALLOCSPI with min = max: the engine picked the SPI (engine.h). */
static int kbatch_add_spi(struct kbatch *b, struct kbatch_item *it)
{
	const struct engine_spi *s = &it->a->u.spi;
	struct engine_sa larval = {
		.src = s->src, .dst = s->dst, .spi = s->spi, .proto = PROTO_ESP
	};
	struct kernel_spi_req *r;
	struct kernel_sa k;
	struct kernel_req *q;

	if (!kbatch_room((void **)&b->spi, &b->cap_spi, b->n_spi, 1,
			 sizeof(*b->spi)) ||
	    !kbatch_room((void **)&b->req, &b->cap_req, b->n_req, 1,
			 sizeof(*b->req)))
		return -ENOMEM;
	engine_sa_to_kernel(&larval, &k);
	it->obj = b->n_spi++;
	r = &b->spi[it->obj];
	*r = (struct kernel_spi_req){
		.id = k.id, .reqid = s->reqid, .min = s->spi, .max = s->spi
	};
	kernel_sa_wipe(&k);
	q = &b->req[b->n_req++];
	memset(q, 0, sizeof(*q));
	q->type = KERNEL_REQ_SPI_ALLOC;
	it->n = 1;
	return 0;
}

static int kbatch_add_policy(struct kbatch *b, struct kbatch_item *it,
			     uint32_t *policy_seq)
{
	const struct engine_action *a = it->a;
	int n;

	if (!kbatch_room((void **)&b->pol, &b->cap_pol, b->n_pol,
			 KBATCH_POLICY_MAX, sizeof(*b->pol)) ||
	    !kbatch_room((void **)&b->req, &b->cap_req, b->n_req,
			 KBATCH_POLICY_MAX, sizeof(*b->req)))
		return -ENOMEM;
	n = engine_policy_to_kernel(&a->u.policy, policy_seq, &b->pol[b->n_pol],
				    KBATCH_POLICY_MAX);
	if (n < 0)
		return n;
	it->obj = b->n_pol;
	for (int i = 0; i < n; i++) {
		struct kernel_req *q = &b->req[b->n_req + (size_t)i];

		memset(q, 0, sizeof(*q));
		if (a->type == ENGINE_ACT_POLICY_ADD) {
			q->type = KERNEL_REQ_POLICY_UPDATE; /* over a trap */
		} else {
			q->type = KERNEL_REQ_POLICY_DEL;
			/* by selector: indexes are per add */
			b->pol[b->n_pol + (size_t)i].index = 0;
		}
	}
	b->n_pol += (size_t)n;
	it->n = (size_t)n;
	return 0;
}

int kbatch_add(struct kbatch *b, const struct engine_action *a,
	       uint32_t *policy_seq, bool held)
{
	struct kbatch_item *it;

	if (!kbatch_room((void **)&b->item, &b->cap_item, b->n_item, 1,
			 sizeof(*b->item)))
		return -ENOMEM;
	it = &b->item[b->n_item++];
	*it = (struct kbatch_item){ .a = a, .first = b->n_req, .held = held };
	if (held)
		return 0;
	if (a->type == ENGINE_ACT_ALLOC_SPI)
		it->err = kbatch_add_spi(b, it);
	else if (a->type == ENGINE_ACT_SA_ADD || a->type == ENGINE_ACT_SA_DEL)
		it->err = kbatch_add_sa(b, it);
	else if (a->type == ENGINE_ACT_POLICY_ADD ||
		 a->type == ENGINE_ACT_POLICY_DEL)
		it->err = kbatch_add_policy(b, it, policy_seq);
	else
		it->err = -EINVAL;
	if (it->err)
		it->n = 0;
	b->n_req = it->first + it->n;
	return 0;
}

size_t kbatch_apply(struct kbatch *b, const struct kernel_ops *ops,
		    struct kernel *k)
{
	size_t failed = 0;

	/* the objects' arrays may have moved while they grew: point the
	 * requests at them only now */
	for (size_t i = 0; i < b->n_item; i++) {
		const struct kbatch_item *it = &b->item[i];

		for (size_t j = 0; j < it->n; j++) {
			struct kernel_req *q = &b->req[it->first + j];

			if (q->type == KERNEL_REQ_SPI_ALLOC)
				q->o.spi = &b->spi[it->obj];
			else if (q->type == KERNEL_REQ_SA_DEL)
				q->o.sa_id = &b->sa[it->obj].id;
			else if (q->type == KERNEL_REQ_SA_ADD ||
				 q->type == KERNEL_REQ_SA_UPDATE)
				q->o.sa = &b->sa[it->obj];
			else
				q->o.policy = &b->pol[it->obj + j];
		}
	}
	if (!b->n_req)
		return 0;
	b->n_applies++;
	b->n_requests += b->n_req;
	int r = ops->apply(k, b->req, b->n_req);

	for (size_t i = 0; i < b->n_req; i++) {
		struct kernel_req *q = &b->req[i];

		if (q->type == KERNEL_REQ_SPI_ALLOC && !q->err.code &&
		    q->o.spi->got != q->o.spi->min) {
			char what[KERNEL_ERR_MAX / 2];

			kernel_sa_describe(&q->o.spi->id, q->o.spi->reqid, what,
					   sizeof(what));
			snprintf(q->err.msg, sizeof(q->err.msg),
				 "allocate SPI 0x%x for %s: the kernel gave "
				 "0x%x",
				 q->o.spi->min, what, q->o.spi->got);
			q->err.code = -EADDRINUSE;
		}
		failed += q->err.code != 0;
	}
	/* the backend failed as a whole (out of memory): none went */
	for (size_t i = 0; r < 0 && !failed && i < b->n_req; i++)
		kernel_err_set(&b->req[i].err, r, "kernel batch not sent",
			       NULL);
	return r < 0 && !failed ? b->n_req : failed;
}

const struct kernel_err *kbatch_item_err(const struct kbatch *b, size_t i)
{
	const struct kbatch_item *it = &b->item[i];

	for (size_t j = 0; j < it->n; j++)
		if (b->req[it->first + j].err.code)
			return &b->req[it->first + j].err;
	return NULL;
}

void kbatch_reset(struct kbatch *b)
{
	for (size_t i = 0; i < b->n_sa; i++)
		kernel_sa_wipe(&b->sa[i]);
	b->n_item = b->n_req = b->n_sa = b->n_pol = b->n_spi = 0;
}

void kbatch_free(struct kbatch *b)
{
	kbatch_reset(b);
	free(b->item);
	free(b->req);
	free(b->sa);
	free(b->pol);
	free(b->spi);
	b->spi = NULL;
	b->item = NULL;
	b->req = NULL;
	b->sa = NULL;
	b->pol = NULL;
	b->cap_item = b->cap_req = b->cap_sa = b->cap_pol = b->cap_spi = 0;
}
