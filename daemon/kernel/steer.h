/* The loader of the SK_REUSEPORT program that steers IKE datagrams to
 * their worker (bpf/kb_steer.bpf.c, io/worker.h). Loading needs CAP_BPF
 * (or CAP_SYS_ADMIN); the program then stays attached to the sockets'
 * reuseport groups for as long as they are open, without privileges.
 */
#ifndef KB_KERNEL_STEER_H
#define KB_KERNEL_STEER_H

#include <stddef.h>
#include <stdint.h>

struct steer;

enum { STEER_GROUPS = 4 }; /* IPv4 500, IPv4 4500, IPv6 500, IPv6 4500 */

/* Loads the program for `n` workers and attaches it to each group of
 * `fds` (fds[group * n + worker], -1 where a socket is not open), each
 * worker's socket at its place in the map. The ESP-in-UDP group is told
 * apart by `natt_port`. Returns 0 and `*out`, or -errno with `why` saying
 * which step failed and what libbpf or the kernel said. */
int steer_open(const int *fds, unsigned n, uint16_t natt_port,
	       struct steer **out, char *why, size_t cap)
	__attribute__((warn_unused_result));

/* The program's counts: datagrams steered, left to the kernel's hash
 * (not IKE), and steered to a worker whose socket was missing. */
void steer_stats(const struct steer *s, uint64_t *steered, uint64_t *passed,
		 uint64_t *missing);

/* Frees the program (it leaves the groups when their sockets close);
 * NULL is fine. */
void steer_free(struct steer *s);

#endif
