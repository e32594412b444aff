/* The engine's limits against unauthenticated peers (struct
 * engine_settings, doc/security.md) as keybridged options:
 *
 *   --half-open-max N       --cookie-threshold N    --half-open-per-peer N
 *   --half-open-timeout S   --invalid-spi-rate N
 *
 * They are daemon-wide, not per connection or per worker (the workers'
 * engines count in one engine/dos_share.h), so they live on the command
 * line (or the systemd unit's KEYBRIDGED_OPTS) rather than in
 * swanctl.conf, which has no place for daemon settings; a change needs a
 * restart. strongSwan keeps the same kind of settings in strongswan.conf
 * (charon.init_limit_half_open, cookie_threshold, block_threshold). */
#ifndef KB_IO_LIMITS_H
#define KB_IO_LIMITS_H

#include "engine/engine.h"

#include <stddef.h>

/* Sets option `name` (without the dashes) from `arg` in `set`. Returns 0,
 * or -EINVAL with a sentence for the operator in `err` (the range, what
 * was given). -ENOENT if `name` is not one of the options above. */
int limits_set(struct engine_settings *set, const char *name, const char *arg,
	       char *err, size_t cap);

/* Checks the options together (a cookie threshold or per-peer limit
 * above the half-open limit would never act). 0 or -EINVAL with `err`. */
int limits_check(const struct engine_settings *set, char *err, size_t cap);

/* "half-open-max 1000, cookie-threshold 30, ..." for the start-up log. */
void limits_describe(const struct engine_settings *set, char *buf, size_t cap);

/* The options' lines for keybridged --help. */
extern const char limits_usage[];

#endif
