/* swanctl.conf's authorities { } section: certification authorities with
 * their CA certificate and where their CRLs are. keybridge fetches
 * nothing: CRLs come from local files (file:// URIs or absolute paths);
 * creds.c loads them beside x509ca/ and x509crl/. Errors go to the
 * diagnostics with file, line and key. */
#ifndef KB_CONF_AUTHORITY_H
#define KB_CONF_AUTHORITY_H

#include "config/conf_diag.h"
#include "config/conf_tree.h"
#include "config/config.h"

/* Reads authorities { <name> { cacert | file, crl_uris } } into
 * cfg->authorities (paths resolved against cfg->dir and readable now).
 * Returns 0 or -ENOMEM. */
int conf_authority_load(const struct conf_section *s, struct kb_config *cfg,
			struct conf_diag *diag)
	__attribute__((warn_unused_result));

#endif
