/* Helpers for tests that run real keybridged processes: two network
 * namespaces joined by a veth pair, a daemon started in each, their logs
 * read back. */
#ifndef KB_TESTS_DAEMON_UTIL_H
#define KB_TESTS_DAEMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct du_peer {
	char ns[32];   /* network namespace name */
	char dir[64];  /* temporary directory: config and log */
	char addr[48]; /* its address on the veth link */
	pid_t pid;     /* keybridged's pid, 0 if not running */
};

/* Creates namespaces `a` and `b` (unique names) joined by veth, with
 * 192.0.2.1/24 and 192.0.2.2/24 (or 2001:db8::1/64 and ::2 when `ipv6`),
 * and removes them at exit. Fails the test if ip(8) fails. */
void du_link(struct du_peer *a, struct du_peer *b, bool ipv6);

/* Writes `conf` as the peer's swanctl.conf. */
void du_write_conf(struct du_peer *p, const char *conf);

/* What the daemon tests' PSK tunnels differ in; a NULL proposal leaves
 * its line out (the daemon's defaults). */
struct du_psk {
	const char *secret;
	const char *proposals;	   /* IKE, e.g. aes128gcm16-prfsha256-x25519 */
	const char *esp_proposals; /* of CHILD SA "c" */
};

/* Writes p's swanctl.conf for a responder to any peer with pre-shared
 * key `psk`: connection "any", aes128gcm16-prfsha256-x25519, our id
 * responder.example, no MOBIKE; childless IKE SAs are welcome. */
void du_any_peer_psk_conf(struct du_peer *p, const char *psk);

/* engine_env.random for the engines a test runs itself: getrandom(). */
int du_random(void *ctx, void *buf, size_t len);

/* The two-daemon PSK tunnel of the daemon tests, as side `p` of du_link
 * sees it (`is_a`: side a, which starts it): connection "t" from p->addr
 * to peer->addr, identities a.example.org and b.example.org, CHILD SA "c"
 * between 10.1.0.0/24 (a) and 10.2.0.0/24 (b), start_action = start on
 * a and none on b. Into `conf`, for a test to change it or give it to
 * charon (du_start_charon). */
void du_psk_conf_text(char *conf, size_t cap, const struct du_peer *p,
		      const struct du_peer *peer, bool is_a,
		      const struct du_psk *o);

/* The same, written as p's swanctl.conf. */
void du_psk_conf(struct du_peer *p, const struct du_peer *peer, bool is_a,
		 const struct du_psk *o);

/* The daemon command the tests run: $KB_DAEMON (make check sets the
 * ASan/UBSan build) or build/bin/keybridged, behind $KB_DAEMON_WRAP if set
 * (make check-valgrind: valgrind and its options), with $KB_DAEMON_ARGS
 * before the test's own options. */
const char *du_daemon(void);

/* `ms` times $KB_TEST_TIME_SCALE (default 1): the waits of du_log_wait,
 * du_charon_log_wait and du_stop, stretched for slow runs (valgrind). */
unsigned du_ms(unsigned ms);
/* The binary alone ($KB_DAEMON or build/bin/keybridged), e.g. for USDT. */
const char *du_daemon_bin(void);

/* True if `text` (a daemon's log) holds an AddressSanitizer,
 * LeakSanitizer, UBSan or valgrind report. du_stop() fails the test on
 * one. */
bool du_reports(const char *text);

/* Starts du_daemon() in the peer's namespace, logging to its directory;
 * extra arguments may be NULL. */
void du_start(struct du_peer *p, const char *extra_args);

/* The same, with `prefix` (a command such as "setpriv …", or NULL) run
 * inside the namespace with keybridged as its arguments. */
void du_start_as(struct du_peer *p, const char *prefix, const char *extra_args);

/* Waits up to `ms` for `needle` in the peer's log; true if it appeared.
 * In needles of du_log_wait, du_log_has, du_log_count and
 * du_charon_log_wait, "[#]" stands for any SA id ("t[#]: IKE SA
 * deleted"): with several workers the ids are not 1, 2, 3 … (each
 * worker's are its index + 1, then the worker count apart). */
bool du_log_wait(struct du_peer *p, const char *needle, unsigned ms);

/* True if the peer's log contains `needle`. */
bool du_log_has(struct du_peer *p, const char *needle);

/* How many times `needle` occurs in the peer's log. */
int du_log_count(struct du_peer *p, const char *needle);

/* Prints the peer's log as test notes (for failures). A failed test
 * that ran daemons (du_link) shows, at exit, the logs it did not show
 * itself: calling this is only needed to show a log earlier. */
void du_log_dump(struct du_peer *p);

/* Sends `sig` and waits up to `ms` for exit; returns the exit status, -1
 * if it did not exit in time (it is then killed), -2 if it died by a
 * signal. A sanitizer or valgrind report in its log fails the test. */
int du_stop(struct du_peer *p, int sig, unsigned ms);

/* Starts strongSwan's charon in the peer's namespace instead of keybridged,
 * with its own /run, strongswan.conf and vici socket in the peer's
 * directory, loads `swanctl_conf` with swanctl, and if `initiate` is not
 * NULL initiates that child. Skips the test loudly if charon is missing. */
void du_start_charon(struct du_peer *p, const char *swanctl_conf,
		     const char *initiate);

/* True if charon's log (its filelog) contains `needle`, waiting up to
 * `ms`. */
bool du_charon_log_wait(struct du_peer *p, const char *needle, unsigned ms);

/* True while the daemon runs. */
bool du_alive(struct du_peer *p);

#endif
