/* swanctl.conf syntax reader (see conf_tree.h for the grammar).
 *
 * A hand-written recursive-descent parser over the whole file in memory:
 * one function per grammar rule, a cursor (pos, end, line) per file, and
 * error recovery by skipping to the end of the offending line, so that one
 * run reports every syntax error.
 */
#include "config/conf_tree.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* State shared by every file of one load. */
struct ctx {
	struct conf_tree *tree;
	struct conf_diag *diag;
	const char *stack[CONF_MAX_INCLUDE_DEPTH + 1]; /* real paths */
	int depth;				       /* include depth */
	bool oom;
};

/* Cursor over one file. */
struct lex {
	struct ctx *ctx;
	const char *file; /* interned name for messages */
	const char *p, *end;
	int line;
};

static void parse_body(struct lex *lx, struct conf_section *sec, int depth,
		       bool braced);
static void parse_file(struct ctx *ctx, const char *path,
		       struct conf_section *sec, int depth, const char *from,
		       int from_line);

static void err(struct lex *lx, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err(struct lex *lx, int line, const char *key, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_diag_add(lx->ctx->diag, lx->file, line, key, "%s", msg);
}

static const char *intern_file(struct ctx *ctx, const char *name)
{
	struct conf_tree *t = ctx->tree;
	char **files, *copy;

	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i], name) == 0)
			return t->files[i];
	files = realloc(t->files, (t->nfiles + 1) * sizeof(*files));
	copy = strdup(name);
	if (!files || !copy) {
		free(copy);
		if (files)
			t->files = files;
		ctx->oom = true;
		return "?";
	}
	t->files = files;
	t->files[t->nfiles++] = copy;
	return copy;
}

static void section_init(struct conf_section *s, struct conf_section *parent)
{
	s->parent = parent;
	s->kv_tail = &s->kvs;
	s->sub_tail = &s->subs;
}

struct conf_section *conf_tree_sub(const struct conf_section *s,
				   const char *name)
{
	for (struct conf_section *c = s->subs; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

struct conf_kv *conf_tree_kv(const struct conf_section *s, const char *key)
{
	for (struct conf_kv *kv = s->kvs; kv; kv = kv->next)
		if (strcmp(kv->key, key) == 0)
			return kv;
	return NULL;
}

const char *conf_tree_path(const struct conf_section *s, char *buf, size_t len)
{
	const struct conf_section *chain[CONF_MAX_DEPTH + 2];
	size_t n = 0, off = 0;

	buf[0] = '\0';
	for (; s && s->parent && n < sizeof(chain) / sizeof(chain[0]);
	     s = s->parent)
		chain[n++] = s;
	while (n-- > 0 && off < len) {
		int w = snprintf(buf + off, len - off, "%s%s", off ? "." : "",
				 chain[n]->name);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

/* Frees a string that may hold a secret (a PSK value). */
static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Finds or creates subsection `name` (which is adopted) of `sec`. */
static struct conf_section *sub_get(struct ctx *ctx, struct conf_section *sec,
				    char *name, const char *file, int line)
{
	struct conf_section *s = conf_tree_sub(sec, name);

	if (s) {
		free(name);
		return s;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		free(name);
		ctx->oom = true;
		return NULL;
	}
	section_init(s, sec);
	s->name = name;
	s->file = file;
	s->line = line;
	*sec->sub_tail = s;
	sec->sub_tail = &s->next;
	return s;
}

/* Sets `key` (adopted) to `value` (adopted) in `sec`; the last one wins. */
static void kv_set(struct ctx *ctx, struct conf_section *sec, char *key,
		   char *value, const char *file, int line)
{
	struct conf_kv *kv = conf_tree_kv(sec, key);

	if (kv) {
		free(key);
		wipe_free(kv->value);
	} else {
		kv = calloc(1, sizeof(*kv));
		if (!kv) {
			free(key);
			free(value);
			ctx->oom = true;
			return;
		}
		kv->key = key;
		*sec->kv_tail = kv;
		sec->kv_tail = &kv->next;
	}
	kv->value = value;
	kv->file = file;
	kv->line = line;
}

/* --- lexical helpers ---------------------------------------------------- */

static bool is_name_char(unsigned char c)
{
	return c > ' ' && c != 0x7f && !strchr("#{}:.,=\"", c);
}

static bool at_end(const struct lex *lx)
{
	return lx->p >= lx->end;
}

static void skip_to_eol(struct lex *lx)
{
	while (!at_end(lx) && *lx->p != '\n')
		lx->p++;
}

/* Skips blanks, newlines and comments. */
static void skip_space(struct lex *lx)
{
	while (!at_end(lx)) {
		char c = *lx->p;

		if (c == '\n') {
			lx->line++;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->p++;
		} else if (c == '#') {
			skip_to_eol(lx);
		} else {
			break;
		}
	}
}

static void skip_blanks(struct lex *lx)
{
	while (!at_end(lx) &&
	       (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
		lx->p++;
}

static char *read_name(struct lex *lx, bool dotted)
{
	const char *start = lx->p;

	while (!at_end(lx) && (is_name_char((unsigned char)*lx->p) ||
			       (dotted && *lx->p == '.')))
		lx->p++;
	return strndup(start, (size_t)(lx->p - start));
}

/* Growing string for values and include patterns. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool too_long, oom;
};

static bool sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n > CONF_MAX_VALUE) {
		b->too_long = true;
		return false;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *s2 = malloc(cap);

		if (!s2) {
			b->oom = true;
			return false;
		}
		if (b->s) { /* values may be secrets: no copies left behind */
			memcpy(s2, b->s, b->len);
			explicit_bzero(b->s, b->cap);
			free(b->s);
		}
		b->s = s2;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return true;
}

/* Reads a double-quoted string after its opening quote; strongSwan's
 * escapes. Returns false (error reported) if it is not terminated. */
static bool read_quoted(struct lex *lx, struct sbuf *b, const char *key)
{
	int start_line = lx->line;

	while (!at_end(lx)) {
		char c = *lx->p++;

		if (c == '"')
			return true;
		if (c == '\r')
			continue;
		if (c == '\n')
			lx->line++;
		if (c == '\\') {
			if (at_end(lx))
				break;
			c = *lx->p++;
			if (c == '\r' && !at_end(lx) && *lx->p == '\n')
				c = *lx->p++;
			if (c == '\n') { /* escaped newline joins lines */
				lx->line++;
				continue;
			}
			c = c == 'n'   ? '\n'
			    : c == 'r' ? '\r'
			    : c == 't' ? '\t'
				       : c;
		}
		sbuf_add(b, &c, 1);
	}
	err(lx, start_line, key, "unterminated quoted string");
	return false;
}

/* key "=" [value]: the cursor is after '='. Returns the value (NULL when
 * empty) and sets *bad on an error already reported. */
static char *read_value(struct lex *lx, const char *key, bool *bad)
{
	struct sbuf b = { 0 };
	bool any = false;
	int line = lx->line;

	for (;;) {
		skip_blanks(lx);
		if (at_end(lx) || strchr("\n#}", *lx->p))
			break;
		if (any && !sbuf_add(&b, " ", 1))
			break;
		any = true;
		if (*lx->p == '"') {
			lx->p++;
			if (!read_quoted(lx, &b, key)) {
				*bad = true;
				break;
			}
			continue;
		}
		const char *start = lx->p;

		while (!at_end(lx) && !strchr("#}\"\r\n\t ", *lx->p)) {
			if ((unsigned char)*lx->p < ' ' || *lx->p == 0x7f) {
				err(lx, lx->line, key,
				    "control character 0x%02x in value",
				    (unsigned char)*lx->p);
				*bad = true;
			}
			lx->p++;
		}
		sbuf_add(&b, start, (size_t)(lx->p - start));
	}
	lx->ctx->oom |= b.oom;
	if (b.too_long) {
		err(lx, line, key, "value longer than %d bytes",
		    CONF_MAX_VALUE);
		*bad = true;
	}
	if (!any && !b.s)
		return NULL;
	if (!b.s)
		b.s = strdup("");
	return b.s;
}

/* --- includes ----------------------------------------------------------- */

/* Reads the include pattern after "include": unquoted up to white space,
 * `#` or `}` with backslash escapes, or double-quoted. */
static char *read_include_pattern(struct lex *lx)
{
	struct sbuf b = { 0 };

	skip_blanks(lx);
	if (!at_end(lx) && *lx->p == '"') {
		lx->p++;
		if (!read_quoted(lx, &b, "include")) {
			free(b.s);
			return NULL;
		}
		return b.s ? b.s : strdup("");
	}
	while (!at_end(lx) && !strchr("#}\r\n\t ", *lx->p)) {
		char c = *lx->p++;

		if (c == '\\' && !at_end(lx) && strchr("\"#} ", *lx->p))
			c = *lx->p++;
		sbuf_add(&b, &c, 1);
	}
	lx->ctx->oom |= b.oom;
	return b.s ? b.s : strdup("");
}

static bool has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void do_include(struct lex *lx, struct conf_section *sec, int depth,
		       int line)
{
	char *pattern = read_include_pattern(lx), *full = NULL, *dir_copy;
	glob_t g;
	int rc;

	if (!pattern || !*pattern) {
		if (pattern)
			err(lx, line, "include", "missing file name");
		free(pattern);
		return;
	}
	if (pattern[0] == '/') {
		full = strdup(pattern);
	} else {
		dir_copy = strdup(lx->file);
		if (dir_copy &&
		    asprintf(&full, "%s/%s", dirname(dir_copy), pattern) < 0)
			full = NULL;
		free(dir_copy);
	}
	if (!full) {
		lx->ctx->oom = true;
		free(pattern);
		return;
	}
	rc = glob(full, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		if (!has_wildcard(pattern))
			err(lx, line, "include", "cannot open '%s': %s", full,
			    strerror(ENOENT));
	} else if (rc != 0) {
		err(lx, line, "include", "cannot expand '%s'", full);
	} else {
		/* glob(3) sorts the names, so the order is reproducible */
		for (size_t i = 0; i < g.gl_pathc; i++)
			parse_file(lx->ctx, g.gl_pathv[i], sec, depth, lx->file,
				   line);
	}
	if (rc != GLOB_NOMATCH)
		globfree(&g);
	free(full);
	free(pattern);
}

/* --- grammar ------------------------------------------------------------ */

/* ":" absname ("," absname)* before a section's "{". */
static void parse_refs(struct lex *lx, struct conf_section *s, const char *key)
{
	struct conf_ref **tail = &s->refs;
	int n = 0;

	while (*tail) {
		tail = &(*tail)->next;
		n++;
	}
	do {
		lx->p++; /* ':' or ',' */
		skip_space(lx);
		if (at_end(lx) || !is_name_char((unsigned char)*lx->p)) {
			err(lx, lx->line, key,
			    "expected a section name to "
			    "reference");
			return;
		}
		int line = lx->line;
		char *path = read_name(lx, true);
		struct conf_ref *r = calloc(1, sizeof(*r));

		if (!path || !r || ++n > CONF_MAX_REFS) {
			if (n > CONF_MAX_REFS)
				err(lx, line, key, "more than %d references",
				    CONF_MAX_REFS);
			else
				lx->ctx->oom = true;
			free(path);
			free(r);
			return;
		}
		r->path = path;
		r->file = lx->file;
		r->line = line;
		*tail = r;
		tail = &r->next;
		skip_space(lx);
	} while (!at_end(lx) && *lx->p == ',');
}

/* Skips a section body that is nested too deeply, without recursion:
 * counts braces outside quoted strings and comments. */
static void skip_braced(struct lex *lx)
{
	int level = 1;

	while (!at_end(lx) && level > 0) {
		char c = *lx->p++;

		if (c == '\n') {
			lx->line++;
		} else if (c == '#') {
			skip_to_eol(lx);
		} else if (c == '"') {
			while (!at_end(lx) && *lx->p != '"') {
				if (*lx->p == '\\' && lx->end - lx->p > 1)
					lx->p++;
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (!at_end(lx))
				lx->p++;
		} else if (c == '{') {
			level++;
		} else if (c == '}') {
			level--;
		}
	}
}

/* name [":" refs] "{" settings "}" with the cursor after the name. */
static void parse_section(struct lex *lx, struct conf_section *sec, char *name,
			  int line, int depth)
{
	struct conf_section *s;
	char path[512];

	s = sub_get(lx->ctx, sec, name, lx->file, line);
	if (!s)
		return;
	conf_tree_path(s, path, sizeof(path));
	if (!at_end(lx) && *lx->p == ':')
		parse_refs(lx, s, path);
	skip_space(lx);
	if (at_end(lx) || *lx->p != '{') {
		err(lx, lx->line, path, "expected '{'");
		skip_to_eol(lx);
		return;
	}
	lx->p++;
	if (depth >= CONF_MAX_DEPTH) {
		err(lx, line, path, "sections nested deeper than %d",
		    CONF_MAX_DEPTH);
		skip_braced(lx);
		return;
	}
	parse_body(lx, s, depth + 1, true);
}

/* "include" followed by blanks and something other than '=' is an include
 * statement (as in strongSwan's lexer); otherwise it is a key. */
static bool is_include(const struct lex *lx)
{
	const char *q = lx->p;

	if ((size_t)(lx->end - q) < 8 || memcmp(q, "include", 7) != 0 ||
	    (q[7] != ' ' && q[7] != '\t'))
		return false;
	for (q += 7; q < lx->end && (*q == ' ' || *q == '\t'); q++)
		;
	return q < lx->end && *q != '=' && *q != '\n' && *q != '#';
}

/* One statement starting at a name character. */
static void parse_statement(struct lex *lx, struct conf_section *sec, int depth)
{
	int line = lx->line;
	char *name, *value, path[512], key[600];
	bool bad = false;

	if (is_include(lx)) {
		lx->p += 7;
		do_include(lx, sec, depth, line);
		return;
	}
	name = read_name(lx, false);
	if (!name) {
		lx->ctx->oom = true;
		skip_to_eol(lx);
		return;
	}
	/* "name {" and "key =" may be split over lines (strongSwan's lexer
	 * eats newlines outside values); if neither follows, resume right
	 * after the name so the next line is not lost */
	skip_blanks(lx);
	const char *resume = lx->p;
	int resume_line = lx->line;

	skip_space(lx);
	if (!at_end(lx) && (*lx->p == '{' || *lx->p == ':')) {
		parse_section(lx, sec, name, line, depth);
		return;
	}
	conf_tree_path(sec, path, sizeof(path));
	snprintf(key, sizeof(key), "%s%s%s", path, *path ? "." : "", name);
	if (at_end(lx) || *lx->p != '=') {
		err(lx, line, key, "expected '=' or '{' after '%s'", name);
		free(name);
		lx->p = resume;
		lx->line = resume_line;
		skip_to_eol(lx);
		return;
	}
	lx->p++;
	value = read_value(lx, key, &bad);
	if (!bad) {
		kv_set(lx->ctx, sec, name, value, lx->file, line);
	} else {
		free(name);
		wipe_free(value);
		skip_to_eol(lx);
	}
}

/* settings until "}" (braced) or the end of the file. `depth` counts the
 * sections around, across included files. */
static void parse_body(struct lex *lx, struct conf_section *sec, int depth,
		       bool braced)
{
	int open_line = lx->line;

	for (;;) {
		skip_space(lx);
		if (at_end(lx)) {
			if (braced) {
				char path[512];

				err(lx, open_line,
				    conf_tree_path(sec, path, sizeof(path)),
				    "section not closed ('}' missing)");
			}
			return;
		}
		unsigned char c = (unsigned char)*lx->p;

		if (c == '}') {
			if (braced) {
				lx->p++;
				return;
			}
			err(lx, lx->line, NULL, "unexpected '}'");
			lx->p++;
		} else if (is_name_char(c)) {
			parse_statement(lx, sec, depth);
		} else {
			if (c >= ' ' && c < 0x7f)
				err(lx, lx->line, NULL, "unexpected '%c'", c);
			else
				err(lx, lx->line, NULL,
				    "unexpected byte 0x%02x", c);
			skip_to_eol(lx);
		}
		if (lx->ctx->oom)
			return;
	}
}

/* Rejects what the grammar cannot hold before parsing: NUL bytes and
 * over-long lines. */
static bool check_text(struct lex *lx)
{
	int line = 1;
	const char *bol = lx->p;

	for (const char *q = lx->p; q < lx->end; q++) {
		if (*q == '\0') {
			err(lx, line, NULL, "NUL byte in file");
			return false;
		}
		if (*q == '\n') {
			line++;
			bol = q + 1;
		} else if (q - bol >= CONF_MAX_LINE) {
			err(lx, line, NULL, "line longer than %d bytes",
			    CONF_MAX_LINE);
			return false;
		}
	}
	return true;
}

static void parse_text(struct ctx *ctx, const char *text, size_t len,
		       const char *file, struct conf_section *sec, int depth)
{
	struct lex lx = {
		.ctx = ctx,
		.file = file,
		.p = text,
		.end = text + len,
		.line = 1,
	};

	if (check_text(&lx))
		parse_body(&lx, sec, depth, false);
}

/* Reads a whole file into memory (bounded). */
static char *slurp(const char *path, size_t *len, int *error)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	struct stat st;

	*error = 0;
	if (!f) {
		*error = errno;
		return NULL;
	}
	/* Unbuffered: stdio's buffer would keep a copy of the secrets in
	 * freed memory; `buf` is wiped after parsing. */
	setvbuf(f, NULL, _IONBF, 0);
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		*error = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	} else if (st.st_size > CONF_MAX_FILE_SIZE) {
		*error = EFBIG;
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		*error = ENOMEM;
	} else {
		*len = fread(buf, 1, (size_t)st.st_size, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static void parse_file(struct ctx *ctx, const char *path,
		       struct conf_section *sec, int depth, const char *from,
		       int from_line)
{
	char real[PATH_MAX];
	const char *file;
	size_t len = 0;
	char *text;
	int e;

	if (ctx->depth >= CONF_MAX_INCLUDE_DEPTH) {
		conf_diag_add(ctx->diag, from, from_line, "include",
			      "includes nested deeper than %d at '%s'",
			      CONF_MAX_INCLUDE_DEPTH, path);
		return;
	}
	if (ctx->tree->nfiles >= CONF_MAX_FILES) {
		conf_diag_add(ctx->diag, from, from_line, "include",
			      "more than %d files", CONF_MAX_FILES);
		return;
	}
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (int i = 0; i < ctx->depth; i++) {
		if (strcmp(ctx->stack[i], real) == 0) {
			conf_diag_add(ctx->diag, from, from_line, "include",
				      "include loop: '%s' includes itself",
				      path);
			return;
		}
	}
	text = slurp(path, &len, &e);
	if (!text) {
		conf_diag_add(ctx->diag, from, from_line,
			      from ? "include" : NULL, "cannot read '%s': %s",
			      path, strerror(e));
		return;
	}
	file = intern_file(ctx, path);
	ctx->stack[ctx->depth++] = real;
	parse_text(ctx, text, len, file, sec, depth);
	ctx->depth--;
	explicit_bzero(text, len);
	free(text);
}

/* --- section references (strongswan.conf(5) REFERENCING OTHER SECTIONS) */

enum { REF_MAX_DEPTH = 48, REF_MAX_COPIES = 100000 };

static struct conf_section *find_abs(struct conf_tree *t, const char *path)
{
	struct conf_section *s = &t->root;
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && s;
	     tok = strtok_r(NULL, ".", &save))
		s = conf_tree_sub(s, tok);
	return s;
}

/* Copies into dst what src has and dst lacks: local settings win and
 * inherited ones follow them. */
static void merge_into(struct ctx *ctx, struct conf_section *dst,
		       const struct conf_section *src, size_t *copies)
{
	for (struct conf_kv *kv = src->kvs; kv && !ctx->oom; kv = kv->next) {
		if (conf_tree_kv(dst, kv->key) || ++*copies > REF_MAX_COPIES)
			continue;
		char *k = strdup(kv->key);
		char *v = kv->value ? strdup(kv->value) : NULL;

		if (!k || (kv->value && !v)) {
			free(k);
			free(v);
			ctx->oom = true;
			return;
		}
		kv_set(ctx, dst, k, v, kv->file, kv->line);
	}
	for (struct conf_section *c = src->subs; c && !ctx->oom; c = c->next) {
		char *name = strdup(c->name);
		struct conf_section *d;

		if (!name || ++*copies > REF_MAX_COPIES) {
			ctx->oom |= !name;
			free(name);
			return;
		}
		d = sub_get(ctx, dst, name, c->file, c->line);
		if (d)
			merge_into(ctx, d, c, copies);
	}
}

static bool is_ancestor(const struct conf_section *a,
			const struct conf_section *s)
{
	for (; s; s = s->parent)
		if (s == a)
			return true;
	return false;
}

static void resolve(struct ctx *ctx, struct conf_section *s, int depth,
		    size_t *copies)
{
	char path[512];

	if (s->ref_state == 2 || ctx->oom)
		return;
	if (s->ref_state == 1 || depth > REF_MAX_DEPTH) {
		conf_diag_add(ctx->diag, s->file, s->line,
			      conf_tree_path(s, path, sizeof(path)),
			      "section references form a loop or nest "
			      "deeper than %d",
			      REF_MAX_DEPTH);
		return;
	}
	s->ref_state = 1;
	for (struct conf_ref *r = s->refs; r; r = r->next) {
		struct conf_section *t = find_abs(ctx->tree, r->path);

		conf_tree_path(s, path, sizeof(path));
		if (!t)
			conf_diag_add(ctx->diag, r->file, r->line, path,
				      "references unknown section '%s'",
				      r->path);
		else if (is_ancestor(t, s) || t->ref_state == 1)
			conf_diag_add(ctx->diag, r->file, r->line, path,
				      "reference to '%s' forms a loop",
				      r->path);
		else {
			t->referenced = true;
			resolve(ctx, t, depth + 1, copies);
			merge_into(ctx, s, t, copies);
		}
	}
	for (struct conf_section *c = s->subs; c; c = c->next)
		resolve(ctx, c, depth + 1, copies);
	s->ref_state = 2;
	if (*copies > REF_MAX_COPIES && depth == 0)
		conf_diag_add(ctx->diag, NULL, 0, NULL,
			      "section references expand to more than %d "
			      "settings",
			      REF_MAX_COPIES);
}

static struct conf_tree *tree_new(void)
{
	struct conf_tree *t = calloc(1, sizeof(*t));

	if (t) {
		section_init(&t->root, NULL);
		t->root.name = strdup("");
		if (!t->root.name) {
			free(t);
			return NULL;
		}
	}
	return t;
}

static struct conf_tree *finish(struct ctx *ctx)
{
	size_t copies = 0;

	resolve(ctx, &ctx->tree->root, 0, &copies);
	if (ctx->oom) {
		conf_diag_add(ctx->diag, NULL, 0, NULL, "out of memory");
		conf_tree_free(ctx->tree);
		return NULL;
	}
	return ctx->tree;
}

struct conf_tree *conf_tree_parse_file(const char *path, struct conf_diag *diag)
{
	struct ctx ctx = { .tree = tree_new(), .diag = diag };

	if (!ctx.tree)
		return NULL;
	parse_file(&ctx, path, &ctx.tree->root, 0, NULL, 0);
	return finish(&ctx);
}

struct conf_tree *conf_tree_parse_string(const char *text, size_t len,
					 const char *name,
					 struct conf_diag *diag)
{
	struct ctx ctx = { .tree = tree_new(), .diag = diag };
	const char *file;

	if (!ctx.tree)
		return NULL;
	file = intern_file(&ctx, name);
	parse_text(&ctx, text, len, file, &ctx.tree->root, 0);
	return finish(&ctx);
}

static void section_free(struct conf_section *s)
{
	struct conf_section *c, *cn;
	struct conf_kv *kv, *kn;
	struct conf_ref *r, *rn;

	for (kv = s->kvs; kv; kv = kn) {
		kn = kv->next;
		free(kv->key);
		wipe_free(kv->value);
		free(kv);
	}
	for (r = s->refs; r; r = rn) {
		rn = r->next;
		free(r->path);
		free(r);
	}
	for (c = s->subs; c; c = cn) {
		cn = c->next;
		section_free(c);
		free(c);
	}
	free(s->name);
}

void conf_tree_free(struct conf_tree *tree)
{
	if (!tree)
		return;
	section_free(&tree->root);
	for (size_t i = 0; i < tree->nfiles; i++)
		free(tree->files[i]);
	free(tree->files);
	free(tree);
}
