/* IKE's UDP sockets: ports 500 and 4500, IPv4 and IPv6.
 *
 * Each socket reports the local address a datagram arrived on (IP_PKTINFO /
 * IPV6_RECVPKTINFO), so a reply leaves from the address the peer used, and
 * sends from a chosen local address. The 4500 socket is set up for
 * ESP-in-UDP (UDP_ENCAP_ESPINUDP, RFC 3948): the kernel decapsulates ESP and
 * eats NAT-keepalives; only IKE datagrams, with their 4-byte non-ESP marker,
 * reach the daemon. Every socket carries a per-socket IPsec bypass policy so
 * that IKE itself is never caught by the tunnels it negotiates; the kernel
 * backend builds it (kernel_ops.socket_bypass), as XFRM and PF_KEY spell it
 * differently.
 */
#ifndef KB_IO_UDP_H
#define KB_IO_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct udp_sock {
	int fd;
	int family;    /* AF_INET or AF_INET6 */
	uint16_t port; /* local port, host order */
	bool natt;     /* the ESP-in-UDP (4500) socket */
};

/* Puts the IPsec bypass policy on a fresh socket; 0 or -errno. */
typedef int (*udp_bypass_fn)(int fd, int family);

/* Opens a non-blocking socket of `family` bound to the wildcard address and
 * `port` (0 picks one; the chosen port is stored). `natt` enables
 * UDP_ENCAP_ESPINUDP; `bypass` (a backend's socket_bypass) exempts it from
 * IPsec policies. Returns 0 or -errno; on error `s->fd` is -1. */
int udp_open(struct udp_sock *s, int family, uint16_t port, bool natt,
	     udp_bypass_fn bypass) __attribute__((warn_unused_result));

/* The same, with SO_REUSEPORT when `reuseport`: one socket of a group
 * that shares the port, one per worker (io/worker.h). Any process of the
 * same user may join such a group, so the `first` socket of the group
 * checks that nobody holds the port at all (a second keybridged started
 * with another lock file would join the first one's group and take a
 * share of its datagrams): -EADDRINUSE then, as without SO_REUSEPORT. */
int udp_open_shared(struct udp_sock *s, int family, uint16_t port, bool natt,
		    udp_bypass_fn bypass, bool reuseport, bool first)
	__attribute__((warn_unused_result));

/* Closes the socket; safe on a socket that never opened. */
void udp_close(struct udp_sock *s);

/* Receives one datagram into `buf`: returns its length (a longer datagram is
 * reported as -EMSGSIZE and dropped), -EAGAIN when none is waiting, or
 * -errno. Fills `local` (address and port it was sent to) and `remote`. */
ssize_t udp_recv(struct udp_sock *s, void *buf, size_t cap,
		 struct sockaddr_storage *local,
		 struct sockaddr_storage *remote);

/* Sends `len` bytes to `remote` from the local address in `local` (its port
 * is ignored: the socket's port is used; a wildcard address lets the kernel
 * choose). Returns 0 or -errno. */
int udp_send(struct udp_sock *s, const void *buf, size_t len,
	     const struct sockaddr_storage *local,
	     const struct sockaddr_storage *remote);
/* The same with a zero non-ESP marker (RFC 3948 §2.2) before the
 * bytes when `marker` is set, put in front by the kernel (no copy). */
int udp_send_ike(struct udp_sock *s, bool marker, const void *buf, size_t len,
		 const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote);

/* Formats an address as "192.0.2.1[500]" / "2001:db8::1[4500]". */
const char *udp_addr_str(const struct sockaddr_storage *ss, char *out,
			 size_t cap);

#endif
