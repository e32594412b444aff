/* Which worker owns an IKE datagram (doc/performance.md, "Every core").
 *
 * keybridged runs N workers, each an engine of its own; the worker that
 * created an IKE SA is written in the SA's SPI we chose (its first octet,
 * modulo N) and in its id. This file is the one decision, compiled twice:
 * by the SK_REUSEPORT program (bpf/kb_steer.bpf.c), which picks the
 * worker's socket in the kernel, and by the daemon (daemon/io/worker.c),
 * which checks every datagram it reads and hands it to the right worker
 * when the kernel could not steer it (no program loaded). Both must agree
 * octet for octet, so nothing here depends on the compiler or the host:
 * fixed-width types, fixed loop counts, no division by zero.
 *
 * The IKE header (RFC 7296 §3.1): SPIi (8 octets), SPIr (8), next payload,
 * version, exchange type, flags (octet 19; 0x08 = the sender is the
 * original initiator), message ID, length: KB_STEER_HDR octets.
 */
#ifndef KB_STEER_H
#define KB_STEER_H

#include <linux/types.h>

enum {
	KB_STEER_MAX_WORKERS = 64, /* --workers at most */
	KB_STEER_HDR = 28,	   /* the IKE header */
	KB_STEER_FLAG_I = 0x08,	   /* §3.1 Initiator flag */
	/* the sockarray map: 4 groups (IPv4/500, IPv4/4500, IPv6/500,
	 * IPv6/4500) of KB_STEER_MAX_WORKERS sockets each */
	KB_STEER_SOCKS = 4 * KB_STEER_MAX_WORKERS,
};

/* The first octet of an SPI worker `worker` of `n` picks, made from a
 * random octet: `worker` modulo `n`, keeping as much of the randomness as
 * fits. With n = 1 the octet is unchanged. */
static inline __u8 kb_steer_spi_octet(__u8 random, __u32 worker, __u32 n)
{
	__u32 v;

	if (n <= 1)
		return random;
	v = (__u32)random - (__u32)random % n + worker;
	if (v > 255)
		v -= n;
	return (__u8)v;
}

/* FNV-1a (32 bits) of the initiator's SPI and the source address (IPv4 in
 * the first 4 octets of `addr`, the rest zero): where an IKE_SA_INIT
 * request goes, so that its retransmissions and its COOKIE retry (§2.6)
 * reach the worker that saw it first. */
static inline __u32 kb_steer_hash(const __u8 *spi_i, const __u8 *addr)
{
	__u32 h = 2166136261u;

	for (int i = 0; i < 8; i++)
		h = (h ^ spi_i[i]) * 16777619u;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

/* The worker (0 … n-1) that owns the IKE message whose header is `hdr`
 * (KB_STEER_HDR octets, after the non-ESP marker on port 4500), sent from
 * `addr` (16 octets as above):
 *  - SPIr zero: an IKE_SA_INIT request, by kb_steer_hash();
 *  - from the original initiator (I flag): we are the responder, our SPI
 *    is SPIr;
 *  - otherwise we are the initiator, our SPI is SPIi. */
static inline __u32 kb_steer_worker(const __u8 *hdr, const __u8 *addr, __u32 n)
{
	__u8 zero = 0;

	if (n <= 1)
		return 0;
	for (int i = 8; i < 16; i++)
		zero |= hdr[i];
	if (!zero)
		return kb_steer_hash(hdr, addr) % n;
	if (hdr[19] & KB_STEER_FLAG_I)
		return hdr[8] % n;
	return hdr[0] % n;
}

#endif
