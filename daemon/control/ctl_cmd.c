/* The commands of the control socket (strongSwan vici README, "Client-
 * initiated commands"), one handler each in one table, and the engine
 * events that finish the commands which wait (initiate, terminate). */
#include "control/ctl_int.h"
#include "engine/pool.h"

#include "io/conns.h"
#include "io/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

struct ctl_req {
	const uint8_t *msg;
	size_t len;
};

/* A request argument as text; "" when absent or unreadable. */
static const char *ctl_arg(const struct ctl_req *r, const char *key, char *buf,
			   size_t cap)
{
	if (vici_find_str(r->msg, r->len, key, buf, cap) < 0)
		buf[0] = 0;
	return buf;
}

static long ctl_arg_int(const struct ctl_req *r, const char *key, long dflt)
{
	char buf[32], *end;
	long v;

	if (!*ctl_arg(r, key, buf, sizeof(buf)))
		return dflt;
	v = strtol(buf, &end, 10);
	return *end ? dflt : v;
}

static bool ctl_arg_bool(const struct ctl_req *r, const char *key)
{
	char buf[8];

	ctl_arg(r, key, buf, sizeof(buf));
	return strcmp(buf, "yes") == 0 || strcmp(buf, "true") == 0 ||
	       strcmp(buf, "1") == 0;
}

static uint64_t ctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Begins the CMD_RESPONSE in the scratch buffer. */
static struct wr ctl_response(struct ctl *c, size_t *at)
{
	struct wr w = ctl_scratch(c);

	*at = vici_begin(&w, VICI_CMD_RESPONSE, NULL);
	return w;
}

static void ctl_finish(struct ctl *c, struct ctl_client *cl, struct wr *w,
		       size_t at)
{
	vici_end(w, at);
	ctl_send(c, cl, w);
}

void ctl_reply_result(struct ctl *c, struct ctl_client *cl, const char *errmsg,
		      int matches, int terminated)
{
	size_t at;
	struct wr w = ctl_response(c, &at);

	vici_kv(&w, "success", errmsg ? "no" : "yes");
	if (matches >= 0)
		vici_kvf(&w, "matches", "%d", matches);
	if (terminated >= 0)
		vici_kvf(&w, "terminated", "%d", terminated);
	if (errmsg)
		vici_kv(&w, "errmsg", errmsg);
	ctl_finish(c, cl, &w, at);
}

void ctl_wait_clear(struct ctl_wait *w)
{
	free(w->ids);
	memset(w, 0, sizeof(*w));
}

/* ---- reading ------------------------------------------------------------ */

static void ctl_cmd_version(struct ctl *c, struct ctl_client *cl,
			    const struct ctl_req *r)
{
	struct utsname u;
	size_t at;
	struct wr w = ctl_response(c, &at);

	(void)r;
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	vici_kv(&w, "daemon", "keybridged");
	vici_kv(&w, "version", c->host.version);
	vici_kv(&w, "sysname", u.sysname);
	vici_kv(&w, "release", u.release);
	vici_kv(&w, "machine", u.machine);
	ctl_finish(c, cl, &w, at);
}

/* "5 minutes", as charon words a time span. */
static void ctl_span(uint64_t s, char *out, size_t cap)
{
	const char *unit = "second";

	if (s > 2 * 86400)
		s /= 86400, unit = "day";
	else if (s > 2 * 3600)
		s /= 3600, unit = "hour";
	else if (s > 2 * 60)
		s /= 60, unit = "minute";
	snprintf(out, cap, "%" PRIu64 " %s%s", s, unit, s == 1 ? "" : "s");
}

static void ctl_cmd_stats(struct ctl *c, struct ctl_client *cl,
			  const struct ctl_req *r)
{
	static const char *const prio[] = { "critical", "high", "medium",
					    "low" };
	char buf[64];
	struct tm tm;
	size_t at;
	struct wr w = ctl_response(c, &at);

	(void)r;
	vici_section(&w, "uptime");
	ctl_span((ctl_now() - c->started_ms) / 1000, buf, sizeof(buf));
	vici_kv(&w, "running", buf);
	localtime_r(&c->started, &tm);
	strftime(buf, sizeof(buf), "%b %d %H:%M:%S %Y", &tm);
	vici_kv(&w, "since", buf);
	vici_section_end(&w);
	/* One thread, the event loop, busy answering this request. */
	vici_section(&w, "workers");
	vici_kv(&w, "total", "1");
	vici_kv(&w, "idle", "0");
	vici_section(&w, "active");
	for (int i = 0; i < 4; i++)
		vici_kv(&w, prio[i], i == 0 ? "1" : "0");
	vici_section_end(&w);
	vici_section_end(&w);
	vici_section(&w, "queues");
	for (int i = 0; i < 4; i++)
		vici_kv(&w, prio[i], "0");
	vici_section_end(&w);
	vici_kv(&w, "scheduled", "0");
	vici_section(&w, "ikesas");
	vici_kvf(&w, "total", "%zu", ctl_ike_count(c));
	vici_kvf(&w, "half-open", "%zu", ctl_half_open_count(c));
	vici_section_end(&w);
	vici_list(&w, "plugins");
	vici_list_end(&w);
	ctl_finish(c, cl, &w, at);
}

/* The leases of pool `i`, as strongSwan's vici get-pools lists them. */
static void ctl_pool_leases(struct ctl *c, struct wr *w, size_t i)
{
	struct engine_pool_lease l;
	char ip[INET6_ADDRSTRLEN], id[300], n[16];

	vici_section(w, "leases");
	for (size_t j = 0; engine_pool_lease(ctl_engine(c, 0), i, j, &l) == 0;
	     j++) {
		snprintf(n, sizeof(n), "%zu", j);
		vici_section(w, n);
		inet_ntop(l.family, l.ip, ip, sizeof(ip));
		vici_kv(w, "address", ip);
		vici_kv(w, "identity", ctl_id_str(&l.id, id, sizeof(id)));
		vici_kv(w, "status", l.online ? "online" : "offline");
		vici_section_end(w);
	}
	vici_section_end(w);
}

/* RFC 7296 §3.15 address pools: base, size, online and offline leases,
 * and with leases = yes each lease (filter: name). */
static void ctl_cmd_get_pools(struct ctl *c, struct ctl_client *cl,
			      const struct ctl_req *r)
{
	struct engine_pool_info pi;
	char name[ENGINE_NAME_MAX], leases[8], ip[INET6_ADDRSTRLEN];
	size_t at;
	struct wr w = ctl_response(c, &at);

	ctl_arg(r, "name", name, sizeof(name));
	ctl_arg(r, "leases", leases, sizeof(leases));
	for (size_t i = 0; engine_pool_info(ctl_engine(c, 0), i, &pi) == 0;
	     i++) {
		if (name[0] && strcmp(name, pi.cfg.name) != 0)
			continue;
		vici_section(&w, pi.cfg.name);
		inet_ntop(pi.cfg.family, pi.cfg.first, ip, sizeof(ip));
		vici_kv(&w, "base", ip);
		vici_kvf(&w, "size", "%" PRIu64, pi.size);
		vici_kvf(&w, "online", "%u", pi.online);
		vici_kvf(&w, "offline", "%u", pi.offline);
		if (!strcmp(leases, "yes"))
			ctl_pool_leases(c, &w, i);
		vici_section_end(&w);
	}
	ctl_finish(c, cl, &w, at);
}

static void ctl_empty_response(struct ctl *c, struct ctl_client *cl)
{
	size_t at;
	struct wr w = ctl_response(c, &at);

	ctl_finish(c, cl, &w, at);
}

static void ctl_cmd_list_conns(struct ctl *c, struct ctl_client *cl,
			       const struct ctl_req *r)
{
	const struct conns *cs = c->host.conns(c->host.ctx);
	char ike[ENGINE_NAME_MAX];

	ctl_arg(r, "ike", ike, sizeof(ike));
	for (size_t i = 0; cs && i < cs->n && (cl->events & CTL_EV_LIST_CONN);
	     i++) {
		struct wr w;
		size_t at;

		if (*ike && strcmp(ike, cs->conn[i].name) != 0)
			continue;
		w = ctl_scratch(c);
		at = vici_begin(&w, VICI_EVENT, "list-conn");
		ctl_sa_write_conn(c, &w, i);
		ctl_finish(c, cl, &w, at);
	}
	ctl_empty_response(c, cl);
}

/* "10.1.0.0/24" or "10.2.0.0/24[tcp/80]" for one side of a selector. */
static void ctl_sel_side(const struct kernel_selector *s, bool src, char *out,
			 size_t cap)
{
	char a[64];
	uint16_t port = src ? s->sport : s->dport;

	kernel_addr_str(src ? &s->src : &s->dst, a, sizeof(a));
	if (s->proto)
		snprintf(out, cap, "%s/%u[%u/%u]", a,
			 src ? s->src_plen : s->dst_plen, s->proto, port);
	else
		snprintf(out, cap, "%s/%u", a, src ? s->src_plen : s->dst_plen);
}

/* One side's selectors of shunt child v[first..end) (its out policies),
 * each once. */
static void ctl_shunt_ts(struct wr *w, const struct shunt_policy *v,
			 size_t first, size_t end, bool src)
{
	char ts[96], seen[96];

	for (size_t i = first; i < end; i++) {
		bool dup = false;

		if (v[i].p.dir != KERNEL_DIR_OUT)
			continue;
		ctl_sel_side(&v[i].p.sel, src, ts, sizeof(ts));
		for (size_t j = first; j < i && !dup; j++) {
			if (v[j].p.dir != KERNEL_DIR_OUT)
				continue;
			ctl_sel_side(&v[j].p.sel, src, seen, sizeof(seen));
			dup = !strcmp(ts, seen);
		}
		if (!dup)
			vici_item(w, ts);
	}
}

/* Shunts (mode = pass | drop), as strongSwan's list-policies shows them
 * with "drop" and "pass". */
static void ctl_list_shunts(struct ctl *c, struct ctl_client *cl,
			    const struct ctl_req *r, const struct shunts *s,
			    const char *ike, const char *child)
{
	bool drop = ctl_arg_bool(r, "drop"), pass = ctl_arg_bool(r, "pass");
	char name[2 * KB_CONF_NAME_MAX + 2];

	for (size_t i = 0, end; i < s->n; i = end) {
		const struct shunt_policy *v = &s->v[i];
		bool is_pass = v->p.action == KERNEL_ACTION_ALLOW;
		struct wr w;
		size_t at;

		for (end = i + 1;
		     end < s->n && !strcmp(s->v[end].conn, v->conn) &&
		     !strcmp(s->v[end].child, v->child);
		     end++)
			;
		if ((is_pass ? !pass : !drop) ||
		    (*ike && strcmp(ike, v->conn)) ||
		    (*child && strcmp(child, v->child)) ||
		    !(cl->events & CTL_EV_LIST_POLICY))
			continue;
		w = ctl_scratch(c);
		at = vici_begin(&w, VICI_EVENT, "list-policy");
		snprintf(name, sizeof(name), "%s/%s", v->conn, v->child);
		vici_section(&w, name);
		vici_kv(&w, "child", v->child);
		vici_kv(&w, "ike", v->conn);
		vici_kv(&w, "mode", is_pass ? "PASS" : "DROP");
		vici_list(&w, "local-ts");
		ctl_shunt_ts(&w, s->v, i, end, true);
		vici_list_end(&w);
		vici_list(&w, "remote-ts");
		ctl_shunt_ts(&w, s->v, i, end, false);
		vici_list_end(&w);
		vici_section_end(&w);
		ctl_finish(c, cl, &w, at);
	}
}

/* Trap policies: what start_action = trap installs per child. */
static void ctl_cmd_list_policies(struct ctl *c, struct ctl_client *cl,
				  const struct ctl_req *r)
{
	const struct conns *cs = c->host.conns(c->host.ctx);
	char ike[ENGINE_NAME_MAX], child[ENGINE_NAME_MAX], name[80], ts[128];

	ctl_arg(r, "ike", ike, sizeof(ike));
	ctl_arg(r, "child", child, sizeof(child));
	for (size_t i = 0; cs && i < cs->n && ctl_arg_bool(r, "trap") &&
			   (cl->events & CTL_EV_LIST_POLICY);
	     i++) {
		const struct engine_conn *ec = &cs->conn[i];

		if (!(cs->extra[i].start_action & KB_START_TRAP) ||
		    (*ike && strcmp(ike, ec->name) != 0))
			continue;
		for (unsigned k = 0; k < ec->n_children; k++) {
			const struct engine_child_cfg *ch = &ec->children[k];
			struct wr w = ctl_scratch(c);
			size_t at = vici_begin(&w, VICI_EVENT, "list-policy");

			if (*child && strcmp(child, ch->name) != 0)
				continue;
			snprintf(name, sizeof(name), "%s/%s", ec->name,
				 ch->name);
			vici_section(&w, name);
			vici_kv(&w, "child", ch->name);
			vici_kv(&w, "ike", ec->name);
			vici_kv(&w, "mode",
				ch->mode == ENGINE_MODE_TRANSPORT ? "TRANSPORT"
								  : "TUNNEL");
			vici_list(&w, "local-ts");
			for (unsigned t = 0; t < ch->n_local_ts; t++)
				vici_item(&w, ctl_ts_str(&ch->local_ts[t], ts,
							 sizeof(ts)));
			vici_list_end(&w);
			vici_list(&w, "remote-ts");
			for (unsigned t = 0; t < ch->n_remote_ts; t++)
				vici_item(&w, ctl_ts_str(&ch->remote_ts[t], ts,
							 sizeof(ts)));
			vici_list_end(&w);
			vici_section_end(&w);
			ctl_finish(c, cl, &w, at);
		}
	}
	if (cs)
		ctl_list_shunts(c, cl, r, &cs->shunts, ike, child);
	ctl_empty_response(c, cl);
}

/* ---- list-sas, streamed ------------------------------------------------- */

static bool ctl_child_matches(const struct ctl_stream *s,
			      const struct ctl_child *ch)
{
	return (!s->child[0] || strcmp(s->child, ch->name) == 0) &&
	       (!s->child_id || s->child_id == ch->uid);
}

/* One list-sa event for IKE SA `id`, if it passes the filters. */
static void ctl_stream_one(struct ctl *c, struct ctl_client *cl, uint32_t id,
			   uint64_t now)
{
	struct ctl_stream *s = &cl->stream;
	struct ctl_ike *ike;
	struct wr w;
	size_t at;

	ctl_sa_sync(c, id, now);
	ike = ctl_ike_get(c, id, false);
	if (!ike || !ike->info.state ||
	    (s->ike[0] && strcmp(s->ike, ike->info.conn) != 0) ||
	    (s->ike_id && s->ike_id != id))
		return;
	w = ctl_scratch(c);
	at = vici_begin(&w, VICI_EVENT, "list-sa");
	vici_section(&w, ike->info.conn);
	ctl_sa_write_ike(c, &w, ike, now);
	vici_section(&w, "child-sas");
	for (const struct ctl_child *ch = ctl_child_first(c, id); ch;
	     ch = ctl_child_next(c, ch))
		if (ch->have_info && ctl_child_matches(s, ch))
			ctl_sa_write_child(c, &w, ike, ch, now);
	vici_section_end(&w);
	vici_section_end(&w);
	ctl_finish(c, cl, &w, at);
}

void ctl_stream_fill(struct ctl *c, struct ctl_client *cl)
{
	struct ctl_stream *s = &cl->stream;
	uint64_t now = ctl_now();

	while (s->active && s->next < s->n && !cl->dead &&
	       cl->out_len - cl->out_off < CTL_OUT_LOW)
		ctl_stream_one(c, cl, s->ids[s->next++], now);
	if (s->active && s->next >= s->n) {
		free(s->ids);
		memset(s, 0, sizeof(*s));
		ctl_empty_response(c, cl);
	}
}

/* Forgets records of SAs the engine no longer has (their end raised no
 * event), so that the records stay bounded by the SAs that exist. */
static void ctl_prune(struct ctl *c, const uint32_t *ids, size_t n)
{
	struct ctl_idx live = { 0 };
	size_t pos;

	for (size_t k = 0; k < n; k++)
		if (ctl_idx_put(&live, ids[k], k)) {
			ctl_idx_free(&live);
			return; /* no memory: prune another time */
		}
	for (size_t i = 0; i < c->n_ikes;) {
		uint32_t id = c->ikes[i].ike_id;

		if (ctl_idx_get(&live, id, &pos)) {
			i++;
			continue;
		}
		ctl_children_forget(c, id);
		ctl_ike_forget(c, id); /* moves the last one to i */
	}
	ctl_idx_free(&live);
}

static void ctl_cmd_list_sas(struct ctl *c, struct ctl_client *cl,
			     const struct ctl_req *r)
{
	struct ctl_stream *s = &cl->stream;
	size_t n = ctl_ike_count(c);

	memset(s, 0, sizeof(*s));
	if (!(cl->events & CTL_EV_LIST_SA)) {
		ctl_empty_response(c, cl); /* nobody listens to the stream */
		return;
	}
	s->ids = calloc(n ? n : 1, sizeof(*s->ids));
	if (!s->ids) {
		ctl_empty_response(c, cl);
		return;
	}
	s->n = ctl_ike_list(c, s->ids, n);
	ctl_prune(c, s->ids, s->n);
	ctl_arg(r, "ike", s->ike, sizeof(s->ike));
	ctl_arg(r, "child", s->child, sizeof(s->child));
	s->ike_id = (uint32_t)ctl_arg_int(r, "ike-id", 0);
	s->child_id = (uint32_t)ctl_arg_int(r, "child-id", 0);
	s->active = true;
	/* Larger listings continue as the client reads (noblock or not:
	 * the daemon never waits for the client). */
	ctl_stream_fill(c, cl);
}

/* ---- changing ----------------------------------------------------------- */

/* The connection holding child `child` (first match), or -1. */
static int ctl_conn_of_child(const struct conns *cs, const char *child)
{
	for (size_t i = 0; cs && i < cs->n; i++)
		for (unsigned k = 0; k < cs->conn[i].n_children; k++)
			if (strcmp(cs->conn[i].children[k].name, child) == 0)
				return (int)i;
	return -1;
}

/* Ids of live IKE SAs of connection `conn` (NULL: all); caller frees. */
static uint32_t *ctl_ike_ids(struct ctl *c, const char *conn, size_t *n)
{
	size_t cap = ctl_ike_count(c), k = 0;
	uint32_t *ids = calloc(cap ? cap : 1, sizeof(*ids));

	*n = 0;
	if (!ids)
		return NULL;
	cap = ctl_ike_list(c, ids, cap);
	for (size_t i = 0; i < cap; i++) {
		struct engine_ike_info info;

		if (engine_ike_info(ctl_engine(c, ids[i]), ids[i], &info) ==
			    0 &&
		    info.state != ENGINE_IKE_NONE &&
		    (!conn || strcmp(info.conn, conn) == 0))
			ids[k++] = ids[i];
	}
	*n = k;
	return ids;
}

static void ctl_wait_start(struct ctl *c, struct ctl_client *cl,
			   const struct ctl_req *r)
{
	long timeout = ctl_arg_int(r, "timeout", 0);

	cl->wait.loglevel = (int)ctl_arg_int(r, "loglevel", 1);
	cl->wait.deadline = timeout > 0 ? ctl_now() + (uint64_t)timeout : 0;
	cl->wait.timeout_ms = timeout;
	(void)c;
}

static void ctl_cmd_initiate(struct ctl *c, struct ctl_client *cl,
			     const struct ctl_req *r)
{
	const struct conns *cs = c->host.conns(c->host.ctx);
	char child[ENGINE_NAME_MAX], ike[ENGINE_NAME_MAX], msg[160];
	const char *conn;
	uint64_t now = ctl_now();
	uint32_t id = 0;
	size_t n_up;
	uint32_t *up;
	int i, e;

	ctl_arg(r, "child", child, sizeof(child));
	ctl_arg(r, "ike", ike, sizeof(ike));
	if (!*child && !*ike) {
		ctl_reply_result(c, cl, "missing configuration name", -1, -1);
		return;
	}
	i = *ike ? conns_find(cs, ike) : ctl_conn_of_child(cs, child);
	if (i < 0) {
		snprintf(msg, sizeof(msg), "%s config '%s' not found",
			 *child ? "CHILD_SA" : "IKE_SA", *child ? child : ike);
		ctl_reply_result(c, cl, msg, -1, -1);
		return;
	}
	conn = cs->conn[i].name;
	up = ctl_ike_ids(c, conn, &n_up);
	free(up);
	if (n_up) {
		/* One IKE SA per connection: already there is success. */
		ctl_reply_result(c, cl, NULL, -1, -1);
		return;
	}
	ctl_wait_start(c, cl, r);
	cl->wait.kind = CTL_WAIT_INITIATE;
	cl->wait.child = *child != 0;
	snprintf(cl->wait.what, sizeof(cl->wait.what), "%s '%s'",
		 *child ? "CHILD_SA" : "IKE_SA", *child ? child : conn);
	c->capture = cl; /* the engine logs before we know the SA's id */
	e = engine_initiate(ctl_engine(c, 0), now, conn, &id);
	c->capture = NULL;
	if (e < 0) {
		ctl_wait_clear(&cl->wait);
		snprintf(msg, sizeof(msg), "establishing %s '%s' failed",
			 *child ? "CHILD_SA" : "IKE_SA", *child ? child : conn);
		ctl_reply_result(c, cl, msg, -1, -1);
		return;
	}
	cl->wait.ids = malloc(sizeof(uint32_t));
	if (cl->wait.ids) {
		cl->wait.ids[0] = id;
		cl->wait.n_ids = 1;
	}
	if (ctl_arg_int(r, "timeout", 0) < 0) {
		ctl_wait_clear(&cl->wait); /* -1: answer at once */
		ctl_reply_result(c, cl, NULL, -1, -1);
	}
	c->host.run_actions(c->host.ctx, now);
}

/* terminate child=NAME or child-id=N: deletes one CHILD SA. */
static void ctl_terminate_child(struct ctl *c, struct ctl_client *cl,
				const struct ctl_req *r, const char *child,
				uint32_t uid)
{
	uint64_t now = ctl_now();
	uint32_t ike_id = 0, spi = 0, found_uid = 0;
	bool found = false;

	for (size_t i = 0; i < c->n_ikes && !uid; i++)
		ctl_sa_sync(c, c->ikes[i].ike_id, now);
	/* once per command: a walk over every record (names repeat) */
	for (size_t i = 0; i < c->n_children && !found; i++) {
		const struct ctl_child *ch = &c->children[i];

		if (ch->have_info &&
		    (uid ? ch->uid == uid : strcmp(ch->name, child) == 0)) {
			found = true;
			ike_id = ch->ike_id;
			spi = ch->spi_in;
			found_uid = ch->uid;
		}
	}
	if (!found || engine_terminate_child(ctl_engine(c, ike_id), now, ike_id,
					     spi) < 0) {
		ctl_reply_result(c, cl,
				 found ? "terminating SA failed"
				       : "no matching SAs to terminate found",
				 found, 0);
		return;
	}
	ctl_wait_start(c, cl, r);
	cl->wait.kind = CTL_WAIT_TERMINATE;
	snprintf(cl->wait.what, sizeof(cl->wait.what), "CHILD_SA #%u",
		 found_uid);
	cl->wait.spi_in = spi;
	cl->wait.matches = 1;
	cl->wait.ids = malloc(sizeof(uint32_t));
	if (cl->wait.ids) {
		cl->wait.ids[0] = ike_id;
		cl->wait.n_ids = 1;
	}
	c->host.run_actions(c->host.ctx, now);
}

static void ctl_cmd_terminate(struct ctl *c, struct ctl_client *cl,
			      const struct ctl_req *r)
{
	char child[ENGINE_NAME_MAX], ike[ENGINE_NAME_MAX];
	uint32_t ike_id = (uint32_t)ctl_arg_int(r, "ike-id", 0);
	uint32_t child_id = (uint32_t)ctl_arg_int(r, "child-id", 0);
	uint64_t now = ctl_now();
	uint32_t *ids;
	size_t n;

	ctl_arg(r, "child", child, sizeof(child));
	ctl_arg(r, "ike", ike, sizeof(ike));
	if (!*child && !*ike && !ike_id && !child_id) {
		ctl_reply_result(c, cl, "missing terminate selector", -1, -1);
		return;
	}
	if (*child || child_id) {
		ctl_terminate_child(c, cl, r, child, child_id);
		return;
	}
	ids = ctl_ike_ids(c, *ike ? ike : NULL, &n);
	if (ike_id) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (ids[i] == ike_id)
				ids[k++] = ids[i];
		n = k;
	}
	if (!n) {
		free(ids);
		ctl_reply_result(c, cl, "no matching SAs to terminate found", 0,
				 0);
		return;
	}
	ctl_wait_start(c, cl, r);
	cl->wait.kind = CTL_WAIT_TERMINATE;
	snprintf(cl->wait.what, sizeof(cl->wait.what), "%zu IKE_SA%s", n,
		 n == 1 ? "" : "s");
	cl->wait.ids = ids;
	cl->wait.n_ids = n;
	cl->wait.matches = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		(void)engine_terminate(ctl_engine(c, ids[i]), now, ids[i]);
	if (ctl_arg_int(r, "timeout", 0) < 0) {
		ctl_wait_clear(&cl->wait);
		ctl_reply_result(c, cl, NULL, (int)n, (int)n);
	}
	c->host.run_actions(c->host.ctx, now);
}

static const char *ctl_rekey_err(int e)
{
	switch (e) {
	case 0: return NULL;
	case -ENOTSUP: return "rekeying is not available yet";
	case -EBUSY: return "the SA is being rekeyed or deleted already";
	case -ENOENT: return "the SA is gone";
	}
	return "rekeying failed";
}

/* rekey child=NAME or child-id=N (only installed CHILD SAs). */
static int ctl_rekey_children(struct ctl *c, const char *child, uint32_t uid,
			      uint64_t now, const char **err)
{
	int found = 0;

	for (size_t i = 0; i < c->n_ikes; i++)
		ctl_sa_sync(c, c->ikes[i].ike_id, now);
	for (size_t i = 0; i < c->n_children; i++) {
		const struct ctl_child *ch = &c->children[i];
		const char *e;

		if (!ch->have_info ||
		    ch->info.state != ENGINE_CHILD_INSTALLED ||
		    (uid ? ch->uid != uid : strcmp(ch->name, child) != 0))
			continue;
		found++;
		e = ctl_rekey_err(engine_rekey_child(ctl_engine(c, ch->ike_id),
						     now, ch->ike_id,
						     ch->spi_in));
		if (e && !*err)
			*err = e;
	}
	return found;
}

static void ctl_cmd_rekey(struct ctl *c, struct ctl_client *cl,
			  const struct ctl_req *r)
{
	char child[ENGINE_NAME_MAX], ike[ENGINE_NAME_MAX];
	uint32_t ike_id = (uint32_t)ctl_arg_int(r, "ike-id", 0);
	uint32_t child_id = (uint32_t)ctl_arg_int(r, "child-id", 0);
	uint64_t now = ctl_now();
	const char *err = NULL;
	int found = 0;
	uint32_t *ids;
	size_t n;

	ctl_arg(r, "child", child, sizeof(child));
	ctl_arg(r, "ike", ike, sizeof(ike));
	if (!*child && !child_id && !*ike && !ike_id) {
		ctl_reply_result(c, cl, "missing rekey selector", -1, -1);
		return;
	}
	if (*child || child_id) {
		found = ctl_rekey_children(c, child, child_id, now, &err);
	} else {
		ids = ctl_ike_ids(c, *ike ? ike : NULL, &n);
		for (size_t i = 0; i < n; i++) {
			const char *e;

			if (ike_id && ids[i] != ike_id)
				continue;
			found++;
			e = ctl_rekey_err(engine_rekey(ctl_engine(c, ids[i]),
						       now, ids[i]));
			if (e && !err)
				err = e;
		}
		free(ids);
	}
	c->host.run_actions(c->host.ctx, now);
	ctl_reply_result(c, cl, found ? err : "no matching SAs to rekey found",
			 found, -1);
}

static void ctl_cmd_reload_settings(struct ctl *c, struct ctl_client *cl,
				    const struct ctl_req *r)
{
	(void)r;
	/* keybridge's settings are its swanctl.conf: reload it as SIGHUP
	 * does; the log says what changed. */
	c->host.reload(c->host.ctx);
	ctl_reply_result(c, cl, NULL, -1, -1);
}

static const struct {
	const char *name;
	bool changes; /* needs uid 0 or CAP_NET_ADMIN */
	void (*fn)(struct ctl *c, struct ctl_client *cl,
		   const struct ctl_req *r);
} ctl_cmds[] = {
	{ "version", false, ctl_cmd_version },
	{ "stats", false, ctl_cmd_stats },
	{ "list-sas", false, ctl_cmd_list_sas },
	{ "list-conns", false, ctl_cmd_list_conns },
	{ "list-policies", false, ctl_cmd_list_policies },
	{ "get-pools", false, ctl_cmd_get_pools },
	{ "initiate", true, ctl_cmd_initiate },
	{ "terminate", true, ctl_cmd_terminate },
	{ "rekey", true, ctl_cmd_rekey },
	{ "reload-settings", true, ctl_cmd_reload_settings },
};

bool ctl_cmd_run(struct ctl *c, struct ctl_client *cl, const char *name,
		 const uint8_t *msg, size_t len)
{
	struct ctl_req r = { msg, len };

	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(ctl_cmds[i].name, name) != 0)
			continue;
		if (!cl->may_read || (ctl_cmds[i].changes && !cl->may_write)) {
			log_msg(LOG_LVL_NOTICE, NULL,
				"control socket: %s refused to uid %u "
				"(pid %d): %s",
				name, (unsigned)cl->uid, (int)cl->pid,
				cl->may_read ? "needs root or CAP_NET_ADMIN"
					     : "not in group " CTL_GROUP);
			ctl_reply_result(
				c, cl,
				cl->may_read
					? "permission denied: this command "
					  "needs root or CAP_NET_ADMIN"
					: "permission denied: not in group "
					  "keybridge",
				-1, -1);
			return true;
		}
		ctl_cmds[i].fn(c, cl, &r);
		return true;
	}
	return false;
}

/* ---- events that end waiting commands --------------------------------- */

struct ctl_updown {
	const struct ctl_ike *ike;
	const struct ctl_child *child; /* child-updown */
	bool up;
	uint64_t now;
};

static void ctl_fill_updown(struct ctl *c, struct wr *w, const void *arg)
{
	const struct ctl_updown *u = arg;

	if (u->up)
		vici_kv(w, "up", "yes");
	vici_section(w, u->ike->info.conn);
	ctl_sa_write_ike(c, w, u->ike, u->now);
	if (u->child) {
		vici_section(w, "child-sas");
		ctl_sa_write_child(c, w, u->ike, u->child, u->now);
		vici_section_end(w);
	}
	vici_section_end(w);
}

/* The IKE SA of IKE SA `id`'s engine that now holds the CHILD SA with
 * inbound SPI `spi` (an IKE rekey moves them, within one engine), 0 if
 * none. A walk over that engine's SAs: only for a CHILD SA that left `id`
 * while the engine still knows its SPI (ctl_children_diff). */
static uint32_t ctl_child_holder(struct ctl *c, uint32_t id, uint32_t spi)
{
	struct engine *e = ctl_engine(c, id);
	size_t n = engine_ike_count(e);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids)), found = 0;
	struct engine_child_info info;

	if (!ids)
		return 0;
	n = engine_ike_list(e, ids, n);
	for (size_t i = 0; i < n && !found; i++)
		for (uint32_t k = 0;
		     !found && engine_child_info(e, ids[i], k, &info) == 0; k++)
			if (info.spi_in == spi)
				found = ids[i];
	free(ids);
	return found;
}

/* The inbound SPIs of IKE SA `id`'s CHILD SAs in the engine: their number;
 * `*out` is `buf` (`cap` of them) or malloc'd (NULL: out of memory). */
static size_t ctl_engine_spis(struct ctl *c, uint32_t id, uint32_t *buf,
			      size_t cap, uint32_t **out)
{
	struct engine_ike_info ike;
	struct engine_child_info info;
	size_t n = 0;

	*out = buf;
	if (engine_ike_info(ctl_engine(c, id), id, &ike) < 0)
		return 0;
	if (ike.n_children > cap &&
	    !(*out = calloc(ike.n_children, sizeof(**out))))
		return 0;
	for (uint32_t k = 0;
	     n < ike.n_children &&
	     engine_child_info(ctl_engine(c, id), id, k, &info) == 0;
	     k++)
		(*out)[n++] = info.spi_in;
	return n;
}

/* Children of IKE SA `id` the engine no longer has: child-updown down,
 * then forgotten (unless another IKE SA took them over). New ones:
 * child-updown up. Only the records of `id` are visited. */
static void ctl_children_diff(struct ctl *c, uint32_t id, uint64_t now)
{
	struct ctl_ike *ike = ctl_ike_get(c, id, false);
	uint32_t buf[32], *spis, next_spi;
	size_t n;
	struct ctl_child *ch;

	if (!ike)
		return;
	n = ctl_engine_spis(c, id, buf, sizeof(buf) / sizeof(buf[0]), &spis);
	if (!spis)
		return; /* out of memory: another event will do */
	for (ch = ctl_child_first(c, id); ch;) {
		bool present = false;

		for (size_t k = 0; k < n && !present; k++)
			present = spis[k] == ch->spi_in;
		if (present && !ch->announced && ch->have_info) {
			struct ctl_updown u = { ike, ch, true, now };

			ch->announced = true;
			ctl_raise(c, CTL_EV_CHILD_UPDOWN, "child-updown",
				  ctl_fill_updown, &u);
		}
		if (present) {
			ch = ctl_child_next(c, ch);
			continue;
		}
		/* the next one by its key: moving or forgetting this one
		 * may move records */
		next_spi = ch->next != CTL_CHILD_NONE
				   ? c->children[ch->next].spi_in
				   : 0;
		bool last = ch->next == CTL_CHILD_NONE;
		/* The engine still knowing the SPI is rare (an IKE rekey
		 * took it over, and this event came before its
		 * IKE_REKEYED): only then look for its new IKE SA. */
		uint32_t spi = ch->spi_in,
			 holder = engine_child_spi_known(ctl_engine(c, id), spi)
					  ? ctl_child_holder(c, id, spi)
					  : 0;
		if (holder) {
			/* the older record stays (ctl_children_move) */
			struct ctl_child *dup =
				ctl_child_get(c, holder, spi, false);

			if (dup) {
				ctl_child_forget(c, dup);
				ch = ctl_child_get(c, id, spi, false);
			}
			if (!ctl_child_move(c, ch, holder))
				ctl_child_forget(c, ch); /* no memory */
		} else {
			if (ch->announced && !ch->rekey_announced) {
				struct ctl_updown u = { ike, ch, false, now };

				ctl_raise(c, CTL_EV_CHILD_UPDOWN,
					  "child-updown", ctl_fill_updown, &u);
			}
			ctl_child_forget(c, ch);
		}
		ch = last ? NULL : ctl_child_get(c, id, next_spi, false);
	}
	if (spis != buf)
		free(spis);
}

/* True if IKE SA `id` has a CHILD SA with inbound SPI `spi` (any: 0)
 * that is not deleted (with `installed`: that is installed). */
static bool ctl_has_child(struct ctl *c, uint32_t id, uint32_t spi,
			  bool installed)
{
	struct engine_child_info info;

	for (uint32_t k = 0;
	     engine_child_info(ctl_engine(c, id), id, k, &info) == 0; k++)
		if ((!spi || info.spi_in == spi) &&
		    (installed ? info.state == ENGINE_CHILD_INSTALLED
			       : info.state != ENGINE_CHILD_DELETED))
			return true;
	return false;
}

static void ctl_wait_check(struct ctl *c, struct ctl_client *cl,
			   const struct engine_action *a)
{
	struct ctl_wait *w = &cl->wait;
	const struct engine_event *ev = &a->u.event;
	char msg[200];

	if (!w->kind || !ctl_wait_has(w, a->ike_id))
		return;
	if (w->kind == CTL_WAIT_INITIATE) {
		bool ike_up = ev->type == ENGINE_EV_IKE_UP;
		bool child_up = ev->type == ENGINE_EV_CHILD_UP &&
				ctl_has_child(c, a->ike_id, 0, true);
		bool failed = ev->type == ENGINE_EV_IKE_FAILED ||
			      ev->type == ENGINE_EV_IKE_DOWN ||
			      ev->type == ENGINE_EV_CHILD_FAILED ||
			      (ev->type == ENGINE_EV_CHILD_UP && !child_up);

		if ((w->child ? child_up : ike_up)) {
			ctl_wait_clear(w);
			ctl_reply_result(c, cl, NULL, -1, -1);
		} else if (failed) {
			snprintf(msg, sizeof(msg), "establishing %s failed%s",
				 w->what,
				 ev->type == ENGINE_EV_CHILD_UP
					 ? ": the kernel refused its SAs"
					 : "");
			ctl_wait_clear(w);
			ctl_reply_result(c, cl, msg, -1, -1);
		}
		return;
	}
	/* terminate: done when none of the SAs (or the one child) is left */
	for (size_t i = 0; i < w->n_ids; i++) {
		struct engine_ike_info info;

		if (w->spi_in ? ctl_has_child(c, w->ids[i], w->spi_in, false)
			      : engine_ike_info(ctl_engine(c, w->ids[i]),
						w->ids[i], &info) == 0 &&
					info.state != ENGINE_IKE_NONE)
			return;
	}
	unsigned m = w->matches;
	ctl_wait_clear(w);
	ctl_reply_result(c, cl, NULL, (int)m, (int)m);
}

struct ctl_rekey {
	const struct ctl_ike *old_ike, *new_ike; /* ike-rekey */
	const struct ctl_child *old, *new;	 /* child-rekey */
	uint64_t now;
};

static void ctl_fill_ike_rekey(struct ctl *c, struct wr *w, const void *arg)
{
	const struct ctl_rekey *k = arg;

	vici_section(w, k->new_ike->info.conn);
	vici_section(w, "old");
	ctl_sa_write_ike(c, w, k->old_ike, k->now);
	vici_section_end(w);
	vici_section(w, "new");
	ctl_sa_write_ike(c, w, k->new_ike, k->now);
	vici_section_end(w);
	vici_section_end(w);
}

static void ctl_fill_child_rekey(struct ctl *c, struct wr *w, const void *arg)
{
	const struct ctl_rekey *k = arg;

	vici_section(w, k->new_ike->info.conn);
	ctl_sa_write_ike(c, w, k->new_ike, k->now);
	vici_section(w, "child-sas");
	vici_section(w, k->new->name);
	vici_section(w, "old");
	ctl_sa_write_child_body(c, w, k->new_ike, k->old, k->now);
	vici_section_end(w);
	vici_section(w, "new");
	ctl_sa_write_child_body(c, w, k->new_ike, k->new, k->now);
	vici_section_end(w);
	vici_section_end(w);
	vici_section_end(w);
	vici_section_end(w);
}

/* ENGINE_EV_IKE_REKEYED comes from the new IKE SA, the old one's id in
 * `reason`: the CHILD SAs moved over (ctl_cmd_on_event moved their
 * records), the old SA's end is no "down". */
static void ctl_on_ike_rekeyed(struct ctl *c, const struct engine_action *a,
			       uint64_t now)
{
	uint32_t old_id = (uint32_t)a->u.event.reason;
	struct ctl_ike *old = ctl_ike_get(c, old_id, false);
	struct ctl_ike *new = ctl_ike_get(c, a->ike_id, false);

	if (!old || !new)
		return;
	old->rekeyed = true;
	new->announced = old->announced;
	struct ctl_rekey k = { old, new, NULL, NULL, now };
	ctl_raise(c, CTL_EV_IKE_REKEY, "ike-rekey", ctl_fill_ike_rekey, &k);
}

/* ENGINE_EV_CHILD_REKEYED: the old CHILD SA is the one now REKEYED, the
 * new one the newest installed CHILD SA of the same configuration. */
static void ctl_on_child_rekeyed(struct ctl *c, uint32_t ike_id, uint64_t now)
{
	struct ctl_ike *ike = ctl_ike_get(c, ike_id, false);

	/* the IKE SA's own records only, twice over: a handful */
	for (struct ctl_child *old = ike ? ctl_child_first(c, ike_id) : NULL;
	     old; old = ctl_child_next(c, old)) {
		struct ctl_child *new = NULL;

		if (!old->have_info ||
		    old->info.state != ENGINE_CHILD_REKEYED ||
		    old->rekey_announced)
			continue;
		for (struct ctl_child *n = ctl_child_first(c, ike_id); n;
		     n = ctl_child_next(c, n)) {
			if (n != old && n->have_info &&
			    n->info.state == ENGINE_CHILD_INSTALLED &&
			    strcmp(n->name, old->name) == 0 &&
			    (!new || n->uid > new->uid))
				new = n;
		}
		if (!new)
			continue;
		old->rekey_announced = true;
		new->announced = old->announced;
		struct ctl_rekey k = { NULL, ike, old, new, now };
		ctl_raise(c, CTL_EV_CHILD_REKEY, "child-rekey",
			  ctl_fill_child_rekey, &k);
	}
}

void ctl_cmd_on_event(struct ctl *c, const struct engine_action *a)
{
	const struct engine_event *ev = &a->u.event;
	uint64_t now = ctl_now();
	struct ctl_ike *ike;

	/* the CHILD SA records follow an IKE rekey before the new IKE SA's
	 * are brought in line (which would make records anew) */
	if (ev->type == ENGINE_EV_IKE_REKEYED)
		ctl_children_move(c, (uint32_t)ev->reason, a->ike_id);
	ctl_sa_sync(c, a->ike_id, now);
	if (ev->type == ENGINE_EV_IKE_REKEYED)
		ctl_on_ike_rekeyed(c, a, now);
	if (ev->type == ENGINE_EV_CHILD_REKEYED)
		ctl_on_child_rekeyed(c, a->ike_id, now);
	ike = ctl_ike_get(c, a->ike_id, false);
	if (ike && ev->type == ENGINE_EV_IKE_UP && !ike->announced) {
		struct ctl_updown u = { ike, NULL, true, now };

		ike->announced = true;
		ctl_raise(c, CTL_EV_IKE_UPDOWN, "ike-updown", ctl_fill_updown,
			  &u);
	}
	ctl_children_diff(c, a->ike_id, now);
	if (ike && (ev->type == ENGINE_EV_IKE_DOWN ||
		    ev->type == ENGINE_EV_IKE_FAILED)) {
		if (ike->announced && !ike->rekeyed) {
			struct ctl_updown u = { ike, NULL, false, now };

			ike->info.state = ENGINE_IKE_DELETING;
			ctl_raise(c, CTL_EV_IKE_UPDOWN, "ike-updown",
				  ctl_fill_updown, &u);
		}
		ctl_ike_forget(c, a->ike_id);
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i] && !c->clients[i]->dead)
			ctl_wait_check(c, c->clients[i], a);
}

void ctl_cmd_on_timer(struct ctl *c, uint64_t now)
{
	char msg[200];

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *cl = c->clients[i];

		if (!cl || !cl->wait.kind || !cl->wait.deadline ||
		    cl->wait.deadline > now)
			continue;
		snprintf(msg, sizeof(msg), "%s %s after %ldms", cl->wait.what,
			 cl->wait.kind == CTL_WAIT_INITIATE
				 ? "not established"
				 : "not confirmed deleted",
			 cl->wait.timeout_ms);
		ctl_wait_clear(&cl->wait);
		ctl_reply_result(c, cl, msg, -1, -1);
	}
}
