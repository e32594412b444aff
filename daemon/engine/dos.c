/* Log lines an unauthenticated peer can cause (issue 16): everything the
 * engine says about a responder's half-open IKE SA (IKE_SA_INIT answered,
 * no IKE_AUTH yet, or EAP rounds going on), whose peer has proven nothing but that it receives at
 * its address. One peer that answers COOKIEs holds half_open_per_peer of
 * them, many peers half_open_max, and each may send forged IKE_AUTH
 * requests at will: at most DOS_LOG_PER_S such lines a second reach the
 * log, the others are counted in one line. Debug lines are not counted:
 * an operator who logs at debug asked for everything. */
#include "engine/ike_sa.h"

#include "engine/dos_share.h"

#include <stdio.h>

enum { DOS_LOG_PER_S = 10 };

bool dos_half_open(const struct ike_sa *sa)
{
	/* in EAP rounds the peer is still unproven (§2.16): it may hold a
	 * password prompt open, or guess passwords */
	return !sa->initiator &&
	       (sa->state == IKE_SA_INIT_R || sa->state == IKE_SA_EAP_R);
}

bool dos_log_allowed(struct engine *e, const struct ike_sa *sa, int level)
{
	char line[128];
	uint32_t left_out;

	if (level >= 7 || !dos_half_open(sa))
		return true;
	if (e->now_ms >= e->dos_log_window + 1000) {
		left_out = e->dos_log_left_out;
		e->dos_log_window = e->now_ms;
		e->dos_log_left_out = 0;
		if (left_out && e->env.log) {
			snprintf(line, sizeof(line),
				 "%u lines about half-open IKE SAs (no "
				 "authenticated peer) left out in the last "
				 "second",
				 left_out);
			e->env.log(e->env.ctx, 5, NULL, line);
		}
	}
	/* the allowance is the daemon's: every worker's lines together
	 * (dos_share.h); the left-out count is this engine's */
	if (dos_log_line_allowed(e, DOS_LOG_PER_S))
		return true;
	e->dos_log_left_out++;
	return false;
}
