/* Operator log: one line per event, an optional SA prefix naming the
 * connection and IKE SA (`conn-name[ike#]`), syslog levels.
 *
 * When stderr is connected to the systemd journal (JOURNAL_STREAM names it),
 * each line starts with the sd-daemon priority prefix `<N>` so the journal
 * records the level; otherwise lines are plain text with the level spelled
 * out. The engine does not call this directly: it logs through its
 * environment, which the daemon points here.
 */
#ifndef KB_IO_LOG_H
#define KB_IO_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* syslog(3) priorities, as sd-daemon(3) prefixes use them. */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Directs log lines to `out` (NULL: stderr) and drops those less severe than
 * `level`. Detects the journal on stderr via $JOURNAL_STREAM. */
void log_init(FILE *out, enum log_level level);

/* Sets the most verbose level still written. */
void log_set_level(enum log_level level);

/* Parses "err", "warning", "notice", "info" or "debug" (or 3..7); returns
 * the level or -1. */
int log_level_parse(const char *s);

/* Name of a level ("error", "warning", …). */
const char *log_level_name(enum log_level level);

/* True if the line would be written (avoid costly formatting otherwise). */
bool log_enabled(enum log_level level);

/* Forces the journal prefixes on or off (for tests and `-f`). */
void log_set_journal(bool on);

/* Also hands every line written to `fn` (NULL: nobody), with the SA it
 * names; the control socket raises them as vici log events. */
typedef void (*log_hook_fn)(void *ctx, enum log_level level, const char *sa,
			    const char *line);
void log_set_hook(log_hook_fn fn, void *ctx);

/* Writes one line. `sa` (may be NULL) names the SA the event is about,
 * e.g. "home[3]"; newlines inside the message are replaced by
 * spaces so one event stays one line. */
void log_msg(enum log_level level, const char *sa, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *sa, const char *fmt,
	      va_list ap);

#define log_err(...)	log_msg(LOG_LVL_ERR, NULL, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARNING, NULL, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, NULL, __VA_ARGS__)

#endif
