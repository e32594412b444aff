/* swanctl.conf address pools and virtual addresses (RFC 7296 §3.15):
 * the pools { } section, and the connection keys pools and vips. Errors go
 * to the diagnostics with file, line and key. */
#ifndef KB_CONF_POOL_H
#define KB_CONF_POOL_H

#include "config/conf_diag.h"
#include "config/conf_tree.h"
#include "config/config.h"

/* Reads pools { <name> { addrs, dns, subnet } } into cfg->pools. Returns
 * 0 or -ENOMEM. */
int conf_pool_load(const struct conf_section *s, struct kb_config *cfg,
		   struct conf_diag *diag) __attribute__((warn_unused_result));

/* connections.<c>.pools = name[, name]: each a pool of `cfg` (loaded
 * before the connections). */
void conf_pool_conn_pools(const struct conf_section *s,
			  const struct conf_kv *kv, const struct kb_config *cfg,
			  struct kb_conn *c, struct conf_diag *diag);

/* connections.<c>.vips = 0.0.0.0, :: (any address of that family) or
 * addresses asked for; one per family. */
void conf_pool_conn_vips(const struct conf_section *s, const struct conf_kv *kv,
			 struct kb_conn *c, struct conf_diag *diag);

#endif
