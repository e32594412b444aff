/* keybridged as a process under the unlucky operator's hand (issue 16):
 * many reloads, a second instance started by mistake.
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     keybridged                          keybridged
 *
 * This kernel has no ESP: IKE SAs come up, CHILD SAs fail to install. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Connection t (to the peer, started by a) and u (to nowhere, never
 * started) whose PSK is "u-secret-<gen>-kb": only u changes between
 * generations. */
static void gen_conf_u(char *conf, size_t cap, const struct du_peer *p,
		       const struct du_peer *peer, bool is_a, int gen,
		       const char *u_start)
{
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';

	snprintf(
		conf, cap,
		"connections {\n"
		"  t {\n    local_addrs = %1$s\n    remote_addrs = %2$s\n"
		"    local {\n      auth = psk\n      id = %3$c.example.org\n"
		"    }\n    remote {\n      auth = psk\n"
		"      id = %4$c.example.org\n    }\n"
		"    children {\n      c {\n        local_ts = 10.%5$d.0.0/24\n"
		"        remote_ts = 10.%6$d.0.0/24\n"
		"        start_action = %7$s\n      }\n    }\n  }\n"
		"  u {\n    local_addrs = %1$s\n    remote_addrs = 192.0.2.99\n"
		"    local {\n      auth = psk\n      id = u.example.org\n"
		"    }\n    remote {\n      auth = psk\n"
		"      id = nowhere.example.org\n    }\n"
		"    children {\n      c {\n        local_ts = 10.%5$d.9.0/24\n"
		"        remote_ts = 10.99.0.0/24\n"
		"        start_action = %9$s\n      }\n    }\n  }\n"
		"}\nsecrets {\n"
		"  ike-t {\n    id-a = a.example.org\n    id-b = "
		"b.example.org\n"
		"    secret = \"t-secret-kb\"\n  }\n"
		"  ike-u {\n    id = nowhere.example.org\n"
		"    secret = \"u-secret-%8$04d-kb\"\n  }\n"
		"}\n",
		p->addr, peer->addr, me, other, is_a ? 1 : 2, is_a ? 2 : 1,
		is_a ? "start" : "none", gen, u_start);
}

static void gen_conf(char *conf, size_t cap, const struct du_peer *p,
		     const struct du_peer *peer, bool is_a, int gen)
{
	gen_conf_u(conf, cap, p, peer, is_a, gen, "none");
}

/* How many of the PSKs "u-secret-<g>-kb", g in [0, n), are anywhere in
 * the writable memory of process `pid` (heap and anonymous mappings). */
static int secrets_in_memory(pid_t pid, int n, bool *found)
{
	char path[64], line[512];
	FILE *maps;
	int fd, hits = 0;

	memset(found, 0, (size_t)n * sizeof(*found));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY);
	if (!maps || fd < 0) {
		test_fail(__FILE__, __LINE__, "cannot read memory of %d",
			  (int)pid);
		goto out;
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8], name[256] = "";
		uint8_t *buf;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi,
			   perms, name) < 3 ||
		    perms[0] != 'r' || perms[1] != 'w')
			continue;
		if (name[0] == '/' || hi - lo > (1ul << 30))
			continue; /* files' data; huge sanitizer reserves */
		buf = malloc(hi - lo);
		if (!buf ||
		    pread(fd, buf, hi - lo, (off_t)lo) != (ssize_t)(hi - lo)) {
			free(buf);
			continue;
		}
		for (int g = 0; g < n; g++) {
			char psk[32];

			snprintf(psk, sizeof(psk), "u-secret-%04d-kb", g);
			if (!found[g] && memmem(buf, hi - lo, psk, strlen(psk)))
				found[g] = true;
		}
		free(buf);
	}
	for (int g = 0; g < n; g++)
		hits += found[g];
out:
	if (maps)
		fclose(maps);
	if (fd >= 0)
		close(fd);
	return hits;
}

/* Robustness bug 4: every SIGHUP kept the replaced connection table, PSKs
 * included. After 25 reloads that change one connection's PSK, no earlier
 * PSK is left in the daemon's memory, and the IKE SA of the unchanged
 * connection carried on through all of them. */
TEST(keybridged_reloads_free_and_wipe_replaced_secrets)
{
	enum { GENS = 25 };
	struct du_peer a, b;
	char conf[4096], want[64];
	bool found[GENS];
	int hits;

	du_link(&a, &b, false);
	gen_conf(conf, sizeof(conf), &b, &a, false, 0);
	du_write_conf(&b, conf);
	gen_conf(conf, sizeof(conf), &a, &b, true, 0);
	du_write_conf(&a, conf);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "t[1]: IKE SA established (initiator)", 10000));
	for (int g = 1; g < GENS; g++) {
		gen_conf(conf, sizeof(conf), &a, &b, true, g);
		du_write_conf(&a, conf);
		kill(a.pid, SIGHUP);
		snprintf(want, sizeof(want), "reloaded: ");
		/* one reload at a time: wait for its summary line */
		for (int i = 0; i < 100 && du_log_count(&a, want) < g; i++)
			usleep(20 * 1000);
		CHECK_EQ(du_log_count(&a, want), g);
		if (test_failed())
			break;
	}
	hits = secrets_in_memory(a.pid, GENS, found);
	for (int g = 0; g < GENS - 1; g++)
		if (found[g])
			test_note("PSK of generation %d still in memory", g);
	CHECK(!found[GENS - 2]); /* (the last replaced one too) */
	CHECK_EQ(hits - found[GENS - 1], 0);
	/* the unchanged connection's IKE SA lived through every reload */
	CHECK_EQ(du_log_count(&a, "t[1]: IKE SA deleted"), 0);
	CHECK_EQ(du_log_count(&a, "IKE SA established (initiator)"), 1);
	CHECK(du_alive(&a));
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* `ip xfrm policy` in the peer's namespace. */
static void policies(const struct du_peer *p, char *out, size_t cap)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip -n %s xfrm policy 2>&1", p->ns);
	REQUIRE_EQ(test_run_capture(cmd, out, cap), 0);
}

/* Runs a second keybridged in the peer's namespace with its
 * configuration and `extra` options; returns its exit status. */
static int second_instance(const struct du_peer *p, const char *extra,
			   char *out, size_t cap)
{
	char cmd[1024];
	int r;

	snprintf(cmd, sizeof(cmd),
		 "timeout 60 ip netns exec %s %s -c %s/swanctl.conf -l debug "
		 "--vici %s/second.vici %s 2>&1",
		 p->ns, du_daemon(), p->dir, p->dir, extra);
	r = test_run_capture(cmd, out, cap);
	CHECK(!du_reports(out));
	return r;
}

/* Robustness bug 5: a second instance removed the running one's kernel
 * state (its start-up cleanup) before it found the ports taken. Now it
 * finds the lock held and exits at once; and one that is told to use
 * another lock still binds the ports before it cleans anything. */
TEST(keybridged_second_instance_changes_nothing)
{
	struct du_peer a, b;
	char conf[4096], before[4096], after[4096], out[8192], extra[128];

	du_link(&a, &b, false);
	gen_conf_u(conf, sizeof(conf), &b, &a, false, 0, "none");
	du_write_conf(&b, conf);
	gen_conf_u(conf, sizeof(conf), &a, &b, true, 0, "trap");
	du_write_conf(&a, conf);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "t[1]: IKE SA established (initiator)", 10000));
	REQUIRE(du_log_wait(&a, "child c trapped", 5000));
	/* this kernel has no ESP: t's CHILD SA fails and takes its policies
	 * along; only then is the daemon's kernel state settled */
	REQUIRE(du_log_wait(&a, "t[1]: CHILD SA deleted", 5000));
	policies(&a, before, sizeof(before));
	REQUIRE(strstr(before, "dst 10.99.0.0/24") != NULL);

	/* the same command again, as an operator might */
	CHECK_EQ(second_instance(&a, "", out, sizeof(out)), 1);
	snprintf(extra, sizeof(extra),
		 "another keybridged (pid %d) runs in this network namespace",
		 (int)a.pid);
	CHECK(strstr(out, extra) != NULL);
	CHECK(strstr(out, "removed") == NULL);
	if (test_failed())
		test_note("second instance: %s", out);
	policies(&a, after, sizeof(after));
	CHECK_STR(after, before);

	/* another lock file: the ports are taken, and it says so before it
	 * has touched the kernel */
	snprintf(extra, sizeof(extra), "--lock-file %s/other.lock", a.dir);
	CHECK_EQ(second_instance(&a, extra, out, sizeof(out)), 1);
	CHECK(strstr(out, "cannot open UDP port 500 for IPv4") != NULL);
	CHECK(strstr(out, "removed") == NULL);
	if (test_failed())
		test_note("third instance: %s", out);
	policies(&a, after, sizeof(after));
	CHECK_STR(after, before);

	/* the first one carries on: its IKE SA is up, the peer saw nothing */
	CHECK(du_alive(&a));
	CHECK_EQ(du_log_count(&b, "IKE SA deleted"), 0);
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK(du_log_wait(&b, "t[#]: IKE SA deleted", 5000));
	/* ... and its lock went with it: the next start works */
	snprintf(extra, sizeof(extra), "%s/log", a.dir);
	unlink(extra);
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "ready", 5000));
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* The daemon tests' verdict on a run (du_stop) sees every report kind. */
TEST(keybridged_logs_with_sanitizer_or_valgrind_reports_fail)
{
	CHECK(!du_reports("notice: ready\nnotice: stopped\n"));
	CHECK(!du_reports("--123-- WARNING: unhandled eBPF command 35\n"));
	CHECK(du_reports(
		"==4242==ERROR: AddressSanitizer: heap-use-after-free"));
	CHECK(du_reports(
		"==4242==ERROR: LeakSanitizer: detected memory leaks"));
	CHECK(du_reports("daemon/io/x.c:1:2: runtime error: shift exponent"));
	CHECK(du_reports("notice: ready\n==77== Invalid read of size 4\n"));
	CHECK(du_reports("==77== 16 bytes in 1 blocks are definitely lost"));
}

/* The size of `path`, -1 if it cannot be read. */
static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* True if the file `path` holds the fixed string `needle` (the monitor's
 * output runs to megabytes). */
static bool file_has(const char *path, const char *needle)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "grep -qF '%s' '%s'", needle, path);
	return system(cmd) == 0;
}

/* Robustness bug 6, end to end: while keybridged is stopped (SIGSTOP),
 * another IKE daemon's traps (reqid 1234, not ours) flood the kernel's
 * ACQUIRE queue; `ip xfrm monitor` keeps reading, the daemon's queue
 * overruns, and the ACQUIRE of a's trapped connection reaches only the
 * monitor. When the daemon runs again it finds the overrun, re-reads the
 * kernel and starts the tunnel the lost ACQUIRE asked for, with no second
 * packet. Before, it logged the overrun and nothing happened. */
TEST(keybridged_event_overrun_recovers_a_lost_acquire)
{
	struct du_peer a, b;
	char conf[4096], cmd[1024], monitor[128], *t;
	bool seen = false;
	int st;

	du_link(&a, &b, false);
	gen_conf(conf, sizeof(conf), &b, &a, false, 0);
	du_write_conf(&b, conf);
	gen_conf(conf, sizeof(conf), &a, &b, true, 0);
	t = strstr(conf, "start_action = start");
	REQUIRE(t != NULL);
	memcpy(t, "start_action = trap ", 20);
	du_write_conf(&a, conf);
	du_start(&b, NULL);
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	REQUIRE(du_log_wait(&a, "child c trapped", 5000));
	snprintf(cmd, sizeof(cmd),
		 "set -e; ip -n %1$s addr add 10.1.0.1/32 dev lo; "
		 "ip -n %1$s route add 10.2.0.0/24 via %2$s src 10.1.0.1; "
		 "ip -n %1$s route add 198.18.0.0/16 via %2$s; "
		 "ip -n %1$s xfrm policy add src %3$s/32 dst 198.18.0.0/16 "
		 "dir out tmpl proto esp reqid 1234 mode transport; "
		 "(exec ip netns exec %1$s ip xfrm monitor acquire "
		 ">%4$s/monitor.out 2>&1 & echo $! >%4$s/monitor.pid)",
		 a.ns, b.addr, a.addr, a.dir);
	REQUIRE_EQ(system(cmd), 0);
	usleep(300 * 1000); /* the monitor subscribes */
	snprintf(monitor, sizeof(monitor), "%s/monitor.out", a.dir);

	kill(a.pid, SIGSTOP);
	/* 10,000 flows of the other daemon's trap: ~10 MB of ACQUIREs */
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s python3 -c '"
		 "import socket\n"
		 "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
		 "s.bind((\"%s\", 0))\n"
		 "for i in range(10000):\n"
		 "    try: s.sendto(b\"x\", (\"198.18.%%d.%%d\" %% "
		 "(i // 250, i %% 250 + 1), 9))\n"
		 "    except OSError: pass\n'",
		 a.ns, a.addr);
	st = system(cmd);
	CHECK_EQ(st, 0);
	/* The kernel keeps a larval SA for an ACQUIRE only if some listener
	 * received it (the monitor here: keybridged's queue is full). On a
	 * loaded machine the monitor, writing 10,000 ACQUIREs out, can overrun
	 * as well; then the ACQUIRE is lost for everyone, no larval SA is
	 * left and there is nothing to recover. So: wait for the monitor to
	 * catch up, and send the packet again until the monitor has seen its
	 * ACQUIRE. */
	for (int i = 0, last = -2, same = 0; i < 100 && same < 3; i++) {
		long size = file_size(monitor);

		same = size == last ? same + 1 : 0;
		last = (int)size;
		usleep(100 * 1000);
	}
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 "
		 ">/dev/null 2>&1",
		 a.ns);
	for (int i = 0; i < 5 && !seen; i++) {
		if (system(cmd) == 0) /* the packet a's trap catches */
			test_note("ping passed without ESP: unexpected");
		for (int j = 0; j < 20 && !seen; j++) {
			seen = file_has(monitor, "dst 10.2.0.1");
			if (!seen)
				usleep(100 * 1000);
		}
	}
	REQUIRE(seen);
	kill(a.pid, SIGCONT);

	CHECK(du_log_wait(&a, "kernel event queue overran", 10000));
	CHECK(du_log_wait(&a, "kernel re-read: ", 10000));
	CHECK(du_log_has(&a, "1 pending ACQUIREs replayed"));
	CHECK(du_log_wait(&a, "t[1]: IKE SA established (initiator)", 10000));
	snprintf(cmd, sizeof(cmd), "kill $(cat %s/monitor.pid)", a.dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(du_stop(&a, SIGTERM, 15000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 15000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}
