/* SA usage and rekeys driven by it; see usage.h. */
#include "io/usage.h"

#include "engine/engine_err.h"
#include "io/daemon_int.h"
#include "io/log.h"
#include "io/loop.h"
#include "io/probes.h"
#include "io/worker.h"
#include "kernel/bpf.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct usage {
	struct daemon *d;
	enum kb_bpf_mode mode;
	struct bpf_usage *bpf;
	int timer_fd;
	struct usage_sa *sa;
	size_t n, cap;
	uint64_t events_lost; /* kb_stats, as last reported */
	bool full_logged;     /* "too many SAs to count" said once */
};

int usage_mode_parse(const char *s)
{
	static const char *const names[] = { "auto", "fentry", "tc", "off" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

enum kb_bpf_mode usage_mode(const struct usage *u)
{
	return u->mode;
}

/* ---- prediction (pure) --------------------------------------------------- */

const char *usage_rate_str(uint64_t Bps, char *out, size_t cap)
{
	if (Bps >= 1000000)
		snprintf(out, cap, "%.1f MB/s", (double)Bps / 1e6);
	else if (Bps >= 1000)
		snprintf(out, cap, "%.1f kB/s", (double)Bps / 1e3);
	else
		snprintf(out, cap, "%" PRIu64 " B/s", Bps);
	return out;
}

/* One limit: due when the sample shows USAGE_THRESHOLD_PCT of it used (the
 * BPF threshold event makes the daemon sample at once), or when the rate
 * reaches it within `lead_ms`. The lead is at most half the time the whole
 * limit lasts at this rate: with a limit smaller than `lead_ms` of traffic
 * every successor would otherwise be rekeyed as soon as its first sample
 * is taken, a rekey a second for as long as the flow runs. */
static bool usage_limit_due(uint64_t used, uint64_t limit, uint64_t rate,
			    uint64_t lead_ms, uint64_t *eta_ms)
{
	typedef unsigned __int128 u128;

	if (!limit)
		return false;
	*eta_ms = used >= limit ? 0
		  : rate	? (uint64_t)((u128)(limit - used) * 1000 / rate)
				: UINT64_MAX;
	if ((u128)used * 100 >= (u128)limit * USAGE_THRESHOLD_PCT)
		return true;
	if (rate) {
		u128 half_life_ms = (u128)limit * 1000 / rate / 2;

		if (half_life_ms < lead_ms)
			lead_ms = (uint64_t)half_life_ms;
	}
	return *eta_ms <= lead_ms;
}

static unsigned usage_pct(uint64_t used, uint64_t limit)
{
	return (unsigned)((unsigned __int128)used * 100 / limit);
}

static void usage_eta_str(uint64_t eta_ms, char *out, size_t cap)
{
	if (eta_ms == UINT64_MAX)
		snprintf(out, cap, "no traffic now");
	else
		snprintf(out, cap, "limit in %.1f s", (double)eta_ms / 1000);
}

bool usage_rekey_due(const struct usage_sa *s, uint64_t lead_ms, char *why,
		     size_t cap)
{
	uint64_t eta = UINT64_MAX;
	char rate[32], when[40];

	if (usage_limit_due(s->bytes, s->soft_bytes, s->rate_Bps, lead_ms,
			    &eta)) {
		usage_eta_str(eta, when, sizeof(when));
		snprintf(why, cap, "%u %% of rekey_bytes at %s, %s",
			 usage_pct(s->bytes, s->soft_bytes),
			 usage_rate_str(s->rate_Bps, rate, sizeof(rate)), when);
		return true;
	}
	if (usage_limit_due(s->packets, s->soft_packets, s->rate_pps, lead_ms,
			    &eta)) {
		usage_eta_str(eta, when, sizeof(when));
		snprintf(why, cap,
			 "%u %% of rekey_packets at %" PRIu64 " packets/s, %s",
			 usage_pct(s->packets, s->soft_packets), s->rate_pps,
			 when);
		return true;
	}
	return false;
}

/* ---- the SA table -------------------------------------------------------- */

static struct usage_sa *usage_by_key(struct usage *u, const struct kb_sa_key *k)
{
	for (size_t i = 0; i < u->n; i++)
		if (memcmp(&u->sa[i].key, k, sizeof(*k)) == 0)
			return &u->sa[i];
	return NULL;
}

const struct usage_sa *usage_find(const struct usage *u, uint32_t spi)
{
	for (size_t i = 0; u && i < u->n; i++)
		if (u->sa[i].spi == spi)
			return &u->sa[i];
	return NULL;
}

static void usage_key_of(const struct kernel_sa_id *id, struct kb_sa_key *k)
{
	bpf_usage_key(k, id->spi, id->proto, id->dst.family, id->dst.a.raw);
}

/* Share of a limit at which the BPF program posts its event (0 = none). */
static uint64_t usage_threshold(uint64_t limit)
{
	return limit ? limit / 100 * USAGE_THRESHOLD_PCT +
			       limit % 100 * USAGE_THRESHOLD_PCT / 100
		     : 0;
}

void usage_sa_added(struct usage *u, uint32_t ike_id,
		    const struct kernel_sa *sa, bool inbound)
{
	struct usage_sa *s;
	int r;

	if (!u)
		return;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct usage_sa *p = realloc(u->sa, cap * sizeof(*p));

		if (!p) {
			log_msg(LOG_LVL_ERR, NULL,
				"out of memory: SA %08x is not watched for "
				"early rekeys; its kernel lifetimes still "
				"apply",
				sa->id.spi);
			return;
		}
		u->sa = p;
		u->cap = cap;
	}
	s = &u->sa[u->n++];
	memset(s, 0, sizeof(*s));
	usage_key_of(&sa->id, &s->key);
	s->id = sa->id;
	s->ike_id = ike_id;
	s->spi = sa->id.spi;
	s->inbound = inbound;
	s->soft_bytes = sa->soft.bytes;
	s->soft_packets = sa->soft.packets;
	s->sample_ms = s->added_ms = loop_now_ms();
	if (!u->bpf)
		return;
	struct kb_sa_limit lim = {
		.bytes = usage_threshold(s->soft_bytes),
		.packets = usage_threshold(s->soft_packets),
	};
	r = bpf_usage_sa_add(u->bpf, &s->key,
			     lim.bytes || lim.packets ? &lim : NULL);
	if (r < 0 && !u->full_logged) {
		u->full_logged = true;
		log_msg(LOG_LVL_WARNING, NULL,
			"cannot count SA %08x in BPF (%s); it and others "
			"like it are sampled through XFRM GETSA instead",
			s->spi, strerror(-r));
	}
}

void usage_sa_deleted(struct usage *u, const struct kernel_sa_id *id)
{
	struct kb_sa_key k;
	struct usage_sa *s;

	if (!u)
		return;
	usage_key_of(id, &k);
	s = usage_by_key(u, &k);
	if (!s)
		return;
	if (u->bpf)
		(void)bpf_usage_sa_del(u->bpf, &k);
	*s = u->sa[--u->n];
}

static bool usage_addr_eq(const struct kernel_addr *a,
			  const struct kernel_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->a.raw, b->a.raw, sizeof(a->a.raw)) == 0;
}

void usage_sa_moved(struct usage *u, const struct kernel_addr *old_src,
		    const struct kernel_addr *old_dst,
		    const struct kernel_addr *new_src,
		    const struct kernel_addr *new_dst)
{
	for (size_t i = 0; u && i < u->n; i++) {
		struct usage_sa *s = &u->sa[i];

		if (!usage_addr_eq(&s->id.src, old_src) ||
		    !usage_addr_eq(&s->id.dst, old_dst))
			continue;
		if (u->bpf)
			(void)bpf_usage_sa_del(u->bpf, &s->key);
		s->id.src = *new_src;
		s->id.dst = *new_dst;
		usage_key_of(&s->id, &s->key);
		if (!u->bpf)
			continue; /* GETSA: the moved SA kept its counters */
		s->bytes = s->packets = 0; /* the new record starts at 0 */
		struct kb_sa_limit lim = {
			.bytes = usage_threshold(s->soft_bytes),
			.packets = usage_threshold(s->soft_packets),
		};
		(void)bpf_usage_sa_add(u->bpf, &s->key,
				       lim.bytes || lim.packets ? &lim : NULL);
	}
}

/* ---- sampling ------------------------------------------------------------ */

static uint64_t usage_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* From the BPF map; false if the SA is not counted there. */
static bool usage_sample_bpf(struct usage *u, struct usage_sa *s)
{
	struct kb_sa_usage m;
	uint64_t now_ns = usage_mono_ns();

	if (!u->bpf || bpf_usage_get(u->bpf, &s->key, &m) < 0)
		return false;
	s->bytes = m.bytes;
	s->packets = m.packets;
	/* A rate whose window ended long ago is no rate at all. */
	bool fresh = m.last_ns && now_ns - m.last_ns < 2 * KB_RATE_WINDOW_NS;
	s->rate_Bps = fresh ? m.rate_Bps : 0;
	s->rate_pps = fresh ? m.rate_pps : 0;
	if (m.last_ns)
		s->last_used_ms = m.last_ns / 1000000;
	return true;
}

/* From the kernel's counters (XFRM GETSA), the rate from two samples. */
static void usage_sample_kernel(struct usage *u, struct usage_sa *s,
				uint64_t now)
{
	struct daemon *d = u->d;
	struct kernel_sa_stats st = { 0 };
	struct kernel_err err = { 0 };
	uint64_t span = now - s->sample_ms;

	if (d->kops->sa_get(d->kernel, &s->id, &st, &err) < 0)
		return; /* gone: the SA_DEL or EXPIRE follows */
	if (span && st.bytes >= s->bytes && st.packets >= s->packets) {
		s->rate_Bps = (st.bytes - s->bytes) * 1000 / span;
		s->rate_pps = (st.packets - s->packets) * 1000 / span;
	}
	if (st.packets != s->packets)
		s->last_used_ms = now;
	s->bytes = st.bytes;
	s->packets = st.packets;
}

static void usage_sample(struct usage *u, struct usage_sa *s, uint64_t now)
{
	uint64_t before = s->last_used_ms;

	if (!usage_sample_bpf(u, s))
		usage_sample_kernel(u, s, now);
	s->sample_ms = now;
	/* traffic from the peer is proof of life: no DPD while it flows */
	if (s->inbound && s->last_used_ms > before)
		(void)engine_esp_seen(workers_engine_of_spi(u->d, s->spi), now,
				      s->spi);
}

/* ---- acting on it -------------------------------------------------------- */

/* The CHILD SA of `s` as the engine knows it (both SPIs). */
static int usage_child(struct daemon *d, const struct usage_sa *s,
		       struct engine_child_info *c)
{
	for (uint32_t i = 0; engine_child_info(workers_engine_of(d, s->ike_id),
					       s->ike_id, i, c) == 0;
	     i++)
		if (c->spi_in == s->spi || c->spi_out == s->spi)
			return 0;
	return -ENOENT;
}

/* One request per CHILD SA: its other direction is not asked again. */
static void usage_mark_asked(struct usage *u, const struct usage_sa *s,
			     const struct engine_child_info *c)
{
	for (size_t i = 0; i < u->n; i++)
		if (u->sa[i].ike_id == s->ike_id &&
		    (u->sa[i].spi == c->spi_in || u->sa[i].spi == c->spi_out))
			u->sa[i].rekey_asked = true;
}

static void usage_check(struct usage *u, struct usage_sa *s, uint64_t now)
{
	struct daemon *d = u->d;
	struct engine_child_info c = { 0 };
	struct engine_ike_info info;
	char why[160], name[64];
	int r;

	if (s->rekey_asked || d->stopping ||
	    !usage_rekey_due(s, USAGE_REKEY_LEAD_MS, why, sizeof(why)))
		return;
	s->rekey_asked = true;
	r = usage_child(d, s, &c);
	if (r == 0)
		usage_mark_asked(u, s, &c);
	if (engine_ike_info(workers_engine_of(d, s->ike_id), s->ike_id,
			    &info) == 0)
		snprintf(name, sizeof(name), "%s[%u]", info.conn, s->ike_id);
	else
		snprintf(name, sizeof(name), "[%u]", s->ike_id);
	log_msg(LOG_LVL_NOTICE, name, "rekey: %s (CHILD SA %08x %s)", why,
		s->spi, s->inbound ? "in" : "out");
	KB_PROBE4(rekey_start, name, s->ike_id, s->spi, why);
	if (r == 0)
		r = engine_rekey_child(workers_engine_of(d, s->ike_id), now,
				       s->ike_id, c.spi_in);
	if (r == -EBUSY)
		log_msg(LOG_LVL_INFO, name,
			"CHILD SA %08x is being rekeyed or deleted already",
			s->spi);
	else if (r < 0)
		log_msg(LOG_LVL_WARNING, name,
			"rekey of CHILD SA %08x not started: %s; the "
			"kernel's soft expiry remains the trigger",
			s->spi,
			r == -ENOTSUP	     ? "rekeying is not implemented "
					       "(engine_rekey_child: ENOTSUP)"
			: r > -ENG_ERR_NOMEM ? strerror(-r)
					     : engine_err_name(r));
	daemon_run_actions(d, now);
}

/* The child configuration's `inactivity` in ms for CHILD SA `c` of IKE SA
 * `ike`, 0 if none. */
static uint64_t usage_inactivity_ms(const struct daemon *d,
				    const struct engine_ike_info *ike,
				    const struct engine_child_info *c)
{
	for (size_t i = 0; i < d->conns.n; i++) {
		const struct engine_conn *conn = &d->conns.conn[i];

		if (strcmp(conn->name, ike->conn) != 0)
			continue;
		for (unsigned k = 0; k < conn->n_children; k++)
			if (strcmp(conn->children[k].name, c->name) == 0)
				return d->conns.extra[i].inactivity_s[k] * 1000;
	}
	return 0;
}

/* Closes the CHILD SA of inbound SA `s` when neither direction carried a
 * packet for its `inactivity` (strongSwan's semantics: no traffic either
 * way). */
static void usage_idle(struct usage *u, struct usage_sa *s, uint64_t now)
{
	struct daemon *d = u->d;
	struct engine_child_info c;
	struct engine_ike_info ike;
	uint64_t limit, last = s->last_used_ms;
	char name[64];

	if (!s->inbound || s->closing || d->stopping ||
	    engine_ike_info(workers_engine_of(d, s->ike_id), s->ike_id, &ike) <
		    0 ||
	    usage_child(d, s, &c) < 0)
		return;
	limit = usage_inactivity_ms(d, &ike, &c);
	if (!limit)
		return;
	for (size_t i = 0; i < u->n; i++) {
		const struct usage_sa *o = &u->sa[i];

		if (o->ike_id == s->ike_id &&
		    (o->spi == c.spi_in || o->spi == c.spi_out)) {
			last = o->last_used_ms > last ? o->last_used_ms : last;
			last = o->added_ms > last ? o->added_ms : last;
		}
	}
	/* a packet the BPF program saw after this loop iteration's clock
	 * reading is later than `now`: in use, not idle for 2^64 ms */
	if (last >= now || now - last < limit)
		return;
	s->closing = true;
	snprintf(name, sizeof(name), "%s[%u]", ike.conn, s->ike_id);
	log_msg(LOG_LVL_NOTICE, name,
		"CHILD SA %08x/%08x carried no traffic for %" PRIu64
		" s (inactivity = %" PRIu64 " s): closing it",
		c.spi_in, c.spi_out, (now - last) / 1000, limit / 1000);
	if (engine_terminate_child(workers_engine_of(d, s->ike_id), now,
				   s->ike_id, c.spi_in) < 0) {
		log_msg(LOG_LVL_WARNING, name,
			"CHILD SA %08x could not be closed now; trying again "
			"in %u ms",
			c.spi_in, USAGE_POLL_MS);
		s->closing = false;
		return;
	}
	daemon_run_actions(d, now); /* may remove `s` from the table */
}

static void usage_on_event(void *arg, const struct kb_event *ev)
{
	struct usage *u = arg;
	struct usage_sa *s = usage_by_key(u, &ev->key);
	uint64_t now = loop_now_ms();

	if (!s || ev->type != KB_EV_THRESHOLD)
		return;
	usage_sample(u, s, now);
	usage_check(u, s, now);
}

static void usage_on_events_fd(void *ctx, int fd, uint32_t events)
{
	struct usage *u = ctx;
	int r;

	(void)fd;
	(void)events;
	r = bpf_usage_events_read(u->bpf, usage_on_event, u);
	if (r < 0)
		log_msg(LOG_LVL_WARNING, NULL, "reading BPF events: %s",
			strerror(-r));
}

static void usage_on_tick(void *ctx, int fd, uint32_t events)
{
	struct usage *u = ctx;
	uint64_t expirations, now = loop_now_ms(), lost;

	(void)events;
	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
	for (size_t i = 0; i < u->n; i++) {
		usage_sample(u, &u->sa[i], now);
		usage_check(u, &u->sa[i], now);
	}
	/* apart: closing a child deletes SAs from this table */
	for (size_t i = 0; i < u->n; i++)
		usage_idle(u, &u->sa[i], now);
	/* Said once: a flood of these would say nothing new. */
	lost = u->bpf ? bpf_usage_stat(u->bpf, KB_STAT_EVENTS_LOST) : 0;
	if (lost && !u->events_lost)
		log_msg(LOG_LVL_WARNING, NULL,
			"BPF ring buffer %s/kb_events was full: threshold "
			"events were not posted; the once-a-second sampling "
			"still rekeys those SAs in time, nothing to do "
			"unless this repeats with many SAs",
			BPF_USAGE_PIN_DIR);
	u->events_lost = lost;
}

/* ---- start-up ------------------------------------------------------------ */

/* The interfaces of this namespace ESP may cross: all but loopback. */
static unsigned usage_uplinks(int *idx, unsigned max, char *names, size_t cap)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	unsigned n = 0;
	size_t off = 0;

	names[0] = '\0';
	for (i = ifs; i && i->if_index; i++) {
		if (strcmp(i->if_name, "lo") == 0)
			continue;
		if (n == max) {
			log_msg(LOG_LVL_WARNING, NULL,
				"SA usage: more than %u interfaces; %s and "
				"later ones are not watched by tc",
				max, i->if_name);
			break;
		}
		idx[n++] = (int)i->if_index;
		if (off < cap)
			off += (size_t)snprintf(names + off, cap - off, "%s%s",
						off ? " " : "", i->if_name);
	}
	if_freenameindex(ifs);
	return n;
}

/* Loads one mode; a pinning failure costs the pins, not the mode. */
static int usage_try(struct usage *u, struct bpf_usage_opts *o, char *why,
		     size_t cap)
{
	int r = bpf_usage_open(o, &u->bpf, why, cap);

	if (r < 0 && strncmp(why, "pin: ", 5) == 0) {
		log_msg(LOG_LVL_WARNING, NULL,
			"SA usage: cannot pin in %s (%s); the programs run "
			"unpinned, invisible to bpftool by path",
			o->pin_dir, why + 5);
		o->pin_dir = NULL;
		r = bpf_usage_open(o, &u->bpf, why, cap);
	}
	if (r == 0)
		u->mode = o->mode;
	return r;
}

static void usage_load(struct usage *u, enum usage_mode_req req)
{
	const struct daemon_opts *dopts = u->d->opts;
	struct bpf_usage_opts o = { .natt_port = dopts->natt_port,
				    .pin_dir = BPF_USAGE_PIN_DIR,
				    .attach = true };
	char fwhy[320] = "not tried", twhy[320] = "not tried", ifs[160];
	struct stat st;

	if (stat("/proc/self/ns/net", &st) == 0)
		o.netns_ino = (uint32_t)st.st_ino;
	if (req == USAGE_AUTO || req == USAGE_FENTRY) {
		o.mode = KB_BPF_FENTRY;
		if (usage_try(u, &o, fwhy, sizeof(fwhy)) == 0) {
			log_msg(LOG_LVL_NOTICE, NULL,
				"SA usage: BPF fentry on "
				"xfrm_state_check_expire (mode 1)%s%s",
				o.pin_dir ? ", pinned in " : "",
				o.pin_dir ? o.pin_dir : "");
			return;
		}
	}
	if (req == USAGE_AUTO || req == USAGE_TC) {
		o.mode = KB_BPF_TC;
		o.n_ifindex = usage_uplinks(o.ifindex, BPF_USAGE_IF_MAX, ifs,
					    sizeof(ifs));
		if (usage_try(u, &o, twhy, sizeof(twhy)) == 0) {
			log_msg(LOG_LVL_NOTICE, NULL,
				"SA usage: BPF tc classifiers on %s (mode 2, "
				"%s%s)%s%s",
				ifs,
				req == USAGE_TC ? "as --bpf tc asks"
						: "fentry refused: ",
				req == USAGE_TC ? "" : fwhy,
				o.pin_dir ? ", pinned in " : "",
				o.pin_dir ? o.pin_dir : "");
			return;
		}
	}
	if (req == USAGE_POLL_ONLY)
		log_msg(LOG_LVL_NOTICE, NULL,
			"SA usage: BPF off (--bpf off); polling the kernel's "
			"SA counters (XFRM GETSA) every %u ms",
			USAGE_POLL_MS);
	else
		log_msg(LOG_LVL_WARNING, NULL,
			"SA usage: no BPF (fentry: %s; tc: %s); polling the "
			"kernel's SA counters (XFRM GETSA) every %u ms "
			"instead. BPF needs root with CAP_BPF, CAP_PERFMON "
			"and CAP_NET_ADMIN, and a kernel with BTF",
			fwhy, twhy, USAGE_POLL_MS);
}

int usage_open(struct daemon *d, enum usage_mode_req req, struct usage **out)
{
	struct usage *u = calloc(1, sizeof(*u));
	struct itimerspec its = {
		.it_interval = { USAGE_POLL_MS / 1000,
				 USAGE_POLL_MS % 1000 * 1000000L },
		.it_value = { USAGE_POLL_MS / 1000,
			      USAGE_POLL_MS % 1000 * 1000000L },
	};
	int r = -ENOMEM;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	u->d = d;
	u->timer_fd = -1;
	usage_load(u, req);
	if (u->bpf && bpf_usage_replaced(u->bpf))
		log_msg(LOG_LVL_NOTICE, NULL,
			"SA usage: replaced %u pinned objects in %s left by "
			"an earlier run (or another program of those names)",
			bpf_usage_replaced(u->bpf), BPF_USAGE_PIN_DIR);
	if (u->bpf && (r = loop_add_fd(d->loop, bpf_usage_events_fd(u->bpf),
				       EPOLLIN, usage_on_events_fd, u)) < 0)
		goto fail;
	u->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (u->timer_fd < 0 ||
	    timerfd_settime(u->timer_fd, 0, &its, NULL) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = loop_add_fd(d->loop, u->timer_fd, EPOLLIN, usage_on_tick, u)) <
	    0)
		goto fail;
	*out = u;
	return 0;
fail:
	usage_close(u);
	return r;
}

void usage_close(struct usage *u)
{
	if (!u)
		return;
	if (u->timer_fd >= 0) {
		(void)loop_del_fd(u->d->loop, u->timer_fd);
		close(u->timer_fd);
	}
	if (u->bpf)
		(void)loop_del_fd(u->d->loop, bpf_usage_events_fd(u->bpf));
	bpf_usage_close(u->bpf);
	free(u->sa);
	free(u);
}
