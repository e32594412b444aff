/* What the kernel backend can install, applied to a child's configuration
 * before the engine sees it (conns.c calls this for every child): ESP
 * transforms the backend cannot install are dropped, so the engine never
 * negotiates them (a responder picks another or answers
 * NO_PROPOSAL_CHOSEN), and a configured proposal or setting that cannot be
 * installed at all is an error naming file:line, as --check-config reports
 * it. */
#ifndef KB_IO_CONNS_KERNEL_H
#define KB_IO_CONNS_KERNEL_H

#include "config/config.h"
#include "io/conns.h"

/* Filters `esp` (a copy of child `ch`'s esp_proposals of connection
 * `conn`) for the backend in `opts` (NULL: nothing to do). A transform
 * dropped from a proposal that stays usable is a warning; a configured
 * proposal left without cipher, integrity or ESN choice, or a replay
 * window the backend cannot hold, is an error (returns -ENOTSUP). A
 * proposal of strongSwan's default set that the backend cannot install
 * is left out quietly. */
int conns_kernel_child(const struct conns_opts *opts, const char *conn,
		       const struct kb_child *ch, struct kb_proposals *esp,
		       struct conf_diag *diag, struct conf_diag *warnings)
	__attribute__((warn_unused_result));

/* mark_in, mark_out, if_id_in or if_id_out of child `ch` on a backend
 * that cannot install them (PF_KEY): an error naming the key (returns
 * -ENOTSUP); else 0. */
int conns_kernel_marks(const struct conns_opts *opts, const char *conn,
		       const struct kb_child *ch, struct conf_diag *diag)
	__attribute__((warn_unused_result));

#endif
