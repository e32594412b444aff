/* strongSwan proposal keywords (swanctl.conf `proposals`, `esp_proposals`)
 * to lists of IANA transform IDs.
 *
 * A proposal is algorithm keywords joined by '-'; proposals are separated
 * by ','; "default" stands for strongSwan 5.9's default proposals, limited
 * to what keybridge implements (doc/configuration.md lists both).
 */
#ifndef KB_CONF_PROPOSAL_H
#define KB_CONF_PROPOSAL_H

#include "config/config.h"

#include <stddef.h>
#include <stdint.h>

/* Parses the comma-separated `value` for `protocol` (PROTO_IKE or
 * PROTO_ESP) into *out. On error returns -EINVAL (or -E2BIG for too many
 * proposals or algorithms) with a sentence naming the culprit in err. */
int conf_proposal_parse(const char *value, uint8_t protocol,
			struct kb_proposals *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* strongSwan's "default" for `protocol`, as keybridge supports it. */
void conf_proposal_default(uint8_t protocol, struct kb_proposals *out);

/* Formats one proposal like charon logs it, e.g.
 * "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/CURVE25519"; returns buf. */
const char *conf_proposal_str(const struct kb_proposal *p, char *buf,
			      size_t len);

#endif
