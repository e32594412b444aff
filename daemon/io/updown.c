/* updown scripts; see updown.h.
 *
 * The engine's events say "a CHILD SA of IKE SA n came up / went down",
 * not which one, and a CHILD SA that went is gone from the engine. So the
 * runner keeps what it announced as up (one tunnel per IKE SA and reqid,
 * with the details the down script needs) and, at each event, compares
 * that with the CHILD SAs the engine has now: a new reqid is an up, a
 * tunnel whose reqid has no CHILD SA left is a down, and one that is
 * still there with other SPIs was rekeyed (nothing runs). */
#include "io/updown.h"

#include "crypto/auth.h"
#include "ike_iana.h"

#include "io/log.h"
#include "io/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum {
	UPDOWN_ENV_MAX = 32,	/* variables per run */
	UPDOWN_QUEUE_MAX = 256, /* runs waiting; more are dropped, said */
	UPDOWN_LINE_MAX = 512,	/* output line logged */
};

struct ud_cfg {
	char conn[KB_CONF_NAME_MAX], child[KB_CONF_NAME_MAX];
	char my_id[KB_CONF_ID_MAX], peer_id[KB_CONF_ID_MAX];
	char cmd[KB_CONF_UPDOWN_MAX];
	bool hostaccess;
	struct kb_mark mark_in, mark_out;
	uint32_t if_id_in, if_id_out;
};

enum { UD_ID_MAX = 300 }; /* an identity as text */

/* A CHILD SA announced as up. */
struct ud_tunnel {
	struct ud_tunnel *next;
	uint32_t ike_id;
	struct engine_ike_info ike;
	struct engine_child_info child;
	/* PLUTO_MY_ID / PLUTO_PEER_ID: the identities of the IKE SA, kept
	 * for the down run (the SA may be gone by then) */
	char my_id[UD_ID_MAX], peer_id[UD_ID_MAX];
	bool seen; /* during one comparison */
};

/* One run of a script, ready to spawn. */
struct ud_job {
	struct ud_job *next;
	char label[96];
	char cmd[KB_CONF_UPDOWN_MAX];
	size_t n_env;
	char *env[UPDOWN_ENV_MAX + 1];
};

struct updown {
	struct loop *loop;
	unsigned timeout_ms;
	size_t n_cfg;
	struct ud_cfg *cfg;
	struct ud_tunnel *tunnels;
	struct ud_job *queue, **tail;
	size_t queued;
	/* the running job */
	struct ud_job *run;
	pid_t pid;
	int pidfd, outfd, timerfd;
	char line[UPDOWN_LINE_MAX];
	size_t line_len;
};

static void ud_start_next(struct updown *u);

struct updown *updown_new(struct loop *loop, unsigned timeout_ms)
{
	struct updown *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->loop = loop;
	u->timeout_ms = timeout_ms;
	u->tail = &u->queue;
	u->pidfd = u->outfd = u->timerfd = -1;
	return u;
}

int updown_configure(struct updown *u, const struct kb_config *cfg)
{
	size_t n = 0, k = 0;
	struct ud_cfg *c;

	for (size_t i = 0; i < cfg->n_conns; i++)
		for (size_t j = 0; j < cfg->conns[i].n_children; j++)
			n += cfg->conns[i].children[j].updown[0] != '\0';
	c = calloc(n ? n : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_conns; i++) {
		const struct kb_conn *conn = &cfg->conns[i];

		for (size_t j = 0; j < conn->n_children; j++) {
			const struct kb_child *ch = &conn->children[j];

			if (!ch->updown[0])
				continue;
			strcpy(c[k].conn, conn->name);
			strcpy(c[k].child, ch->name);
			strcpy(c[k].cmd, ch->updown);
			strcpy(c[k].my_id, conn->local.id);
			strcpy(c[k].peer_id, conn->remote.id);
			c[k].mark_in = ch->mark_in;
			c[k].mark_out = ch->mark_out;
			c[k].if_id_in = ch->if_id_in;
			c[k].if_id_out = ch->if_id_out;
			c[k++].hostaccess = ch->hostaccess;
		}
	}
	free(u->cfg);
	u->cfg = c;
	u->n_cfg = n;
	return 0;
}

static const struct ud_cfg *ud_cfg_find(const struct updown *u,
					const char *conn, const char *child)
{
	for (size_t i = 0; i < u->n_cfg; i++)
		if (!strcmp(u->cfg[i].conn, conn) &&
		    !strcmp(u->cfg[i].child, child))
			return &u->cfg[i];
	return NULL;
}

/* ---- the environment ---------------------------------------------------- */

static void ud_addr(const struct engine_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, buf,
		       (socklen_t)len))
		snprintf(buf, len, "%%any");
}

/* A selector as strongSwan prints it for scripts: the smallest subnet
 * holding its range ("10.1.0.0/16"). */
static void ud_subnet(const struct engine_ts *ts, char *buf, size_t len)
{
	int v6 = ts->type == TS_IPV6_ADDR_RANGE, bytes = v6 ? 16 : 4;
	uint8_t net[16] = { 0 };
	int prefix = 0;
	char ip[INET6_ADDRSTRLEN];

	while (prefix < bytes * 8) {
		int b = prefix / 8, bit = 7 - prefix % 8;

		if (((ts->start[b] ^ ts->end[b]) >> bit) & 1)
			break;
		prefix++;
	}
	for (int i = 0; i < bytes; i++) {
		int keep = prefix - i * 8;
		uint8_t mask = keep >= 8   ? 0xff
			       : keep <= 0 ? 0
					   : (uint8_t)(0xff << (8 - keep));

		net[i] = ts->start[i] & mask;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, net, ip, sizeof(ip));
	snprintf(buf, len, "%s/%d", ip, prefix);
}

/* The interface holding local address `a`, as PLUTO_INTERFACE. */
static void ud_interface(const struct engine_addr *a, char *buf, size_t len)
{
	struct ifaddrs *ifs, *i;

	snprintf(buf, len, "unknown");
	if (getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || sa->sa_family != a->family)
			continue;
		if ((sa->sa_family == AF_INET &&
		     !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, a->ip,
			     4)) ||
		    (sa->sa_family == AF_INET6 &&
		     !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			     a->ip, 16))) {
			snprintf(buf, len, "%s", i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifs);
}

static void ud_setenv(struct ud_job *j, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ud_setenv(struct ud_job *j, const char *name, const char *fmt, ...)
{
	char value[600];
	va_list ap;

	if (j->n_env >= UPDOWN_ENV_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	if (asprintf(&j->env[j->n_env], "%s=%s", name, value) >= 0)
		j->n_env++;
}

static bool ud_is_host(const struct engine_ts *ts, const struct engine_addr *a)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	return !memcmp(ts->start, ts->end, n) && !memcmp(ts->start, a->ip, n);
}

/* An identity as strongSwan prints it for scripts: the one the engine
 * reports (`id`: ours as sent, the peer's as it proved it), else the
 * configured one (an FQDN without its '@'), else the address. */
static void ud_id(const struct engine_id *id, const char *conf_id,
		  const struct engine_addr *a, char *buf, size_t len)
{
	if (id->type) {
		auth_id_str(id->type, id->data, id->len, buf, len);
		return;
	}
	if (conf_id[0] == '@' && conf_id[1] != '#')
		conf_id++;
	if (conf_id[0] && strcmp(conf_id, "%any") != 0)
		snprintf(buf, len, "%s", conf_id);
	else
		ud_addr(a, buf, len);
}

/* Takes the IKE SA's identities into the tunnel record while it lives. */
static void ud_ids(struct updown *u, const struct engine *e,
		   struct ud_tunnel *t)
{
	const struct ud_cfg *cfg = ud_cfg_find(u, t->ike.conn, t->child.name);
	struct engine_ike_ids ids;

	if (!cfg)
		return;
	if (engine_ike_ids(e, t->ike_id, &ids))
		memset(&ids, 0, sizeof(ids));
	ud_id(&ids.local, cfg->my_id, &t->ike.local, t->my_id,
	      sizeof(t->my_id));
	ud_id(&ids.remote, cfg->peer_id, &t->ike.remote, t->peer_id,
	      sizeof(t->peer_id));
}

static void ud_queue(struct updown *u, const struct ud_cfg *cfg,
		     const struct ud_tunnel *t, bool up,
		     const struct engine_ts *my, const struct engine_ts *peer,
		     const char *my_id, const char *peer_id)
{
	struct ud_job *j;
	char me[INET6_ADDRSTRLEN], them[INET6_ADDRSTRLEN], buf[128];
	bool v6 = my->type == TS_IPV6_ADDR_RANGE;

	if (u->queued >= UPDOWN_QUEUE_MAX || !(j = calloc(1, sizeof(*j)))) {
		log_msg(LOG_LVL_ERR, t->ike.conn,
			"updown for child %s not run: %s", t->child.name,
			u->queued >= UPDOWN_QUEUE_MAX ? "too many waiting"
						      : "out of memory");
		return;
	}
	snprintf(j->label, sizeof(j->label), "%s[%u]", t->ike.conn, t->ike_id);
	strcpy(j->cmd, cfg->cmd);
	ud_addr(&t->ike.local, me, sizeof(me));
	ud_addr(&t->ike.remote, them, sizeof(them));
	ud_setenv(j, "PLUTO_VERSION", "1.1");
	ud_setenv(j, "PLUTO_VERB", "%s-%s%s", up ? "up" : "down",
		  ud_is_host(my, &t->ike.local) ? "host" : "client",
		  v6 ? "-v6" : "");
	ud_setenv(j, "PLUTO_CONNECTION", "%s", t->child.name);
	ud_interface(&t->ike.local, buf, sizeof(buf));
	ud_setenv(j, "PLUTO_INTERFACE", "%s", buf);
	ud_setenv(j, "PLUTO_REQID", "%u", t->child.reqid);
	ud_setenv(j, "PLUTO_UNIQUEID", "%u", t->ike_id);
	ud_setenv(j, "PLUTO_PROTO", "esp");
	ud_setenv(j, "PLUTO_ME", "%s", me);
	ud_setenv(j, "PLUTO_MY_ID", "%s", my_id);
	ud_subnet(my, buf, sizeof(buf));
	ud_setenv(j, "PLUTO_MY_CLIENT", "%s", buf);
	ud_setenv(j, "PLUTO_MY_PORT", "%u",
		  my->port_lo == my->port_hi ? my->port_lo : 0);
	ud_setenv(j, "PLUTO_MY_PROTOCOL", "%u", my->proto);
	ud_setenv(j, "PLUTO_PEER", "%s", them);
	ud_setenv(j, "PLUTO_PEER_ID", "%s", peer_id);
	ud_subnet(peer, buf, sizeof(buf));
	ud_setenv(j, "PLUTO_PEER_CLIENT", "%s", buf);
	ud_setenv(j, "PLUTO_PEER_PORT", "%u",
		  peer->port_lo == peer->port_hi ? peer->port_lo : 0);
	ud_setenv(j, "PLUTO_PEER_PROTOCOL", "%u", peer->proto);
	if (t->ike.nat_local || t->ike.nat_remote)
		ud_setenv(j, "PLUTO_UDP_ENC", "%u", t->ike.remote.port);
	if (cfg->hostaccess)
		ud_setenv(j, "PLUTO_HOST_ACCESS", "1");
	/* as strongSwan's updown: a mark when its value is not 0 */
	if (cfg->mark_in.value)
		ud_setenv(j, "PLUTO_MARK_IN", "%u/0x%08x", cfg->mark_in.value,
			  cfg->mark_in.mask);
	if (cfg->mark_out.value)
		ud_setenv(j, "PLUTO_MARK_OUT", "%u/0x%08x", cfg->mark_out.value,
			  cfg->mark_out.mask);
	if (cfg->if_id_in)
		ud_setenv(j, "PLUTO_IF_ID_IN", "%u", cfg->if_id_in);
	if (cfg->if_id_out)
		ud_setenv(j, "PLUTO_IF_ID_OUT", "%u", cfg->if_id_out);
	ud_setenv(j, "PATH",
		  "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
		  "/usr/bin:/sbin:/bin");
	*u->tail = j;
	u->tail = &j->next;
	u->queued++;
}

/* strongSwan runs the script once per pair of local and remote selectors. */
static void ud_announce(struct updown *u, const struct ud_tunnel *t, bool up)
{
	const struct ud_cfg *cfg = ud_cfg_find(u, t->ike.conn, t->child.name);

	if (!cfg)
		return;
	for (unsigned i = 0; i < t->child.n_local_ts; i++)
		for (unsigned k = 0; k < t->child.n_remote_ts; k++)
			ud_queue(u, cfg, t, up, &t->child.local_ts[i],
				 &t->child.remote_ts[k], t->my_id, t->peer_id);
	ud_start_next(u);
}

/* ---- which CHILD SAs came and went ------------------------------------- */

static bool ud_live(enum engine_child_state s)
{
	return s == ENGINE_CHILD_INSTALLED || s == ENGINE_CHILD_REKEYING ||
	       s == ENGINE_CHILD_DELETING;
}

/* Finds a live CHILD SA with inbound SPI `spi` in any IKE SA (one that an
 * IKE rekey moved). */
static bool ud_find_moved(const struct engine *e, uint32_t spi,
			  uint32_t *ike_id)
{
	uint32_t ids[256];
	size_t n = engine_ike_list(e, ids, 256);
	struct engine_child_info ci;

	for (size_t i = 0; i < n && i < 256; i++)
		for (uint32_t k = 0; !engine_child_info(e, ids[i], k, &ci); k++)
			if (ci.spi_in == spi && ud_live(ci.state)) {
				*ike_id = ids[i];
				return true;
			}
	return false;
}

static void ud_compare(struct updown *u, const struct engine *e,
		       uint32_t ike_id, uint32_t old_id)
{
	struct engine_ike_info ike;
	struct engine_child_info ci;
	bool have_ike = engine_ike_info(e, ike_id, &ike) == 0;
	struct ud_tunnel **pp, *t;

	for (t = u->tunnels; t; t = t->next)
		t->seen = false;
	/* what the engine has now: known reqids are kept (or rekeyed),
	 * new ones come up */
	for (uint32_t k = 0; have_ike && !engine_child_info(e, ike_id, k, &ci);
	     k++) {
		if (!ud_live(ci.state) || !ud_cfg_find(u, ike.conn, ci.name))
			continue;
		for (t = u->tunnels; t; t = t->next)
			if ((t->ike_id == ike_id || t->ike_id == old_id) &&
			    t->child.reqid == ci.reqid && !t->seen)
				break;
		if (t) {
			t->seen = true;
			t->ike_id = ike_id;
			t->ike = ike;
			t->child = ci;
			ud_ids(u, e, t);
			continue;
		}
		if (!(t = calloc(1, sizeof(*t)))) {
			log_msg(LOG_LVL_ERR, ike.conn,
				"updown: out of memory, child %s not run",
				ci.name);
			continue;
		}
		t->ike_id = ike_id;
		t->ike = ike;
		t->child = ci;
		t->seen = true;
		ud_ids(u, e, t);
		t->next = u->tunnels;
		u->tunnels = t;
		ud_announce(u, t, true);
	}
	/* what is gone: down, unless an IKE rekey moved it elsewhere */
	for (pp = &u->tunnels; (t = *pp);) {
		uint32_t moved;

		if (t->seen || t->ike_id != ike_id) {
			pp = &t->next;
			continue;
		}
		if (ud_find_moved(e, t->child.spi_in, &moved)) {
			t->ike_id = moved;
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		ud_announce(u, t, false);
		free(t);
	}
}

void updown_event(struct updown *u, const struct engine *e,
		  const struct engine_action *a)
{
	const struct engine_event *ev = &a->u.event;

	if (!u || !u->n_cfg)
		return;
	switch (ev->type) {
	case ENGINE_EV_CHILD_UP:
	case ENGINE_EV_CHILD_DOWN:
	case ENGINE_EV_CHILD_REKEYED:
	case ENGINE_EV_CHILD_FAILED:
	case ENGINE_EV_IKE_DOWN:
	case ENGINE_EV_IKE_FAILED: ud_compare(u, e, a->ike_id, 0); break;
	case ENGINE_EV_IKE_REKEYED: /* the old IKE SA's id in `reason` */
		ud_compare(u, e, a->ike_id, (uint32_t)ev->reason);
		break;
	case ENGINE_EV_IKE_UP: break;
	}
}

/* ---- running them ------------------------------------------------------- */

static void ud_job_free(struct ud_job *j)
{
	for (size_t i = 0; j && i < j->n_env; i++)
		free(j->env[i]);
	free(j);
}

static void ud_flush_line(struct updown *u)
{
	if (!u->line_len)
		return;
	u->line[u->line_len] = '\0';
	log_msg(LOG_LVL_INFO, u->run->label, "updown: %s", u->line);
	u->line_len = 0;
}

/* Reads what the script wrote: 1 data, 0 end of file, -1 nothing now. */
static int ud_read(struct updown *u)
{
	char buf[1024];
	ssize_t n = read(u->outfd, buf, sizeof(buf));

	if (n <= 0)
		return n == 0 || errno != EAGAIN ? 0 : -1;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || u->line_len >= sizeof(u->line) - 1)
			ud_flush_line(u);
		if (buf[i] != '\n')
			u->line[u->line_len++] = buf[i];
	}
	return 1;
}

static void ud_close(struct updown *u)
{
	int *fds[] = { &u->pidfd, &u->outfd, &u->timerfd };

	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] < 0)
			continue;
		if (u->loop)
			loop_del_fd(u->loop, *fds[i]);
		close(*fds[i]);
		*fds[i] = -1;
	}
}

/* The script ended (or was killed) with wait status `st`: log how. */
static void ud_reap(struct updown *u, int st)
{
	/* what it wrote before it ended; a child it left behind may hold
	 * the pipe open, so no waiting for the end of file */
	while (u->outfd >= 0 && ud_read(u) > 0)
		;
	ud_flush_line(u);
	if (WIFSIGNALED(st))
		log_msg(LOG_LVL_ERR, u->run->label,
			"updown '%s' killed by signal %d", u->run->cmd,
			WTERMSIG(st));
	else if (WEXITSTATUS(st))
		log_msg(LOG_LVL_WARNING, u->run->label,
			"updown '%s' exited with status %d", u->run->cmd,
			WEXITSTATUS(st));
	ud_close(u);
	ud_job_free(u->run);
	u->run = NULL;
	u->pid = 0;
}

/* Reaps the script if it has ended; true if it did. */
static bool ud_try_reap(struct updown *u)
{
	int st = 0;

	if (!u->run || waitpid(u->pid, &st, WNOHANG) != u->pid)
		return false;
	ud_reap(u, st);
	return true;
}

static void ud_kill(struct updown *u)
{
	log_msg(LOG_LVL_ERR, u->run->label,
		"updown '%s' still running after %u ms: killed", u->run->cmd,
		u->timeout_ms);
	kill(-u->pid, SIGKILL); /* its process group: sh and its children */
}

static void ud_on_exit(void *ctx, int fd, uint32_t events)
{
	struct updown *u = ctx;

	(void)fd, (void)events;
	if (ud_try_reap(u))
		ud_start_next(u);
}

static void ud_on_output(void *ctx, int fd, uint32_t events)
{
	struct updown *u = ctx;

	(void)events;
	if (fd != u->outfd)
		return;
	if (ud_read(u) == 0) { /* end of output: the exit comes via pidfd */
		loop_del_fd(u->loop, u->outfd);
		close(u->outfd);
		u->outfd = -1;
	}
}

static void ud_on_timeout(void *ctx, int fd, uint32_t events)
{
	struct updown *u = ctx;
	uint64_t n;

	(void)events;
	if (fd == u->timerfd && u->run && read(fd, &n, sizeof(n)) == sizeof(n))
		ud_kill(u);
}

static int ud_spawn(struct updown *u, struct ud_job *j)
{
	char *argv[] = { "/bin/sh", "-c", j->cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int pipefd[2], r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	/* none of the daemon's sockets: the script gets stdio only */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	{
		sigset_t none, all;

		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &all);
	}
	r = posix_spawn(&u->pid, "/bin/sh", &fa, &at, argv, j->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pipefd[1]);
	if (r) {
		close(pipefd[0]);
		return -r;
	}
	u->outfd = pipefd[0];
	fcntl(u->outfd, F_SETFL, O_NONBLOCK);
	u->pidfd = (int)syscall(SYS_pidfd_open, u->pid, 0);
	return 0;
}

static int ud_watch(struct updown *u)
{
	struct itimerspec its = { .it_value = {
					  .tv_sec = u->timeout_ms / 1000,
					  .tv_nsec =
						  (long)(u->timeout_ms % 1000) *
						  1000000L,
				  } };

	u->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (u->timerfd < 0 || u->pidfd < 0 ||
	    timerfd_settime(u->timerfd, 0, &its, NULL) < 0)
		return -errno;
	if (!u->loop)
		return 0;
	if (loop_add_fd(u->loop, u->pidfd, EPOLLIN, ud_on_exit, u) < 0 ||
	    loop_add_fd(u->loop, u->outfd, EPOLLIN, ud_on_output, u) < 0 ||
	    loop_add_fd(u->loop, u->timerfd, EPOLLIN, ud_on_timeout, u) < 0)
		return -errno;
	return 0;
}

static void ud_start_next(struct updown *u)
{
	while (!u->run && u->queue) {
		struct ud_job *j = u->queue;
		int r;

		u->queue = j->next;
		if (!u->queue)
			u->tail = &u->queue;
		u->queued--;
		log_msg(LOG_LVL_INFO, j->label, "updown: running '%s' (%s)",
			j->cmd, j->env[1] + strlen("PLUTO_VERB="));
		u->run = j;
		if ((r = ud_spawn(u, j)) < 0) {
			log_msg(LOG_LVL_ERR, j->label,
				"updown '%s' could not be started: %s", j->cmd,
				strerror(-r));
			ud_close(u);
			ud_job_free(j);
			u->run = NULL;
			continue;
		}
		if ((r = ud_watch(u)) < 0) {
			log_msg(LOG_LVL_ERR, j->label,
				"updown '%s' cannot be watched (%s): killed",
				j->cmd, strerror(-r));
			kill(-u->pid, SIGKILL);
			while (!ud_try_reap(u))
				usleep(1000);
		}
	}
}

/* At stop: what is running and queued runs to its end here, each bounded
 * by the timeout, so that down scripts undo what up scripts did. */
static void ud_drain(struct updown *u)
{
	if (u->run) {
		if (u->loop) {
			loop_del_fd(u->loop, u->pidfd);
			loop_del_fd(u->loop, u->timerfd);
			if (u->outfd >= 0)
				loop_del_fd(u->loop, u->outfd);
		}
	}
	u->loop = NULL;
	for (;;) {
		if (!u->run)
			ud_start_next(u);
		if (!u->run)
			break;
		struct pollfd p[3] = { { u->pidfd, POLLIN, 0 },
				       { u->timerfd, POLLIN, 0 },
				       { u->outfd, POLLIN, 0 } };

		if (poll(p, u->outfd >= 0 ? 3 : 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			ud_on_timeout(u, u->timerfd, 0);
		if (u->outfd >= 0 && p[2].revents && ud_read(u) == 0) {
			close(u->outfd);
			u->outfd = -1;
		}
		if (p[0].revents)
			ud_try_reap(u);
	}
}

void updown_free(struct updown *u)
{
	if (!u)
		return;
	ud_drain(u);
	while (u->tunnels) {
		struct ud_tunnel *t = u->tunnels;

		u->tunnels = t->next;
		free(t);
	}
	free(u->cfg);
	free(u);
}
