/* The exchange table (after Libreswan's): for every exchange, direction and
 * state, which payloads the message must carry and which handler runs.
 * Checked in one place, exchange_dispatch(); anything not in the table is
 * refused with a name (STYLE.md rule 6). */
#ifndef KB_ENGINE_EXCHANGE_H
#define KB_ENGINE_EXCHANGE_H

#include "engine/ike_sa.h"

/* Handlers return 0, a negative error (message dropped, SA unchanged), or
 * EXCH_SA_GONE when they destroyed the SA. */
enum { EXCH_SA_GONE = 1 };

#define EXCH_PL(t)    (1ULL << ((t)-PL_SA))
#define EXCH_STATE(s) (1u << (s))

struct exchange_def {
	const char *name;
	uint8_t exchange;
	bool response;	   /* handles responses to our requests */
	bool encrypted;	   /* must carry SK (§3.14) */
	uint32_t states;   /* EXCH_STATE() bits the SA may be in */
	uint64_t required; /* EXCH_PL() bits of payloads it must carry */
	int (*handler)(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
};

/* Finds the table row for a message in the SA's state, or NULL. */
const struct exchange_def *exchange_find(uint8_t exchange, bool response,
					 enum ike_sa_state state);

/* Payload types of `m` (outer and inner) as EXCH_PL() bits. */
uint64_t exchange_payloads(const struct ike_msg *m);

#endif
