/* The pre-shared keys of swanctl.conf (secrets.ike<suffix> { id<suffix>,
 * secret }) as the engine's table (engine.h struct engine_psk): which key
 * a peer gets is decided in IKE_AUTH by the pair of identities
 * (engine/ident.h), not per connection at load. */
#ifndef KB_IO_PSKS_H
#define KB_IO_PSKS_H

#include "config/conf_diag.h"
#include "config/config.h"
#include "engine/engine.h"

#include <stddef.h>

struct psks {
	size_t n;
	struct engine_psk *keys; /* n of them, wiped by psks_free */
	struct engine_id *ids;	 /* their owners, all in one array */
};

/* Builds the table from every secrets.ike<suffix> of `cfg`. An owner that
 * cannot be an identity here (a DN with wildcards, a key longer than
 * ENGINE_PSK_MAX) is an error in `diag` naming the secret, which is left
 * out; the others load. 0 or -ENOMEM. */
int psks_build(const struct kb_config *cfg, struct psks *out,
	       struct conf_diag *diag) __attribute__((warn_unused_result));

/* Wipes and frees; safe on a zeroed struct. */
void psks_free(struct psks *p);

/* True if `text` (an identity as swanctl.conf writes it, of ID type
 * `type`) is a distinguished name with a wildcard RDN value ("CN=*"),
 * which strongSwan matches and keybridge does not. */
bool psks_dn_wildcard(const char *text, uint8_t type);

#endif
