/* The control socket: listening, clients, their buffers, events; see
 * ctl.h. Commands are in ctl_cmd.c, SA descriptions in ctl_sa.c. */
#include "control/ctl.h"
#include "control/ctl_int.h"

#include "io/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* epoll tags: the listener, the timer, clients by slot + CTL_TAG_CLIENT */
enum { CTL_TAG_LISTEN = 1, CTL_TAG_TIMER = 2, CTL_TAG_CLIENT = 16 };

static const struct {
	const char *name;
	uint32_t bit;
} ctl_events[] = {
	{ "list-sa", CTL_EV_LIST_SA },
	{ "list-conn", CTL_EV_LIST_CONN },
	{ "list-policy", CTL_EV_LIST_POLICY },
	{ "control-log", CTL_EV_CONTROL_LOG },
	{ "log", CTL_EV_LOG },
	{ "ike-updown", CTL_EV_IKE_UPDOWN },
	{ "child-updown", CTL_EV_CHILD_UPDOWN },
	{ "ike-rekey", CTL_EV_IKE_REKEY },
	{ "child-rekey", CTL_EV_CHILD_REKEY },
};

static uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the socket ------------------------------------------------------- */

/* True if something answers on `path` (a live daemon, not a stale file). */
static bool ctl_path_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return live;
}

static int ctl_mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int ctl_listen(struct ctl *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct group *gr = getgrnam(CTL_GROUP);
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((r = ctl_mkdir_parent(path)) < 0)
		return r;
	if (ctl_path_live(&sun))
		return -EADDRINUSE;
	unlink(path); /* stale: nothing answers on it */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Created 0600 and opened up only once its group is right. */
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(fd, 64) < 0)
		goto fail;
	c->group = gr ? gr->gr_gid : getegid();
	if (gr && chown(path, (uid_t)-1, gr->gr_gid) < 0)
		goto fail;
	if (chmod(path, 0660) < 0)
		goto fail;
	c->listen_fd = fd;
	return 0;
fail:
	r = -errno;
	close(fd);
	unlink(path);
	return r;
}

static int ctl_watch(struct ctl *c, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ctl_new(struct ctl **out, const char *path, const struct ctl_host *host)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int r;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->host = *host;
	c->listen_fd = c->timer_fd = -1;
	c->started = time(NULL);
	c->started_ms = ctl_now_ms();
	c->path = strdup(path);
	c->scratch = malloc(CTL_SCRATCH);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!c->path || !c->scratch || c->epfd < 0 || c->timer_fd < 0) {
		r = c->path && c->scratch ? -errno : -ENOMEM;
		goto fail;
	}
	if ((r = ctl_listen(c, path)) < 0)
		goto fail;
	if ((r = ctl_watch(c, c->listen_fd, EPOLLIN, CTL_TAG_LISTEN)) < 0 ||
	    (r = ctl_watch(c, c->timer_fd, EPOLLIN, CTL_TAG_TIMER)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	ctl_free(c);
	return r;
}

/* ---- clients ------------------------------------------------------------ */

static void ctl_client_free(struct ctl *c, struct ctl_client *cl)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	if (c->capture == cl)
		c->capture = NULL;
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	ctl_wait_clear(&cl->wait);
	free(cl->stream.ids);
	free(cl->in);
	free(cl->out);
	free(cl);
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i])
			ctl_client_free(c, c->clients[i]);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	if (c->timer_fd >= 0)
		close(c->timer_fd);
	if (c->epfd >= 0)
		close(c->epfd);
	for (size_t i = 0; i < c->n_ikes; i++)
		free(c->ikes[i].remote_id);
	free(c->ikes);
	ctl_idx_free(&c->ike_idx);
	free(c->children);
	ctl_idx_free(&c->child_idx);
	ctl_idx_free(&c->child_head);
	free(c->scratch);
	free(c->path);
	free(c);
}

int ctl_fd(const struct ctl *c)
{
	return c->epfd;
}

/* CapEff of process `pid` from /proc (0 if unreadable). */
static uint64_t ctl_peer_caps(pid_t pid)
{
	char path[64], line[256];
	unsigned long long caps = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

/* True if the peer's groups (SO_PEERGROUPS) include `gid`. */
static bool ctl_peer_in_group(int fd, gid_t primary, gid_t gid)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (primary == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* SO_PEERCRED decides what a client may do (ctl.h). */
static void ctl_client_creds(struct ctl *c, struct ctl_client *cl)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	enum { CAP_NET_ADMIN_BIT = 12 };

	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return; /* neither: every command is refused */
	cl->uid = cred.uid;
	cl->pid = cred.pid;
	cl->may_write = cred.uid == 0 || cred.uid == geteuid() ||
			(ctl_peer_caps(cred.pid) >> CAP_NET_ADMIN_BIT & 1);
	cl->may_read =
		cl->may_write || ctl_peer_in_group(cl->fd, cred.gid, c->group);
}

static void ctl_accept(struct ctl *c)
{
	for (int budget = 0; budget < 64; budget++) {
		int fd = accept4(c->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *cl;
		int slot = -1;

		if (fd < 0)
			return; /* EAGAIN, or the client went already */
		for (int i = 0; i < CTL_MAX_CLIENTS && slot < 0; i++)
			if (!c->clients[i])
				slot = i;
		cl = slot >= 0 ? calloc(1, sizeof(*cl)) : NULL;
		if (!cl) {
			log_msg(LOG_LVL_WARNING, NULL,
				"control socket: %d clients already, closing "
				"a new one",
				CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		cl->fd = fd;
		ctl_client_creds(c, cl);
		if (ctl_watch(c, fd, EPOLLIN, CTL_TAG_CLIENT + (uint64_t)slot) <
		    0) {
			close(fd);
			free(cl);
			continue;
		}
		c->clients[slot] = cl;
	}
}

void ctl_client_arm(struct ctl *c, struct ctl_client *cl)
{
	struct epoll_event ev = { 0 };
	int slot = -1;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			slot = i;
	if (slot < 0 || cl->dead)
		return;
	/* While a command waits, further requests stay unread. */
	if (cl->wait.kind == CTL_WAIT_NONE && !cl->stream.active)
		ev.events |= EPOLLIN;
	if (cl->out_len > cl->out_off)
		ev.events |= EPOLLOUT;
	ev.data.u64 = CTL_TAG_CLIENT + (uint64_t)slot;
	epoll_ctl(c->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
}

/* Writes what is queued; false if the client is gone. */
static bool ctl_flush(struct ctl_client *cl)
{
	while (cl->out_len > cl->out_off) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off,
				 cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0)
			return false;
		cl->out_off += (size_t)n;
	}
	cl->out_off = cl->out_len = 0;
	return true;
}

void ctl_send(struct ctl *c, struct ctl_client *cl, const struct wr *w)
{
	size_t n = wr_len(w);

	(void)c;
	if (cl->dead)
		return;
	if (!wr_ok(w)) {
		/* Larger than a vici segment may be: say so in the log,
		 * the client sees the command fail. */
		log_msg(LOG_LVL_ERR, NULL,
			"control socket: a reply did not fit into %d bytes",
			VICI_LEN_MAX);
		return;
	}
	if (cl->out_off && cl->out_off == cl->out_len)
		cl->out_off = cl->out_len = 0;
	if (cl->out_len - cl->out_off + n > CTL_OUT_MAX) {
		cl->dead = true; /* never reads: must not hold the daemon */
		return;
	}
	if (cl->out_len + n > cl->out_cap) {
		/* Compact, then grow (no memmove on the first reply: out is
		 * still NULL, and memmove(NULL, …, 0) is undefined). */
		if (cl->out_off)
			memmove(cl->out, cl->out + cl->out_off,
				cl->out_len - cl->out_off);
		cl->out_len -= cl->out_off;
		cl->out_off = 0;
		if (cl->out_len + n > cl->out_cap) {
			size_t cap = cl->out_cap ? cl->out_cap : 4096;
			uint8_t *p;

			while (cap < cl->out_len + n)
				cap *= 2;
			p = realloc(cl->out, cap);
			if (!p) {
				cl->dead = true;
				return;
			}
			cl->out = p;
			cl->out_cap = cap;
		}
	}
	memcpy(cl->out + cl->out_len, w->buf, n);
	cl->out_len += n;
	if (!ctl_flush(cl))
		cl->dead = true;
}

struct wr ctl_scratch(struct ctl *c)
{
	return wr_init(c->scratch, CTL_SCRATCH);
}

/* Answers a packet with a bare packet of `type`. */
static void ctl_send_bare(struct ctl *c, struct ctl_client *cl, unsigned type)
{
	struct wr w = ctl_scratch(c);

	vici_end(&w, vici_begin(&w, type, NULL));
	ctl_send(c, cl, &w);
}

static void ctl_on_register(struct ctl *c, struct ctl_client *cl,
			    const struct vici_packet *p)
{
	/* Events carry what the reading commands show: the same rule. */
	for (size_t i = 0;
	     cl->may_read && i < sizeof(ctl_events) / sizeof(ctl_events[0]);
	     i++) {
		const char *n = ctl_events[i].name;

		if (strlen(n) != p->name_len ||
		    memcmp(n, p->name, p->name_len) != 0)
			continue;
		if (p->type == VICI_EVENT_REGISTER)
			cl->events |= ctl_events[i].bit;
		else
			cl->events &= ~ctl_events[i].bit;
		ctl_send_bare(c, cl, VICI_EVENT_CONFIRM);
		return;
	}
	ctl_send_bare(c, cl, VICI_EVENT_UNKNOWN);
}

/* One complete packet from a client; false closes the client. */
static bool ctl_on_packet(struct ctl *c, struct ctl_client *cl,
			  const uint8_t *buf, size_t len)
{
	struct vici_packet p;
	char name[VICI_NAME_MAX + 1];

	if (vici_packet_decode(buf, len, &p) < 0)
		return false;
	switch (p.type) {
	case VICI_CMD_REQUEST:
		memcpy(name, p.name, p.name_len);
		name[p.name_len] = 0;
		if (memchr(p.name, 0, p.name_len) ||
		    !ctl_cmd_run(c, cl, name, p.msg, p.msg_len))
			ctl_send_bare(c, cl, VICI_CMD_UNKNOWN);
		return true;
	case VICI_EVENT_REGISTER:
	case VICI_EVENT_UNREGISTER: ctl_on_register(c, cl, &p); return true;
	default: return false; /* a server's packet type from a client */
	}
}

/* Reads and handles complete packets while no command waits; false
 * closes the client (gone, malformed, oversized). */
static bool ctl_on_readable(struct ctl *c, struct ctl_client *cl)
{
	for (int budget = 0; budget < 16; budget++) {
		size_t need = 4;
		ssize_t n;

		if (cl->wait.kind != CTL_WAIT_NONE || cl->stream.active ||
		    cl->dead)
			return true;
		if (cl->in_len >= 4) {
			uint32_t seg = (uint32_t)cl->in[0] << 24 |
				       (uint32_t)cl->in[1] << 16 |
				       (uint32_t)cl->in[2] << 8 | cl->in[3];

			if (seg > VICI_LEN_MAX)
				return false;
			need = 4 + seg;
			if (cl->in_len == need) {
				cl->in_len = 0;
				if (!ctl_on_packet(c, cl, cl->in + 4, seg))
					return false;
				continue;
			}
		}
		if (need > cl->in_cap) {
			uint8_t *p = realloc(cl->in, need < 64 ? 64 : need);

			if (!p)
				return false;
			cl->in = p;
			cl->in_cap = need < 64 ? 64 : need;
		}
		n = recv(cl->fd, cl->in + cl->in_len, need - cl->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0)
			return false;
		cl->in_len += (size_t)n;
	}
	return true;
}

static void ctl_on_client(struct ctl *c, int slot, uint32_t events)
{
	struct ctl_client *cl = c->clients[slot];

	if (!cl)
		return;
	if ((events & EPOLLOUT) && !ctl_flush(cl))
		cl->dead = true;
	if (!cl->dead && cl->stream.active)
		ctl_stream_fill(c, cl);
	if (!cl->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    !ctl_on_readable(c, cl))
		cl->dead = true;
}

/* Closes clients marked dead (outside of any iteration over them). */
static void ctl_reap(struct ctl *c)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = c->clients[i];

		if (!cl)
			continue;
		if (cl->dead) {
			if (cl->out_len - cl->out_off >= CTL_OUT_MAX / 2)
				log_msg(LOG_LVL_NOTICE, NULL,
					"control socket: client pid %d does "
					"not read its replies; closed",
					(int)cl->pid);
			ctl_client_free(c, cl);
			continue;
		}
		ctl_client_arm(c, cl);
	}
}

void ctl_timer_arm(struct ctl *c)
{
	struct itimerspec its = { 0 };
	uint64_t next = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		const struct ctl_client *cl = c->clients[i];

		if (cl && cl->wait.kind && cl->wait.deadline &&
		    (!next || cl->wait.deadline < next))
			next = cl->wait.deadline;
	}
	/* this runs after every engine event: no system call when the
	 * deadline stays (usually none) */
	if (c->timer_armed && c->timer_deadline == next)
		return;
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000 + 1;
	}
	c->timer_armed = timerfd_settime(c->timer_fd, TFD_TIMER_ABSTIME, &its,
					 NULL) == 0;
	c->timer_deadline = next;
}

void ctl_dispatch(struct ctl *c)
{
	struct epoll_event evs[16];
	int n = epoll_wait(c->epfd, evs, 16, 0);

	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;

		if (tag == CTL_TAG_LISTEN) {
			ctl_accept(c);
		} else if (tag == CTL_TAG_TIMER) {
			uint64_t exp;

			c->timer_armed = false; /* fired, or about to */
			if (read(c->timer_fd, &exp, sizeof(exp)) > 0)
				ctl_cmd_on_timer(c, ctl_now_ms());
		} else if (tag >= CTL_TAG_CLIENT &&
			   tag < CTL_TAG_CLIENT + CTL_MAX_CLIENTS) {
			ctl_on_client(c, (int)(tag - CTL_TAG_CLIENT),
				      evs[i].events);
		}
	}
	ctl_reap(c);
	ctl_timer_arm(c);
}

/* ---- events ------------------------------------------------------------- */

void ctl_raise(struct ctl *c, uint32_t bit, const char *name,
	       void (*fill)(struct ctl *c, struct wr *w, const void *arg),
	       const void *arg)
{
	struct wr w;
	size_t at;
	bool built = false;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = c->clients[i];

		if (!cl || cl->dead || !(cl->events & bit))
			continue;
		if (!built) {
			w = ctl_scratch(c);
			at = vici_begin(&w, VICI_EVENT, name);
			fill(c, &w, arg);
			vici_end(&w, at);
			built = true;
		}
		ctl_send(c, cl, &w);
	}
}

void ctl_engine_action(struct ctl *c, const struct engine_action *a,
		       uint64_t now)
{
	if (a->type == ENGINE_ACT_SA_ADD && a->u.sa.inbound) {
		struct ctl_child *ch =
			ctl_child_get(c, a->ike_id, a->u.sa.spi, true);

		if (ch) {
			ch->encap = a->u.sa.encap;
			ch->install_ms = now;
			ch->life_soft_s = a->u.sa.life_soft_s;
			ch->life_hard_s = a->u.sa.life_hard_s;
		}
		return;
	}
	if (a->type != ENGINE_ACT_EVENT)
		return;
	ctl_cmd_on_event(c, a);
	ctl_reap(c);
	ctl_timer_arm(c);
}

/* syslog level → charon's 0 (most important) … 4 */
static int ctl_level(int level)
{
	return level <= LOG_LVL_NOTICE ? (level <= LOG_LVL_WARNING ? 0 : 1)
				       : level - LOG_LVL_NOTICE + 1;
}

struct ctl_logline {
	int level;
	const char *sa, *msg;
	uint32_t ike_id;
	char conn[ENGINE_NAME_MAX];
};

static void ctl_fill_log(struct ctl *c, struct wr *w, const void *arg)
{
	const struct ctl_logline *l = arg;

	(void)c;
	vici_kv(w, "group", l->sa ? "ike" : "dmn");
	vici_kvf(w, "level", "%d", ctl_level(l->level));
	vici_kv(w, "thread", "0");
	if (l->ike_id) {
		vici_kv(w, "ikesa-name", l->conn);
		vici_kvf(w, "ikesa-uniqueid", "%u", l->ike_id);
	}
	vici_kv(w, "msg", l->msg);
}

/* "conn[7]" → conn and 7; 0 if `sa` names no IKE SA. */
static uint32_t ctl_parse_sa(const char *sa, char *conn, size_t cap)
{
	const char *open = sa ? strrchr(sa, '[') : NULL;
	unsigned long id;
	char *end;

	conn[0] = 0;
	if (!open)
		return 0;
	id = strtoul(open + 1, &end, 10);
	if (*end != ']' || id > UINT32_MAX)
		return 0;
	snprintf(conn, cap, "%.*s", (int)(open - sa), sa);
	return (uint32_t)id;
}

void ctl_log(struct ctl *c, int level, const char *sa, const char *msg)
{
	struct ctl_logline l = { level, sa, msg, 0, "" };

	/* Raising may drop a client, which logs: no loops. */
	if (!c || c->in_log)
		return;
	c->in_log = true;
	l.ike_id = ctl_parse_sa(sa, l.conn, sizeof(l.conn));
	ctl_raise(c, CTL_EV_LOG, "log", ctl_fill_log, &l);
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = c->clients[i];
		struct wr w;
		size_t at;

		if (!cl || cl->dead || !(cl->events & CTL_EV_CONTROL_LOG) ||
		    !cl->wait.kind || ctl_level(level) > cl->wait.loglevel)
			continue;
		if (c->capture != cl &&
		    !(l.ike_id && ctl_wait_has(&cl->wait, l.ike_id)))
			continue;
		w = ctl_scratch(c);
		at = vici_begin(&w, VICI_EVENT, "control-log");
		ctl_fill_log(c, &w, &l);
		vici_end(&w, at);
		ctl_send(c, cl, &w);
	}
	c->in_log = false;
}

void ctl_count(const struct engine *e, size_t *ike, size_t *child)
{
	/* O(1): this runs after every engine event (the status line) */
	*ike = engine_ike_count(e);
	*child = engine_child_count(e);
}
