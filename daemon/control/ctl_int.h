/* The control socket's internals, shared by ctl.c (sockets, clients,
 * events), ctl_cmd.c (commands) and ctl_sa.c (how SAs and connections are
 * described, with the key names and value formats charon uses so that
 * swanctl and exporters read them unchanged). */
#ifndef KB_CONTROL_CTL_INT_H
#define KB_CONTROL_CTL_INT_H

#include "control/ctl.h"
#include "control/ctl_idx.h"
#include "control/vici.h"
#include "engine/engine.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum {
	CTL_MAX_CLIENTS = 128,
	CTL_OUT_MAX = 4 << 20,	/* queued bytes beyond which a client goes */
	CTL_OUT_LOW = 64 << 10, /* refill a streamed listing below this */
	CTL_SCRATCH = VICI_LEN_MAX + 4,
};

/* No next CHILD SA record (struct ctl_child). */
#define CTL_CHILD_NONE UINT32_MAX

/* Events a client may register for, as bits. */
enum ctl_event {
	CTL_EV_LIST_SA = 1u << 0,
	CTL_EV_LIST_CONN = 1u << 1,
	CTL_EV_LIST_POLICY = 1u << 2,
	CTL_EV_CONTROL_LOG = 1u << 3,
	CTL_EV_LOG = 1u << 4,
	CTL_EV_IKE_UPDOWN = 1u << 5,
	CTL_EV_CHILD_UPDOWN = 1u << 6,
	CTL_EV_IKE_REKEY = 1u << 7,
	CTL_EV_CHILD_REKEY = 1u << 8,
};

/* What a command waits for before it answers. */
enum ctl_wait_kind {
	CTL_WAIT_NONE = 0,
	CTL_WAIT_INITIATE,  /* the IKE SA (and, with `child`, a CHILD SA) up */
	CTL_WAIT_TERMINATE, /* the IKE SAs in `ids` (or one child) gone */
};

struct ctl_wait {
	enum ctl_wait_kind kind;
	bool child;	   /* initiate: wait for a CHILD SA too */
	int loglevel;	   /* control-log events up to this (charon 0..4) */
	uint64_t deadline; /* monotonic ms, 0 = none */
	long timeout_ms;   /* as requested, for the message */
	uint32_t spi_in;   /* terminate one child: its inbound SPI */
	uint32_t *ids;	   /* IKE SAs concerned */
	size_t n_ids;
	unsigned matches; /* terminate: SAs matched */
	char what[96];	  /* "IKE_SA 'home'" for messages */
};

/* A streamed list-sas in progress. */
struct ctl_stream {
	bool active;
	uint32_t *ids;
	size_t n, next;
	char ike[ENGINE_NAME_MAX], child[ENGINE_NAME_MAX];
	uint32_t ike_id, child_id;
};

struct ctl_client {
	int fd;
	uid_t uid;
	pid_t pid;
	bool may_read, may_write;
	bool dead;
	uint8_t *in; /* one segment being received */
	size_t in_len, in_cap;
	uint8_t *out; /* queued bytes [out_off, out_len) */
	size_t out_off, out_len, out_cap;
	uint32_t events; /* enum ctl_event bits */
	struct ctl_wait wait;
	struct ctl_stream stream;
};

/* What the control module remembers about an IKE SA beyond engine.h. */
struct ctl_ike {
	uint32_t ike_id;
	uint64_t up_ms; /* when it was established, 0 = not yet */
	bool announced; /* ike-updown up raised */
	bool rekeyed;	/* replaced by a rekey: its end is no "down" */
	struct engine_ike_info info;
	/* the identity the peer proved, as text, kept for the events about
	 * the SA once it is gone (malloc'd; NULL before IKE_AUTH) */
	char *remote_id;
};

/* … and about a CHILD SA: when it was installed, the lifetimes and
 * encapsulation of its SA_ADD, and the last engine view of it (kept for
 * the events about it once it is gone). */
struct ctl_child {
	uint32_t ike_id;
	uint32_t spi_in;
	uint32_t uid;
	uint32_t reqid;
	char name[ENGINE_NAME_MAX];
	uint64_t install_ms;
	bool encap, announced, have_info;
	bool rekey_announced; /* child-rekey raised for it as the old one */
	uint64_t life_soft_s, life_hard_s;
	struct engine_child_info info;
	/* positions of the IKE SA's next CHILD SA record (CTL_CHILD_NONE
	 * after the last) and of the previous one (the first record's prev
	 * is the last one): records are listed in the order they came */
	uint32_t next, prev;
};

struct ctl {
	struct ctl_host host;
	char *path;
	int epfd, listen_fd, timer_fd;
	uint64_t timer_deadline; /* what timer_fd holds (0: none) … */
	bool timer_armed;	 /* … if this is true */
	gid_t group;		 /* who may read: the socket's group */
	time_t started;
	uint64_t started_ms;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
	struct ctl_ike *ikes;
	size_t n_ikes, cap_ikes;
	struct ctl_idx ike_idx; /* ike_id -> position in ikes */
	struct ctl_child *children;
	size_t n_children, cap_children;
	struct ctl_idx child_idx;   /* (ike_id, spi_in) -> position */
	struct ctl_idx child_head;  /* ike_id -> its first CHILD SA record */
	struct ctl_client *capture; /* gets every control-log line now */
	bool in_log;		    /* a log line is being raised */
	uint8_t *scratch;	    /* CTL_SCRATCH bytes to build packets in */
};

/* ---- ctl.c ------------------------------------------------------------- */

/* Queues a finished segment for a client (drops the client when its queue
 * would pass CTL_OUT_MAX) and tries to write at once. */
void ctl_send(struct ctl *c, struct ctl_client *cl, const struct wr *w);

/* A writer over the scratch buffer. */
struct wr ctl_scratch(struct ctl *c);

/* Sends `name` as an EVENT built by `fill` to every client registered for
 * `bit`. */
void ctl_raise(struct ctl *c, uint32_t bit, const char *name,
	       void (*fill)(struct ctl *c, struct wr *w, const void *arg),
	       const void *arg);

/* Answers the pending command of `cl`: success, or errmsg. */
void ctl_reply_result(struct ctl *c, struct ctl_client *cl, const char *errmsg,
		      int matches, int terminated);

/* Re-arms the client's epoll interest and the timeout timer. */
void ctl_client_arm(struct ctl *c, struct ctl_client *cl);
void ctl_timer_arm(struct ctl *c);

/* Ends the pending command of a client, if any. */
void ctl_wait_clear(struct ctl_wait *w);

/* True if a waiting command is about IKE SA `id`. */
static inline bool ctl_wait_has(const struct ctl_wait *w, uint32_t id)
{
	for (size_t i = 0; i < w->n_ids; i++)
		if (w->ids[i] == id)
			return true;
	return false;
}

/* ---- ctl_cmd.c --------------------------------------------------------- */

/* Runs one CMD_REQUEST; false if there is no such command. */
bool ctl_cmd_run(struct ctl *c, struct ctl_client *cl, const char *name,
		 const uint8_t *msg, size_t len);

/* Writes more list-sa events of a streamed list-sas, ends it with the
 * response when done. */
void ctl_stream_fill(struct ctl *c, struct ctl_client *cl);

/* Engine events that finish waiting commands. */
void ctl_cmd_on_event(struct ctl *c, const struct engine_action *a);

/* Timeouts of waiting commands. */
void ctl_cmd_on_timer(struct ctl *c, uint64_t now);

/* ---- ctl_sa.c ---------------------------------------------------------- */

/* Records and lookups, none of them walking other IKE SAs' records. A
 * record has no stable address: forgetting one moves the last record
 * into its place, so pointers to records do not survive a forget. */
struct ctl_ike *ctl_ike_get(struct ctl *c, uint32_t ike_id, bool create);
void ctl_ike_forget(struct ctl *c, uint32_t ike_id);
/* The CHILD SA record of IKE SA `ike_id` with inbound SPI `spi_in`
 * (created, appended to the IKE SA's list, with `create`); NULL if there
 * is none (or no memory). */
struct ctl_child *ctl_child_get(struct ctl *c, uint32_t ike_id, uint32_t spi_in,
				bool create);
void ctl_child_forget(struct ctl *c, struct ctl_child *ch);
/* The CHILD SA records of one IKE SA, oldest first: for (ch = first;
 * ch; ch = next) while none is forgotten. */
struct ctl_child *ctl_child_first(struct ctl *c, uint32_t ike_id);
struct ctl_child *ctl_child_next(struct ctl *c, const struct ctl_child *ch);
/* Hands record `ch` to IKE SA `to` (last on its list); false, with
 * nothing changed, if `to` has a record with that SPI or memory ran out.
 * The record stays where it is in the array. */
bool ctl_child_move(struct ctl *c, struct ctl_child *ch, uint32_t to);
/* Hands every record of IKE SA `from` to `to` (an IKE SA rekey); a record
 * `to` has already for the same SPI gives way to the older one. */
void ctl_children_move(struct ctl *c, uint32_t from, uint32_t to);
/* Forgets every CHILD SA record of IKE SA `ike_id`. */
void ctl_children_forget(struct ctl *c, uint32_t ike_id);

/* Brings the records of IKE SA `ike_id` in line with the engine: new
 * children get records (and their names), the engine's view is copied. */
void ctl_sa_sync(struct ctl *c, uint32_t ike_id, uint64_t now);

/* Writes the body of an IKE SA as list-sa does (without the child-sas
 * section); `ike` is its record. */
void ctl_sa_write_ike(struct ctl *c, struct wr *w, const struct ctl_ike *ike,
		      uint64_t now);

/* Writes one CHILD SA's section ("name-uid" { … }), or only what is
 * inside it. */
void ctl_sa_write_child(struct ctl *c, struct wr *w, const struct ctl_ike *ike,
			const struct ctl_child *ch, uint64_t now);
void ctl_sa_write_child_body(struct ctl *c, struct wr *w,
			     const struct ctl_ike *ike,
			     const struct ctl_child *ch, uint64_t now);

/* Writes a list-conn section for connection `i`. */
void ctl_sa_write_conn(struct ctl *c, struct wr *w, size_t i);

/* Text forms as charon prints them. */
const char *ctl_ts_str(const struct engine_ts *ts, char *out, size_t cap);
const char *ctl_addr_str(const struct engine_addr *a, char *out, size_t cap);
const char *ctl_id_str(const struct engine_id *id, char *out, size_t cap);
const char *ctl_encr_name(unsigned id);
const char *ctl_integ_name(unsigned id);
const char *ctl_prf_name(unsigned id);
const char *ctl_ke_name(unsigned id);
const char *ctl_ike_state_name(enum engine_ike_state s);
const char *ctl_child_state_name(enum engine_child_state s);

/* ctl_shard.c: the engine holding IKE SA `ike_id` (0: the first, which
 * initiates), and counts and ids over every engine. */
struct engine *ctl_engine(const struct ctl *c, uint32_t ike_id);
size_t ctl_ike_count(const struct ctl *c);
size_t ctl_half_open_count(const struct ctl *c);
size_t ctl_ike_list(const struct ctl *c, uint32_t *ids, size_t cap);

#endif
