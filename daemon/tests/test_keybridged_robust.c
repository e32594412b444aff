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
#include <unistd.h>

/* Connection t (to the peer, started by a) and u (to nowhere, never
 * started) whose PSK is "u-secret-<gen>-kb": only u changes between
 * generations. */
static void gen_conf(char *conf, size_t cap, const struct du_peer *p,
		     const struct du_peer *peer, bool is_a, int gen)
{
	char me = is_a ? 'a' : 'b', other = is_a ? 'b' : 'a';

	snprintf(conf, cap,
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
		 "        remote_ts = 10.99.0.0/24\n      }\n    }\n  }\n"
		 "}\nsecrets {\n"
		 "  ike-t {\n    id-a = a.example.org\n    id-b = b.example.org\n"
		 "    secret = \"t-secret-kb\"\n  }\n"
		 "  ike-u {\n    id = nowhere.example.org\n"
		 "    secret = \"u-secret-%8$04d-kb\"\n  }\n"
		 "}\n",
		 p->addr, peer->addr, me, other, is_a ? 1 : 2, is_a ? 2 : 1,
		 is_a ? "start" : "none", gen);
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
 * included. After 40 reloads that change one connection's PSK, no earlier
 * PSK is left in the daemon's memory, and the IKE SA of the unchanged
 * connection carried on through all of them. */
TEST(keybridged_reloads_free_and_wipe_replaced_secrets)
{
	enum { GENS = 40 };
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
