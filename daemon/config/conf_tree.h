/* swanctl.conf syntax reader: text -> a tree of sections and key/value
 * pairs, each remembering the file and line it came from.
 *
 * The grammar is strongSwan's settings format (strongswan.conf(5), "SYNTAX",
 * "REFERENCING OTHER SECTIONS", "INCLUDING FILES"), which swanctl.conf(5)
 * uses:
 *
 *     settings := (section | keyvalue | include)*
 *     section  := name [":" absname ("," absname)*] "{" settings "}"
 *     keyvalue := key "=" [value] NEWLINE
 *     include  := "include" pattern
 *
 * Names and keys are any printable characters except . , : { } = " # and
 * white space. A value runs to the end of the line, a `#` or a `}`; its
 * unquoted words are joined with one space. A double-quoted string keeps
 * its spaces, may span lines and knows the escapes \n \r \t, \<newline>
 * (joins lines) and \<any> (that character). `#` starts a comment.
 * A section that appears twice is one section (the second extends the
 * first); a key that appears twice keeps the last value, which is how
 * included files override. An include pattern is a glob, relative to the
 * directory of the file that contains it; a pattern without wildcards
 * must name an existing file, a glob may match nothing.
 *
 * Sizes are bounded (CONF_MAX_*); going beyond a bound is an error naming
 * the file and line, never a crash or a silent truncation.
 */
#ifndef KB_CONF_TREE_H
#define KB_CONF_TREE_H

#include "config/conf_diag.h"

#include <stdbool.h>
#include <stddef.h>

enum {
	CONF_MAX_FILE_SIZE = 1 << 20, /* bytes per file */
	CONF_MAX_LINE = 4096,	      /* bytes per line */
	CONF_MAX_VALUE = 16384,	      /* bytes per value (quoted, joined) */
	CONF_MAX_DEPTH = 16,	      /* nested sections */
	CONF_MAX_INCLUDE_DEPTH = 8,   /* nested includes */
	CONF_MAX_FILES = 256,	      /* files read in one load */
	CONF_MAX_REFS = 8,	      /* references of one section */
};

struct conf_kv {
	struct conf_kv *next;
	char *key;
	char *value; /* NULL after "key =": the default applies */
	const char *file;
	int line;
	bool used; /* set by the consumer; unused keys are reported */
};

struct conf_ref {
	struct conf_ref *next;
	char *path; /* absolute dotted name of the referenced section */
	const char *file;
	int line;
};

struct conf_section {
	struct conf_section *next, *parent;
	char *name; /* "" for the root */
	const char *file;
	int line;
	struct conf_kv *kvs, **kv_tail;
	struct conf_section *subs, **sub_tail;
	struct conf_ref *refs;
	/* reference resolution: 0 new, 1 busy, 2 done */
	unsigned char ref_state;
	bool referenced; /* another section inherits from it */
};

struct conf_tree {
	struct conf_section root;
	char **files; /* every file name a location points to */
	size_t nfiles;
};

/* Reads `path` and everything it includes. Always returns a tree (NULL only
 * when out of memory) holding what could be read; every problem is added
 * to `diag`, so callers check conf_diag_errors(). */
struct conf_tree *conf_tree_parse_file(const char *path, struct conf_diag *diag)
	__attribute__((warn_unused_result));

/* Same from memory; `name` is used in messages and as the base for
 * relative includes (its directory). */
struct conf_tree *conf_tree_parse_string(const char *text, size_t len,
					 const char *name,
					 struct conf_diag *diag)
	__attribute__((warn_unused_result));

void conf_tree_free(struct conf_tree *tree);

/* The direct subsection `name` of `s`, or NULL. */
struct conf_section *conf_tree_sub(const struct conf_section *s,
				   const char *name);

/* The key/value `key` of `s`, or NULL. */
struct conf_kv *conf_tree_kv(const struct conf_section *s, const char *key);

/* Writes the dotted path of `s` (e.g. "connections.home.children") into
 * buf; returns buf. */
const char *conf_tree_path(const struct conf_section *s, char *buf, size_t len);

#endif
