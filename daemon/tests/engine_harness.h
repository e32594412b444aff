/* Two engines in one process (DESIGN.md): a fake clock, datagram queues
 * between them, and transmit(h, from, to, how) that delivers, drops or
 * duplicates the oldest datagram in flight — or any other one, to reorder.
 * Kernel actions and events are recorded per peer for assertions.
 *
 *   a = 192.0.2.1 (initiator side)  <---->  b = 192.0.2.2 (responder side)
 *
 * With h->nat_a set, a sits behind a NAT: its datagrams leave from
 * 198.51.100.7 and source port + 10000, replies are mapped back.
 */
#ifndef KB_TESTS_ENGINE_HARNESS_H
#define KB_TESTS_ENGINE_HARNESS_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hpkt {
	struct engine_addr src, dst;
	bool marker;
	size_t len;
	uint8_t *buf;
	size_t n_k_before; /* the sender's kernel actions (hpeer.k) that came
			      before this datagram in its engine's order */
};

struct hpeer {
	const char *name;
	struct engine *e;
	struct engine_conn conn;
	struct hpkt *q; /* datagrams sent and not yet delivered */
	size_t n_q, cap_q;
	size_t n_sent; /* every SEND so far */
	/* copies of kernel actions, in order (keys included) */
	struct engine_action *k;
	size_t n_k, cap_k;
	size_t n_sa_add, n_sa_del, n_pol_add, n_pol_del, n_alloc;
	struct engine_event ev[64];
	size_t n_ev;
	uint64_t rng;
	char *log; /* every log line, '\n'-separated */
	size_t log_len, log_cap;
	int log_max;	       /* levels above are not wanted (0: all are) */
	size_t n_log_unwanted; /* lines the engine sent above log_max */
};

struct harness {
	uint64_t now;
	struct hpeer a, b;
	bool nat_a;
};

enum harness_how {
	H_DELIVER = 0,
	H_DROP = 1,
	H_DUP = 2, /* deliver twice */
};

/* Fills `c` as a PSK connection between a and b (`is_a` picks the side)
 * with one IKE proposal (encr/keylen/integ/prf/ke; integ 0 for AEAD), one
 * ESP proposal of the same cipher, FQDN identities a.example / b.example
 * and a tunnel child 10.1.0.0/16 <-> 10.2.0.0/16. */
void harness_conn(struct engine_conn *c, bool is_a, uint16_t encr,
		  uint16_t keylen, uint16_t integ, uint16_t prf, uint16_t ke);

/* Sets `ts` to an IPv4 range "a.b.c.d"-"e.f.g.h", any protocol/port. */
void harness_ts4(struct engine_ts *ts, const char *from, const char *to);

/* Creates both engines from h->a.conn and h->b.conn (set them first). */
void harness_start(struct harness *h, const struct engine_settings *set);
/* The same with settings of its own for each engine. */
void harness_start_with(struct harness *h, const struct engine_settings *set_a,
			const struct engine_settings *set_b);
void harness_free(struct harness *h);

/* Creates b's engine again after the test freed it (a peer restart). */
void harness_start_peer_b(struct harness *h);

/* b restarts (its SAs are gone) and initiates again: its first IKE SA
 * says INITIAL_CONTACT (RFC 7296 §2.4), so a removes its old IKE SA.
 * True if a logged that and holds one IKE SA, not `old_id`. */
bool harness_b_restarts(struct harness *h, uint32_t old_id);

/* Replaces b's engine by one holding `n` connections (after
 * harness_start, before any datagram): a responder choosing among
 * several connections. */
void harness_restart_b_with(struct harness *h, const struct engine_conn *conns,
			    size_t n);

/* Replaces a's engine by a fresh one with connection `c` (a peer that
 * restarted with another configuration, e.g. another identity). */
void harness_restart_a_with(struct harness *h, const struct engine_conn *c);

/* Replaces a's engine by one holding `n` connections (after
 * harness_start, before any datagram): several initiators in one, each
 * with its own identity; initiate them by name with engine_initiate(). */
void harness_restart_a_conns(struct harness *h, const struct engine_conn *conns,
			     size_t n);

/* Moves the actions of both engines into the peers' records. */
void harness_collect(struct harness *h);

/* Handles datagram `idx` of `from`'s queue towards `to`; returns the
 * engine's result, or -1000000 if there is no such datagram. */
int transmit_nth(struct harness *h, struct hpeer *from, struct hpeer *to,
		 size_t idx, enum harness_how how);
int transmit(struct harness *h, struct hpeer *from, struct hpeer *to,
	     enum harness_how how);

/* Handles the newest datagram of `from` (collects first). */
int transmit_last(struct harness *h, struct hpeer *from, struct hpeer *to,
		  enum harness_how how);

/* Delivers everything both ways until no datagram is in flight (at most
 * `max` deliveries); returns the number delivered. */
int harness_run(struct harness *h, int max);

/* Advances the clock by `ms`, runs both engines' timers, collects. */
void harness_advance(struct harness *h, uint64_t ms);

/* Jumps to the earlier of both engines' deadlines (if any, and at most
 * `max_ms` ahead), runs timers; returns false if nothing was due. */
bool harness_next_timer(struct harness *h, uint64_t max_ms);

/* Number of events of `type` recorded for a peer. */
size_t harness_events(const struct hpeer *p, enum engine_event_type type);

/* True if the peer logged a line containing `needle`. */
bool harness_logged(const struct hpeer *p, const char *needle);

/* The only IKE SA of a peer's engine, or 0. */
uint32_t harness_ike_id(const struct hpeer *p);

/* State of the peer's only IKE SA (ENGINE_IKE_NONE if it has none). */
enum engine_ike_state harness_state(const struct hpeer *p);

/* Last SA_ADD action of `p` with the given direction, or NULL. */
const struct engine_sa *harness_sa_add(const struct hpeer *p, bool inbound);

/* Initiates h->a's connection (and collects). */
uint32_t harness_initiate(struct harness *h);

/* Fills both connections with the same suite (see harness_conn); the
 * default is AES-GCM-256 / PRF-SHA256 / X25519 with PSK. */
void harness_pair(struct harness *h, uint16_t encr, uint16_t keylen,
		  uint16_t integ, uint16_t prf, uint16_t ke);
void harness_pair_default(struct harness *h);

/* Turns off every time-based rekey and expiry of both connections (for
 * tests of other timers). */
void harness_no_lifetimes(struct harness *h);

/* Initiates h->a's connection and runs IKE_SA_INIT message by message
 * with state checks: a's IKE_AUTH request is the next datagram. */
void harness_sa_init(struct harness *h);

/* Runs IKE_SA_INIT and IKE_AUTH message by message with state checks. */
void harness_establish(struct harness *h);

/* What a peer's kernel holds after its actions so far: ESP SAs by SPI
 * (inbound, outbound, and larval ones reserved by ALLOC_SPI) and
 * policies. */
enum { HK_MAX = 64 };
struct hkernel {
	size_t n_in, n_out, n_larval, n_pol;
	uint32_t in[HK_MAX], out[HK_MAX], larval[HK_MAX];
	struct engine_policy pol[HK_MAX];
	size_t n_pol_del; /* POLICY_DEL actions seen */
};
void harness_kernel(const struct hpeer *p, struct hkernel *k);

/* Checks that the two kernels hold exactly `n_children` SA pairs that
 * match (a's outbound SPIs are b's inbound ones and back), no larval SA,
 * and `n_pol` policies each. */
void harness_check_kernels(const struct harness *h, size_t n_children,
			   size_t n_pol);

/* Checks that both sides' last SA_ADD actions describe the same ESP SA
 * pair: a's outbound is b's inbound and back, keys included (§2.17). */
void harness_check_child_pair(const struct harness *h);

#endif
