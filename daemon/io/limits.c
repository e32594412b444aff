/* keybridged's options for the engine's DoS limits; see limits.h. */
#include "io/limits.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct limits_opt {
	const char *name;
	size_t off;	 /* of the uint32_t in struct engine_settings */
	uint32_t scale;	 /* 1000: the option is in seconds, the field ms */
	uint32_t lo, hi; /* the option's range */
	const char *unit;
};

#define LIMIT(n, f, sc, l, h, u)                                               \
	{                                                                      \
		n, offsetof(struct engine_settings, f), sc, l, h, u            \
	}
static const struct limits_opt limits_opts[] = {
	LIMIT("half-open-max", half_open_max, 1, 1, 1000000, "half-open SAs"),
	LIMIT("cookie-threshold", cookie_threshold, 1, 1, 1000000,
	      "half-open SAs"),
	LIMIT("half-open-per-peer", half_open_per_peer, 1, 1, 1000000,
	      "half-open SAs"),
	LIMIT("half-open-timeout", half_open_timeout_ms, 1000, 1, 3600,
	      "seconds"),
	LIMIT("invalid-spi-rate", invalid_spi_per_s, 1, 1, 1000000,
	      "answers a second"),
	LIMIT("window-size", window_size, 1, 1, 64, "requests"),
};
#undef LIMIT

enum { LIMITS_N = sizeof(limits_opts) / sizeof(limits_opts[0]) };

const char limits_usage[] =
	"      --half-open-max N   half-open IKE SAs before new ones are "
	"refused [1000]\n"
	"      --cookie-threshold N  half-open IKE SAs before COOKIEs are "
	"demanded [30]\n"
	"      --half-open-per-peer N  half-open IKE SAs one address may "
	"hold [100]\n"
	"      --half-open-timeout S  drop a half-open IKE SA after S "
	"seconds [30]\n"
	"      --invalid-spi-rate N  INVALID_IKE_SPI answers a second "
	"[20]\n"
	"      --window-size N   IKE requests of a peer's handled at once, "
	"announced\n"
	"                        with SET_WINDOW_SIZE (RFC 7296 2.3), 1-64 "
	"[1]\n";

static uint32_t *limits_field(struct engine_settings *set,
			      const struct limits_opt *o)
{
	return (uint32_t *)((char *)set + o->off);
}

static uint32_t limits_get(const struct engine_settings *set,
			   const struct limits_opt *o)
{
	struct engine_settings def;
	uint32_t v;

	memcpy(&v, (const char *)set + o->off, sizeof(v));
	if (!v) { /* 0: the engine's default */
		engine_settings_defaults(&def);
		v = *limits_field(&def, o);
	}
	return v;
}

int limits_set(struct engine_settings *set, const char *name, const char *arg,
	       char *err, size_t cap)
{
	const struct limits_opt *o = NULL;
	unsigned long v;
	char *end;

	for (size_t i = 0; i < LIMITS_N && !o; i++)
		if (!strcmp(limits_opts[i].name, name))
			o = &limits_opts[i];
	if (!o)
		return -ENOENT;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!*arg || *end || *arg == '-' || errno || v < o->lo || v > o->hi) {
		snprintf(err, cap, "--%s takes %u to %u %s, not '%s'", o->name,
			 o->lo, o->hi, o->unit, arg);
		return -EINVAL;
	}
	*limits_field(set, o) = (uint32_t)v * o->scale;
	return 0;
}

int limits_check(const struct engine_settings *set, char *err, size_t cap)
{
	uint32_t max = limits_get(set, &limits_opts[0]);

	/* the two limits that count half-open SAs like half-open-max */
	for (size_t i = 1; i <= 2; i++) {
		uint32_t v = limits_get(set, &limits_opts[i]);

		if (v > max) {
			snprintf(err, cap,
				 "--%s %u is above --half-open-max %u: it "
				 "would never act",
				 limits_opts[i].name, v, max);
			return -EINVAL;
		}
	}
	return 0;
}

void limits_describe(const struct engine_settings *set, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < LIMITS_N && off < cap; i++) {
		const struct limits_opt *o = &limits_opts[i];
		int n = snprintf(buf + off, cap - off, "%s%s %u", i ? ", " : "",
				 o->name, limits_get(set, o) / o->scale);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}
