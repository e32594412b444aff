/* What the engine benchmarks set up alike: two peers, a at 192.0.2.1 and
 * b at 192.0.2.2, and one PSK connection between them with one CHILD SA
 * from 10.1.0.0/16 (a's side) to 10.2.0.0/16 (b's). */
#ifndef KB_BENCH_CONN_H
#define KB_BENCH_CONN_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IPv4 address `ip`, port 500. */
void bench_addr(struct engine_addr *a, const char *ip);

/* The selector 10.net.0.0 - 10.net.255.255, any protocol and port. */
void bench_ts(struct engine_ts *t, uint8_t net);

/* Connection `name` of peer a (`is_a`) or b: AES-GCM-16 with `aes_bits`,
 * PRF HMAC-SHA2-256 and X25519 for IKE, the same AES-GCM for ESP, 32
 * octets of `psk_byte` as PSK, identities "a" and "b", and the CHILD SA
 * with `reqid`. */
void bench_psk_conn(struct engine_conn *c, bool is_a, const char *name,
		    unsigned aes_bits, uint8_t psk_byte, uint32_t reqid);

/* Hands the datagrams `from` wants sent to `to` (up to four of up to 2048
 * octets: a handshake's), counting in *failures each one `to` refuses and
 * calling `each(arg, to)` after each one if given; clears from's actions.
 * Returns how many it handed over. */
size_t bench_carry(struct engine *from, struct engine *to, uint64_t now,
		   unsigned long *failures,
		   void (*each)(void *arg, struct engine *to), void *arg);

#endif
