/* Operator log; see log.h. */
#include "io/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	FILE *out;
	enum log_level level;
	bool journal;
	log_hook_fn hook;
	void *hook_ctx;
} log_state = { NULL, LOG_LVL_INFO, false, NULL, NULL };

void log_set_hook(log_hook_fn fn, void *ctx)
{
	log_state.hook = fn;
	log_state.hook_ctx = ctx;
}

/* systemd sets JOURNAL_STREAM=<dev>:<ino> for the stderr it connects to the
 * journal; a redirected stderr no longer matches. */
static bool log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_init(FILE *out, enum log_level level)
{
	log_state.out = out;
	log_state.level = level;
	log_state.journal = !out && log_stderr_is_journal();
}

void log_set_level(enum log_level level)
{
	log_state.level = level;
}

void log_set_journal(bool on)
{
	log_state.journal = on;
}

bool log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

static const char *const log_names[] = {
	[LOG_LVL_ERR] = "error",     [LOG_LVL_WARNING] = "warning",
	[LOG_LVL_NOTICE] = "notice", [LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

const char *log_level_name(enum log_level level)
{
	if (level < LOG_LVL_ERR || level > LOG_LVL_DEBUG)
		return "?";
	return log_names[level];
}

int log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		enum log_level level;
	} words[] = {
		{ "err", LOG_LVL_ERR },		{ "error", LOG_LVL_ERR },
		{ "warning", LOG_LVL_WARNING }, { "warn", LOG_LVL_WARNING },
		{ "notice", LOG_LVL_NOTICE },	{ "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};

	if (s[0] >= '3' && s[0] <= '7' && s[1] == 0)
		return s[0] - '0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i].name) == 0)
			return words[i].level;
	return -1;
}

void log_vmsg(enum log_level level, const char *sa, const char *fmt, va_list ap)
{
	FILE *out = log_state.out ? log_state.out : stderr;
	char line[1024];
	int n;

	if (!log_enabled(level))
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* One event, one line: a peer-supplied string must not forge lines. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_state.journal)
		fprintf(out, "<%d>", level);
	else
		fprintf(out, "%s: ", log_level_name(level));
	if (sa && *sa)
		fprintf(out, "%s: ", sa);
	fprintf(out, "%s%s\n", line, (size_t)n >= sizeof(line) ? "…" : "");
	fflush(out);
	if (log_state.hook)
		log_state.hook(log_state.hook_ctx, level, sa, line);
}

void log_msg(enum log_level level, const char *sa, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, sa, fmt, ap);
	va_end(ap);
}
