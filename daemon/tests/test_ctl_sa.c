/* The control module's CHILD SA records (daemon/control/ctl_sa.c): found by
 * (IKE SA, inbound SPI) and listed per IKE SA without a walk over the
 * others, through removals from the middle (the last record moving into
 * the hole) and IKE SA rekeys that hand the records to the new IKE SA.
 * Test builds check the indexes against the array after every change
 * (KB_ENGINE_SELFCHECK, up to 512 records); these tests also compare
 * with a model of their own. */
#include "control/ctl_int.h"
#include "control/vici_conn.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N_IKE = 100, PER_IKE = 5, SPI_MAX = 4 * N_IKE * PER_IKE };

/* What the records should be: per IKE SA its SPIs in the order they came,
 * and per SPI the mark its record carries (uid). */
struct model {
	uint32_t spis[N_IKE + 1][SPI_MAX];
	size_t n[N_IKE + 1];
};

static uint32_t ike_of(size_t k)
{
	return 1000 + (uint32_t)k * 7; /* not positions, not sequential */
}

static void model_add(struct model *m, size_t k, uint32_t spi)
{
	m->spis[k][m->n[k]++] = spi;
}

static void model_del(struct model *m, size_t k, uint32_t spi)
{
	for (size_t i = 0; i < m->n[k]; i++)
		if (m->spis[k][i] == spi) {
			memmove(&m->spis[k][i], &m->spis[k][i + 1],
				(m->n[k] - i - 1) * sizeof(uint32_t));
			m->n[k]--;
			return;
		}
}

/* Every IKE SA lists exactly its model's records, in order, each found by
 * its key with its own mark; the counts add up. */
static bool model_matches(struct ctl *c, const struct model *m, size_t n_ike)
{
	size_t total = 0;

	for (size_t k = 0; k < n_ike; k++) {
		const struct ctl_child *ch = ctl_child_first(c, ike_of(k));
		size_t i = 0;

		for (; ch; ch = ctl_child_next(c, ch), i++)
			if (i >= m->n[k] || ch->spi_in != m->spis[k][i] ||
			    ch->ike_id != ike_of(k) || ch->uid != ch->spi_in)
				return false;
		if (i != m->n[k])
			return false;
		for (i = 0; i < m->n[k]; i++) {
			ch = ctl_child_get(c, ike_of(k), m->spis[k][i], false);
			if (!ch || ch->spi_in != m->spis[k][i])
				return false;
		}
		total += m->n[k];
	}
	return total == c->n_children;
}

static void free_records(struct ctl *c)
{
	free(c->children);
	ctl_idx_free(&c->child_idx);
	ctl_idx_free(&c->child_head);
}

static struct ctl_child *add(struct ctl *c, struct model *m, size_t k,
			     uint32_t spi)
{
	struct ctl_child *ch = ctl_child_get(c, ike_of(k), spi, true);

	if (ch) {
		ch->uid = spi;
		model_add(m, k, spi);
	}
	return ch;
}

TEST(ctl_sa_children_of_many_ike_sas_through_removals)
{
	static struct model m;
	struct ctl c = { 0 };
	uint32_t spi = 0x10000;

	memset(&m, 0, sizeof(m));
	/* round by round, so that one IKE SA's records lie far apart */
	for (size_t r = 0; r < PER_IKE; r++)
		for (size_t k = 0; k < N_IKE; k++)
			REQUIRE(add(&c, &m, k, spi++) != NULL);
	CHECK_EQ(c.n_children, N_IKE * PER_IKE);
	CHECK(model_matches(&c, &m, N_IKE));
	/* an existing key is found, not made again */
	CHECK(ctl_child_get(&c, ike_of(3), m.spis[3][2], true) ==
	      ctl_child_get(&c, ike_of(3), m.spis[3][2], false));
	CHECK_EQ(c.n_children, N_IKE * PER_IKE);
	/* the same SPI under another IKE SA is another record */
	CHECK(ctl_child_get(&c, ike_of(4), m.spis[3][2], false) == NULL);

	/* from the middle of each list, its first and its last */
	for (size_t k = 0; k < N_IKE; k += 3) {
		uint32_t mid = m.spis[k][2], first = m.spis[k][0],
			 last = m.spis[k][m.n[k] - 1];

		ctl_child_forget(&c, ctl_child_get(&c, ike_of(k), mid, false));
		model_del(&m, k, mid);
		if (k % 2) {
			ctl_child_forget(
				&c, ctl_child_get(&c, ike_of(k), first, false));
			model_del(&m, k, first);
		} else {
			ctl_child_forget(
				&c, ctl_child_get(&c, ike_of(k), last, false));
			model_del(&m, k, last);
		}
		CHECK(ctl_child_get(&c, ike_of(k), mid, false) == NULL);
	}
	CHECK(model_matches(&c, &m, N_IKE));
	/* whole IKE SAs go */
	for (size_t k = 1; k < N_IKE; k += 10) {
		ctl_children_forget(&c, ike_of(k));
		m.n[k] = 0;
		CHECK(ctl_child_first(&c, ike_of(k)) == NULL);
	}
	CHECK(model_matches(&c, &m, N_IKE));
	/* and come back: appended, in order */
	for (size_t k = 1; k < N_IKE; k += 10)
		for (size_t r = 0; r < 3; r++)
			REQUIRE(add(&c, &m, k, spi++) != NULL);
	CHECK(model_matches(&c, &m, N_IKE));
	/* everything goes, one record at a time, always the middle one of
	 * the array: no list is left behind */
	while (c.n_children) {
		struct ctl_child *ch = &c.children[c.n_children / 2];
		size_t k = (ch->ike_id - 1000) / 7;

		model_del(&m, k, ch->spi_in);
		ctl_child_forget(&c, ch);
	}
	CHECK(model_matches(&c, &m, N_IKE));
	CHECK_EQ(c.child_idx.n, 0);
	CHECK_EQ(c.child_head.n, 0);
	free_records(&c);
}

/* An IKE SA rekey hands every record to the new IKE SA (last on its
 * list, in their order); where the new IKE SA has a record of the same
 * SPI already, the older record stays (it carries what was announced). */
TEST(ctl_sa_ike_rekey_hands_the_records_over)
{
	static struct model m;
	struct ctl c = { 0 };
	const size_t old = 10, new = N_IKE; /* ike_of(N_IKE): a new one */
	uint32_t spi = 0x20000;

	memset(&m, 0, sizeof(m));
	for (size_t r = 0; r < PER_IKE; r++)
		for (size_t k = 0; k < N_IKE; k++)
			REQUIRE(add(&c, &m, k, spi++) != NULL);
	ctl_child_get(&c, ike_of(old), m.spis[old][1], false)->announced = true;

	/* a new IKE SA with nothing yet: the whole list moves */
	ctl_children_move(&c, ike_of(old), ike_of(new));
	memcpy(m.spis[new], m.spis[old], m.n[old] * sizeof(uint32_t));
	m.n[new] = m.n[old];
	m.n[old] = 0;
	CHECK(ctl_child_first(&c, ike_of(old)) == NULL);
	CHECK(model_matches(&c, &m, N_IKE + 1));
	CHECK(ctl_child_get(&c, ike_of(new), m.spis[new][1], false)->announced);

	/* again, onto an IKE SA that made records of its own for two of
	 * them (and one more): the older records win, the lists join */
	const size_t from = 20, to = 30;
	uint32_t a = m.spis[from][0], b = m.spis[from][3];
	struct ctl_child *ch;

	ch = ctl_child_get(&c, ike_of(to), a, true);
	ch->uid = a;
	ch = ctl_child_get(&c, ike_of(to), b, true);
	ch->uid = b;
	ch->announced = false;
	ctl_child_get(&c, ike_of(from), b, false)->announced = true;
	REQUIRE(add(&c, &m, to, spi++) != NULL);
	ctl_children_move(&c, ike_of(from), ike_of(to));
	/* to: its own records but a and b, then from's */
	{
		uint32_t want[SPI_MAX];
		size_t n = 0;

		for (size_t i = 0; i < m.n[to]; i++)
			want[n++] = m.spis[to][i];
		for (size_t i = 0; i < m.n[from]; i++)
			want[n++] = m.spis[from][i];
		memcpy(m.spis[to], want, n * sizeof(uint32_t));
		m.n[to] = n;
		m.n[from] = 0;
	}
	CHECK(model_matches(&c, &m, N_IKE + 1));
	CHECK(ctl_child_get(&c, ike_of(to), b, false)->announced);

	/* one record on its own (ctl_children_diff's case) */
	ch = ctl_child_get(&c, ike_of(40), m.spis[40][2], false);
	CHECK(ctl_child_move(&c, ch, ike_of(41)));
	model_add(&m, 41, m.spis[40][2]);
	model_del(&m, 40, m.spis[40][2]);
	CHECK(model_matches(&c, &m, N_IKE + 1));
	/* not onto an IKE SA that has that SPI */
	ch = ctl_child_get(&c, ike_of(41), m.spis[41][0], false);
	REQUIRE(ctl_child_get(&c, ike_of(42), m.spis[41][0], true) != NULL);
	CHECK(!ctl_child_move(
		&c, ctl_child_get(&c, ike_of(42), m.spis[41][0], false),
		ike_of(41)));
	ctl_child_forget(&c,
			 ctl_child_get(&c, ike_of(42), m.spis[41][0], false));
	CHECK(model_matches(&c, &m, N_IKE + 1));
	free_records(&c);
}

/* ---- with engines and a vici client -------------------------------------
 *
 * A real pair of engines (engine_harness.h); a's actions go through a
 * control module, as the daemon hands them over, and a vici client on its
 * socket registers for the events and lists the SAs. */

enum { MAX_IKE = 8, MAX_CHILD = 8 };

struct ctl_pair {
	struct harness h;
	struct ctl *ctl;
	struct vici_conn v;
	char dir[64], path[96];
	/* a's inbound SPIs by IKE SA, in the order of their SA_ADD */
	uint32_t ike[MAX_IKE], spi[MAX_IKE][MAX_CHILD];
	size_t n_ike, n_spi[MAX_IKE];
	char events[4096]; /* "up 1234abcd;down …;ike-rekey;" */
};

static const struct conns *cp_conns(void *ctx)
{
	(void)ctx;
	return NULL;
}

static void cp_run_actions(void *ctx, uint64_t now)
{
	(void)ctx;
	(void)now;
}

static size_t cp_ike_slot(struct ctl_pair *p, uint32_t id)
{
	for (size_t i = 0; i < p->n_ike; i++)
		if (p->ike[i] == id)
			return i;
	if (p->n_ike == MAX_IKE)
		test_abort();
	p->ike[p->n_ike] = id;
	p->n_spi[p->n_ike] = 0;
	return p->n_ike++;
}

/* "uniqueid:spi+spi" of a list-sa or child-updown message: the IKE SA's
 * uniqueid and the spi-in of each CHILD SA in it, in order. */
static void cp_summary(const uint8_t *msg, size_t len, char *out, size_t cap)
{
	char ike[16] = "", spis[200] = "";
	struct vici_iter it;
	struct vici_elem e;
	size_t n = 0;

	vici_iter_init(&it, msg, len);
	while (vici_iter_next(&it, &e) == 1) {
		if (e.type != VICI_KEY_VALUE)
			continue;
		if (e.depth == 1 && vici_name_is(&e, "uniqueid"))
			snprintf(ike, sizeof(ike), "%.*s", (int)e.value_len,
				 (const char *)e.value);
		else if (e.depth == 3 && vici_name_is(&e, "spi-in") &&
			 n < sizeof(spis))
			n += (size_t)snprintf(spis + n, sizeof(spis) - n,
					      "%s%.*s", n ? "+" : "",
					      (int)e.value_len,
					      (const char *)e.value);
	}
	snprintf(out, cap, "%s:%s", ike, spis);
}

/* Reads what the control module wrote to the client: events into
 * p->events, until a response (true, in *resp) or nothing more. */
static bool cp_read(struct ctl_pair *p, struct vici_packet *resp, char *lists,
		    size_t lists_cap)
{
	struct vici_packet pk;
	char sum[256];

	for (int tries = 0; tries < 200; tries++) {
		int r;

		ctl_dispatch(p->ctl);
		r = vici_conn_recv(&p->v, &pk, resp ? 5 : 0);
		if (r == -ETIMEDOUT) {
			if (!resp)
				return false;
			continue;
		}
		if (r < 0)
			return false;
		if (pk.type == VICI_CMD_RESPONSE ||
		    pk.type == VICI_EVENT_CONFIRM) {
			if (resp)
				*resp = pk;
			return true;
		}
		if (pk.type != VICI_EVENT)
			continue;
		cp_summary(pk.msg, pk.msg_len, sum, sizeof(sum));
		if (pk.name_len == 7 && !memcmp(pk.name, "list-sa", 7)) {
			size_t n = strlen(lists);

			snprintf(lists + n, lists_cap - n, "%s;", sum);
		} else if (pk.name_len == 12 &&
			   !memcmp(pk.name, "child-updown", 12)) {
			char up[8];
			size_t n = strlen(p->events);
			const char *spis = strchr(sum, ':');

			snprintf(p->events + n, sizeof(p->events) - n, "%s %s;",
				 vici_find_str(pk.msg, pk.msg_len, "up", up,
					       sizeof(up)) == 0
					 ? "up"
					 : "down",
				 spis ? spis + 1 : "?");
		} else if (pk.name_len == 9 &&
			   !memcmp(pk.name, "ike-rekey", 9)) {
			size_t n = strlen(p->events);

			snprintf(p->events + n, sizeof(p->events) - n,
				 "ike-rekey;");
		}
	}
	return false;
}

static void cp_register(struct ctl_pair *p, const char *event)
{
	uint8_t buf[256];
	struct wr w = wr_init(buf, sizeof(buf));
	struct vici_packet resp;

	vici_end(&w, vici_begin(&w, VICI_EVENT_REGISTER, event));
	REQUIRE_EQ(vici_conn_send(&p->v, &w), 0);
	REQUIRE(cp_read(p, &resp, NULL, 0));
	REQUIRE_EQ(resp.type, VICI_EVENT_CONFIRM);
}

/* list-sas: "ike:spi+spi;ike:spi;" in the order the module lists. */
static void cp_list(struct ctl_pair *p, char *out, size_t cap)
{
	uint8_t buf[256];
	struct wr w = wr_init(buf, sizeof(buf));
	struct vici_packet resp;

	out[0] = 0;
	vici_end(&w, vici_begin(&w, VICI_CMD_REQUEST, "list-sas"));
	REQUIRE_EQ(vici_conn_send(&p->v, &w), 0);
	REQUIRE(cp_read(p, &resp, out, cap));
	CHECK_EQ(resp.type, VICI_CMD_RESPONSE);
}

/* a's actions to the control module (and their SPIs to the test), then
 * the datagrams across; until both engines are quiet. */
static void cp_pump(struct ctl_pair *p)
{
	bool busy = true;

	while (busy) {
		busy = false;
		for (int side = 0; side < 2; side++) {
			struct engine *from = side ? p->h.b.e : p->h.a.e;
			struct engine *to = side ? p->h.a.e : p->h.b.e;
			const struct engine_action *act;
			size_t n, nq = 0;
			struct {
				struct engine_addr l, r;
				uint8_t buf[2048];
				size_t len;
			} q[8];

			act = engine_actions(from, &n);
			for (size_t i = 0; i < n; i++) {
				const struct engine_action *x = &act[i];

				if (!side && x->type == ENGINE_ACT_SA_ADD &&
				    x->u.sa.inbound) {
					size_t k = cp_ike_slot(p, x->ike_id);

					if (p->n_spi[k] < MAX_CHILD)
						p->spi[k][p->n_spi[k]++] =
							x->u.sa.spi;
				}
				if (!side)
					ctl_engine_action(p->ctl, x, p->h.now);
				if (x->type != ENGINE_ACT_SEND || nq == 8 ||
				    x->u.send.len > sizeof(q[0].buf))
					continue;
				q[nq].l = x->u.send.remote;
				q[nq].r = x->u.send.local;
				q[nq].len = x->u.send.len;
				memcpy(q[nq].buf, x->u.send.buf, q[nq].len);
				nq++;
			}
			engine_actions_clear(from);
			for (size_t i = 0; i < nq; i++) {
				CHECK_EQ(engine_datagram(to, p->h.now, &q[i].l,
							 &q[i].r, q[i].buf,
							 q[i].len),
					 0);
				busy = true;
			}
		}
	}
	(void)cp_read(p, NULL, NULL, 0); /* the events raised */
}

static void cp_start(struct ctl_pair *p)
{
	static struct engine *engines[1]; /* ctl_new keeps the pointer */
	struct ctl_host host = { .version = "test",
				 .n_engines = 1,
				 .conns = cp_conns,
				 .run_actions = cp_run_actions };

	memset(p, 0, sizeof(*p));
	harness_pair_default(&p->h);
	harness_start(&p->h, NULL);
	engines[0] = p->h.a.e;
	host.engines = engines;
	snprintf(p->dir, sizeof(p->dir), "/tmp/kb-ctl-sa-XXXXXX");
	REQUIRE(mkdtemp(p->dir) != NULL);
	snprintf(p->path, sizeof(p->path), "%s/ctl.vici", p->dir);
	REQUIRE_EQ(ctl_new(&p->ctl, p->path, &host), 0);
	REQUIRE_EQ(vici_conn_open(&p->v, p->path), 0);
	cp_register(p, "child-updown");
	cp_register(p, "ike-rekey");
	cp_register(p, "list-sa");
}

static void cp_stop(struct ctl_pair *p)
{
	vici_conn_close(&p->v);
	ctl_free(p->ctl);
	rmdir(p->dir);
	harness_free(&p->h);
}

/* "ike:spi+spi" of IKE SA slot `k` as the test saw its SA_ADDs, with the
 * SPIs `skip` (0: none) left out. */
static const char *cp_want(const struct ctl_pair *p, size_t k, uint32_t ike,
			   uint32_t skip)
{
	static char buf[4][256];
	static int slot;
	char *s = buf[slot++ % 4];
	size_t n = (size_t)snprintf(s, 256, "%u:", ike);

	for (size_t i = 0; i < p->n_spi[k]; i++)
		if (p->spi[k][i] != skip)
			n += (size_t)snprintf(s + n, 256 - n, "%s%08x",
					      s[n - 1] == ':' ? "" : "+",
					      p->spi[k][i]);
	return s;
}

TEST(ctl_sa_lists_follow_children_through_ike_rekey_and_deletes)
{
	static struct ctl_pair p;
	char list[2048], want[1024];
	uint32_t id1 = 0, id2 = 0, id1b;

	cp_start(&p);
	/* two IKE SAs of a's connection, three and two CHILD SAs */
	REQUIRE_EQ(engine_initiate(p.h.a.e, p.h.now, "a-to-b", &id1), 0);
	cp_pump(&p);
	for (int i = 0; i < 2; i++) {
		REQUIRE_EQ(engine_initiate_child(p.h.a.e, p.h.now, id1, "net",
						 true),
			   0);
		cp_pump(&p);
	}
	REQUIRE_EQ(engine_initiate(p.h.a.e, p.h.now, "a-to-b", &id2), 0);
	cp_pump(&p);
	REQUIRE_EQ(engine_initiate_child(p.h.a.e, p.h.now, id2, "net", true),
		   0);
	cp_pump(&p);
	REQUIRE_EQ(p.n_ike, 2);
	REQUIRE_EQ(p.n_spi[0], 3);
	REQUIRE_EQ(p.n_spi[1], 2);
	CHECK_EQ(p.ctl->n_children, 5);
	/* each came up once, and each IKE SA lists its own, oldest first */
	snprintf(want, sizeof(want), "up %08x;up %08x;up %08x;up %08x;up %08x;",
		 p.spi[0][0], p.spi[0][1], p.spi[0][2], p.spi[1][0],
		 p.spi[1][1]);
	CHECK_STR(p.events, want);
	cp_list(&p, list, sizeof(list));
	/* (IKE SAs in the engine's order: the newest first) */
	snprintf(want, sizeof(want), "%s;%s;", cp_want(&p, 1, id2, 0),
		 cp_want(&p, 0, id1, 0));
	CHECK_STR(list, want);

	/* the first IKE SA rekeyed: its CHILD SAs move to the new one and
	 * are listed there, in their order; nothing went down */
	p.events[0] = 0;
	REQUIRE_EQ(engine_rekey(p.h.a.e, p.h.now, id1), 0);
	cp_pump(&p);
	CHECK_STR(p.events, "ike-rekey;");
	cp_list(&p, list, sizeof(list));
	id1b = (uint32_t)strtoul(list, NULL, 10); /* the newest */
	CHECK(id1b != id1 && id1b != id2);
	snprintf(want, sizeof(want), "%s;%s;", cp_want(&p, 0, id1b, 0),
		 cp_want(&p, 1, id2, 0));
	CHECK_STR(list, want);
	CHECK(ctl_child_first(p.ctl, id1) == NULL);
	CHECK_EQ(p.ctl->n_children, 5);

	/* the middle one of the rekeyed IKE SA goes */
	p.events[0] = 0;
	REQUIRE_EQ(engine_terminate_child(p.h.a.e, p.h.now, id1b, p.spi[0][1]),
		   0);
	cp_pump(&p);
	snprintf(want, sizeof(want), "down %08x;", p.spi[0][1]);
	CHECK_STR(p.events, want);
	/* the second IKE SA goes with its two */
	p.events[0] = 0;
	REQUIRE_EQ(engine_terminate(p.h.a.e, p.h.now, id2), 0);
	cp_pump(&p);
	snprintf(want, sizeof(want), "down %08x;down %08x;", p.spi[1][0],
		 p.spi[1][1]);
	CHECK_STR(p.events, want);
	cp_list(&p, list, sizeof(list));
	snprintf(want, sizeof(want), "%s;", cp_want(&p, 0, id1b, p.spi[0][1]));
	CHECK_STR(list, want);
	CHECK_EQ(p.ctl->n_children, 2);
	cp_stop(&p);
}
