/* From configuration to engine: turns the checked swanctl.conf model
 * (config/config.h) into the engine's connections (engine/engine.h),
 * resolving what needs the outside world — host names, key files, which
 * secret belongs to which connection. Problems are reported per connection
 * ("conn home: …") and that connection is left out; the others load. */
#ifndef KB_IO_CONNS_H
#define KB_IO_CONNS_H

#include "config/config.h"
#include "engine/engine.h"
#include "io/psks.h"
#include "io/shunt.h"
#include "kernel/kernel.h"

struct auth_key;
struct auth_cert;
struct auth_trust;

/* What the daemon does with a connection at start-up and after a reload. */
struct conn_extra {
	unsigned start_action; /* enum kb_start_action bits of its children */
	/* per child: seconds without traffic before it is closed, 0 = never
	 * (io/usage.c watches) */
	uint64_t inactivity_s[ENGINE_MAX_CHILD_CFG];
	uint64_t digest; /* fingerprint of the settings (reload) */
	/* remote_addrs' first usable entry is this DNS name (the engine
	 * connection is remote_pending until io/names.c resolves it); "" when
	 * it is an address or %any. `remote_family` is AF_UNSPEC or the
	 * entry's family. */
	char remote_fqdn[KB_CONF_FQDN_MAX];
	uint8_t remote_family;
};

/* The kernel backend the connections are built for (conns_kernel.c): ESP
 * transforms it cannot install never reach the engine. */
struct conns_opts {
	const char *backend;		/* "xfrm", "pfkey": for messages */
	const struct kernel_caps *caps; /* NULL: keep every transform */
	const char *conf_path; /* where the configuration came from, to say
				  file:line in messages; NULL for none */
};

struct conns {
	struct conf_diag warnings; /* settings accepted but not acted on yet */
	size_t n;
	struct engine_conn *conn; /* n entries, PSKs wiped by conns_free */
	struct conn_extra *extra; /* n entries */
	size_t n_keys;
	struct auth_key **keys; /* keys the connections point to */
	size_t n_certs;
	struct auth_cert **certs; /* certificates they point to */
	size_t n_pools;
	struct engine_pool *pools; /* for engine_pools_replace (vip.c) */
	size_t n_trusts;
	struct auth_trust **trusts; /* what they verify peers against */
	size_t n_eap_users;
	struct engine_eap_user *eap_users; /* of secrets.eap*, wiped */
	/* the policies of pass and drop children, which the engine never
	 * sees; a connection with only those is not in `conn` */
	struct shunts shunts;
	struct psks psks; /* of secrets.ike*, chosen in IKE_AUTH, wiped */
};

/* Builds the engine connections of `cfg` for the backend in `opts` (may be
 * NULL: no capability filtering) (reqids from the start of
 * keybridge's range; see conns_build_next for reloads). A connection that cannot be used
 * (unresolvable address, missing key or secret, a setting the engine does
 * not support yet) adds an error to `diag` and is skipped. Returns 0, or
 * -ENOMEM. */
int conns_build(const struct kb_config *cfg, const struct conns_opts *opts,
		struct conns *out, struct conf_diag *diag)
	__attribute__((warn_unused_result));

/* As conns_build, for a reload: a child that exists in `prev` (same
 * connection and child name) keeps its reqid, so its installed SAs and
 * trap policies stay linked to it; new children take reqids from
 * `*next_reqid`, which is never reused (the caller keeps it). */
int conns_build_next(const struct kb_config *cfg, const struct conns *prev,
		     uint32_t *next_reqid, const struct conns_opts *opts,
		     struct conns *out, struct conf_diag *diag)
	__attribute__((warn_unused_result));

/* Frees everything and wipes the pre-shared keys; safe on a zeroed struct. */
void conns_free(struct conns *c);

/* How many connections were loaded: those in `conn`, and those of shunts
 * only. */
size_t conns_count(const struct conns *c);

/* Index of connection `name`, or -1. */
int conns_find(const struct conns *c, const char *name);

/* A swanctl proposal as the engine's transform list (RFC 7296 §3.3); the
 * caller checks that it fits (at most ENGINE_MAX_XFORMS transforms). */
void conns_proposal(const struct kb_proposal *p, struct engine_proposal *out);

/* Parses identity text as swanctl.conf writes it ("192.0.2.1",
 * "@moon.example.org", "carol@example.org", "C=CH, O=Example, CN=moon",
 * "@#0a0b…") into an engine identity of type `type` (ID_*). Returns 0 or
 * -EINVAL. "%any" gives type 0 (any identity). */
int conns_id_parse(const char *text, uint8_t type, struct engine_id *out)
	__attribute__((warn_unused_result));

#endif
