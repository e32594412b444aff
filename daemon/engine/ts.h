/* Traffic selector narrowing (RFC 7296 §2.9): pure functions over
 * struct engine_ts. */
#ifndef KB_ENGINE_TS_H
#define KB_ENGINE_TS_H

#include "engine/engine.h"

/* Intersects every selector the peer proposed with every one we allow and
 * appends each non-empty intersection to `out` (at most `cap`). Returns how
 * many were written; 0 means TS_UNACCEPTABLE. */
size_t ts_narrow(const struct engine_ts *theirs, size_t n_theirs,
		 const struct engine_ts *ours, size_t n_ours,
		 struct engine_ts *out, size_t cap);

/* True if every selector in `inner` lies within some selector of `outer`
 * (the initiator checks the responder only narrowed, §2.9). */
bool ts_within(const struct engine_ts *inner, size_t n_inner,
	       const struct engine_ts *outer, size_t n_outer);

/* Length in bytes of the address of a selector type (4, 16 or 0). */
size_t ts_addr_len(uint8_t type);

/* Formats "10.0.0.0-10.0.0.255/proto/ports" for logs into `buf`. */
const char *ts_str(const struct engine_ts *ts, char *buf, size_t cap);

#endif
