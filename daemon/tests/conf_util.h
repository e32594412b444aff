/* Helpers shared by the configuration tests (test_conf_*.c): temporary
 * directories holding config files, and loading from a string. */
#ifndef KB_TESTS_CONF_UTIL_H
#define KB_TESTS_CONF_UTIL_H

#include "config/conf_diag.h"
#include "config/conf_tree.h"
#include "config/config.h"
#include "io/conns.h"
#include "tests/test.h"

#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory under /tmp (removed by cu_rmtree). */
static inline char *cu_tmpdir(void)
{
	char *dir = strdup("/tmp/kbconf-XXXXXX");

	REQUIRE(dir && mkdtemp(dir));
	return dir;
}

/* Writes `text` to dir/rel, creating the directories on the way. */
static inline void cu_write(const char *dir, const char *rel, const char *text)
{
	char path[1024], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs(text, f);
	fclose(f);
}

static inline int cu_rm(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void cu_rmtree(char *dir)
{
	nftw(dir, cu_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Loads swanctl.conf text named "test.conf" in `dir` (NULL: a directory
 * that does not exist). */
static inline struct kb_config *cu_load_in(const char *dir, const char *text,
					   struct conf_diag *d)
{
	char name[1024];

	snprintf(name, sizeof(name), "%s/test.conf",
		 dir ? dir : "/nonexistent");
	return config_load_string(text, strlen(text), name, d);
}

static inline struct kb_config *cu_load(const char *text, struct conf_diag *d)
{
	return cu_load_in(NULL, text, d);
}

/* Prints the diagnostics as test notes (shown when a test fails). */
static inline void cu_show(const struct conf_diag *d)
{
	for (size_t i = 0; i < d->count; i++)
		test_note("%s", d->msgs[i]);
}

/* Writes `text` as dir/swanctl.conf, loads it as keybridged does and
 * builds the connections into `out`: conns_build()'s result. */
static inline int cu_build(const char *dir, const char *text, struct conns *out,
			   struct conf_diag *d)
{
	char path[1024];
	struct kb_config *cfg;
	int r;

	cu_write(dir, "swanctl.conf", text);
	snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
	cfg = config_load_file(path, d);
	REQUIRE(cfg != NULL);
	r = conns_build(cfg, NULL, out, d);
	config_free(cfg);
	return r;
}

/* True if a message contains `needle`. */
static inline bool cu_has(const struct conf_diag *d, const char *needle)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->msgs[i], needle))
			return true;
	return false;
}

/* Checks that one message is exactly `msg`. */
#define CU_HAS(d, msg)                                                         \
	do {                                                                   \
		if (!cu_has_exact(d, msg)) {                                   \
			cu_show(d);                                            \
			test_fail(__FILE__, __LINE__, "no message \"%s\"",     \
				  msg);                                        \
		}                                                              \
	} while (0)

static inline bool cu_has_exact(const struct conf_diag *d, const char *msg)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->msgs[i], msg) == 0)
			return true;
	return false;
}

#endif
