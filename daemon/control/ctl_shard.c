/* The control socket over several engines, one per worker
 * (io/worker.h): an IKE SA's id names its worker, lists are the workers'
 * lists one after the other. The daemon calls these on its main thread,
 * which holds every worker's lock then. */
#include "control/ctl_int.h"

#include "engine/engine.h"

struct engine *ctl_engine(const struct ctl *c, uint32_t ike_id)
{
	/* ids are worker + 1, then n_engines apart (engine_settings) */
	return c->host.engines[ike_id ? (ike_id - 1) % c->host.n_engines : 0];
}

size_t ctl_ike_count(const struct ctl *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->host.n_engines; i++)
		n += engine_ike_count(c->host.engines[i]);
	return n;
}

size_t ctl_half_open_count(const struct ctl *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->host.n_engines; i++)
		n += engine_half_open_count(c->host.engines[i]);
	return n;
}

size_t ctl_ike_list(const struct ctl *c, uint32_t *ids, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < c->host.n_engines; i++) {
		const struct engine *e = c->host.engines[i];

		if (n < cap)
			(void)engine_ike_list(e, ids + n, cap - n);
		n += engine_ike_count(e);
	}
	return n;
}
