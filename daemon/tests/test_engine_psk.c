/* Pre-shared keys chosen by identity in IKE_AUTH (engine/ident.c): a
 * responder that accepts any peer (remote id %any) gives each peer the
 * key of its identity, as strongSwan does with secrets.ike<suffix>
 * { id-*, secret }, and says which peer failed and why.
 *
 *   a: "carol" (carol.example, key C) and "dave" (dave.example, key D)
 *        |  two IKE SAs from one engine, one per identity
 *   b: "rw", remote id %any, table { ike-carol: carol.example = C,
 *                                     ike-dave:  dave.example  = D }
 */
#include "engine/engine_err.h"
#include "engine/ident.h"
#include "tests/engine_harness.h"
#include "tests/test.h"

#include "ike_iana.h"

#include <string.h>

static const char key_c[] = "carol's key, not dave's";
static const char key_d[] = "dave's key, not carol's";

static void psk_id(struct engine_id *id, uint8_t type, const char *text)
{
	memset(id, 0, sizeof(*id));
	id->type = type;
	id->len = (uint16_t)strlen(text);
	memcpy(id->data, text, id->len);
}

static void psk_key(struct engine_psk *k, const char *name,
		    const struct engine_id *ids, size_t n, const char *key)
{
	memset(k, 0, sizeof(*k));
	strcpy(k->name, name);
	k->ids = ids;
	k->n_ids = n;
	k->len = (uint16_t)strlen(key);
	memcpy(k->key, key, k->len);
}

/* an initiator connection of a with its own identity and key */
static void psk_initiator(struct harness *h, struct engine_conn *c,
			  const char *name, const char *id, const char *key)
{
	*c = h->a.conn;
	strcpy(c->name, name);
	psk_id(&c->local_auth.id, ID_FQDN, id);
	c->psk_len = (uint16_t)strlen(key);
	memset(c->psk, 0, sizeof(c->psk));
	memcpy(c->psk, key, c->psk_len);
}

struct psk_setup {
	struct harness h;
	struct engine_id owners[2];
	struct engine_psk table[2];
	struct engine_conn a[2], b;
};

/* b as the %any responder with the table; a with carol and dave, whose
 * keys are `kc` and `kd`, and dave's identity `dave_id`. */
static void psk_setup(struct psk_setup *s, const char *kc, const char *kd,
		      const char *dave_id)
{
	struct harness *h = &s->h;

	harness_pair_default(h);
	psk_id(&s->owners[0], ID_FQDN, "carol.example");
	psk_id(&s->owners[1], ID_FQDN, "dave.example");
	psk_key(&s->table[0], "ike-carol", &s->owners[0], 1, key_c);
	psk_key(&s->table[1], "ike-dave", &s->owners[1], 1, key_d);
	s->b = h->b.conn;
	strcpy(s->b.name, "rw");
	memset(&s->b.remote_auth.id, 0, sizeof(s->b.remote_auth.id));
	memset(s->b.psk, 0, sizeof(s->b.psk)); /* the table decides */
	s->b.psks = s->table;
	s->b.n_psks = 2;
	psk_initiator(h, &s->a[0], "carol", "carol.example", kc);
	psk_initiator(h, &s->a[1], "dave", dave_id, kd);
	harness_start(h, NULL);
	harness_restart_b_with(h, &s->b, 1);
	harness_restart_a_conns(h, s->a, 2);
}

static uint32_t psk_initiate(struct harness *h, const char *conn)
{
	uint32_t id = 0;

	REQUIRE_EQ(engine_initiate(h->a.e, h->now, conn, &id), 0);
	harness_collect(h);
	return id;
}

/* The IKE SA of b whose peer proved `who`, or 0. */
static uint32_t psk_b_sa_of(const struct harness *h, const char *who)
{
	uint32_t ids[8];
	size_t n = engine_ike_list(h->b.e, ids, 8);
	struct engine_ike_ids x;

	for (size_t i = 0; i < n && i < 8; i++)
		if (!engine_ike_ids(h->b.e, ids[i], &x) &&
		    x.remote.type == ID_FQDN && x.remote.len == strlen(who) &&
		    !memcmp(x.remote.data, who, x.remote.len))
			return ids[i];
	return 0;
}

TEST(engine_psk_two_peers_each_with_its_key)
{
	struct psk_setup s = { 0 };
	struct engine_ike_info info;
	struct engine_ike_ids x;
	uint32_t carol, dave, on_b;

	psk_setup(&s, key_c, key_d, "dave.example");
	carol = psk_initiate(&s.h, "carol");
	dave = psk_initiate(&s.h, "dave");
	/* HDR, SA, KE, Ni --> ... <-- HDR, SK {IDr, AUTH, SA, TSi, TSr}
	 * twice: each AUTH (both ways) with the key of the peer's IDi */
	harness_run(&s.h, 40);
	REQUIRE_EQ(engine_ike_info(s.h.a.e, carol, &info), 0);
	CHECK_EQ(info.state, ENGINE_IKE_ESTABLISHED);
	REQUIRE_EQ(engine_ike_info(s.h.a.e, dave, &info), 0);
	CHECK_EQ(info.state, ENGINE_IKE_ESTABLISHED);
	CHECK_EQ(engine_ike_count(s.h.b.e), 2u);
	CHECK_EQ(harness_events(&s.h.b, ENGINE_EV_IKE_UP), 2u);
	/* b knows who is who: the identity each proved */
	on_b = psk_b_sa_of(&s.h, "carol.example");
	CHECK(on_b != 0);
	CHECK(psk_b_sa_of(&s.h, "dave.example") != 0);
	CHECK(psk_b_sa_of(&s.h, "dave.example") != on_b);
	REQUIRE_EQ(engine_ike_ids(s.h.b.e, on_b, &x), 0);
	CHECK_EQ(x.local.type, ID_FQDN);
	CHECK_EQ(memcmp(x.local.data, "b.example", 9), 0);
	CHECK_EQ(x.remote_eap_len, 0u);
	/* and a knows the responder it authenticated */
	REQUIRE_EQ(engine_ike_ids(s.h.a.e, carol, &x), 0);
	CHECK_EQ(x.remote.len, 9u);
	CHECK_EQ(memcmp(x.remote.data, "b.example", 9), 0);
	CHECK_EQ(memcmp(x.local.data, "carol.example", 13), 0);
	harness_free(&s.h);
}

/* carol holds dave's key: b answers AUTHENTICATION_FAILED and its log
 * names the SA, the peer and the secret it tried; dave is unharmed. */
TEST(engine_psk_wrong_key_names_peer_and_secret)
{
	struct psk_setup s = { 0 };
	uint32_t dave;

	psk_setup(&s, key_d, key_d, "dave.example");
	psk_initiate(&s.h, "carol");
	dave = psk_initiate(&s.h, "dave");
	harness_run(&s.h, 40);
	CHECK_EQ(engine_ike_count(s.h.b.e), 1u);
	CHECK(psk_b_sa_of(&s.h, "dave.example") != 0);
	CHECK(harness_logged(&s.h.b, ": AUTH of peer 'carol.example' does not "
				     "verify with the pre-shared key of "
				     "secrets.ike-carol"));
	CHECK(harness_logged(&s.h.b, "rw["));
	CHECK(harness_logged(&s.h.b, "answering AUTHENTICATION_FAILED"));
	CHECK(harness_logged(&s.h.a, "IKE_AUTH refused by peer: "
				     "AUTHENTICATION_FAILED"));
	CHECK_EQ(engine_ike_count(s.h.a.e), 1u); /* dave's */
	CHECK_EQ(harness_ike_id(&s.h.a), dave);
	harness_free(&s.h);
}

/* eve.example is in no secret: b says so in one line and refuses. */
TEST(engine_psk_no_key_for_the_peer)
{
	struct psk_setup s = { 0 };

	psk_setup(&s, key_c, key_d, "eve.example");
	psk_initiate(&s.h, "dave");
	harness_run(&s.h, 20);
	CHECK_EQ(engine_ike_count(s.h.b.e), 0u);
	CHECK(harness_logged(&s.h.b, "no pre-shared key (secrets.ike...) for "
				     "our identity 'b.example' and the "
				     "peer's 'eve.example'"));
	CHECK(harness_logged(&s.h.b, "no pre-shared key for this pair of "
				     "identities; answering "
				     "AUTHENTICATION_FAILED"));
	CHECK_EQ(harness_events(&s.h.a, ENGINE_EV_IKE_UP), 0u);
	harness_free(&s.h);
}

/* A remote id with a wildcard (strongSwan's *@example.org) admits the
 * peers it covers and no other. */
TEST(engine_psk_wildcard_remote_id)
{
	struct psk_setup s = { 0 };

	psk_setup(&s, key_c, key_d, "dave.example");
	psk_id(&s.b.remote_auth.id, ID_FQDN, "*.example");
	psk_id(&s.a[1].local_auth.id, ID_FQDN, "dave.example.net");
	harness_restart_b_with(&s.h, &s.b, 1);
	harness_restart_a_conns(&s.h, s.a, 2);
	psk_initiate(&s.h, "carol");
	psk_initiate(&s.h, "dave");
	harness_run(&s.h, 40);
	CHECK(psk_b_sa_of(&s.h, "carol.example") != 0);
	CHECK_EQ(engine_ike_count(s.h.b.e), 1u);
	CHECK(harness_logged(&s.h.b, "peer identity does not match the "
				     "configuration"));
	harness_free(&s.h);
}

/* strongSwan's ranking: the owner matching the peer best wins, then the
 * one matching us best; a secret naming no one matches both, least. */
TEST(engine_psk_ranking)
{
	struct engine_id me, carol, any = { 0 }, o[4];
	struct engine_psk k[4];
	struct engine_conn c = { 0 };
	const uint8_t *key;
	const char *name;
	size_t len;

	psk_id(&me, ID_FQDN, "moon.example");
	psk_id(&carol, ID_RFC822_ADDR, "Carol@Example.org");
	psk_id(&o[0], ID_FQDN, "moon.example");
	psk_id(&o[1], ID_RFC822_ADDR, "*@example.org");
	psk_id(&o[2], ID_RFC822_ADDR, "carol@example.org");
	psk_id(&o[3], ID_FQDN, "moon.example");
	psk_key(&k[0], "only-me", &o[0], 1, "k0");
	psk_key(&k[1], "anyone", NULL, 0, "k1");
	psk_key(&k[2], "domain", &o[1], 1, "k2");
	psk_key(&k[3], "carol-moon", &o[2], 2, "k3");
	c.psks = k;

	/* only our own id listed: serves any peer */
	c.n_psks = 1;
	REQUIRE_EQ(ident_psk(&c, &me, &carol, &key, &len, &name), 0);
	CHECK_EQ(strcmp(name, "only-me"), 0);
	/* no ids (%any on both sides) beats it: the peer's side first */
	c.n_psks = 2;
	REQUIRE_EQ(ident_psk(&c, &me, &carol, &key, &len, &name), 0);
	CHECK_EQ(strcmp(name, "anyone"), 0);
	/* a wildcard for the peer beats %any */
	c.n_psks = 3;
	REQUIRE_EQ(ident_psk(&c, &me, &carol, &key, &len, &name), 0);
	CHECK_EQ(strcmp(name, "domain"), 0);
	/* the peer exactly (any case) and us too: best */
	c.n_psks = 4;
	REQUIRE_EQ(ident_psk(&c, &me, &carol, &key, &len, &name), 0);
	CHECK_EQ(strcmp(name, "carol-moon"), 0);
	CHECK_EQ(len, 2u);
	CHECK_EQ(memcmp(key, "k3", 2), 0);
	/* an initiator that names no peer: only keys matching us */
	REQUIRE_EQ(ident_psk(&c, &me, &any, &key, &len, &name), 0);
	CHECK_EQ(strcmp(name, "anyone"), 0);
	c.psks = &k[2];
	c.n_psks = 1;
	CHECK_EQ(ident_psk(&c, &me, &any, &key, &len, &name), -ENG_ERR_NO_PSK);
	/* wildcards: FQDN and e-mail only, a prefix of any length */
	CHECK_EQ(ident_match(&carol, &o[1]), IDENT_MATCH_SUFFIX);
	CHECK_EQ(ident_match(&carol, &o[2]), IDENT_MATCH_PERFECT);
	CHECK_EQ(ident_match(&carol, &any), IDENT_MATCH_ANY);
	CHECK_EQ(ident_match(&any, &o[2]), IDENT_MATCH_NONE);
	CHECK_EQ(ident_match(&me, &o[1]), IDENT_MATCH_NONE); /* type */
	psk_id(&o[1], ID_RFC822_ADDR, "*");
	CHECK_EQ(ident_match(&carol, &o[1]), IDENT_MATCH_STAR);
	psk_id(&o[1], ID_RFC822_ADDR, "*@evil.org");
	CHECK_EQ(ident_match(&carol, &o[1]), IDENT_MATCH_NONE);
	psk_id(&o[1], ID_KEY_ID, "*");
	psk_id(&carol, ID_KEY_ID, "x");
	CHECK_EQ(ident_match(&carol, &o[1]), IDENT_MATCH_NONE);
}
