/* Tests of the control socket (daemon/control/) with real clients: Debian's
 * swanctl, the tests' own vici client, and hostile ones.
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     keybridged (initiator)             keybridged (responder)
 *     a/keybridge.vici                   b/keybridge.vici
 *
 * This kernel has no ESP: IKE SAs come up, CHILD SAs are refused by the
 * kernel, and the control socket must say exactly that. CHILD SAs with
 * their counters are checked under make kmod-check (45-kb-control.sh). */
#include "control/vici_conn.h"
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Both daemons' tunnel (daemon_util.h); a starts it. */
static const struct du_psk ctl_psk = {
	.secret = "a shared secret of some length",
	.proposals = "aes256gcm16-prfsha256-x25519",
	.esp_proposals = "aes128gcm16",
};

static const char *sock_path(const struct du_peer *p)
{
	static char buf[2][128];
	static int slot;
	char *s = buf[slot++ % 2];

	snprintf(s, 128, "%s/keybridge.vici", p->dir);
	return s;
}

/* Runs `swanctl ARGS --uri …` against peer `p` (as `prefix` says, e.g.
 * through setpriv); output and errors in `out`, returns the status. */
static int swanctl(const struct du_peer *p, const char *prefix,
		   const char *args, char *out, size_t cap)
{
	char cmd[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "%s swanctl %s --uri unix://%s 2>&1",
		 prefix ? prefix : "", args, sock_path(p));
	st = test_run_capture(cmd, out, cap);
	if (getenv("KB_TEST_VERBOSE"))
		test_note("$ swanctl %s -> %d\n%s", args, st, out);
	return st;
}

static void need_swanctl(void)
{
	if (system("command -v swanctl >/dev/null") != 0)
		test_skip("swanctl is not installed (make deps installs "
			  "strongswan-swanctl)");
}

/* The SPIs of "t: #1, ESTABLISHED, IKEv2, 0123…_i* 4567…_r" */
static bool sa_line(const char *out, unsigned *id, char *spi_i, char *spi_r,
		    bool *initiator)
{
	const char *l = strstr(out, "t: #");
	char star_i = 0;

	if (!l || sscanf(l, "t: #%u, ESTABLISHED, IKEv2, %16[0-9a-f]_i%c", id,
			 spi_i, &star_i) != 3)
		return false;
	*initiator = star_i == '*';
	l = strstr(l, "_i");
	return l && sscanf(l + 2 + *initiator, " %16[0-9a-f]_r", spi_r) == 1;
}

static void up_pair(struct du_peer *a, struct du_peer *b)
{
	du_link(a, b, false);
	du_psk_conf(a, b, true, &ctl_psk);
	du_psk_conf(b, a, false, &ctl_psk);
	du_start(b, NULL);
	REQUIRE(du_log_wait(b, "ready", 5000));
	du_start(a, NULL);
	REQUIRE(du_log_wait(a, "IKE SA established", 10000));
	REQUIRE(du_log_wait(b, "IKE SA established", 3000));
}

static void down_pair(struct du_peer *a, struct du_peer *b)
{
	CHECK_EQ(du_stop(a, SIGTERM, 5000), 0);
	CHECK_EQ(du_stop(b, SIGTERM, 5000), 0);
	if (test_failed() || getenv("KB_TEST_VERBOSE")) {
		du_log_dump(a);
		du_log_dump(b);
	}
}

TEST(ctl_swanctl_lists_sas_conns_stats_and_version)
{
	static char out[16384], out_b[16384];
	char spi_i[17], spi_r[17], spi_i_b[17], spi_r_b[17];
	unsigned id, id_b;
	bool init, init_b;
	struct du_peer a, b;

	need_swanctl();
	up_pair(&a, &b);
	/* Both ends list the same IKE SA: same SPIs, roles swapped. */
	CHECK_EQ(swanctl(&a, NULL, "--list-sas", out, sizeof(out)), 0);
	CHECK_EQ(swanctl(&b, NULL, "--list-sas", out_b, sizeof(out_b)), 0);
	REQUIRE(sa_line(out, &id, spi_i, spi_r, &init));
	REQUIRE(sa_line(out_b, &id_b, spi_i_b, spi_r_b, &init_b));
	CHECK_STR(spi_i, spi_i_b);
	CHECK_STR(spi_r, spi_r_b);
	CHECK(init && !init_b);
	CHECK(strstr(out, "local  'a.example.org' @ 192.0.2.1[500]"));
	CHECK(strstr(out, "remote 'b.example.org' @ 192.0.2.2[500]"));
	CHECK(strstr(out, "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519"));
	CHECK(strstr(out, "established "));
	CHECK(strstr(out, ", rekeying in ")); /* at most rekey_time */
	CHECK(strstr(out_b, "local  'b.example.org' @ 192.0.2.2[500]"));
	/* The initiator's log names the SA by the same unique id. */
	char want[32];
	snprintf(want, sizeof(want), "t[%u]: IKE SA established", id);
	CHECK(du_log_has(&a, want));

	CHECK_EQ(swanctl(&a, NULL, "--list-conns", out, sizeof(out)), 0);
	CHECK(strstr(out, "t: IKEv2, no reauthentication"));
	CHECK(strstr(out, "  local:  192.0.2.1\n"));
	CHECK(strstr(out, "  remote: 192.0.2.2\n"));
	CHECK(strstr(out, "local pre-shared key authentication:\n"
			  "    id: a.example.org\n"));
	CHECK(strstr(out, "  c: TUNNEL, rekeying every "));
	CHECK(strstr(out, "    local:  10.1.0.0/24\n"
			  "    remote: 10.2.0.0/24\n"));

	CHECK_EQ(swanctl(&a, NULL, "--stats", out, sizeof(out)), 0);
	CHECK(strstr(out, "IKE_SAs: 1 total, 0 half-open"));
	CHECK(strstr(out, "uptime: "));

	CHECK_EQ(swanctl(&a, NULL, "--version --daemon", out, sizeof(out)), 0);
	CHECK(strstr(out, " keybridged (Linux, "));

	/* Nothing is trapped in this configuration. */
	CHECK_EQ(swanctl(&a, NULL, "--list-pols", out, sizeof(out)), 0);
	CHECK(!strstr(out, "t/c"));
	CHECK_EQ(swanctl(&a, NULL, "--list-pools", out, sizeof(out)), 0);
	down_pair(&a, &b);
}

/* Events as a monitor sees them, through the tests' own vici client. */
struct seen {
	int ike_up, ike_down, ike_rekey, logs;
	char rekey_old[16], rekey_new[16];
};

static void on_event(void *ctx, const char *name, const uint8_t *msg,
		     size_t len)
{
	struct seen *s = ctx;
	char v[64];

	if (strcmp(name, "ike-updown") == 0) {
		if (vici_find_str(msg, len, "up", v, sizeof(v)) == 0)
			s->ike_up++;
		else
			s->ike_down++;
		CHECK_EQ(vici_find_str(msg, len, "t.remote-host", v, sizeof(v)),
			 0);
		CHECK_STR(v, "192.0.2.2");
	} else if (strcmp(name, "ike-rekey") == 0) {
		s->ike_rekey++;
		CHECK_EQ(vici_find_str(msg, len, "t.old.uniqueid", s->rekey_old,
				       sizeof(s->rekey_old)),
			 0);
		CHECK_EQ(vici_find_str(msg, len, "t.new.uniqueid", s->rekey_new,
				       sizeof(s->rekey_new)),
			 0);
	} else if (strcmp(name, "log") == 0) {
		s->logs++;
	}
}

/* Reads events for up to `ms`. */
static void read_events(struct vici_conn *c, struct seen *s, int ms)
{
	struct vici_packet p;
	char name[VICI_NAME_MAX + 1];

	while (vici_conn_recv(c, &p, ms) == 0) {
		if (p.type != VICI_EVENT)
			continue;
		memcpy(name, p.name, p.name_len);
		name[p.name_len] = 0;
		on_event(s, name, p.msg, p.msg_len);
	}
}

TEST(ctl_swanctl_terminates_and_initiates_with_events)
{
	static char out[16384];
	struct du_peer a, b;
	struct vici_conn mon;
	struct seen seen = { 0 };

	need_swanctl();
	up_pair(&a, &b);
	REQUIRE_EQ(vici_conn_open(&mon, sock_path(&a)), 0);
	REQUIRE_EQ(vici_conn_register(&mon, "ike-updown", true), 0);
	REQUIRE_EQ(vici_conn_register(&mon, "log", true), 0);
	REQUIRE_EQ(vici_conn_register(&mon, "ike-rekey", true), 0);
	CHECK_EQ(vici_conn_register(&mon, "no-such-event", true), -ENOENT);

	CHECK_EQ(swanctl(&a, NULL, "--terminate --ike t", out, sizeof(out)), 0);
	CHECK(strstr(out, "terminate completed successfully"));
	CHECK(strstr(out, "[ike] deleting IKE SA")); /* control-log */
	CHECK(du_log_wait(&b, "IKE SA deleted", 3000));
	CHECK_EQ(swanctl(&a, NULL, "--list-sas", out, sizeof(out)), 0);
	CHECK(!strstr(out, "t: #"));

	/* This kernel refuses the CHILD SA: initiate says so and fails; a
	 * kernel with ESP takes it. Either way the IKE SA comes up. */
	int st = swanctl(&a, NULL, "--initiate --child c --timeout 10", out,
			 sizeof(out));
	if (st == 0)
		CHECK(strstr(out, "initiate completed successfully"));
	else
		CHECK(strstr(out, "establishing CHILD_SA 'c' failed: the "
				  "kernel refused its SAs"));
	CHECK(strstr(out, "[ike] IKE SA established"));
	CHECK_EQ(swanctl(&a, NULL, "--list-sas", out, sizeof(out)), 0);
	CHECK(strstr(out, ", ESTABLISHED, IKEv2, "));
	/* already up: initiating the IKE SA again is no error */
	CHECK_EQ(swanctl(&a, NULL, "--initiate --ike t", out, sizeof(out)), 0);

	/* An IKE rekey: a new unique id, ike-rekey instead of down/up. */
	unsigned id_before = 0, id_after = 0;
	const char *l;
	CHECK_EQ(swanctl(&a, NULL, "--list-sas", out, sizeof(out)), 0);
	if ((l = strstr(out, "t: #")))
		id_before = (unsigned)atoi(l + 4);
	CHECK_EQ(swanctl(&a, NULL, "--rekey --ike t", out, sizeof(out)), 0);
	CHECK(strstr(out, "rekey completed successfully"));
	CHECK(du_log_wait(&a, "rekeyed", 3000));
	usleep(300 * 1000);
	CHECK_EQ(swanctl(&a, NULL, "--list-sas", out, sizeof(out)), 0);
	if ((l = strstr(out, "t: #")))
		id_after = (unsigned)atoi(l + 4);
	CHECK_NE(id_after, id_before);
	CHECK(strstr(out, ", ESTABLISHED, IKEv2, "));
	CHECK_EQ(swanctl(&a, NULL, "--rekey --child nope", out, sizeof(out)),
		 1);
	CHECK(strstr(out, "no matching SAs to rekey found"));
	CHECK_EQ(
		swanctl(&a, NULL, "--terminate --ike-id 999", out, sizeof(out)),
		1);
	CHECK(strstr(out, "no matching SAs to terminate found"));
	CHECK_EQ(swanctl(&a, NULL, "--initiate --child nope", out, sizeof(out)),
		 1);
	CHECK(strstr(out, "CHILD_SA config 'nope' not found"));

	read_events(&mon, &seen, 300);
	CHECK_EQ(seen.ike_down, 1); /* the terminate, not the rekey */
	CHECK_EQ(seen.ike_up, 1);
	CHECK_EQ(seen.ike_rekey, 1);
	CHECK_EQ(atoi(seen.rekey_old), id_before);
	CHECK_EQ(atoi(seen.rekey_new), id_after);
	CHECK_GT(seen.logs, 3);
	vici_conn_close(&mon);
	down_pair(&a, &b);
}

/* The group may read, root or CAP_NET_ADMIN may change, others cannot
 * connect at all. */
TEST(ctl_permissions_follow_peer_credentials)
{
	static char out[16384];
	char prefix[256];
	struct du_peer a, b;
	struct stat st;

	need_swanctl();
	if (system("command -v setpriv >/dev/null") != 0)
		test_skip("setpriv (util-linux) is missing");
	up_pair(&a, &b);
	REQUIRE_EQ(stat(sock_path(&a), &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0660);

	/* nobody in the socket's group: may read, not change */
	snprintf(prefix, sizeof(prefix),
		 "setpriv --reuid=65534 --regid=%u --clear-groups",
		 (unsigned)st.st_gid);
	CHECK_EQ(swanctl(&a, prefix, "--list-sas", out, sizeof(out)), 0);
	CHECK(strstr(out, ", ESTABLISHED, IKEv2, "));
	CHECK_EQ(swanctl(&a, prefix, "--terminate --ike t", out, sizeof(out)),
		 1);
	CHECK(strstr(out, "permission denied: this command needs root or "
			  "CAP_NET_ADMIN"));
	CHECK(du_log_wait(&a, "terminate refused to uid 65534", 1000));
	CHECK_EQ(swanctl(&a, prefix, "--reload-settings", out, sizeof(out)), 1);
	CHECK(!du_log_has(&a, "SIGHUP"));

	/* the same user with CAP_NET_ADMIN may */
	snprintf(prefix, sizeof(prefix),
		 "setpriv --reuid=65534 --regid=%u --clear-groups "
		 "--inh-caps=+net_admin --ambient-caps=+net_admin",
		 (unsigned)st.st_gid);
	CHECK_EQ(swanctl(&a, prefix, "--terminate --ike t", out, sizeof(out)),
		 0);
	CHECK(strstr(out, "terminate completed successfully"));

	/* outside the group: the socket's mode keeps it out */
	CHECK_NE(swanctl(&a,
			 "setpriv --reuid=65534 --regid=65534 "
			 "--clear-groups",
			 "--list-sas", out, sizeof(out)),
		 0);
	CHECK(strstr(out, "Permission denied"));
	CHECK(du_alive(&a));
	down_pair(&a, &b);
}

/* ---- hostile and many clients -------------------------------------------- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True if the daemon closes `fd` within `ms`. */
static bool closed_by_peer(int fd, int ms)
{
	char buf[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (poll(&pfd, 1, ms) > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			return true;
	}
	return false;
}

static void start_one(struct du_peer *a, struct du_peer *b)
{
	du_link(a, b, false);
	du_psk_conf(b, a, false, &ctl_psk);
	du_start(b, NULL);
	REQUIRE(du_log_wait(b, "ready", 5000));
}

static void version_ok(const char *path)
{
	struct vici_conn c;
	struct vici_packet p;
	char v[64];

	REQUIRE_EQ(vici_conn_open(&c, path), 0);
	REQUIRE_EQ(vici_conn_call(&c, "version", NULL, 0, NULL, NULL, &p, 3000),
		   0);
	CHECK_EQ(vici_find_str(p.msg, p.msg_len, "daemon", v, sizeof(v)), 0);
	CHECK_STR(v, "keybridged");
	vici_conn_close(&c);
}

TEST(ctl_malformed_packets_close_only_that_client)
{
	static const char *const bad[] = {
		"00080001 00",			    /* longer than 512 KiB */
		"00000001 08",			    /* packet type 8 */
		"00000003 00 05 6c",		    /* name cut short */
		"00000009 00 01 78 03 04 6b6b6b6b", /* value length missing */
		"00000004 00 01 78 02",		    /* unbalanced SECTION_END */
		"00000001 01", /* CMD_RESPONSE from a client */
		"00000000",    /* empty segment */
	};
	struct du_peer a, b;
	uint8_t buf[64];

	start_one(&a, &b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = raw_connect(sock_path(&b));
		long n = test_unhex(bad[i], buf, sizeof(buf));

		REQUIRE(fd >= 0);
		REQUIRE(send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n);
		if (!closed_by_peer(fd, 2000))
			test_fail(__FILE__, __LINE__, "not closed: %s", bad[i]);
		close(fd);
	}
	/* An unknown command is answered, not punished. */
	struct vici_conn c;
	struct vici_packet p;
	REQUIRE_EQ(vici_conn_open(&c, sock_path(&b)), 0);
	CHECK_EQ(vici_conn_call(&c, "load-conn", NULL, 0, NULL, NULL, &p, 3000),
		 -ENOENT);
	CHECK_EQ(vici_conn_call(&c, "stats", NULL, 0, NULL, NULL, &p, 3000), 0);
	vici_conn_close(&c);
	version_ok(sock_path(&b));
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed())
		du_log_dump(&b);
}

/* A client that sends requests and never reads its replies fills its
 * queue and is dropped; 64 others are answered meanwhile. */
TEST(ctl_64_clients_and_one_that_never_reads)
{
	static uint8_t req[64 * 1024];
	struct wr w = wr_init(req, sizeof(req));
	struct du_peer a, b;
	int hog, fds[64];
	size_t sent = 0;
	struct timespec t0, t1;

	start_one(&a, &b);
	while (wr_len(&w) + 16 < sizeof(req))
		vici_end(&w, vici_begin(&w, VICI_CMD_REQUEST, "stats"));
	hog = raw_connect(sock_path(&b));
	REQUIRE(hog >= 0);
	fcntl(hog, F_SETFL, O_NONBLOCK);
	/* stats requests (~11 bytes) whose answers (~400 bytes) it never
	 * reads: well over the 4 MiB the daemon queues for a client */
	for (int i = 0; i < 400 && sent < 40u * wr_len(&w); i++) {
		ssize_t n = send(hog, req, wr_len(&w), MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else
			usleep(5000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 64; i++) {
		fds[i] = raw_connect(sock_path(&b));
		REQUIRE(fds[i] >= 0);
	}
	for (int i = 0; i < 64; i++) {
		uint8_t buf[64];
		struct wr v = wr_init(buf, sizeof(buf));

		vici_end(&v, vici_begin(&v, VICI_CMD_REQUEST, "version"));
		REQUIRE(send(fds[i], buf, wr_len(&v), MSG_NOSIGNAL) ==
			(ssize_t)wr_len(&v));
	}
	for (int i = 0; i < 64; i++) {
		struct vici_conn c = { .fd = fds[i],
				       .buf = malloc(VICI_LEN_MAX) };
		struct vici_packet p;

		CHECK_EQ(vici_conn_recv(&c, &p, 3000), 0);
		CHECK_EQ(p.type, VICI_CMD_RESPONSE);
		vici_conn_close(&c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		  (t1.tv_nsec - t0.tv_nsec) / 1000000;
	test_note("%zu request bytes from the client that never reads; 64 "
		  "clients answered in %ld ms",
		  sent, ms);
	CHECK_LT(ms, 3000);
	CHECK(du_log_wait(&b, "does not read its replies; closed", 5000));
	CHECK(closed_by_peer(hog, 5000));
	close(hog);
	version_ok(sock_path(&b));
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	if (test_failed())
		du_log_dump(&b);
}

/* A second daemon on the same socket path is refused, a stale socket file
 * is replaced. */
TEST(ctl_socket_path_in_use_is_refused)
{
	struct du_peer a, b;
	char cmd[512], out[4096];

	start_one(&a, &b);
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s %s -c %s/swanctl.conf --port 5500 "
		 "--vici %s 2>&1",
		 a.ns, test_build_path("bin/keybridged"), b.dir, sock_path(&b));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 1);
	CHECK(strstr(out, "another keybridged answers on it"));
	version_ok(sock_path(&b)); /* the first one keeps its socket */
	CHECK_EQ(du_stop(&b, SIGKILL, 2000), -2);
	/* killed: the file stays behind, the next start replaces it */
	REQUIRE_EQ(access(sock_path(&b), F_OK), 0);
	snprintf(cmd, sizeof(cmd), "%s/log", b.dir);
	unlink(cmd);
	du_start(&b, NULL);
	REQUIRE(du_log_wait(&b, "ready", 5000));
	version_ok(sock_path(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 5000), 0);
	/* a clean stop removes it */
	CHECK_NE(access(sock_path(&b), F_OK), 0);
}
