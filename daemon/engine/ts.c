/* Traffic selector narrowing; see ts.h. RFC 7296 §2.9, §3.13.1. */
#include "engine/ts.h"

#include "ike_iana.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

size_t ts_addr_len(uint8_t type)
{
	switch (type) {
	case TS_IPV4_ADDR_RANGE: return 4;
	case TS_IPV6_ADDR_RANGE: return 16;
	default: return 0;
	}
}

/* Intersection of two selectors of one type; false if empty. Protocol 0
 * and port range 0-65535 mean "any" (§3.13.1). */
static bool ts_intersect(const struct engine_ts *a, const struct engine_ts *b,
			 struct engine_ts *out)
{
	size_t alen = ts_addr_len(a->type);

	if (!alen || a->type != b->type)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(out, 0, sizeof(*out));
	out->type = a->type;
	out->proto = a->proto ? a->proto : b->proto;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (out->port_lo > out->port_hi)
		return false;
	memcpy(out->start,
	       memcmp(a->start, b->start, alen) > 0 ? a->start : b->start,
	       alen);
	memcpy(out->end, memcmp(a->end, b->end, alen) < 0 ? a->end : b->end,
	       alen);
	return memcmp(out->start, out->end, alen) <= 0;
}

static bool ts_equal(const struct engine_ts *a, const struct engine_ts *b)
{
	size_t alen = ts_addr_len(a->type);

	return a->type == b->type && a->proto == b->proto &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       !memcmp(a->start, b->start, alen) &&
	       !memcmp(a->end, b->end, alen);
}

size_t ts_narrow(const struct engine_ts *theirs, size_t n_theirs,
		 const struct engine_ts *ours, size_t n_ours,
		 struct engine_ts *out, size_t cap)
{
	size_t n = 0;

	for (size_t t = 0; t < n_theirs; t++) {
		for (size_t o = 0; o < n_ours && n < cap; o++) {
			struct engine_ts x;
			bool dup = false;

			if (!ts_intersect(&theirs[t], &ours[o], &x))
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = ts_equal(&out[k], &x);
			if (!dup)
				out[n++] = x;
		}
	}
	return n;
}

bool ts_within(const struct engine_ts *inner, size_t n_inner,
	       const struct engine_ts *outer, size_t n_outer)
{
	for (size_t i = 0; i < n_inner; i++) {
		bool ok = false;

		for (size_t o = 0; o < n_outer && !ok; o++) {
			struct engine_ts x;

			ok = ts_intersect(&inner[i], &outer[o], &x) &&
			     ts_equal(&x, &inner[i]);
		}
		if (!ok)
			return false;
	}
	return true;
}

const char *ts_str(const struct engine_ts *ts, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = ts->type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;

	if (!ts_addr_len(ts->type)) {
		snprintf(buf, cap, "(TS type %u)", ts->type);
		return buf;
	}
	inet_ntop(af, ts->start, a, sizeof(a));
	inet_ntop(af, ts->end, b, sizeof(b));
	snprintf(buf, cap, "%s-%s/%u/%u-%u", a, b, ts->proto, ts->port_lo,
		 ts->port_hi);
	return buf;
}
