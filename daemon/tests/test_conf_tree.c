/* Tests for the swanctl.conf syntax reader (daemon/config/conf_tree.c):
 * the grammar of strongswan.conf(5) "SYNTAX", "REFERENCING OTHER
 * SECTIONS" and "INCLUDING FILES", its bounds and its error messages. */
#include "config/conf_tree.h"
#include "tests/conf_util.h"
#include "tests/test.h"

#define T "/nonexistent/t.conf"

static struct conf_tree *parse(const char *text, struct conf_diag *d)
{
	struct conf_tree *t = conf_tree_parse_string(text, strlen(text), T, d);

	REQUIRE(t != NULL);
	return t;
}

/* Value of the dotted key "a.b.c" or NULL. */
static const char *get(const struct conf_tree *t, const char *dotted)
{
	char buf[256], *save = NULL, *tok, *next;
	const struct conf_section *s = &t->root;
	const struct conf_kv *kv;

	snprintf(buf, sizeof(buf), "%s", dotted);
	tok = strtok_r(buf, ".", &save);
	while (tok && (next = strtok_r(NULL, ".", &save))) {
		s = conf_tree_sub(s, tok);
		if (!s)
			return NULL;
		tok = next;
	}
	kv = tok ? conf_tree_kv(s, tok) : NULL;
	return kv ? kv->value : NULL;
}

TEST(conf_tree_sections_keys_and_comments)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("# leading comment\n"
				    "a = b\n"
				    "section-one {\n"
				    "\tsomevalue = asdf # trailing comment\n"
				    "\tsubsection {\n"
				    "\t\tothervalue = xxx\n"
				    "\t}\n"
				    "\t# yei, a comment\n"
				    "\tyetanother = zz\n"
				    "}\n"
				    "section-two { x = 12 }\n",
				    &d);

	cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_STR(get(t, "a"), "b");
	CHECK_STR(get(t, "section-one.somevalue"), "asdf");
	CHECK_STR(get(t, "section-one.subsection.othervalue"), "xxx");
	CHECK_STR(get(t, "section-one.yetanother"), "zz");
	CHECK_STR(get(t, "section-two.x"), "12");
	CHECK_EQ(conf_tree_kv(conf_tree_sub(&t->root, "section-one"),
			      "yetanother")
			 ->line,
		 9);
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_values_join_words_and_keep_quoted_text)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t =
		parse("a = two   words\there\n"
		      "b = \"  spaced  # not a comment }\"\n"
		      "c = \"line1\\nline2\\ttab \\\"q\\\" \\\\\"\n"
		      "d = \"multi\n"
		      "line\"\n"
		      "e = \"joined \\\n"
		      "line\"\n"
		      "f =\n"
		      "g = \"\"\n"
		      "h = mixed \"quoted part\" tail\n"
		      "i = 10.0.0.0/8, 192.168.0.0/16\r\n"
		      "after = 1\n",
		      &d);

	cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_STR(get(t, "a"), "two words here");
	CHECK_STR(get(t, "b"), "  spaced  # not a comment }");
	CHECK_STR(get(t, "c"), "line1\nline2\ttab \"q\" \\");
	CHECK_STR(get(t, "d"), "multi\nline");
	CHECK_STR(get(t, "e"), "joined line");
	CHECK(get(t, "f") == NULL && conf_tree_kv(&t->root, "f") != NULL);
	CHECK_STR(get(t, "g"), "");
	CHECK_STR(get(t, "h"), "mixed quoted part tail");
	CHECK_STR(get(t, "i"), "10.0.0.0/8, 192.168.0.0/16");
	/* line numbers stay right after multi-line strings */
	CHECK_EQ(conf_tree_kv(&t->root, "after")->line, 12);
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_value_ends_at_brace_and_section_brace_on_next_line)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("s { k = v }\n"
				    "n\n"
				    "{\n"
				    "  m = 1 }\n",
				    &d);

	cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_STR(get(t, "s.k"), "v");
	CHECK_STR(get(t, "n.m"), "1");
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_repeated_sections_merge_and_last_value_wins)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("s { a = 1\n b = 2 }\n"
				    "s { a = 3\n c = 4 }\n",
				    &d);
	const struct conf_section *s = conf_tree_sub(&t->root, "s");

	CHECK_EQ(conf_diag_errors(&d), 0);
	REQUIRE(s != NULL);
	CHECK(s->next == NULL);
	CHECK_STR(get(t, "s.a"), "3");
	CHECK_EQ(conf_tree_kv(s, "a")->line, 3);
	CHECK_STR(get(t, "s.b"), "2");
	CHECK_STR(get(t, "s.c"), "4");
	/* order of first appearance is kept */
	CHECK_STR(s->kvs->key, "a");
	CHECK_STR(s->kvs->next->key, "b");
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_include_key_is_not_an_include)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("include = x\ninclude=y\n", &d);

	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_STR(get(t, "include"), "y");
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_syntax_errors_name_file_line_and_continue)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("a = 1\n"
				    "lonely\n"
				    "s {\n"
				    "  k = \"unterminated\n",
				    &d);

	CU_HAS(&d, T ":2: lonely: expected '=' or '{' after 'lonely'");
	CU_HAS(&d, T ":4: s.k: unterminated quoted string");
	CU_HAS(&d, T ":3: s: section not closed ('}' missing)");
	CHECK_EQ(conf_diag_errors(&d), 3);
	CHECK_STR(get(t, "a"), "1");
	conf_tree_free(t);
	conf_diag_free(&d);

	t = parse("}\n= x\nb = 2\n\"q\" = 1\nc { d.e = 1 }\n", &d);
	CU_HAS(&d, T ":1: unexpected '}'");
	CU_HAS(&d, T ":2: unexpected '='");
	CU_HAS(&d, T ":4: unexpected '\"'");
	CU_HAS(&d, T ":5: c.d: expected '=' or '{' after 'd'");
	CHECK_STR(get(t, "b"), "2");
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_bounds_line_nul_depth_value)
{
	struct conf_diag d = { 0 };
	char *big = malloc(CONF_MAX_LINE + 64), deep[2048] = "";
	struct conf_tree *t;

	REQUIRE(big != NULL);
	memset(big, 'x', CONF_MAX_LINE + 10);
	memcpy(big, "a = ", 4);
	strcpy(big + CONF_MAX_LINE + 10, "\n");
	t = parse(big, &d);
	CU_HAS(&d, T ":1: line longer than 4096 bytes");
	conf_tree_free(t);
	conf_diag_free(&d);
	free(big);

	t = conf_tree_parse_string("a = 1\nb = \0\n", 11, T, &d);
	CU_HAS(&d, T ":2: NUL byte in file");
	conf_tree_free(t);
	conf_diag_free(&d);

	for (int i = 0; i < CONF_MAX_DEPTH + 5; i++)
		strcat(deep, "s {\n");
	strcat(deep, "k = v\n");
	for (int i = 0; i < CONF_MAX_DEPTH + 5; i++)
		strcat(deep, "}\n");
	strcat(deep, "after = 1\n");
	t = parse(deep, &d);
	CHECK(conf_diag_contains(&d, T ":17: s.s.s.s.s.s.s.s.s.s.s.s.s.s.s.s."
				       "s: sections nested deeper than 16"));
	CHECK_EQ(conf_diag_errors(&d), 1);
	CHECK_STR(get(t, "after"), "1"); /* resynchronised after the skip */
	conf_tree_free(t);
	conf_diag_free(&d);

	/* a quoted value may span lines but not grow without bound */
	size_t n = CONF_MAX_VALUE + 100;
	char *q = malloc(n * 2 + 16);
	size_t o = 0;

	REQUIRE(q != NULL);
	o += (size_t)sprintf(q, "v = \"");
	for (size_t i = 0; i < n; i++) {
		q[o++] = 'y';
		if (i % 1000 == 999)
			q[o++] = '\n';
	}
	strcpy(q + o, "\"\nz = 1\n");
	t = parse(q, &d);
	CU_HAS(&d, T ":1: v: value longer than 16384 bytes");
	CHECK(get(t, "v") == NULL);
	conf_tree_free(t);
	conf_diag_free(&d);
	free(q);
}

TEST(conf_tree_error_count_is_capped)
{
	struct conf_diag d = { 0 };
	char text[4096] = "";
	struct conf_tree *t;

	for (int i = 0; i < 100; i++)
		strcat(text, "oops\n");
	t = parse(text, &d);
	CHECK_EQ(d.count, CONF_DIAG_MAX);
	CHECK_EQ(d.dropped, 100 - CONF_DIAG_MAX);
	CHECK_EQ(conf_diag_errors(&d), 100);
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_references_inherit_and_override)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("conn-defaults { a = 1\n b = 2\n"
				    "  sub { x = 1 } }\n"
				    "extra { c = 3 }\n"
				    "connections {\n"
				    "  conn-a : conn-defaults, extra {\n"
				    "    b = override\n"
				    "    sub { y = 2 }\n"
				    "  }\n"
				    "  conn-b : connections.conn-a { d = 4 }\n"
				    "}\n",
				    &d);

	cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_STR(get(t, "connections.conn-a.a"), "1");
	CHECK_STR(get(t, "connections.conn-a.b"), "override");
	CHECK_STR(get(t, "connections.conn-a.c"), "3");
	CHECK_STR(get(t, "connections.conn-a.sub.x"), "1");
	CHECK_STR(get(t, "connections.conn-a.sub.y"), "2");
	CHECK_STR(get(t, "connections.conn-b.b"), "override");
	CHECK_STR(get(t, "connections.conn-b.d"), "4");
	CHECK_STR(get(t, "connections.conn-b.sub.x"), "1");
	/* an inherited value keeps the location where it was written */
	CHECK_EQ(conf_tree_kv(
			 conf_tree_sub(conf_tree_sub(&t->root, "connections"),
				       "conn-b"),
			 "a")
			 ->line,
		 1);
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_reference_errors)
{
	struct conf_diag d = { 0 };
	struct conf_tree *t = parse("a : nowhere { }\n"
				    "b : c { }\n"
				    "c : b { }\n"
				    "p { q : p { } }\n"
				    "r : { }\n",
				    &d);

	CU_HAS(&d, T ":1: a: references unknown section 'nowhere'");
	CHECK(conf_diag_contains(&d, "forms a loop"));
	CU_HAS(&d, T ":4: p.q: reference to 'p' forms a loop");
	CU_HAS(&d, T ":5: r: expected a section name to reference");
	conf_tree_free(t);
	conf_diag_free(&d);
}

TEST(conf_tree_include_relative_glob_sorted)
{
	struct conf_diag d = { 0 };
	char *dir = cu_tmpdir(), path[512];
	struct conf_tree *t;

	cu_write(dir, "swanctl.conf",
		 "connections {\n"
		 "  include conf.d/*.conf\n"
		 "}\n"
		 "include \"sp ace/x.conf\"\n"
		 "include none/*.conf\n"
		 "top = main\n");
	cu_write(dir, "conf.d/b.conf", "b { v = from-b }\nshared = b\n");
	cu_write(dir, "conf.d/a.conf",
		 "a { v = from-a }\nshared = a\n"
		 "include ../more/inner.conf\n");
	cu_write(dir, "more/inner.conf", "inner = yes\n");
	cu_write(dir, "sp ace/x.conf", "spaced = 1\n");
	snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
	t = conf_tree_parse_file(path, &d);
	REQUIRE(t != NULL);
	cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	CHECK_STR(get(t, "connections.a.v"), "from-a");
	CHECK_STR(get(t, "connections.b.v"), "from-b");
	CHECK_STR(get(t, "connections.shared"), "b"); /* a.conf, then b.conf */
	CHECK_STR(get(t, "connections.inner"), "yes");
	CHECK_STR(get(t, "spaced"), "1");
	CHECK_STR(get(t, "top"), "main");
	CHECK(strstr(conf_tree_kv(conf_tree_sub(conf_tree_sub(&t->root,
							      "connections"),
						"a"),
				  "v")
			     ->file,
		     "conf.d/a.conf") != NULL);
	conf_tree_free(t);
	conf_diag_free(&d);
	cu_rmtree(dir);
}

TEST(conf_tree_include_errors_missing_loop_depth)
{
	struct conf_diag d = { 0 };
	char *dir = cu_tmpdir(), path[512], msg[1024];
	struct conf_tree *t;

	cu_write(dir, "main.conf",
		 "include missing.conf\n"
		 "include self.conf\n"
		 "include d0.conf\n");
	cu_write(dir, "self.conf", "x = 1\ninclude main.conf\n");
	for (int i = 0; i < CONF_MAX_INCLUDE_DEPTH + 2; i++) {
		char name[32], body[64];

		snprintf(name, sizeof(name), "d%d.conf", i);
		snprintf(body, sizeof(body), "include d%d.conf\n", i + 1);
		cu_write(dir, name, body);
	}
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	t = conf_tree_parse_file(path, &d);
	REQUIRE(t != NULL);
	snprintf(msg, sizeof(msg),
		 "%s/main.conf:1: include: cannot open '%s/missing.conf': No "
		 "such file or directory",
		 dir, dir);
	CU_HAS(&d, msg);
	snprintf(msg, sizeof(msg),
		 "%s/self.conf:2: include: include loop: '%s/main.conf' "
		 "includes itself",
		 dir, dir);
	CU_HAS(&d, msg);
	CHECK(conf_diag_contains(&d, "includes nested deeper than 8"));
	CHECK_EQ(conf_diag_errors(&d), 3);
	conf_tree_free(t);
	conf_diag_free(&d);

	snprintf(path, sizeof(path), "%s/nothere.conf", dir);
	t = conf_tree_parse_file(path, &d);
	snprintf(msg, sizeof(msg),
		 "cannot read '%s': No such file or directory", path);
	CU_HAS(&d, msg);
	conf_tree_free(t);
	conf_diag_free(&d);
	cu_rmtree(dir);
}
