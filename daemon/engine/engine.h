/* The sans-IO IKEv2 engine (RFC 7296): events in, actions out.
 *
 * The engine performs no I/O and reads no clock (DESIGN.md). Every entry point
 * takes the current time in milliseconds of a monotonic clock; randomness and
 * logging come in through struct engine_env. What the engine wants done —
 * send a datagram, reserve an SPI, install or delete an SA or policy, report
 * an event — is appended to its action list, which the caller reads with
 * engine_actions() and empties with engine_actions_clear() after every call.
 *
 * Two engines can talk to each other in one process by moving SEND actions
 * from one into engine_datagram() of the other (daemon/tests/engine_harness.h).
 */
#ifndef KB_ENGINE_ENGINE_H
#define KB_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	ENGINE_NAME_MAX = 32,
	ENGINE_MAX_XFORMS = 32,	  /* transforms in one proposal */
	ENGINE_MAX_PROPOSALS = 8, /* proposals per SA payload */
	ENGINE_MAX_TS = 4,	  /* traffic selectors per side */
	ENGINE_MAX_CHILD_CFG = 4, /* children per connection */
	ENGINE_ID_MAX = 256,	  /* identification data */
	ENGINE_PSK_MAX = 128,	  /* pre-shared key */
	ENGINE_MAX_POOLS = 4,	  /* address pools per connection */
	ENGINE_MAX_VIPS = 2,	  /* virtual addresses asked for */
};

/* An IP address and UDP port; family 0 means "any" (responder wildcard). */
struct engine_addr {
	uint8_t family; /* AF_INET (2) or AF_INET6 (10) */
	uint8_t ip[16];
	uint16_t port;
};

struct keymat_ike; /* crypto/keymat.h */

/* What the engine needs from its host. */
struct engine_env {
	void *ctx;
	/* Fills `len` bytes of `buf` with strong random bytes; 0 or -errno.
	 * Used for SPIs, nonces and the cookie secret. */
	int (*random)(void *ctx, void *buf, size_t len);
	/* One operator log line (syslog level 3..7) about SA `sa`
	 * ("conn[ike#]", or NULL). */
	void (*log)(void *ctx, int level, const char *sa, const char *msg);
	/* Optional (NULL: not called): the keys of every new IKE SA, right
	 * after they are derived (RFC 7296 §2.14), with its SPIs in wire
	 * order. Only for the operator's Wireshark key log (--keylog). */
	void (*ike_keys)(void *ctx, const uint8_t spi_i[8],
			 const uint8_t spi_r[8], const struct keymat_ike *km);
	/* Optional (NULL: the configured address is used as it is): the
	 * source address the host would use to reach `remote` (a route
	 * lookup), asked when a connection we initiate names no local
	 * address (local_addrs %any, the usual road warrior): NAT detection
	 * (§2.23) and the kernel's SAs need the real one. 0 or -errno. */
	int (*source)(void *ctx, const struct engine_addr *remote,
		      struct engine_addr *local);
	/* Optional: the peer of an IKE SA of connection `conn` sent
	 * INITIAL_CONTACT (§2.4) and this engine removed that peer's older
	 * IKE SAs; the daemon passes it to the engines of its other workers
	 * (engine_initial_contact) with `peer`, an opaque value naming the
	 * peer's authenticated identity. */
	void (*initial_contact)(void *ctx, const char *conn, uint64_t peer);
	/* Optional (NULL: every level is): true if a line of syslog level
	 * `level` would be written; the engine formats no line that would
	 * not (a handshake has several at notice and info). */
	bool (*log_enabled)(void *ctx, int level);
};

/* One transform of a proposal: RFC 7296 §3.3.2 type and IANA ID; `keylen`
 * in bits for variable-length ciphers (AES), 0 otherwise. */
struct engine_xform {
	uint8_t type;
	uint16_t id;
	uint16_t keylen;
};

/* A proposal: the transforms it offers, any order, alternatives of one type
 * in preference order (RFC 7296 §3.3). */
struct engine_proposal {
	uint8_t n;
	struct engine_xform x[ENGINE_MAX_XFORMS];
};

/* RFC 7296 §3.5 identification: ID type and its data (raw address bytes,
 * FQDN text, DER DN …). */
struct engine_id {
	uint8_t type;
	uint16_t len;
	uint8_t data[ENGINE_ID_MAX];
};

enum engine_auth_method {
	ENGINE_AUTH_PSK = 1,	/* RFC 7296 §2.15 shared key MIC */
	ENGINE_AUTH_PUBKEY = 2, /* RFC 7427 digital signature */
	/* RFC 7296 §2.16 EAP-MSCHAPv2: on the remote side we are the EAP
	 * server, on the local side its client */
	ENGINE_AUTH_EAP_MSCHAPV2 = 3,
};

/* Which EAP identity a peer authenticating with EAP uses
 * (swanctl.conf remote.eap_id). */
enum engine_eap_id {
	ENGINE_EAP_ID_IKE = 0, /* not set: its IKE identity (IDi data) */
	ENGINE_EAP_ID_ANY,     /* %any: asked with EAP-Identity, anyone */
	ENGINE_EAP_ID_FIXED,   /* asked with EAP-Identity, must be eap_id */
};

/* One EAP user (swanctl.conf secrets.eap<suffix>): the identity and the
 * NT hash of its password (RFC 2759 §8.3), all MSCHAPv2 needs. */
struct engine_eap_user {
	uint16_t id_len;
	uint8_t id[ENGINE_ID_MAX];
	uint8_t nt_hash[16];
};

/* One pre-shared key (swanctl.conf secrets.ike<suffix>) and the
 * identities it belongs to (its owners). A key serves the pair (our
 * identity, the peer's) when an owner matches either; the best match on
 * the peer's side wins, then on ours (engine/ident.h). No owners, or an
 * owner of type 0 (%any), matches anyone, least well. */
struct engine_psk {
	char name[64]; /* "ike-carol" (secrets.<name>), for logs */
	size_t n_ids;
	const struct engine_id *ids; /* the caller's, as the table */
	uint16_t len;
	uint8_t key[ENGINE_PSK_MAX];
};

struct auth_key;  /* crypto/auth.h */
struct auth_cert; /* crypto/auth.h */

enum { ENGINE_CHAIN_MAX = 4 }; /* intermediate CAs sent after our cert */

struct auth_trust; /* crypto/auth.h */

/* How one side proves itself. For PUBKEY, the local side's `key` is its
 * private key, the remote side's the peer's trusted public key (raw public
 * key or a certificate's key). Keys, certificates and trust are loaded by
 * the caller (crypto/auth.h) and must outlive the engine. */
struct engine_auth {
	enum engine_auth_method method;
	struct engine_id id;
	const struct auth_key *key;
	/* Local side: our end-entity certificate, sent in a CERT payload
	 * (as send_cert says), followed by `chain`: the intermediate CA
	 * certificates between it and the peer's trust anchor, issuer
	 * first (RFC 7296 §3.6). Unused on the remote side. */
	const struct auth_cert *cert;
	const struct auth_cert *chain[ENGINE_CHAIN_MAX];
	uint8_t n_chain;
	/* Remote side, when `key` is NULL: the trust anchors (a set of CAs),
	 * intermediates and CRLs the peer's certificate is verified against
	 * (auth_trust_verify); the peer's ID must then name that
	 * certificate (auth_cert_names_id). Its anchors are named in our
	 * CERTREQ. Unused on the local side. */
	const struct auth_trust *trust;
	/* Signature rules (swanctl.conf auth = rsa/pss-sha256, ecdsa-384,
	 * pubkey-sha512, ...), for PUBKEY: the family (enum auth_sig_family,
	 * crypto/auth.h; 0 any), the RFC 7427 hashes (bit n: hash n; 0 any)
	 * and the smallest key in bits (0 any). Local side: how we sign;
	 * remote side: what the peer's AUTH must be made with. */
	uint8_t sig_family;
	uint16_t sig_hashes;
	uint16_t sig_min_bits;
};

/* send_cert (swanctl.conf): when our CERT payloads go out. */
enum engine_send_cert {
	ENGINE_SEND_CERT_ALWAYS = 0,
	ENGINE_SEND_CERT_IFASKED, /* only if the peer sent a CERTREQ */
	ENGINE_SEND_CERT_NEVER,
};

/* RFC 7296 §3.13.1 traffic selector (addresses in network order). */
struct engine_ts {
	uint8_t type; /* TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE */
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint8_t start[16], end[16];
};

enum engine_mode { ENGINE_MODE_TUNNEL = 0, ENGINE_MODE_TRANSPORT = 1 };

/* An ESP SA in one direction, as the kernel needs it (converted to the
 * neutral struct kernel_sa by io). Keys are wiped when the action list is
 * cleared. For AEAD ciphers `enc_key` ends with the 4-byte salt (RFC 4106
 * §8.1, RFC 7634 §4) and there is no integrity key. */
/* A firewall mark match (swanctl.conf mark_in / mark_out): the kernel
 * applies an SA or policy to packets whose (mark & mask) == value; value
 * and mask both 0 is no mark. */
struct engine_mark {
	uint32_t value, mask;
};

struct engine_sa {
	struct engine_addr src, dst; /* outer addresses; ports if encap */
	uint32_t spi;
	uint8_t proto; /* PROTO_ESP */
	enum engine_mode mode;
	uint32_t reqid;
	bool inbound;
	bool encap; /* UDP encapsulation (RFC 3948) on src/dst ports */
	bool esn;
	uint16_t encr, encr_keylen; /* IANA ID, key bits */
	uint16_t integ;		    /* IANA ID, AUTH_NONE for AEAD */
	uint8_t icv_len;	    /* bytes */
	uint16_t enc_key_len, integ_key_len;
	uint8_t enc_key[64], integ_key[64];
	uint32_t replay_window;
	uint64_t life_soft_s, life_hard_s;
	uint64_t life_soft_bytes, life_hard_bytes;
	uint64_t life_soft_packets, life_hard_packets;
	struct engine_ts src_ts, dst_ts; /* first selector pair */
	struct engine_mark mark; /* of the child's config, for its direction */
	uint32_t if_id;		 /* XFRM interface ID, 0 = none */
};

enum engine_policy_dir {
	ENGINE_POL_IN = 0,
	ENGINE_POL_OUT = 1,
	ENGINE_POL_FWD = 2,
};

/* An IPsec policy for one selector pair and direction with one ESP
 * template; `tmpl_src`/`tmpl_dst` are the outer addresses (tunnel mode). */
struct engine_policy {
	struct engine_ts src, dst;
	enum engine_policy_dir dir;
	enum engine_mode mode;
	uint32_t reqid;
	uint32_t priority; /* 0: by class and selector (engine_kernel.c) */
	struct engine_addr tmpl_src, tmpl_dst;
	struct engine_mark mark; /* of the child's config, for `dir` */
	uint32_t if_id;
};

/* An inbound SPI to reserve (ALLOC_SPI): the engine picks it at random;
 * io reserves exactly it (XFRM ALLOCSPI with min = max) and reports
 * ENGINE_KEV_SPI_FAILED if it cannot. */
struct engine_spi {
	uint32_t spi;
	uint8_t proto;
	uint32_t reqid;
	struct engine_addr src, dst;
};

enum engine_dpd_action {
	ENGINE_DPD_CLEAR = 0,	/* delete the SAs */
	ENGINE_DPD_RESTART = 1, /* delete, then initiate again */
};

/* A CHILD SA as configured. */
struct engine_child_cfg {
	char name[ENGINE_NAME_MAX];
	enum engine_mode mode;
	uint8_t n_esp;
	struct engine_proposal esp[ENGINE_MAX_PROPOSALS];
	uint8_t n_local_ts, n_remote_ts;
	struct engine_ts local_ts[ENGINE_MAX_TS];
	struct engine_ts remote_ts[ENGINE_MAX_TS];
	uint32_t reqid;
	/* swanctl.conf rekey_* (soft) and life_* (hard) limits; 0 = none.
	 * A CHILD SA is rekeyed at life_soft - random(0..rand) (time, bytes
	 * and packets alike) and deleted at the hard limit. */
	uint64_t life_soft_s, life_hard_s, rand_s;
	uint64_t life_soft_bytes, life_hard_bytes, rand_bytes;
	uint64_t life_soft_packets, life_hard_packets, rand_packets;
	uint32_t replay_window;
	/* swanctl.conf mark_in/mark_out/if_id_in/if_id_out: mark_out and
	 * if_id_out go on the outbound SA and policy, mark_in on the in and
	 * fwd policies (and the inbound SA with mark_in_sa), if_id_in on
	 * the inbound SA and the in and fwd policies (child_sa.c) */
	struct engine_mark mark_in, mark_out;
	bool mark_in_sa;
	uint32_t if_id_in, if_id_out;
};

/* The mark and interface ID `cfg` puts on its inbound or outbound SA
 * (`sa`) or policy (in and fwd count as inbound); zeros for a NULL cfg. */
void engine_child_marks(const struct engine_child_cfg *cfg, bool inbound,
			bool sa, struct engine_mark *mark, uint32_t *if_id);

/* Retransmission of requests (RFC 7296 §2.1): attempt n (0-based) waits
 * timeout_ms * base^n; after `tries` retransmissions and one last wait
 * the peer is declared dead. Defaults as strongSwan's: 4000, 1.8, 5. */
struct engine_retransmit {
	uint32_t timeout_ms;
	double base;
	uint32_t tries;
};

/* RFC 6023 childless IKE SAs (swanctl.conf `childless`): `allow` brings
 * the first CHILD SA up in IKE_AUTH and accepts peers that send none;
 * `force` creates every CHILD SA with CREATE_CHILD_SA (the responder must
 * announce support); `never` refuses IKE_AUTH without a CHILD SA. */
enum engine_childless {
	ENGINE_CHILDLESS_ALLOW = 0,
	ENGINE_CHILDLESS_FORCE = 1,
	ENGINE_CHILDLESS_NEVER = 2,
};

/* IKE fragmentation (RFC 7383, swanctl.conf `fragmentation`): YES
 * announces it and fragments our messages above the fragment size when
 * the peer announced it too; ACCEPT announces it and only reassembles;
 * NO announces nothing (fragments are still put together). */
enum engine_frag {
	ENGINE_FRAG_YES = 0,
	ENGINE_FRAG_ACCEPT = 1,
	ENGINE_FRAG_NO = 2,
};

/* An address with a prefix length (RFC 7296 §3.15.1 attributes: a virtual
 * address, a DNS server, a protected subnet). */
struct engine_ipnet {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* 32 / 128 for one address */
	uint8_t ip[16];
};

enum { ENGINE_POOL_DNS_MAX = 4, ENGINE_POOL_SUBNETS_MAX = 8 };

/* An address pool (swanctl.conf pools.<name>, engine/pool.h): the
 * addresses first..last (inclusive, network order) are leased to peers
 * that ask for a virtual address in a CFG_REQUEST (RFC 7296 §3.15.1),
 * with the pool's DNS servers and subnets in the CFG_REPLY. */
struct engine_pool {
	char name[ENGINE_NAME_MAX];
	uint8_t family;
	uint8_t first[16], last[16];
	uint8_t n_dns, n_subnets;
	struct engine_ipnet dns[ENGINE_POOL_DNS_MAX];
	struct engine_ipnet subnets[ENGINE_POOL_SUBNETS_MAX];
};

/* A connection: what the engine needs to know about one peer. */
struct engine_conn {
	char name[ENGINE_NAME_MAX];
	/* Local address and port we send from; remote address (family 0 on a
	 * responder-only connection accepts any) and port. */
	struct engine_addr local, remote;
	/* remote_addrs names a host whose address is not known yet (io
	 * resolves names off the event loop, io/resolve.c): the connection
	 * matches no peer and is not initiated until engine_conn_set_remote()
	 * gives the address. */
	bool remote_pending;
	uint8_t n_ike;
	struct engine_proposal ike[ENGINE_MAX_PROPOSALS];
	struct engine_auth local_auth, remote_auth;
	enum engine_send_cert send_cert;
	bool no_certreq; /* send_certreq = no: never send CERTREQ */
	/* Pre-shared keys (PSK on either side), chosen in IKE_AUTH for the
	 * pair of identities: ours and the peer's (the IDi it sent, as
	 * responder; the configured remote id as initiator, the IDr it sent
	 * when checking its AUTH). `psks` is the caller's table (which must
	 * outlive the engine as keys do); without one, `psk` is the key for
	 * every peer. */
	const struct engine_psk *psks;
	size_t n_psks;
	uint16_t psk_len;
	uint8_t psk[ENGINE_PSK_MAX];
	uint8_t n_children;
	struct engine_child_cfg children[ENGINE_MAX_CHILD_CFG];
	uint32_t dpd_delay_ms; /* 0: no liveness checks */
	enum engine_dpd_action dpd_action;
	/* IKE SA rekeying (RFC 7296 §2.18): at ike_rekey_s - random(0..
	 * ike_rand_s) after creation (0: never); an IKE SA still not rekeyed
	 * at ike_lifetime_s (rekey_time + over_time) is deleted. */
	uint64_t ike_rekey_s, ike_rand_s;
	uint64_t ike_lifetime_s;
	/* Reauthentication (swanctl.conf reauth_time, 0: never): at
	 * ike_reauth_s - random(0..ike_rand_s) a new IKE SA with new CHILD
	 * SAs is made from scratch (IKE_SA_INIT, IKE_AUTH); once it is up
	 * the old one is deleted (make-before-break). */
	uint64_t ike_reauth_s;
	struct engine_retransmit rtx;
	bool force_encap; /* float to 4500 even without NAT */
	/* NAT-keepalive interval (RFC 3948 §2.3) while a NAT is in front of
	 * us; engine_conn_defaults() sets 20000, 0 turns it off. */
	uint32_t natt_keepalive_ms;
	enum engine_childless childless;
	enum engine_frag fragmentation;
	/* Virtual addresses (RFC 7296 §3.15, engine/cp.c). As responder:
	 * the pools (by name, engine_pools_replace) a peer's CFG_REQUEST is
	 * answered from. As initiator: the addresses asked for in a
	 * CFG_REQUEST (swanctl.conf vips; 0.0.0.0 or :: ask for any). */
	uint8_t n_pools, n_vips;
	char pools[ENGINE_MAX_POOLS][ENGINE_NAME_MAX];
	struct engine_ipnet vips[ENGINE_MAX_VIPS];
	/* MOBIKE (RFC 4555, swanctl.conf `mobike`): announced in IKE_AUTH;
	 * once both agree, an initiator moves the IKE SA and its CHILD SAs
	 * with engine_ike_move() and a responder follows the peer's
	 * UPDATE_SA_ADDRESSES. Tunnel-mode children only. */
	bool mobike;
	/* EAP server, when remote_auth.method is ENGINE_AUTH_EAP_MSCHAPV2:
	 * the identity rule and the users (the caller's array, which must
	 * outlive the engine as keys do). */
	enum engine_eap_id eap_id_mode;
	uint16_t eap_id_len;
	uint8_t eap_id[ENGINE_ID_MAX];
	const struct engine_eap_user *eap_users;
	size_t n_eap_users;
	/* EAP client, when local_auth.method is ENGINE_AUTH_EAP_MSCHAPV2:
	 * our EAP identity and the NT hash of our password. */
	struct engine_eap_user eap_client;
};

/* Engine-wide limits (0 picks the default named in brackets). */
struct engine_settings {
	uint32_t half_open_max;	       /* [1000] refuse new SAs beyond this */
	uint32_t cookie_threshold;     /* [30] demand COOKIEs above (§2.6) */
	uint32_t half_open_timeout_ms; /* [30000] drop a half-open SA after */
	uint32_t cookie_rotate_ms;     /* [120000] cookie secret lifetime */
	/* [100] half-open SAs one address may hold: a peer that answers
	 * cookies cannot fill half_open_max and lock everyone else out (a
	 * tenth of the default half_open_max; strongSwan's block_threshold
	 * is 5, which a load generator behind one address cannot pass) */
	uint32_t half_open_per_peer;
	/* [20] unprotected INVALID_IKE_SPI answers per second (§2.21.4):
	 * spoofed requests must not make us a reflector */
	uint32_t invalid_spi_per_s;
	/* [5000] how long the inbound SA of a rekeyed CHILD SA stays, for
	 * packets the peer sent before it switched (doc/rekeying.md) */
	uint32_t delete_rekeyed_delay_ms;
	/* [1280] largest IP datagram of an IKE fragment we send (as
	 * strongSwan's charon.fragment_size) */
	uint32_t fragment_size;
	/* [1] requests of the peer's we accept at once and announce with
	 * SET_WINDOW_SIZE (RFC 7296 §2.3), at most 64; how many of ours we
	 * send at once is the peer's announced window */
	uint32_t window_size;
	/* [0 of 1] this engine is worker `worker` of `n_workers` (at most
	 * KB_STEER_MAX_WORKERS, include/kb_steer.h): the first octet of
	 * every IKE SPI it picks is `worker` modulo `n_workers`, and so is
	 * every IKE SA id minus one, so that a datagram (steered by its SPI)
	 * and a command (by the id) reach the engine that holds the SA.
	 * With one worker SPIs and ids are as they always were. */
	uint32_t worker;
	uint32_t n_workers;
};

enum engine_action_type {
	ENGINE_ACT_SEND = 1,   /* transmit a datagram */
	ENGINE_ACT_ALLOC_SPI,  /* reserve an inbound SPI in the kernel */
	ENGINE_ACT_SA_ADD,     /* install a CHILD SA (one direction) */
	ENGINE_ACT_SA_DEL,     /* remove a CHILD SA (one direction) */
	ENGINE_ACT_POLICY_ADD, /* install a policy */
	ENGINE_ACT_POLICY_DEL, /* remove a policy */
	ENGINE_ACT_EVENT,      /* status change for operators */
	ENGINE_ACT_ADDR_ADD,   /* put a virtual address on the host */
	ENGINE_ACT_ADDR_DEL,   /* take it away again */
	ENGINE_ACT_SA_MIGRATE, /* move a policy and its SAs (MOBIKE) */
};

enum engine_event_type {
	ENGINE_EV_IKE_UP = 1,
	ENGINE_EV_IKE_DOWN,
	ENGINE_EV_CHILD_UP,
	ENGINE_EV_CHILD_DOWN,
	ENGINE_EV_CHILD_FAILED,	 /* IKE SA stays up, the child did not */
	ENGINE_EV_IKE_FAILED,	 /* negotiation or authentication failed */
	ENGINE_EV_CHILD_REKEYED, /* a CHILD SA was replaced by a new one */
	ENGINE_EV_IKE_REKEYED,	 /* the IKE SA was replaced (new ike_id) */
};

/* Datagram to send. `non_esp_marker`: prefix four zero bytes on port 4500
 * (RFC 3948 §2.2); `buf` excludes it. A NAT-keepalive is the single byte
 * 0xFF on port 4500 without the marker (RFC 3948 §2.3). */
struct engine_send {
	struct engine_addr local, remote;
	bool non_esp_marker;
	size_t len;
	uint8_t *buf;
};

struct engine_event {
	enum engine_event_type type;
	char conn[ENGINE_NAME_MAX];
	int reason; /* 0 or a negative enum ike_err / notify type */
	/* about a responder's half-open IKE SA: its peer is not authenticated
	 * (anyone can cause such events; io rate-limits their log lines) */
	bool unauth;
};

/* ADDR_ADD / ADDR_DEL: the virtual address the peer assigned us
 * (RFC 7296 §3.15.1), for the host; `local` is the IKE SA's own address
 * (io puts the virtual one on the interface that holds it). */
struct engine_vip {
	struct engine_ipnet addr;
	struct engine_addr local;
	char conn[ENGINE_NAME_MAX];
};

/* MOBIKE (RFC 4555): the outer addresses of an IKE SA's CHILD SAs change.
 * io moves the policy `policy` (found by its selectors, direction and
 * reqid; policy.tmpl_src/tmpl_dst are the OLD template addresses) and the
 * SAs matching that template (old addresses, ESP, mode, reqid) to
 * new_src/new_dst, with UDP encapsulation on the new addresses' ports if
 * `encap` (else none). One action per policy: in, out and fwd of each
 * CHILD SA configuration instance the IKE SA holds. */
struct engine_migrate {
	struct engine_policy policy;
	struct engine_addr new_src, new_dst;
	bool encap;
};

struct engine_action {
	enum engine_action_type type;
	uint32_t ike_id; /* the IKE SA it is about */
	union {
		struct engine_send send;
		struct engine_spi spi;	     /* ALLOC_SPI */
		struct engine_sa sa;	     /* SA_ADD / SA_DEL */
		struct engine_policy policy; /* POLICY_ADD / DEL */
		struct engine_event event;
		struct engine_vip vip;	       /* ADDR_ADD / ADDR_DEL */
		struct engine_migrate migrate; /* SA_MIGRATE */
	} u;
};

/* Kernel events the engine reacts to. */
enum engine_kevent_type {
	ENGINE_KEV_SPI_FAILED = 1, /* ALLOC_SPI could not reserve the SPI */
	ENGINE_KEV_SA_FAILED,	   /* SA_ADD was refused */
	ENGINE_KEV_EXPIRE_SOFT,	   /* rekey due */
	ENGINE_KEV_EXPIRE_HARD,	   /* SA gone: delete it with the peer */
	ENGINE_KEV_ACQUIRE,	   /* traffic hit a policy with no SA */
};

struct engine_kevent {
	enum engine_kevent_type type;
	uint32_t spi;	/* network-order-free host value */
	uint8_t proto;	/* PROTO_ESP */
	uint32_t reqid; /* ACQUIRE */
};

struct engine;

/* Creates an engine with a copy of `conns`; NULL on allocation failure or
 * when env->random is missing. */
struct engine *engine_new(const struct engine_env *env,
			  const struct engine_settings *settings,
			  const struct engine_conn *conns, size_t n_conns);

/* Gives the engine wall-clock time (seconds since the epoch, called with
 * env->ctx), used only for certificate validity periods; without it that
 * check is skipped and the log says so. */
void engine_set_realtime(struct engine *e, int64_t (*realtime)(void *ctx));

/* `spi` (random) made one of this engine's IKE SPIs: its first octet
 * names the engine's worker (engine_settings.worker). */
uint64_t engine_spi_own(const struct engine *e, uint64_t spi);

/* Frees the engine and every SA it holds, wiping their keys. NULL is fine. */
void engine_free(struct engine *e);

/* A UDP datagram arrived at `local` from `remote` (port 4500 datagrams with
 * the non-ESP marker already stripped by io, `natt` set). Returns 0 or a
 * negative enum ike_err saying why it was dropped (logged already). */
int engine_datagram(struct engine *e, uint64_t now_ms,
		    const struct engine_addr *local,
		    const struct engine_addr *remote, const uint8_t *buf,
		    size_t len);

/* Gives connection `conn` its peer's address (its remote_addrs name was
 * resolved; the port stays): IKE SAs started or accepted from now on use
 * it, established ones keep theirs. -ENOENT: no such connection. */
int engine_conn_set_remote(struct engine *e, const char *conn,
			   const struct engine_addr *addr);

/* Starts connection `conn` as initiator; stores the new IKE SA's id.
 * -ENG_ERR_UNRESOLVED while its peer's name is not resolved. */
int engine_initiate(struct engine *e, uint64_t now_ms, const char *conn,
		    uint32_t *ike_id);

/* Deletes IKE SA `ike_id` with the peer and all its CHILD SAs (§1.4.1). */
int engine_terminate(struct engine *e, uint64_t now_ms, uint32_t ike_id);

/* Deletes one CHILD SA, named by its inbound SPI, with the peer. */
int engine_terminate_child(struct engine *e, uint64_t now_ms, uint32_t ike_id,
			   uint32_t spi_in);

/* Replaces the connection table (a configuration reload). IKE SAs of a
 * connection named in `conns` whose `keep` entry is true carry on under the
 * new settings; every other IKE SA is deleted with its peer (§1.4.1). New
 * connections are not initiated here: use engine_initiate(). */
int engine_conns_replace(struct engine *e, uint64_t now_ms,
			 const struct engine_conn *conns, const bool *keep,
			 size_t n);

/* Rekeys IKE SA `ike_id` (RFC 7296 §1.3.2): queues the exchange; the new
 * IKE SA takes over the CHILD SAs and gets a new id (ENGINE_EV_IKE_REKEYED
 * comes from the new IKE SA with the old one's id in `reason`). 0, -ENOENT, or -EBUSY if it is being rekeyed or
 * deleted already. For the control socket and BPF triggers. */
int engine_rekey(struct engine *e, uint64_t now_ms, uint32_t ike_id);

/* MOBIKE (RFC 4555 §3.5), initiator side: the IKE SA `ike_id` should now
 * be reached through our address `local` (io saw the old one go, or a
 * better route appear). Sends UPDATE_SA_ADDRESSES from `local` (port
 * 4500); the CHILD SAs move (SA_MIGRATE actions) when the peer answers.
 * -ENOENT: no such IKE SA; -ENG_ERR_STATE: MOBIKE not agreed on it, or we
 * are its responder. */
int engine_ike_move(struct engine *e, uint64_t now_ms, uint32_t ike_id,
		    const struct engine_addr *local);

/* Creates a CHILD SA of the connection's child configuration `child` on the
 * established IKE SA `ike_id` with CREATE_CHILD_SA (RFC 7296 §1.3.1).
 * Without `another` nothing happens while one of that configuration is up;
 * with it, one more CHILD SA over the same selectors is made (IKEv2 allows
 * several; they share the configuration's policies). -ENOENT if the IKE SA
 * is not established, -ENG_ERR_NO_CONN if it has no such child. */
int engine_initiate_child(struct engine *e, uint64_t now_ms, uint32_t ike_id,
			  const char *child, bool another);

/* Rekeys the CHILD SA with inbound SPI `spi_in` of IKE SA `ike_id`
 * (§1.3.3); make-before-break in the kernel (doc/rekeying.md). */
int engine_rekey_child(struct engine *e, uint64_t now_ms, uint32_t ike_id,
		       uint32_t spi_in);

/* Inbound ESP arrived on the CHILD SA with inbound SPI `spi_in` (io
 * learns it from BPF or the kernel's counters): the peer is alive, so no
 * liveness check is due for dpd_delay (RFC 7296 §2.4: only when nothing
 * was heard). 0, or -ENOENT for an SPI no CHILD SA has. */
int engine_esp_seen(struct engine *e, uint64_t now_ms, uint32_t spi_in);

/* True if one of the engine's CHILD SAs has `spi` (either direction):
 * which worker a kernel event about that SA is for (io/worker.h). */
bool engine_child_spi_known(struct engine *e, uint32_t spi);

/* Another engine's peer sent INITIAL_CONTACT (engine_env.initial_
 * contact): removes this engine's established IKE SAs of connection
 * `conn` with that peer whose id is below `before_id` (what
 * engine_next_ike_id() said when the other engine saw it: the peer's
 * newer IKE SAs stay), and their CHILD SAs, without telling the peer
 * (it has forgotten them). Returns how many. */
size_t engine_initial_contact(struct engine *e, uint64_t now_ms,
			      const char *conn, uint64_t peer,
			      uint32_t before_id);

/* The id the engine's next IKE SA will have. */
uint32_t engine_next_ike_id(const struct engine *e);

/* A kernel event (see enum engine_kevent_type). */
int engine_kernel_event(struct engine *e, uint64_t now_ms,
			const struct engine_kevent *ev);

/* Runs every timer due at `now_ms` (retransmissions, DPD, half-open
 * expiry, cookie secret rotation). */
void engine_timeout(struct engine *e, uint64_t now_ms);

/* Earliest time engine_timeout() has work to do; UINT64_MAX if none. */
uint64_t engine_next_deadline(const struct engine *e);

/* Pending actions, oldest first; valid until engine_actions_clear(). */
const struct engine_action *engine_actions(const struct engine *e, size_t *n);
void engine_actions_clear(struct engine *e);

/* The pending actions handed to the caller as they are, datagrams
 * included, with no copy (engine_actions.c). */
struct engine_action_list {
	struct engine_action *a; /* oldest first */
	size_t n, cap;
};
/* Takes the pending actions into `l`; false (and `l` empty) if there are
 * none. Actions the engine adds while the caller holds `l` (a refused
 * SA_ADD makes it delete the CHILD SA) queue for the next take. */
bool engine_actions_take(struct engine *e, struct engine_action_list *l);
/* Gives `l` back once carried out: datagrams freed, keys wiped; its
 * memory serves a later take. */
void engine_actions_done(struct engine *e, struct engine_action_list *l);

/* State of an IKE SA for status displays and tests. */
enum engine_ike_state {
	ENGINE_IKE_NONE = 0, /* no such SA */
	ENGINE_IKE_INIT_SENT,
	ENGINE_IKE_AUTH_SENT,
	ENGINE_IKE_INIT_DONE_R, /* responder waiting for IKE_AUTH */
	ENGINE_IKE_ESTABLISHED,
	ENGINE_IKE_DELETING,
	ENGINE_IKE_EAP_R, /* responder in IKE_AUTH's EAP rounds (§2.16) */
};

struct engine_ike_info {
	uint32_t ike_id;
	char conn[ENGINE_NAME_MAX];
	enum engine_ike_state state;
	bool initiator;
	uint64_t spi_i, spi_r;
	struct engine_addr local, remote;
	bool nat_local, nat_remote; /* NAT detected in front of us / peer */
	bool mobike;		    /* RFC 4555 agreed on this IKE SA */
	uint16_t encr, encr_keylen, prf, integ, ke;
	uint32_t n_children;
};

enum engine_child_state {
	ENGINE_CHILD_INSTALLING = 0,
	ENGINE_CHILD_INSTALLED,
	ENGINE_CHILD_REKEYING,
	ENGINE_CHILD_REKEYED,
	ENGINE_CHILD_DELETING,
	ENGINE_CHILD_DELETED,
};

struct engine_child_info {
	uint32_t child_id;
	char name[ENGINE_NAME_MAX]; /* the child configuration's */
	enum engine_child_state state;
	uint32_t reqid;
	uint32_t spi_in, spi_out;
	enum engine_mode mode;
	uint16_t encr, encr_keylen, integ;
	bool esn;
	uint8_t n_local_ts, n_remote_ts;
	struct engine_ts local_ts[ENGINE_MAX_TS], remote_ts[ENGINE_MAX_TS];
};

/* The identities of an IKE SA: ours as we send it, and the peer's as it
 * proved it in IKE_AUTH (type 0 until it did), with its EAP identity
 * when it authenticated with EAP (length 0 otherwise). Apart from
 * engine_ike_info, which status lists keep per SA. */
struct engine_ike_ids {
	struct engine_id local, remote;
	uint16_t remote_eap_len;
	uint8_t remote_eap[ENGINE_ID_MAX];
};

/* Fills `out` for IKE SA `ike_id`; -ENOENT if there is none. */
int engine_ike_ids(const struct engine *e, uint32_t ike_id,
		   struct engine_ike_ids *out);

/* Fills `out` for IKE SA `ike_id`; -ENOENT if there is none. */
int engine_ike_info(const struct engine *e, uint32_t ike_id,
		    struct engine_ike_info *out);

/* Fills `out` for CHILD SA number `idx` of IKE SA `ike_id`. */
int engine_child_info(const struct engine *e, uint32_t ike_id, uint32_t idx,
		      struct engine_child_info *out);

/* Number of IKE SAs (any state), and of half-open ones (responder side,
 * IKE_SA_INIT answered, no IKE_AUTH yet: what the cookie threshold and
 * the half-open limit count). */
size_t engine_ike_count(const struct engine *e);
/* Number of CHILD SAs of all IKE SAs (any state), kept as they come and
 * go: O(1), for status lines. */
size_t engine_child_count(const struct engine *e);
size_t engine_half_open_count(const struct engine *e);

/* Ids of IKE SAs, up to `cap`; returns how many there are. */
size_t engine_ike_list(const struct engine *e, uint32_t *ids, size_t cap);

/* Fills `s` with the defaults named in struct engine_settings. */
void engine_settings_defaults(struct engine_settings *s);

/* Fills a connection with the defaults documented above (retransmission,
 * lifetimes, replay window); callers then set what they need. */
void engine_conn_defaults(struct engine_conn *c);

#endif
