/* INITIAL_CONTACT through the index of IKE SAs by peer identity
 * (daemon/engine/peer_idx.c): among many SAs of many peers, exactly the
 * ones RFC 7296 §2.4 names go, whatever the table holds around them. */
#include "engine/ike_sa.h"
#include "engine/peer_idx.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

static int pi_random(void *ctx, void *buf, size_t len)
{
	uint64_t *s = ctx;

	for (size_t i = 0; i < len; i++) {
		*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
		((uint8_t *)buf)[i] = (uint8_t)(*s >> 56);
	}
	return 0;
}

enum { PI_SAS = 20000, PI_PEERS = 700 };

/* What ike_auth_forget_peer() removed before the index: the predicate it
 * applied to every SA of the engine. */
static bool pi_goes(const struct ike_sa *s, const char *conn, uint64_t peer,
		    uint32_t before_id)
{
	return s->id < before_id && s->conn && s->peer_indexed &&
	       s->peer_id_hash == peer && !strcmp(s->conn->name, conn) &&
	       (s->state == IKE_SA_ESTABLISHED || s->state == IKE_SA_DELETING);
}

/* The peer value of SA number i: a few peers hold many SAs, and values
 * that differ only in high bits share buckets before mixing. */
static uint64_t pi_peer(size_t i)
{
	return ((uint64_t)(i % PI_PEERS) << 40) + 1;
}

/* 20,000 IKE SAs of 700 peers in two connections, in every state, some
 * never authenticated, some filed twice (an EAP identity, then the proved
 * one), some freed: INITIAL_CONTACT of one peer in one connection removes
 * exactly that peer's established or deleting SAs of that connection
 * older than `before_id`, reports each one down, and leaves every other
 * SA where it was. */
TEST(peer_idx_initial_contact_among_20000_sas)
{
	static const enum ike_sa_state states[] = {
		IKE_SA_ESTABLISHED, IKE_SA_ESTABLISHED, IKE_SA_ESTABLISHED,
		IKE_SA_DELETING,    IKE_SA_EAP_R,	IKE_SA_INIT_R,
		IKE_SA_AUTH_I,
	};
	uint64_t rng = 7;
	struct engine_env env = { .random = pi_random, .ctx = &rng };
	struct engine_conn conns[2];
	bool *want_gone = calloc(PI_SAS * 2 + 2, sizeof(bool));
	bool *present = calloc(PI_SAS * 2 + 2, sizeof(bool));
	const struct engine_action *act;
	size_t n_act, n_gone = 0, n_down = 0, n_left = 0;
	uint64_t peer = pi_peer(42);
	uint32_t before_id;
	struct engine *e;

	REQUIRE(want_gone && present);
	for (int k = 0; k < 2; k++) {
		harness_conn(&conns[k], true, ENCR_AES_GCM_16, 128, 0,
			     PRF_HMAC_SHA2_256, KE_CURVE25519);
		snprintf(conns[k].name, sizeof(conns[k].name), "rw%d", k);
	}
	REQUIRE((e = engine_new(&env, NULL, conns, 2)));
	for (size_t i = 0; i < PI_SAS; i++) {
		struct ike_sa *sa =
			ike_sa_new(e, &e->conns[i / PI_PEERS % 2], i % 2 == 0,
				   &conns[0].local, &conns[0].remote);

		REQUIRE(sa && sa->id < PI_SAS * 2 + 2);
		present[sa->id] = true;
		ike_sa_set_state(sa, states[i % 7]);
		if (i % 11 == 5)
			continue; /* never authenticated anybody */
		if (i % 13 == 0)  /* filed under another value first */
			peer_idx_set(sa, pi_peer(i + 1));
		peer_idx_set(sa, pi_peer(i));
		if (i % 17 == 3) {
			present[sa->id] = false;
			ike_sa_free(sa);
		}
	}
	/* the SAs made after a second worker's snapshot stay (daemon.c) */
	before_id = e->next_id - 2000;
	for (struct ike_sa *s = e->sas; s; s = s->next)
		if (pi_goes(s, "rw1", peer, before_id)) {
			want_gone[s->id] = true;
			n_gone++;
		}
	REQUIRE(n_gone > 5);
	engine_actions_clear(e);
	CHECK_EQ(engine_initial_contact(e, 0, "rw1", peer, before_id), n_gone);
	act = engine_actions(e, &n_act);
	for (size_t i = 0; i < n_act; i++) {
		if (act[i].type != ENGINE_ACT_EVENT)
			continue;
		CHECK_EQ(act[i].u.event.type, ENGINE_EV_IKE_DOWN);
		CHECK(want_gone[act[i].ike_id]);
		n_down++;
	}
	CHECK_EQ(n_down, n_gone);
	for (uint32_t id = 0; id < PI_SAS * 2 + 2; id++) {
		bool there = ike_sa_peek(e, id) != NULL;

		if (want_gone[id])
			CHECK(!there);
		else
			CHECK_EQ(there, present[id]);
		n_left += there;
	}
	CHECK_EQ(engine_ike_count(e), n_left);
	/* once more: nothing of that peer older than before_id is left */
	CHECK_EQ(engine_initial_contact(e, 0, "rw1", peer, before_id), 0u);
	/* the newer ones, then the other connection's SAs of that peer */
	for (int k = 1; k >= 0; k--) {
		const char *name = k ? "rw1" : "rw0";

		n_gone = 0;
		for (struct ike_sa *s = e->sas; s; s = s->next)
			n_gone += pi_goes(s, name, peer, UINT32_MAX);
		CHECK(n_gone > 0);
		CHECK_EQ(engine_initial_contact(e, 0, name, peer, UINT32_MAX),
			 n_gone);
		CHECK_EQ(engine_ike_count(e), n_left - n_gone);
		n_left -= n_gone;
	}
	for (struct ike_sa *s = e->sas; s; s = s->next)
		CHECK(s->peer_id_hash != peer ||
		      !pi_goes(s, s->conn->name, peer, UINT32_MAX));
	/* a peer nobody filed */
	CHECK_EQ(engine_initial_contact(e, 0, "rw0", 12345, UINT32_MAX), 0u);
	engine_free(e);
	free(want_gone);
	free(present);
}

/* RFC 7296 §2.4 after an IKE SA rekey: the new IKE SA inherits the
 * peer's identity (create_child.c), so when b restarts and comes again
 * with INITIAL_CONTACT, a finds and removes the rekeyed SA. */
TEST(peer_idx_initial_contact_removes_a_rekeyed_ike_sa)
{
	struct harness h = { 0 };
	uint32_t old_id, rekeyed_id;

	harness_pair_default(&h);
	harness_start(&h, NULL);
	harness_establish(&h);
	old_id = harness_ike_id(&h.a);
	REQUIRE_EQ(engine_rekey(h.a.e, h.now, old_id), 0);
	/* HDR, SK {SA, Ni, KEi} -->  <-- HDR, SK {SA, Nr, KEr}
	 * HDR(old), SK {D(IKE)} -->  <-- HDR(old), SK {} */
	harness_run(&h, 10);
	REQUIRE_EQ(engine_ike_count(h.a.e), 1u);
	rekeyed_id = harness_ike_id(&h.a);
	REQUIRE(rekeyed_id != old_id);
	CHECK(harness_b_restarts(&h, rekeyed_id));
	CHECK_EQ(harness_state(&h.a), ENGINE_IKE_ESTABLISHED);
	harness_free(&h);
}
