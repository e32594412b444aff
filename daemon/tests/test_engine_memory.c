/* What an established IKE SA keeps (issue 15: at most 2 KiB per IKE SA +
 * CHILD SA): no IKE_SA_INIT nonces, messages or full key set once
 * IKE_AUTH is done; a CHILD SA's nonces only while a rekey collision
 * (RFC 7296 §2.8.1) can still compare them; keys still working after
 * both kinds of rekey. The bytes themselves are measured by kbbench
 * engine_scale (doc/performance.md). */
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "engine/ident.h"
#include "engine/ike_sa.h"

/* The only IKE SA of `p`, with the setup state gone. */
static struct ike_sa *lean_sa(const struct hpeer *p)
{
	struct ike_sa *sa = ike_sa_by_id(p->e, harness_ike_id(p));

	REQUIRE(sa);
	CHECK_EQ(sa->state, IKE_SA_ESTABLISHED);
	CHECK(!sa->ni && !sa->nr && !sa->ni_len && !sa->nr_len);
	CHECK(!sa->km); /* SK_p gone; SK_e, SK_a in sa->sk */
	CHECK(sa->sk);
	CHECK(sa->prf && sa->d_len == 32);
	CHECK(!sa->init_req && !sa->init_resp && !sa->ke);
	return sa;
}

/* `sa` keeps the identity `from` proved, in a record of its length
 * (ident.h): the header and the ID bytes, no EAP identity. */
static void check_peer(const struct ike_sa *sa, const struct hpeer *from)
{
	const struct engine_id *want = &from->conn.local_auth.id;
	struct engine_id got;

	REQUIRE(sa->peer);
	REQUIRE(want->len > 0);
	ident_peer_id(sa->peer, &got);
	CHECK_EQ(got.type, want->type);
	CHECK_EQ(got.len, want->len);
	CHECK_MEM(got.data, want->data, want->len);
	CHECK_EQ(sa->peer->eap_len, 0);
}

static void settle(struct harness *h, unsigned s)
{
	for (unsigned i = 0; i < s; i++) {
		harness_run(h, 100);
		harness_advance(h, 1000);
	}
	harness_run(h, 100);
}

TEST(engine_established_sa_keeps_no_setup_state)
{
	struct harness h = { 0 };
	struct ike_sa *a, *b;
	uint32_t old;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	a = lean_sa(&h.a);
	b = lean_sa(&h.b);
	check_peer(a, &h.b);
	check_peer(b, &h.a);
	/* the CHILD SA of IKE_AUTH replaces nothing: no nonces kept */
	REQUIRE(a->children && b->children);
	CHECK(!a->children->ni && !a->children->nr);
	CHECK(!b->children->ni && !b->children->nr);

	/* CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } --> */
	old = a->children->spi_in;
	REQUIRE_EQ(engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a), old),
		   0);
	REQUIRE_EQ(transmit(&h, &h.a, &h.b, H_DELIVER), 0);
	/* <-- CREATE_CHILD_SA { SA, Nr, TSi, TSr } */
	REQUIRE_EQ(transmit(&h, &h.b, &h.a, H_DELIVER), 0);
	/* while the old SA is there, a collision may still compare the
	 * nonces of its replacements (§2.8.1) */
	for (struct child_sa *c = a->children; c; c = c->next)
		if (c->spi_in != old) {
			CHECK_EQ(c->replaces, old);
			CHECK(c->ni && c->nr);
		}
	settle(&h, 10); /* Deletes, then the old inbound SAs go */
	harness_check_kernels(&h, 1, 3);
	REQUIRE_EQ(a->n_children, 1u);
	REQUIRE_EQ(b->n_children, 1u);
	CHECK(!a->children->ni && !a->children->nr);
	CHECK(!b->children->ni && !b->children->nr);

	/* CREATE_CHILD_SA { SA, Ni, KEi } --> (IKE SA rekey, §1.3.2) */
	REQUIRE_EQ(engine_rekey(h.a.e, h.now, harness_ike_id(&h.a)), 0);
	settle(&h, 5);
	REQUIRE_EQ(engine_ike_count(h.a.e), 1u);
	REQUIRE_EQ(engine_ike_count(h.b.e), 1u);
	a = lean_sa(&h.a);
	b = lean_sa(&h.b);
	check_peer(a, &h.b); /* inherited (ident_peer_inherit) */
	check_peer(b, &h.a);
	CHECK_MEM(a->sk_d, b->sk_d, a->d_len);
	/* the new SK_d and SK_e/SK_a work: a CHILD SA rekey over it */
	REQUIRE_EQ(engine_rekey_child(h.a.e, h.now, harness_ike_id(&h.a),
				      a->children->spi_in),
		   0);
	settle(&h, 10);
	harness_check_kernels(&h, 1, 3);
	CHECK(!a->children->ni && !b->children->ni);
	harness_free(&h);
}
