/* Helpers for tests that run real keybridged processes; see daemon_util.h. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What cleanup at exit must remove: copies, because the tests' peers live
 * on their stacks. */
static struct du_peer du_registry[2];
/* du_registry[i]'s log was shown (du_log_dump): not again at exit */
static bool du_dumped[2];

static char *du_file_read(const struct du_peer *p, const char *name);

static struct du_peer *du_registered(const struct du_peer *p)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(du_registry[i].ns, p->ns) == 0)
			return &du_registry[i];
	return NULL;
}

/* At exit, also after a REQUIRE gave up: a failed test shows the log of
 * each daemon it ran that it did not show itself, since the daemon
 * that looks fine is often the one that went wrong first. */
static void du_cleanup(void)
{
	char cmd[512];

	for (int i = 0; i < 2; i++) {
		struct du_peer *p = &du_registry[i];

		if (!p->ns[0])
			continue;
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		if (test_failed() && !du_dumped[i] && *du_file_read(p, "log"))
			du_log_dump(p);
		snprintf(cmd, sizeof(cmd),
			 "ip netns del %s 2>/dev/null; rm -rf %s", p->ns,
			 p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", p->ns);
	}
}

static void du_run(const char *cmd)
{
	if (system(cmd) != 0)
		test_fail(__FILE__, __LINE__, "'%s' failed", cmd);
}

void du_link(struct du_peer *a, struct du_peer *b, bool ipv6)
{
	char cmd[1024];
	int id = (int)getpid();

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	snprintf(a->ns, sizeof(a->ns), "kbd%d-a", id);
	snprintf(b->ns, sizeof(b->ns), "kbd%d-b", id);
	snprintf(a->dir, sizeof(a->dir), "/tmp/kbd%d-a", id);
	snprintf(b->dir, sizeof(b->dir), "/tmp/kbd%d-b", id);
	snprintf(a->addr, sizeof(a->addr), ipv6 ? "2001:db8::1" : "192.0.2.1");
	snprintf(b->addr, sizeof(b->addr), ipv6 ? "2001:db8::2" : "192.0.2.2");
	du_registry[0] = *a;
	du_registry[1] = *b;
	du_dumped[0] = du_dumped[1] = false;
	atexit(du_cleanup);
	/* The names carry the pid of this test's process (each test runs
	 * in its own, test_main.c), so no other live test has them: what
	 * exists by these names was left by a killed test that had the same
	 * pid, and would make "ip netns add" fail. */
	snprintf(cmd, sizeof(cmd),
		 "set -e; ip netns del %s 2>/dev/null || true; "
		 "ip netns del %s 2>/dev/null || true; "
		 "mkdir -p %s %s; ip netns add %s; ip netns add %s; "
		 "ip -n %s link set lo up; ip -n %s link set lo up; "
		 "ip link add kbd%d-a netns %s type veth peer name kbd%d-b "
		 "netns %s; "
		 "ip -n %s addr add %s/%d dev kbd%d-a %s; "
		 "ip -n %s addr add %s/%d dev kbd%d-b %s; "
		 "ip -n %s link set kbd%d-a up; ip -n %s link set kbd%d-b up",
		 a->ns, b->ns, a->dir, b->dir, a->ns, b->ns, a->ns, b->ns, id,
		 a->ns, id, b->ns, a->ns, a->addr, ipv6 ? 64 : 24, id,
		 ipv6 ? "nodad" : "", b->ns, b->addr, ipv6 ? 64 : 24, id,
		 ipv6 ? "nodad" : "", a->ns, id, b->ns, id);
	du_run(cmd);
}

void du_write_conf(struct du_peer *p, const char *conf)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/swanctl.conf", p->dir);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs(conf, f);
	fclose(f);
}

void du_any_peer_psk_conf(struct du_peer *p, const char *psk)
{
	char conf[1024];

	snprintf(conf, sizeof(conf),
		 "connections {\n"
		 "  any {\n"
		 "    remote_addrs = %%any\n    mobike = no\n"
		 "    proposals = aes128gcm16-prfsha256-x25519\n"
		 "    local {\n      auth = psk\n      id = responder.example\n"
		 "    }\n"
		 "    remote {\n      auth = psk\n    }\n"
		 "  }\n"
		 "}\n"
		 "secrets {\n  ike-any {\n    secret = \"%s\"\n  }\n}\n",
		 psk);
	du_write_conf(p, conf);
}

int du_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* "    key = value\n", or nothing without a value (into a static
 * buffer, one of two). */
static const char *du_conf_line(const char *indent, const char *key,
				const char *value)
{
	static char buf[2][160];
	static int slot;
	char *s = buf[slot++ % 2];

	if (!value)
		return "";
	snprintf(s, sizeof(buf[0]), "%s%s = %s\n", indent, key, value);
	return s;
}

void du_psk_conf_text(char *conf, size_t cap, const struct du_peer *p,
		      const struct du_peer *peer, bool is_a,
		      const struct du_psk *o)
{
	int n = snprintf(
		conf, cap,
		"connections {\n"
		"  t {\n"
		"    local_addrs = %s\n"
		"    remote_addrs = %s\n"
		"%s"
		"    local {\n      auth = psk\n      id = %c.example.org\n"
		"    }\n"
		"    remote {\n      auth = psk\n      id = %c.example.org\n"
		"    }\n"
		"    children {\n"
		"      c {\n"
		"        local_ts = 10.%d.0.0/24\n"
		"        remote_ts = 10.%d.0.0/24\n"
		"%s"
		"        start_action = %s\n"
		"      }\n"
		"    }\n"
		"  }\n"
		"}\n"
		"secrets {\n"
		"  ike-t {\n    id-a = a.example.org\n"
		"    id-b = b.example.org\n"
		"    secret = \"%s\"\n  }\n"
		"}\n",
		p->addr, peer->addr,
		du_conf_line("    ", "proposals", o->proposals),
		is_a ? 'a' : 'b', is_a ? 'b' : 'a', is_a ? 1 : 2, is_a ? 2 : 1,
		du_conf_line("        ", "esp_proposals", o->esp_proposals),
		is_a ? "start" : "none", o->secret);

	REQUIRE(n > 0 && (size_t)n < cap);
}

void du_psk_conf(struct du_peer *p, const struct du_peer *peer, bool is_a,
		 const struct du_psk *o)
{
	char conf[2048];

	du_psk_conf_text(conf, sizeof(conf), p, peer, is_a, o);
	du_write_conf(p, conf);
}

/* Runs `cmd` with /bin/sh as the peer's daemon process. */
static void du_spawn(struct du_peer *p, const char *cmd)
{
	p->pid = fork();
	REQUIRE(p->pid >= 0);
	if (p->pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (du_registered(p))
		du_registered(p)->pid = p->pid;
}

const char *du_daemon_bin(void)
{
	const char *bin = getenv("KB_DAEMON");

	return bin && *bin ? bin : test_build_path("bin/keybridged");
}

const char *du_daemon(void)
{
	static char cmd[768];
	const char *wrap = getenv("KB_DAEMON_WRAP");
	const char *args = getenv("KB_DAEMON_ARGS");

	snprintf(cmd, sizeof(cmd), "%s %s %s", wrap ? wrap : "",
		 du_daemon_bin(), args ? args : "");
	return cmd;
}

unsigned du_ms(unsigned ms)
{
	const char *s = getenv("KB_TEST_TIME_SCALE");
	unsigned scale = s ? (unsigned)atoi(s) : 1;

	return ms * (scale ? scale : 1);
}

void du_start_as(struct du_peer *p, const char *prefix, const char *extra_args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "exec ip netns exec %1$s %2$s %3$s -c %4$s/swanctl.conf "
		 "-l debug --vici %4$s/keybridge.vici %5$s >%4$s/log 2>&1",
		 p->ns, prefix ? prefix : "", du_daemon(), p->dir,
		 extra_args ? extra_args : "");
	du_spawn(p, cmd);
}

bool du_reports(const char *text)
{
	static const char *const marks[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		"runtime error:", /* UBSan */
	};
	const char *l;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(text, marks[i]))
			return true;
	/* valgrind: "==1234== Invalid read …" (quiet runs print nothing
	 * else) */
	for (l = text; l && *l;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (l[0] == '=' && l[1] == '=' && l[2] >= '0' && l[2] <= '9')
			return true;
	return false;
}

void du_start(struct du_peer *p, const char *extra_args)
{
	du_start_as(p, NULL, extra_args);
}

/* The peer's file `name` (log, charon.log), up to 1 MiB, in a static
 * buffer; "" if it does not exist yet. */
static char *du_file_read(const struct du_peer *p, const char *name)
{
	static char buf[1 << 20];
	char path[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The length of `needle` matched at `at`, or 0; "[#]" in the needle
 * matches an SA id ("[" digits "]"). */
static size_t du_match_at(const char *at, const char *needle)
{
	const char *h = at;

	while (*needle) {
		if (!strncmp(needle, "[#]", 3)) {
			if (*h++ != '[' || !isdigit((unsigned char)*h))
				return 0;
			while (isdigit((unsigned char)*h))
				h++;
			if (*h++ != ']')
				return 0;
			needle += 3;
		} else if (*h++ != *needle++) {
			return 0;
		}
	}
	return (size_t)(h - at);
}

/* The first match of `needle` in `text` (du_match_at), or NULL; its
 * length in *len. */
static const char *du_find(const char *text, const char *needle, size_t *len)
{
	if (!strstr(needle, "[#]")) {
		*len = strlen(needle);
		return strstr(text, needle);
	}
	for (; *text; text++)
		if ((*len = du_match_at(text, needle)))
			return text;
	return NULL;
}

static bool du_file_wait(struct du_peer *p, const char *name,
			 const char *needle, unsigned ms)
{
	size_t len;

	ms = du_ms(ms);
	for (unsigned waited = 0; waited <= ms; waited += 50) {
		if (du_find(du_file_read(p, name), needle, &len))
			return true;
		usleep(50 * 1000);
	}
	return false;
}

bool du_log_has(struct du_peer *p, const char *needle)
{
	size_t len;

	return du_find(du_file_read(p, "log"), needle, &len) != NULL;
}

bool du_log_wait(struct du_peer *p, const char *needle, unsigned ms)
{
	return du_file_wait(p, "log", needle, ms);
}

int du_log_count(struct du_peer *p, const char *needle)
{
	size_t len;
	int n = 0;

	for (const char *l = du_file_read(p, "log");
	     (l = du_find(l, needle, &len)); l += len)
		n++;
	return n;
}

void du_log_dump(struct du_peer *p)
{
	char *log = du_file_read(p, "log"), *save = NULL;
	char path[128], cmd[256];

	if (du_registered(p))
		du_dumped[du_registered(p) - du_registry] = true;
	snprintf(path, sizeof(path), "%s/charon.log", p->dir);
	if (access(path, F_OK) == 0) {
		snprintf(cmd, sizeof(cmd), "sed 's/^/    charon: /' %s", path);
		if (system(cmd) != 0)
			test_note("cannot show %s", path);
	}
	test_note("---- keybridged log of %s ----", p->ns);
	for (char *l = strtok_r(log, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		test_note("%s", l);
}

bool du_alive(struct du_peer *p)
{
	return p->pid > 0 && waitpid(p->pid, NULL, WNOHANG) == 0;
}

int du_stop(struct du_peer *p, int sig, unsigned ms)
{
	int status;

	if (p->pid <= 0)
		return -1;
	ms = du_ms(ms);
	kill(p->pid, sig);
	for (unsigned waited = 0; waited <= ms; waited += 20) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid) {
			p->pid = 0;
			if (du_registered(p))
				du_registered(p)->pid = 0;
			/* the sanitizers' and valgrind's verdict on the run */
			if (du_reports(du_file_read(p, "log"))) {
				test_fail(__FILE__, __LINE__,
					  "%s: sanitizer or valgrind report in "
					  "the daemon's log",
					  p->ns);
				du_log_dump(p);
			}
			return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
		}
		usleep(20 * 1000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	p->pid = 0;
	if (du_registered(p))
		du_registered(p)->pid = 0;
	return -1;
}

static const char du_strongswan_conf[] =
	"charon {\n"
	"  load_modular = yes\n"
	"  install_routes = no\n"
	"  install_virtual_ip = no\n"
	"  retransmit_timeout = 1\n"
	"  plugins {\n"
	"    include /etc/strongswan.d/charon/*.conf\n"
	"    vici {\n      socket = unix://%1$s/charon.vici\n    }\n"
	/* DNS servers a gateway assigns go here, not to the host's */
	"    resolve {\n      file = %1$s/resolv.conf\n    }\n"
	"  }\n"
	"  syslog {\n    daemon {\n      default = -1\n    }\n  }\n"
	"  filelog {\n"
	"    log {\n      path = %1$s/charon.log\n      flush_line = yes\n"
	"      default = 1\n      ike = 2\n      cfg = 2\n    }\n"
	"  }\n"
	"}\n";

void du_start_charon(struct du_peer *p, const char *swanctl_conf,
		     const char *initiate)
{
	char path[128], cmd[1024];
	FILE *f;

	if (access("/usr/lib/ipsec/charon", X_OK) != 0 ||
	    system("command -v swanctl >/dev/null") != 0)
		test_skip("strongSwan's charon or swanctl is not installed "
			  "(make deps installs strongswan-charon and "
			  "strongswan-swanctl)");
	snprintf(path, sizeof(path), "%s/strongswan.conf", p->dir);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, du_strongswan_conf, p->dir);
	fclose(f);
	du_write_conf(p, swanctl_conf);
	snprintf(
		cmd, sizeof(cmd),
		"mkdir -p %1$s/run && exec ip netns exec %2$s unshare -m sh -c "
		"\"mount --bind %1$s/run /run && STRONGSWAN_CONF=%1$s/"
		"strongswan.conf exec /usr/lib/ipsec/charon\" >%1$s/log 2>&1",
		p->dir, p->ns);
	du_spawn(p, cmd);
	snprintf(path, sizeof(path), "%s/charon.vici", p->dir);
	for (int i = 0; i < 100 && access(path, F_OK) != 0; i++)
		usleep(50 * 1000);
	REQUIRE(access(path, F_OK) == 0);
	snprintf(cmd, sizeof(cmd),
		 "swanctl --load-all --file %1$s/swanctl.conf "
		 "--uri unix://%1$s/charon.vici >%1$s/swanctl.log 2>&1",
		 p->dir);
	REQUIRE(system(cmd) == 0);
	if (!initiate)
		return;
	snprintf(cmd, sizeof(cmd),
		 "swanctl --initiate --child %2$s --timeout 10 "
		 "--uri unix://%1$s/charon.vici >>%1$s/swanctl.log 2>&1 &",
		 p->dir, initiate);
	REQUIRE(system(cmd) == 0);
}

bool du_charon_log_wait(struct du_peer *p, const char *needle, unsigned ms)
{
	return du_file_wait(p, "charon.log", needle, ms);
}
