/* Tests for the operator log (daemon/io/log.c). */
#include "io/log.h"
#include "tests/test.h"

#include <stdlib.h>

/* Logs through `fn` into a memory stream and returns what was written. */
static char *capture(void (*fn)(void))
{
	static char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	log_init(f, LOG_LVL_INFO);
	fn();
	fclose(f);
	return buf;
}

static void plain_lines(void)
{
	log_msg(LOG_LVL_NOTICE, "home[3]", "IKE SA established with %s",
		"192.0.2.1");
	log_msg(LOG_LVL_ERR, NULL, "no connection matches");
	log_debug("not written at level info");
}

TEST(log_plain_text_names_level_and_sa)
{
	char *s = capture(plain_lines);

	CHECK_STR(s, "notice: home[3]: IKE SA established with 192.0.2.1\n"
		     "error: no connection matches\n");
	free(s);
}

static void journal_lines(void)
{
	log_set_journal(true);
	log_msg(LOG_LVL_WARNING, "home[3]", "retransmit 2 of IKE_AUTH");
	log_msg(LOG_LVL_INFO, NULL, "ready");
}

TEST(log_journal_prefixes_priority)
{
	char *s = capture(journal_lines);

	CHECK_STR(s, "<4>home[3]: retransmit 2 of IKE_AUTH\n<6>ready\n");
	free(s);
}

static void hostile_newlines(void)
{
	log_msg(LOG_LVL_INFO, "peer[1]", "ID '%s'", "evil\nerror: forged");
}

TEST(log_keeps_one_event_on_one_line)
{
	char *s = capture(hostile_newlines);

	CHECK_STR(s, "info: peer[1]: ID 'evil error: forged'\n");
	free(s);
}

static void long_line(void)
{
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	log_info("%s", big);
}

TEST(log_truncates_long_lines)
{
	char *s = capture(long_line);

	CHECK_LT(strlen(s), 1100);
	CHECK(strstr(s, "…\n") != NULL);
	free(s);
}

TEST(log_level_parse_accepts_names_and_numbers)
{
	CHECK_EQ(log_level_parse("debug"), LOG_LVL_DEBUG);
	CHECK_EQ(log_level_parse("ERR"), LOG_LVL_ERR);
	CHECK_EQ(log_level_parse("warning"), LOG_LVL_WARNING);
	CHECK_EQ(log_level_parse("5"), LOG_LVL_NOTICE);
	CHECK_EQ(log_level_parse("8"), -1);
	CHECK_EQ(log_level_parse("loud"), -1);
	CHECK_STR(log_level_name(LOG_LVL_INFO), "info");
}
