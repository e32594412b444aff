/* USDT probes of keybridged, provider "keybridge" (sys/sdt.h from
 * systemtap-sdt-dev). Each is a nop instruction until a tracer attaches
 * (`bpftrace -l 'usdt:/usr/local/sbin/keybridged:*'` lists them); their
 * arguments are documented in doc/tracing.md, and a probe's arguments must
 * not change meaning once released: scripts depend on them.
 *
 *   ike_sa_state(conn, ike_id, state, reason)   state "up" "down" "failed"
 *   child_sa_installed(conn, ike_id, spi, inbound)
 *   child_sa_deleted(conn, ike_id, spi, inbound)
 *   rekey_start(conn, ike_id, spi, why)
 *   rekey_done(conn, ike_id, what)               what "child" or "ike"
 *   exchange_sent(ike_id, remote, len)
 *   exchange_received(remote, local_port, len, result)
 *   auth_failed(conn, ike_id, reason)
 *   message_dropped(remote, reason)
 *   kernel_error(conn, ike_id, message)
 * Strings are char *, numbers integers (spi in host order).
 */
#ifndef KB_IO_PROBES_H
#define KB_IO_PROBES_H

/* Each probe has a semaphore (probes.c) that a tracer raises while it is
 * attached (bpftrace does): KB_PROBE_ON(name) tells whether arguments that
 * cost something to build, such as addresses as text, are wanted. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#define KB_PROBE_SEMAPHORE(n) keybridge_##n##_semaphore
#define KB_PROBE_ON(n)	      __builtin_expect(KB_PROBE_SEMAPHORE(n) != 0, 0)

#define KB_PROBE_LIST(X)                                                       \
	X(ike_sa_state)                                                        \
	X(child_sa_installed)                                                  \
	X(child_sa_deleted)                                                    \
	X(rekey_start)                                                         \
	X(rekey_done)                                                          \
	X(exchange_sent)                                                       \
	X(exchange_received)                                                   \
	X(auth_failed)                                                         \
	X(message_dropped)                                                     \
	X(kernel_error)
#define KB_PROBE_DECLARE(n)                                                    \
	extern volatile unsigned short KB_PROBE_SEMAPHORE(n);
KB_PROBE_LIST(KB_PROBE_DECLARE)
#undef KB_PROBE_DECLARE

#define KB_PROBE2(n, a, b)	 STAP_PROBE2(keybridge, n, a, b)
#define KB_PROBE3(n, a, b, c)	 STAP_PROBE3(keybridge, n, a, b, c)
#define KB_PROBE4(n, a, b, c, d) STAP_PROBE4(keybridge, n, a, b, c, d)

#endif
