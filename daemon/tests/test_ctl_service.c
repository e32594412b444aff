/* keybridged as the service runs it (dist/keybridge.service): as a
 * non-root user with only the capabilities the unit grants, pinging the
 * systemd watchdog and keeping its status line; and the unit itself as
 * systemd-analyze rates it.
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     keybridged as root                 keybridged as uid 65534 with
 *     (initiator)                        CAP_NET_ADMIN, CAP_NET_BIND_SERVICE
 */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Both daemons' tunnel (daemon_util.h); a starts it. */
static const struct du_psk svc_psk = {
	.secret = "service test",
};

/* A line "Key:\tvalue" of /proc/PID/status. */
static bool proc_status(pid_t pid, const char *key, char *out, size_t cap)
{
	char path[64], line[256];
	size_t n = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			snprintf(out, cap, "%s",
				 line + n + 1 + strspn(line + n + 1, " \t"));
			out[strcspn(out, "\n")] = 0;
			found = true;
		}
	fclose(f);
	return found;
}

TEST(ctl_service_runs_as_a_user_with_two_capabilities)
{
	static const char setpriv[] =
		"setpriv --reuid=65534 --regid=65534 --clear-groups "
		"--bounding-set=-all,+net_admin,+net_bind_service "
		"--inh-caps=-all,+net_admin,+net_bind_service "
		"--ambient-caps=-all,+net_admin,+net_bind_service";
	char out[8192], cmd[512];
	struct du_peer a, b;
	struct stat st;

	if (system("command -v setpriv >/dev/null") != 0)
		test_skip("setpriv (util-linux) is missing");
	du_link(&a, &b, false);
	du_psk_conf(&a, &b, true, &svc_psk);
	du_psk_conf(&b, &a, false, &svc_psk);
	/* its directory (control socket) belongs to the user */
	REQUIRE_EQ(chown(b.dir, 65534, 65534), 0);
	/* systemd's RuntimeDirectory= gives the user /run/keybridge; here
	 * the lock lives in its own directory */
	snprintf(cmd, sizeof(cmd), "--bpf off --lock-file %s/lock", b.dir);
	du_start_as(&b, setpriv, cmd);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	CHECK(du_log_has(&b, "running with capabilities: net_bind_service, "
			     "net_admin"));
	du_start(&a, NULL);
	CHECK(du_log_wait(&a, "IKE SA established", 10000));
	CHECK(du_log_wait(&b, "IKE SA established (responder)", 3000));

	/* what the kernel says about the process */
	CHECK(proc_status(b.pid, "Uid", out, sizeof(out)));
	CHECK(strncmp(out, "65534", 5) == 0);
	CHECK(proc_status(b.pid, "CapEff", out, sizeof(out)));
	CHECK_STR(out, "0000000000001400"); /* NET_ADMIN, NET_BIND_SERVICE */
	CHECK(proc_status(b.pid, "CapBnd", out, sizeof(out)));
	CHECK_STR(out, "0000000000001400");
	CHECK(proc_status(b.pid, "NoNewPrivs", out, sizeof(out)));
	CHECK_STR(out, "1");
	/* PR_SET_DUMPABLE 0: /proc/PID belongs to root, not to the user */
	snprintf(cmd, sizeof(cmd), "/proc/%d/status", (int)b.pid);
	REQUIRE_EQ(stat(cmd, &st), 0);
	CHECK_EQ(st.st_uid, 0);

	/* its control socket answers */
	snprintf(cmd, sizeof(cmd), "%s --socket %s/keybridge.vici status 2>&1",
		 test_build_path("bin/ipsec"), b.dir);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "ESTABLISHED, responder"));
	/* a clean stop, kernel state removed as that user */
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	CHECK(du_log_has(&b, "stopped"));
	CHECK(!du_log_has(&b, "removing keybridge's kernel state"));
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	if (test_failed()) {
		du_log_dump(&a);
		du_log_dump(&b);
	}
}

/* sd_notify(3) as systemd sees it: a datagram socket in $NOTIFY_SOCKET. */
TEST(ctl_service_pings_the_watchdog_and_keeps_a_status_line)
{
	char path[96], env[256], buf[512], all[8192] = "";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct du_peer a, b;
	int fd, pings = 0;
	struct timespec t0, t;

	du_link(&a, &b, false);
	du_psk_conf(&a, &b, true, &svc_psk);
	du_psk_conf(&b, &a, false, &svc_psk);
	snprintf(path, sizeof(path), "%s/notify", b.dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd >= 0);
	REQUIRE_EQ(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	struct timeval tv = { 0, 100 * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* WatchdogSec=0.4: pings every 200 ms */
	snprintf(env, sizeof(env), "env NOTIFY_SOCKET=%s WATCHDOG_USEC=400000",
		 path);
	du_start_as(&b, env, NULL);
	du_start(&a, NULL);
	CHECK(du_log_wait(&b, "IKE SA established", 10000));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n > 0) {
			buf[n] = 0;
			pings += strstr(buf, "WATCHDOG=1") != NULL;
			if (strlen(all) + (size_t)n + 2 < sizeof(all)) {
				strcat(all, buf);
				strcat(all, "\n");
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 2);
	test_note("%d watchdog pings in 2 s", pings);
	CHECK_GE(pings, 6);
	CHECK(strstr(all, "READY=1"));
	CHECK(strstr(all, "STATUS=1 IKE SA, 0 CHILD SAs"));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(&a, SIGTERM, 5000), 0);
	close(fd);
	if (test_failed())
		test_note("notifications:\n%s", all);
}

/* The unit as systemd-analyze security rates it: at most 2.5. */
TEST(ctl_service_unit_exposure_is_low)
{
	char cmd[512], out[16384];
	double score = 99;
	const char *l;

	if (system("command -v systemd-analyze >/dev/null") != 0)
		test_skip("systemd-analyze is not installed (package systemd)");
	snprintf(cmd, sizeof(cmd),
		 "sed 's|@SBINDIR@|/usr/local/sbin|g' %s "
		 ">/tmp/kbunit-%d.service && systemd-analyze security "
		 "--offline=yes /tmp/kbunit-%d.service 2>&1; rm -f "
		 "/tmp/kbunit-%d.service",
		 test_src_path("dist/keybridge.service"), (int)getpid(),
		 (int)getpid(), (int)getpid());
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	l = strstr(out, "Overall exposure level for");
	REQUIRE(l != NULL);
	l = strchr(l, ':');
	REQUIRE(l && sscanf(l + 1, "%lf", &score) == 1);
	test_note("systemd-analyze security --offline=yes: %.1f", score);
	CHECK(score <= 2.5);
}
