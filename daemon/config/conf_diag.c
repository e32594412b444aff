/* Collected configuration errors (see conf_diag.h). */
#include "config/conf_diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void conf_diag_add(struct conf_diag *d, const char *file, int line,
		   const char *key, const char *fmt, ...)
{
	char msg[512], *out = NULL;
	va_list ap;
	int n;

	if (d->count >= CONF_DIAG_MAX) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file && line > 0 && key)
		n = asprintf(&out, "%s:%d: %s: %s", file, line, key, msg);
	else if (file && line > 0)
		n = asprintf(&out, "%s:%d: %s", file, line, msg);
	else if (file && key)
		n = asprintf(&out, "%s: %s: %s", file, key, msg);
	else if (file)
		n = asprintf(&out, "%s: %s", file, msg);
	else if (key)
		n = asprintf(&out, "%s: %s", key, msg);
	else
		n = asprintf(&out, "%s", msg);
	if (n < 0) {
		d->dropped++;
		return;
	}
	/* one error, one line: a quoted value may hold "\n" (or any byte),
	 * which must not forge further lines in a log or terminal */
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	d->msgs[d->count++] = out;
}

size_t conf_diag_errors(const struct conf_diag *d)
{
	return d->count + d->dropped;
}

void conf_diag_print(const struct conf_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->count; i++)
		fprintf(out, "%s\n", d->msgs[i]);
	if (d->dropped)
		fprintf(out, "... and %zu more errors not shown\n", d->dropped);
}

bool conf_diag_contains(const struct conf_diag *d, const char *needle)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->msgs[i], needle))
			return true;
	return false;
}

void conf_diag_free(struct conf_diag *d)
{
	for (size_t i = 0; i < d->count; i++)
		free(d->msgs[i]);
	memset(d, 0, sizeof(*d));
}
