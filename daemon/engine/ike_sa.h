/* Engine internals: the engine object, IKE and CHILD SAs, and the helpers
 * every exchange file shares (actions, logging, message send/receive).
 * Not a public header: io and control use engine.h only. */
#ifndef KB_ENGINE_IKE_SA_H
#define KB_ENGINE_IKE_SA_H

#include "crypto/keymat.h"
#include "engine/engine.h"
#include "engine/engine_err.h"
#include "engine/hashtab.h"
#include "engine/heap.h"
#include "engine/ike_msg.h"
#include "engine/proposal.h"
#include "engine/sa_idx.h"
#include "engine/timers.h"

struct ke;
struct skp;
struct pool;
struct cp_sa;

enum {
	IKE_SA_NONCE_LEN = 32,	 /* our nonces (§2.10: >= half the PRF key) */
	IKE_SA_NONCE_MAX = 256,	 /* §3.9 */
	IKE_SA_KEY_MAX = 64,	 /* one SK_* key */
	IKE_SA_COOKIE_MAX = 64,	 /* §3.10.1: 1..64 bytes */
	IKE_SA_MSG_MAX = 8192,	 /* largest message we build */
	IKE_SA_INIT_RETRIES = 3, /* INVALID_KE / COOKIE restarts */
	IKE_FRAG_MAX = 64,	 /* fragments of one message we reassemble */
	IKE_WINDOW_MAX = 64,	 /* largest message ID window we use (§2.3) */
};

/* SAs the indexes and the timer heap hold before they first grow. */
enum { ENGINE_INDEX_START = 256 };

enum ike_sa_state {
	IKE_SA_INIT_I = ENGINE_IKE_INIT_SENT,	/* sent IKE_SA_INIT request */
	IKE_SA_AUTH_I = ENGINE_IKE_AUTH_SENT,	/* sent IKE_AUTH request */
	IKE_SA_INIT_R = ENGINE_IKE_INIT_DONE_R, /* answered IKE_SA_INIT */
	IKE_SA_ESTABLISHED = ENGINE_IKE_ESTABLISHED,
	IKE_SA_DELETING = ENGINE_IKE_DELETING, /* sent Delete for the IKE SA */
	IKE_SA_EAP_R = ENGINE_IKE_EAP_R,       /* EAP rounds of IKE_AUTH */
	IKE_SA_DEAD,			       /* to be freed */
};

/* CHILD SA states (doc/rekeying.md draws them). */
enum child_state {
	CHILD_INSTALLING = 0, /* negotiated; not (fully) in the kernel yet */
	CHILD_INSTALLED,      /* both SAs in the kernel, carrying traffic */
	CHILD_REKEYING,	      /* our CREATE_CHILD_SA rekey of it is out */
	CHILD_REKEYED,	/* replaced: outbound gone, inbound kept a while */
	CHILD_DELETING, /* our Delete for it is out */
	CHILD_DELETED,	/* gone from the kernel, to be freed */
};

struct child_sa {
	struct child_sa *next;
	struct ike_sa *ike; /* the IKE SA whose list holds it (child_link) */
	struct hashtab_node in_node, out_node; /* e->child_in, e->child_out */
	struct grouptab_node pol_node; /* holders of its policies (sa_idx.h) */
	uint32_t id; /* engine-wide, for engine_rekey_child() and logs */
	const struct engine_child_cfg *cfg;
	enum child_state state;
	uint32_t spi_in, spi_out;
	struct proposal_chosen alg;
	enum engine_mode mode;
	uint8_t n_local_ts, n_remote_ts;
	struct engine_ts local_ts[ENGINE_MAX_TS], remote_ts[ENGINE_MAX_TS];
	bool in_sa, out_sa; /* which of its kernel SAs exist */
	bool policies; /* holds its instance's policies (child_policy_hold) */
	/* Responder of a rekey: the outbound keys, installed only once the
	 * initiator deletes the old SA (it cannot decrypt them before). */
	struct keymat_child *out_keys;
	uint32_t replaces; /* spi_in of the SA this one rekeys, 0 if none */
	/* Nonces of the exchange that made it, for its KEYMAT (§2.17) and
	 * a rekey collision (§2.8.1); freed (child_nonces_settle) once
	 * neither can come. */
	uint8_t *ni, *nr;
	uint16_t ni_len, nr_len;
	bool created_by_us; /* we initiated the exchange that made it */
	bool redundant;	    /* lost a rekey collision: deleted at once */
	/* Deadlines (ms, 0 = none): rekey, hard expiry, removal of the
	 * inbound SA of a rekeyed child. */
	uint64_t rekey_at, expire_at, delete_at;
	uint64_t activate_at; /* a collision winner's outbound goes in */
	uint64_t
		out_delete_at; /* a replaced outbound SA goes (create_child.c) */
	uint64_t life_soft_bytes, life_soft_packets; /* after jitter */
};

/* Local work on an IKE SA (DESIGN.md "Exchanges as queued work"): queued
 * in order, started when the window allows, each with what its exchange
 * and a collision with the peer's need. */
enum task_type {
	TASK_CHILD_CREATE = 1, /* CREATE_CHILD_SA for a child config */
	TASK_CHILD_REKEY,      /* CREATE_CHILD_SA { N(REKEY_SA) } */
	TASK_IKE_REKEY,	       /* CREATE_CHILD_SA { SA(IKE) } (§1.3.2) */
	TASK_CHILD_DELETE,     /* INFORMATIONAL { D(ESP) } */
	TASK_IKE_DELETE,       /* INFORMATIONAL { D(IKE) } */
	TASK_DPD,	       /* empty INFORMATIONAL (§2.4) */
	TASK_MOBIKE,	       /* INFORMATIONAL { N(UPDATE_SA_ADDRESSES) } */
};

struct task {
	struct task *next;
	enum task_type type;
	bool active;			    /* its request is out */
	uint32_t msg_id;		    /* of the request, once active */
	const struct engine_child_cfg *cfg; /* CHILD_CREATE */
	bool another;	 /* CHILD_CREATE even if one of cfg is up already */
	uint32_t spi_in; /* CHILD_REKEY / CHILD_DELETE: our SPI of it */
	struct child_sa *child; /* CHILD_CREATE / REKEY being made */
	struct ke *ke;		/* PFS or IKE rekey key exchange */
	uint16_t ke_group;
	uint32_t ke_retries; /* INVALID_KE_PAYLOAD restarts */
	uint64_t new_spi;    /* IKE_REKEY: our SPI of the successor */
	uint8_t cookie2[16]; /* MOBIKE: what the answer must echo */
};

/* A request of ours in flight (§2.1): kept for retransmission. */
struct ike_request {
	bool active;
	uint8_t exchange;
	uint32_t msg_id;
	uint32_t tries; /* retransmissions so far */
	uint64_t deadline;
	size_t len;
	uint8_t *buf;
	bool train; /* buf holds fragments, each after its 2-byte length */
};

/* Our response to a request of the peer's, kept for its retransmission
 * (§2.1). */
struct ike_response {
	bool valid;
	bool train; /* as ike_request.train */
	uint32_t msg_id;
	size_t len;
	uint8_t *buf;
};

struct frag_buf;
struct ike_peer;
struct eap_r;
struct eap_i;

struct ike_sa {
	struct ike_sa *next, *prev;    /* engine's list of all SAs */
	struct hashtab_node spi_node;  /* e->by_spi: our own SPI */
	struct hashtab_node init_node; /* e->by_init: (SPIi, peer), responder */
	struct hashtab_node id_node;   /* e->by_id */
	struct grouptab_node peer_node; /* e->by_peer (peer_idx.h) */
	struct sa_idx_sa idx;		/* e->idx (sa_idx.h) */
	bool init_indexed, peer_indexed;
	uint32_t tslot;		/* timers.c: touched or parked */
	struct heap_node timer; /* timers.c: key = rtx_deadline() */
	uint32_t ho_peer; /* its address's dos_share slot while half-open */
	struct engine *e;
	uint32_t id;
	uint32_t timer_gen;		/* timers.c: last run that visited it */
	const struct engine_conn *conn; /* NULL on a responder before AUTH */
	char name[ENGINE_NAME_MAX + 16]; /* "conn[id]" for logs */
	bool initiator;
	enum ike_sa_state state;
	uint64_t spi_i, spi_r;
	struct engine_addr local, remote;
	bool natt;		    /* talking on port 4500 with marker */
	bool nat_local, nat_remote; /* §2.23 results */
	bool peer_frag, peer_sig_hash;
	bool peer_certreq;     /* the peer sent CERTREQ (send_cert = ifasked) */
	bool peer_childless;   /* RFC 6023 notify seen in IKE_SA_INIT */
	bool childless;	       /* IKE_AUTH carried no CHILD SA */
	uint64_t peer_id_hash; /* of the peer's authenticated ID (§2.4) */
	struct ike_peer *peer; /* what it proved (ident.h), NULL before */
	/* MOBIKE (RFC 4555, mobike.c): agreed in IKE_AUTH; the addresses
	 * our CHILD SAs and policies have in the kernel (local/remote may be
	 * ahead of them while an update is on its way); the message ID of
	 * the newest UPDATE_SA_ADDRESSES taken from the peer. */
	bool mobike, mobike_seen;
	struct engine_addr path_local, path_remote;
	uint32_t mobike_update_id;
	uint16_t peer_hashes; /* bit n: RFC 7427 hash n acceptable */
	struct proposal_chosen alg;
	uint32_t init_retries;

	/* IKE_SA_INIT material kept for AUTH (§2.15) */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	uint8_t *ni, *nr; /* ike_nonce_set(); freed once established */
	uint16_t ni_len, nr_len;
	struct ke *ke;	 /* our key exchange private state */
	uint8_t *cookie; /* the responder asked for it (§2.6); or NULL */
	uint16_t cookie_len;
	/* §2.14 keys: all seven from IKE_SA_INIT until IKE_AUTH is done
	 * (then freed: SK_e and SK_a live on in `sk`, SK_p is done with),
	 * and SK_d with its PRF for the SA's life (§2.17, §2.18). */
	struct keymat_ike *km;
	const struct xform_prf *prf;
	uint8_t d_len;
	uint8_t sk_d[KEYMAT_KEY_MAX];
	struct skp *sk; /* SK payload protection */

	/* Message ID windows (§2.3, window.c). Ours: requests in flight,
	 * in `req` while the window is one, else in reqs[id % req_window].
	 * The peer's: our responses kept, likewise in `resp`/`resps`. */
	uint32_t req_next;    /* ID of our next request */
	uint32_t peer_window; /* from its SET_WINDOW_SIZE (0: none seen) */
	uint32_t req_window, resp_window; /* slots in use once above 1 */
	struct ike_request req, *reqs;
	struct ike_response resp, *resps;
	uint32_t resp_expect;	  /* lowest ID of the peer's not answered */
	uint32_t resp_cur;	  /* ID of the request being answered */
	struct frag_buf *frag_in; /* a fragmented message being received */

	/* Timers (ms on the caller's clock, 0 = off) */
	uint64_t half_open_deadline;
	uint64_t dpd_deadline;
	uint64_t keepalive_deadline; /* NAT-keepalives, RFC 3948 §2.3 */
	uint64_t last_heard;

	uint32_t n_children;
	struct child_sa *children;
	struct child_sa *pending_child; /* negotiated in IKE_AUTH */

	struct task *tasks;	      /* local work, oldest first */
	uint64_t rekey_at, expire_at; /* IKE SA lifetime (ms, 0 = none) */
	uint64_t reauth_at;	      /* reauthentication due */
	uint32_t reauth_of;	      /* the IKE SA this one reauthenticates */
	uint64_t rekey_retry_at;      /* after TEMPORARY_FAILURE */
	struct ike_sa *successor;     /* rekeyed: the SA that took over */
	bool rekeyed;		      /* replaced; Delete it, keep no child */
	struct cp_sa *cp; /* virtual addresses (cp.c), NULL if none */
	/* EAP in IKE_AUTH (eap.h): the server on a responder, the client on
	 * an initiator (one pointer: a half-open SA stays small) */
	union {
		struct eap_r *eap;
		struct eap_i *eap_i;
	};
};

struct engine_retired;
struct dos_share;

struct engine {
	struct engine_env env;
	int64_t (*realtime)(void *ctx);
	struct engine_settings set;
	struct engine_conn *conns;
	size_t n_conns;
	struct ike_sa *sas;	      /* all, newest first */
	struct dos_share *dos;	      /* half-open counts (dos_share.h) */
	struct hashtab by_spi;	      /* IKE SAs by our SPI */
	struct hashtab by_init;	      /* responders' SAs by (SPIi, peer) */
	struct hashtab by_id;	      /* IKE SAs by id */
	struct hashtab by_peer;	      /* by peer_id_hash (peer_idx.h) */
	struct hashtab child_in;      /* linked CHILD SAs by inbound SPI */
	struct hashtab child_out;     /* and by outbound SPI */
	struct sa_idx idx;	      /* by conn, path, policies, VIP */
	struct engine_timers *timers; /* timers.c */
	struct ike_msg *rx_msg;	      /* engine_datagram's, reused */
	uint8_t *rx_plain;	      /* decrypted payloads, reused */
	size_t rx_plain_cap;
	size_t n_sas, n_half_open, n_children;
	uint32_t next_id;
	uint32_t next_child_id;

	struct engine_action *act;
	size_t n_act, cap_act;
	struct engine_action_list act_spare; /* engine_actions.c */

	uint8_t window_notify[4]; /* our SET_WINDOW_SIZE data (window.c) */
	/* addresses of the datagram being handled (MOBIKE needs them) */
	struct engine_addr rx_local, rx_remote;

	/* §2.6 stateless cookies: current and previous secret */
	uint8_t cookie_secret[32], cookie_prev[32];
	uint8_t cookie_ver;
	uint64_t cookie_rotate_at;
	bool cookie_ready;

	/* one-second windows: unprotected answers and limit warnings */
	uint64_t half_open_warn_window;
	uint32_t half_open_warn_dropped;
	/* init_admit's holds on the dos_share, until its IKE SA exists */
	bool dos_held;
	uint32_t dos_held_peer;
	/* the time of the latest entry point that gave one (dos.c) */
	uint64_t now_ms;
	uint64_t dos_log_window;
	uint32_t dos_log_left_out;

	/* connection tables replaced by reloads (reload.c) */
	struct engine_retired *retired;

	/* address pools for peers' virtual addresses (pool.c) */
	struct pool **pools;
	size_t n_pools;
};

/* ---- reload.c ---- */

/* Frees the connection tables earlier reloads retired. */
void engine_retired_free(struct engine *e);

/* ---- engine.c: actions, logging, SA table ---- */

/* Appends an action and returns it zeroed (type set), or NULL on ENOMEM. */
struct engine_action *engine_push(struct engine *e, enum engine_action_type t,
				  uint32_t ike_id);

/* True if a line of `level` would be written: for lines whose arguments
 * cost something to build. */
bool engine_log_enabled(const struct engine *e, int level);

/* Logs a line about `sa` (may be NULL) through env. */
void engine_log(struct engine *e, const struct ike_sa *sa, int level,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reports an operator event. */
void engine_event(struct engine *e, const struct ike_sa *sa,
		  enum engine_event_type type, int reason);

/* The engine's buffer for a decrypted message of `len` bytes (grown as
 * needed), or NULL on ENOMEM. The caller wipes what it put there. */
uint8_t *engine_rx_plain(struct engine *e, size_t len);

/* Random bytes from env; 0 or -ENG_ERR_RANDOM. */
int engine_random(struct engine *e, void *buf, size_t len)
	__attribute__((warn_unused_result));

/* ---- ike_sa.c ---- */

/* Creates an SA with a fresh local SPI, linked into the tables. */
struct ike_sa *ike_sa_new(struct engine *e, const struct engine_conn *conn,
			  bool initiator, const struct engine_addr *local,
			  const struct engine_addr *remote);

/* The same with our SPI given (0: a fresh random one), for rekeys. */
struct ike_sa *ike_sa_new_spi(struct engine *e, const struct engine_conn *conn,
			      bool initiator, const struct engine_addr *local,
			      const struct engine_addr *remote, uint64_t spi);

/* Indexes a responder's SA by (SPIi, peer) once SPIi is set. */
void ike_sa_index_init(struct ike_sa *sa);

/* Sets *dst to a malloc'd copy of the `len`-byte nonce `src`, or to `len`
 * random bytes when `src` is NULL, freeing what *dst held. Nonces live out
 * of line: an established SA needs none of its IKE_SA_INIT nonces, and a
 * half-open one only as many bytes as they have. */
int ike_nonce_set(struct engine *e, uint8_t **dst, uint16_t *dst_len,
		  const uint8_t *src, size_t len)
	__attribute__((warn_unused_result));
void ike_nonce_free(uint8_t **p, uint16_t *len);

/* Takes fresh §2.14 keys (a malloc'd `km`, owned by the SA from now on)
 * and keeps SK_d and the PRF out of them. */
void ike_sa_keys_set(struct ike_sa *sa, struct keymat_ike *km);
/* Wipes and frees the seven keys; SK_d stays (ike_sa_keymat_d). */
void ike_sa_keys_done(struct ike_sa *sa);
/* Fills `tmp` with the SA's PRF and SK_d, all that keymat_child_derive()
 * and keymat_ike_rekey() read; the caller wipes it. */
void ike_sa_keymat_d(const struct ike_sa *sa, struct keymat_ike *tmp);

/* Frees the SA's key exchange state (after deriving keys). */
void ike_sa_ke_free(struct ike_sa *sa);

/* Unlinks and frees an SA, wiping its keys. */
void ike_sa_free(struct ike_sa *sa);

/* Our SPI of the SA (SPIi on the initiator, SPIr on the responder). */
uint64_t ike_sa_local_spi(const struct ike_sa *sa);

/* Finds an SA by our SPI, or the half-open one created for (SPIi, peer). */
struct ike_sa *ike_sa_find(struct engine *e, uint64_t local_spi);
struct ike_sa *ike_sa_find_init(struct engine *e, uint64_t spi_i,
				const struct engine_addr *remote);
struct ike_sa *ike_sa_by_id(const struct engine *e, uint32_t id);
/* ike_sa_by_id() for readers: does not mark the SA (timers.h). */
struct ike_sa *ike_sa_peek(const struct engine *e, uint32_t id);

/* Sets SPIr on the initiator once the response names it. */
void ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state st);

/* Removes every CHILD SA from the kernel (SA_DEL, POLICY_DEL actions),
 * reports IKE_DOWN and frees the SA. */
void ike_sa_destroy(struct ike_sa *sa, int reason);

/* ---- child_sa.c: CHILD SA life cycle and kernel actions ---- */

/* A CHILD SA of `cfg` (may be NULL: chosen later) with its selectors. */
struct child_sa *child_new(struct ike_sa *sa,
			   const struct engine_child_cfg *cfg);
/* Frees a CHILD SA (not linked, or unlinked), wiping it. NULL is fine. */
void child_free(struct child_sa *c);
/* Frees the nonces of CHILD SA `c` once no collision can need them: it
 * replaces no SA, or the SA it replaces is gone (§2.8.1 compares the
 * nonces of two SAs that replace the same one). */
void child_nonces_settle(struct ike_sa *sa, struct child_sa *c);

/* Sets the rekey and expiry deadlines and the kernel soft limits from
 * the configuration, with jitter from the engine's random source. */
void child_schedule(struct ike_sa *sa, struct child_sa *c, uint64_t now);

/* SA_ADD of one direction with its keys from `k`; SA_DEL of one
 * direction if it is in the kernel. */
int child_sa_add(struct ike_sa *sa, struct child_sa *c, bool inbound,
		 const struct keymat_child *k, uint64_t now)
	__attribute__((warn_unused_result));
void child_sa_del(struct ike_sa *sa, struct child_sa *c, bool inbound);

/* The policies of a child configuration's installed instance (its
 * selectors) are counted by the CHILD SAs that hold them: the first
 * holder adds them, the last one to release them removes them, so a
 * rekey — and any collision — never removes and re-adds them. */
void child_policy_hold(struct ike_sa *sa, struct child_sa *c);
void child_policy_release(struct ike_sa *sa, struct child_sa *c);

/* Links `c` into the SA's list (and the engine's SPI indexes); unlinks
 * it from both. */
void child_link(struct ike_sa *sa, struct child_sa *c);
void child_unlink(struct ike_sa *sa, struct child_sa *c);
/* The linked CHILD SA with inbound (else outbound) SPI `spi` that still
 * has an SA in the kernel, on the newest IKE SA if several do. */
struct child_sa *child_by_spi(struct engine *e, uint32_t spi);

/* Picks our inbound SPI for a new CHILD SA and asks io to reserve it;
 * releases the reserved SPI of a child never installed. */
int child_alloc_spi(struct ike_sa *sa, struct child_sa *c)
	__attribute__((warn_unused_result));
void child_release_spi(struct ike_sa *sa, struct child_sa *c);

/* KEYMAT for `c` from SK_d, its exchange's nonces and, with PFS, the new
 * shared secret (§2.17). */
int child_keymat(struct ike_sa *sa, struct child_sa *c, const uint8_t *g_ir,
		 size_t g_ir_len, struct keymat_child *k)
	__attribute__((warn_unused_result));
/* The same with the nonces given (IKE_AUTH's child: the IKE SA's). */
int child_keymat_nonces(struct ike_sa *sa, struct child_sa *c,
			const uint8_t *g_ir, size_t g_ir_len, const uint8_t *ni,
			size_t ni_len, const uint8_t *nr, size_t nr_len,
			struct keymat_child *k)
	__attribute__((warn_unused_result));

/* Installs a new CHILD SA whole (both SAs, its policies), links it and
 * reports CHILD_UP. */
int ike_sa_child_install(struct ike_sa *sa, struct child_sa *c,
			 const struct keymat_child *k, uint64_t now)
	__attribute__((warn_unused_result));

/* Removes one CHILD SA from the kernel (its policies only if it holds
 * them) and the list, and frees it. */
void ike_sa_child_remove(struct ike_sa *sa, struct child_sa *c);
struct child_sa *ike_sa_child_by_spi_in(struct ike_sa *sa, uint32_t spi);
struct child_sa *ike_sa_child_by_spi_out(struct ike_sa *sa, uint32_t spi);
/* The CHILD SA currently serving `cfg` (not rekeyed or deleting). */
struct child_sa *ike_sa_child_active(struct ike_sa *sa,
				     const struct engine_child_cfg *cfg);

/* Storage for SA and TS payloads that must outlive encoding. */
struct child_wire {
	struct proposal_wire w;
	struct ike_ts tsi[ENGINE_MAX_TS], tsr[ENGINE_MAX_TS];
};

/* Our ESP proposals for `cfg`, without KE transforms unless `pfs`. */
size_t child_proposals(const struct engine_child_cfg *cfg, bool pfs,
		       struct engine_proposal *out);
size_t child_ts_from_wire(const struct ike_pl_ts *p, struct engine_ts *out,
			  size_t cap);
/* Adds [N(USE_TRANSPORT_MODE)], SA, TSi, TSr for `c`. */
int child_add_payloads(struct ike_msg *m, struct child_sa *c,
		       const struct engine_proposal *props, size_t n_props,
		       uint8_t first_num, struct child_wire *o)
	__attribute__((warn_unused_result));
/* Responder: selectors (narrowed to `only`, or to the first child config
 * that fits), mode and proposal of the request `m`. Returns 0 or the
 * error to answer with a Notify. */
int child_select_r(struct ike_sa *sa, const struct ike_msg *m,
		   struct child_sa *c, const struct engine_child_cfg *only,
		   bool pfs_allowed) __attribute__((warn_unused_result));
/* Initiator: checks the responder's SA, TSi, TSr against what we asked. */
int child_accept_i(struct ike_sa *sa, const struct ike_msg *m,
		   struct child_sa *c, bool pfs_allowed)
	__attribute__((warn_unused_result));

/* Whether two addresses (and ports, if `ports`) are equal. */
bool ike_sa_addr_eq(const struct engine_addr *a, const struct engine_addr *b,
		    bool ports);

/* Whether connection `c` takes a peer at `remote`: any address when its
 * remote is unset (%any), none while its peer's name is unresolved. */
bool engine_conn_accepts_remote(const struct engine_conn *c,
				const struct engine_addr *remote);

/* ---- task.c: the queue of local work ---- */

const char *task_name(enum task_type t);
/* Queues a task at the end, or (`front`) before every queued one. */
struct task *task_new(struct ike_sa *sa, enum task_type type, bool front);
/* Unlinks and frees a task; a CHILD SA it was making gives back its SPI. */
void task_remove(struct ike_sa *sa, struct task *t);
/* Frees every task without actions (SA freed) or with (SA destroyed). */
void task_free_all(struct ike_sa *sa);
void task_release_all(struct ike_sa *sa);
struct task *task_by_msg_id(struct ike_sa *sa, uint32_t msg_id);
/* First task of `type` (on CHILD SA `spi_in`, if not 0). */
struct task *task_find(struct ike_sa *sa, enum task_type type, uint32_t spi_in);
bool task_any_active(const struct ike_sa *sa);
/* Moves the queued CHILD SA work of a rekeyed IKE SA to its successor. */
void task_move(struct ike_sa *from, struct ike_sa *to);
/* Starts queued tasks while the window has room (§2.3). */
void task_kick(struct ike_sa *sa, uint64_t now);

/* ---- lifetime.c: rekey, expiry and the rekeyed SAs' removal ---- */

/* An IKE SA became established: its lifetime starts; as initiator, the
 * connection's further children are queued (CREATE_CHILD_SA). */
void ike_sa_established(struct ike_sa *sa, uint64_t now);
/* `n` replaces `old` (an IKE SA rekey): CHILD SAs and queued work move,
 * `old` only waits for its Delete. */
void ike_sa_takeover(struct ike_sa *old, struct ike_sa *n, uint64_t now);
/* Runs due lifetime events; true if the SA was freed. */
bool lifetime_timeout(struct ike_sa *sa, uint64_t now);
/* Earliest lifetime deadline of the SA and its children, or UINT64_MAX. */
uint64_t lifetime_deadline(const struct ike_sa *sa);
/* A reauthenticating IKE SA whose CHILD SAs are all up deletes the one
 * it replaces. */
void lifetime_reauth_check(struct ike_sa *sa, uint64_t now);
/* Queues a rekey of CHILD SA `c` (0, or -EBUSY if it cannot be now). */
int lifetime_rekey_child(struct ike_sa *sa, struct child_sa *c, uint64_t now);
int lifetime_rekey_ike(struct ike_sa *sa, uint64_t now);

/* ---- ike_auth.c ---- */

/* RFC 7296 §2.4 INITIAL_CONTACT from the peer of `sa`: every other IKE SA
 * of the same connection with the same authenticated peer is stale (the
 * peer restarted) and is removed, with its CHILD SAs. */
void ike_auth_initial_contact(struct ike_sa *sa);

/* ---- retransmit.c: sending, windows and timers ---- */

/* Sends a datagram to the peer of `sa` (through port 4500 with the non-ESP
 * marker once floated). */
int rtx_send(struct ike_sa *sa, const uint8_t *buf, size_t len);

/* Sends what a request or response cache holds: one datagram, or each
 * fragment of a train. */
int rtx_resend(struct ike_sa *sa, const uint8_t *buf, size_t len, bool train);

/* The wait before the first retransmission of a new request. */
uint64_t rtx_first_delay(const struct ike_sa *sa);

/* Runs the SA's due timers; may free the SA (returns true then). */
bool rtx_timeout(struct ike_sa *sa, uint64_t now);

/* Earliest deadline of the SA, or UINT64_MAX. */
uint64_t rtx_deadline(const struct ike_sa *sa);

/* Delay before retransmission number `n` (0: the first wait). */
uint64_t rtx_delay_ms(const struct engine_retransmit *r, uint32_t n);

/* ---- window.c: message ID windows (§2.3) ---- */

/* Sends request `msg_id` and keeps it for retransmission (§2.1); with
 * `train`, `buf` holds fragments (see frag_seal). */
int win_request(struct ike_sa *sa, uint64_t now, uint8_t exchange,
		uint32_t msg_id, const uint8_t *buf, size_t len, bool train);

/* Our request `msg_id` if it is still waiting for its response. */
struct ike_request *win_request_find(struct ike_sa *sa, uint32_t msg_id);

/* The response to request `msg_id` arrived: stop retransmitting it. */
void win_request_done(struct ike_sa *sa, uint32_t msg_id);

/* Requests of ours waiting for a response. */
size_t win_requests(const struct ike_sa *sa);

/* True if the peer's window has room for request req_next. */
bool win_can_send(const struct ike_sa *sa);

/* A request whose retransmission is due at `now`, or NULL. */
struct ike_request *win_request_due(struct ike_sa *sa, uint64_t now);

/* Earliest retransmission deadline, or UINT64_MAX. */
uint64_t win_request_deadline(const struct ike_sa *sa);

/* Sends the response to request `msg_id` and keeps it for a
 * retransmitted request (§2.1). */
int win_respond(struct ike_sa *sa, uint32_t msg_id, const uint8_t *buf,
		size_t len, bool train);

/* Our kept response to request `msg_id`, or NULL. */
const struct ike_response *win_response(struct ike_sa *sa, uint32_t msg_id);

enum win_verdict {
	WIN_NEW = 1,  /* in the window, not answered: process it */
	WIN_ANSWERED, /* answered: resend the kept response */
	WIN_OUTSIDE,  /* too old or too far ahead: drop it */
};
enum win_verdict win_check_request(struct ike_sa *sa, uint32_t msg_id);

/* Takes the peer's SET_WINDOW_SIZE from `m`, if it carries one. */
void win_peer_notify(struct ike_sa *sa, const struct ike_msg *m);

/* Adds our SET_WINDOW_SIZE to `m` if our window is above one; false when
 * the message is full. */
bool win_add_notify(const struct ike_sa *sa, struct ike_msg *m);

/* The initial exchanges are complete: the windows take their sizes. */
int win_open(struct ike_sa *sa);

/* A new IKE SA replacing `old` (rekey) keeps the peer's window. */
void win_inherit(const struct ike_sa *old, struct ike_sa *n);

/* Frees every kept request and response. */
void win_free(struct ike_sa *sa);

/* ---- fragment.c (RFC 7383) ---- */

enum { FRAG_INCOMPLETE = 1 };
/* Takes one fragment of `m` (verified before it is kept): FRAG_INCOMPLETE
 * while parts are missing; 0 when the message is whole, its inner
 * payloads decoded into `m` from *plain (malloc'd, the caller wipes and
 * frees it); or an error (the fragment is dropped). */
int frag_receive(struct ike_sa *sa, struct ike_msg *m, uint8_t **plain,
		 size_t *plain_len) __attribute__((warn_unused_result));
/* Frees the reassembly state of the SA. */
void frag_free(struct ike_sa *sa);
/* Largest IKE message (UDP payload) of one fragment we send. */
size_t frag_limit(const struct ike_sa *sa);
/* True if a protected message of `len` bytes goes out in fragments. */
bool frag_wanted(const struct ike_sa *sa, uint8_t exchange, size_t len);
/* Seals `m` as fragments into `blob`: each datagram after its 2-byte
 * big-endian length. */
int frag_seal(struct ike_sa *sa, struct ike_msg *m, uint8_t *blob, size_t cap,
	      size_t *blob_len) __attribute__((warn_unused_result));

/* ---- message.c: protect/unprotect and header helpers ---- */

/* Starts a message of `sa`: header with our role flags. */
void msg_start(struct ike_sa *sa, struct ike_msg *m, uint8_t exchange,
	       bool response, uint32_t msg_id);

/* Encodes `m` (inner payloads encrypted in SK when the SA has keys) into
 * `buf`. */
int msg_seal(struct ike_sa *sa, struct ike_msg *m, uint8_t *buf, size_t cap,
	     size_t *len) __attribute__((warn_unused_result));

/* Verifies and decrypts the SK payload of `m` into `plain` and decodes the
 * inner payloads into `m`. */
int msg_open(struct ike_sa *sa, struct ike_msg *m, uint8_t *plain, size_t cap)
	__attribute__((warn_unused_result));

/* Builds, seals and sends a request of `sa` with the next message ID. */
int msg_send_request(struct ike_sa *sa, uint64_t now, struct ike_msg *m)
	__attribute__((warn_unused_result));

/* Seals and sends `m` as the response to the current request. */
int msg_send_response(struct ike_sa *sa, struct ike_msg *m)
	__attribute__((warn_unused_result));

/* Adds a Notify payload (inner if `inner`). */
struct ike_payload *msg_add_notify(struct ike_msg *m, bool inner, uint16_t type,
				   uint8_t proto, const void *data, size_t len);

/* ---- exchange files ---- */
int ike_sa_init_build_i(struct ike_sa *sa, uint64_t now);
int ike_sa_init_process_r(struct engine *e, uint64_t now,
			  const struct engine_addr *local,
			  const struct engine_addr *remote,
			  const struct ike_msg *m);
int ike_sa_init_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
/* Makes the SK payload protection from the derived keys if the SA has
 * none yet (a responder's half-open SA holds none, to stay small). */
int ike_sa_init_sk(struct ike_sa *sa) __attribute__((warn_unused_result));

int ike_auth_build_i(struct ike_sa *sa, uint64_t now);
int ike_auth_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
int ike_auth_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
/* The IKE_AUTH requests after the first one of an EAP peer (§2.16). */
int ike_auth_eap_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
/* An INFORMATIONAL request while EAP runs: a client giving up (charon
 * answers an MSCHAPv2 Failure so) ends the SA, the rest is answered as on
 * an established SA. */
int ike_auth_eap_info_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m);

int informational_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
int informational_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
/* Builds and sends the request of a CHILD_DELETE, IKE_DELETE or DPD task:
 * 0 sent, 1 nothing to do, or an error. */
int informational_build_i(struct ike_sa *sa, struct task *t, uint64_t now);
/* Queues the Delete of the IKE SA (dropping queued work) or of one CHILD
 * SA, and starts it when the window allows. */
int informational_delete_ike_i(struct ike_sa *sa, uint64_t now);
int informational_delete_child_i(struct ike_sa *sa, uint64_t now,
				 struct child_sa *c);

/* create_child.c (§1.3) */
int create_child_build_i(struct ike_sa *sa, struct task *t, uint64_t now);
int create_child_process_r(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
int create_child_process_i(struct ike_sa *sa, uint64_t now, struct ike_msg *m);
/* A responder's rekeyed CHILD SA `c` takes over from `old` (may be
 * NULL): its outbound SA is installed, the old outbound removed, the old
 * inbound kept for the delete_rekeyed delay. */
void create_child_activate(struct ike_sa *sa, struct child_sa *c,
			   struct child_sa *old, uint64_t now);
/* §2.21.4: answer a request for an unknown IKE SA, unprotected. */
void informational_invalid_spi(struct engine *e, uint64_t now,
			       const struct engine_addr *local,
			       const struct engine_addr *remote,
			       const struct ike_msg *m);

/* ---- nat.c (§2.23) ---- */
enum { NAT_HASH_LEN = 20 };
/* SHA-1(SPIi | SPIr | IP | Port) of NAT_DETECTION_*_IP notifies. */
int nat_hash(uint64_t spi_i, uint64_t spi_r, const struct engine_addr *a,
	     uint8_t out[NAT_HASH_LEN]) __attribute__((warn_unused_result));

/* Adds NAT_DETECTION_SOURCE_IP and _DESTINATION_IP for the SA's addresses
 * to `m` (in SK if `inner`); `hashes` (2 * 20 bytes) must live as long as
 * `m`. */
int nat_notifies(struct ike_sa *sa, struct ike_msg *m, bool inner,
		 uint8_t hashes[2 * NAT_HASH_LEN])
	__attribute__((warn_unused_result));

/* Compares the peer's NAT_DETECTION notifies in `m` with what the SA's
 * addresses give: a SOURCE mismatch means the peer is behind a NAT, a
 * DESTINATION mismatch that we are. Sets nat_local and nat_remote. */
void nat_check(struct ike_sa *sa, const struct ike_msg *m);

/* ---- cert.c (RFC 7296 §3.6, §3.7) ---- */
struct auth_key;
enum { CERT_REQ_MAX = 8 }; /* trust anchors named in one CERTREQ */
/* Appends to `out` (room for `max` hashes after the `n` there) the SHA-1
 * SPKI hashes of the CAs connection `c` trusts for its peer, if it
 * authenticates the peer by certificate and may send CERTREQ; skips
 * duplicates. Returns the new count. */
size_t cert_req_hashes(const struct engine_conn *c, uint8_t *out, size_t n,
		       size_t max);
/* Our CERT payloads (end entity, then intermediates) as send_cert says,
 * and, as initiator, CERTREQ naming the CAs we trust for the peer
 * (hashes written to `certreq`, CERT_REQ_MAX * 20 bytes, referenced by
 * the message). */
int cert_add_payloads(struct ike_sa *sa, struct ike_msg *m, uint8_t *certreq)
	__attribute__((warn_unused_result));
/* Verifies the peer's certificate (the first CERT payload; the others are
 * intermediates) against the connection's trust and the ID it claims;
 * returns its public key (free with auth_key_free). */
int cert_verify_peer(struct ike_sa *sa, const struct ike_msg *m,
		     const struct ike_pl_id *id, struct auth_key **key)
	__attribute__((warn_unused_result));

/* ---- dos.c: what unauthenticated peers may cause ---- */
/* A responder's half-open IKE SA: no authenticated peer yet. */
bool dos_half_open(const struct ike_sa *sa);
/* False if a line about `sa` at `level` exceeds what half-open SAs may
 * log a second (counted, and reported once a second). */
bool dos_log_allowed(struct engine *e, const struct ike_sa *sa, int level);

/* ---- cookie.c (§2.6) ---- */
void cookie_maybe_rotate(struct engine *e, uint64_t now);
int cookie_compute(struct engine *e, uint8_t ver, const struct ike_msg *m,
		   const struct engine_addr *remote, uint8_t *out,
		   size_t *out_len);
/* True if `m` carries a valid COOKIE notify for the current or previous
 * secret. */
bool cookie_verify(struct engine *e, const struct ike_msg *m,
		   const struct engine_addr *remote);

/* ---- mobike.c (RFC 4555) ---- */

/* Adds MOBIKE_SUPPORTED to an IKE_AUTH message if the connection wants
 * MOBIKE; false when the message is full. */
bool mobike_add_supported(const struct ike_sa *sa, struct ike_msg *m);
/* IKE_AUTH done: MOBIKE is on if both said so; the kernel path is set. */
void mobike_auth_done(struct ike_sa *sa, const struct ike_msg *m);
/* A rekeyed IKE SA's successor keeps MOBIKE and the kernel path. */
void mobike_inherit(const struct ike_sa *old, struct ike_sa *n);
/* Builds and sends the UPDATE_SA_ADDRESSES request of a MOBIKE task. */
int mobike_build_i(struct ike_sa *sa, struct task *t, uint64_t now);
/* The answer to our UPDATE_SA_ADDRESSES: checks COOKIE2 and NAT, moves
 * the CHILD SAs. */
int mobike_process_i(struct ike_sa *sa, struct task *t,
		     const struct ike_msg *m);
/* Responder: takes a peer's UPDATE_SA_ADDRESSES in INFORMATIONAL `m`
 * (follows the peer, moves the CHILD SAs) and adds what the answer `r`
 * needs (NAT_DETECTION with `nat` as storage, COOKIE2). */
int mobike_process_r(struct ike_sa *sa, const struct ike_msg *m,
		     struct ike_msg *r, uint8_t nat[2 * NAT_HASH_LEN]);

#endif
