/* Configuration diagnostics: every problem found while reading swanctl.conf
 * is one line "file:line: key: what is wrong", collected so that one run
 * reports all of them (up to CONF_DIAG_MAX) instead of stopping at the first.
 */
#ifndef KB_CONF_DIAG_H
#define KB_CONF_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { CONF_DIAG_MAX = 64 };

struct conf_diag {
	size_t count;	/* messages stored in msgs[] */
	size_t dropped; /* further errors not stored (cap reached) */
	char *msgs[CONF_DIAG_MAX];
};

/* Records one error. `file` may be NULL (no location), `line` 0 (whole
 * file), `key` NULL (not about one key, e.g. a syntax error). */
void conf_diag_add(struct conf_diag *d, const char *file, int line,
		   const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Total number of errors seen, stored or dropped. */
size_t conf_diag_errors(const struct conf_diag *d);

/* Writes every stored message, one per line, and a last line counting
 * the dropped ones, to `out`. */
void conf_diag_print(const struct conf_diag *d, FILE *out);

/* True if one stored message contains `needle` (used by tests and the
 * control socket to find a specific complaint). */
bool conf_diag_contains(const struct conf_diag *d, const char *needle);

/* Frees the messages; `d` is empty and reusable afterwards. */
void conf_diag_free(struct conf_diag *d);

#endif
