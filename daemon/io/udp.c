/* IKE's UDP sockets; see udp.h. */
#include "io/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

/* Receive queue of an IKE socket. Under an IKE_SA_INIT flood the daemon
 * keeps up on average but not across the gaps in which a busy machine
 * does not run it: the default 208 KiB hold about 160 requests (20 ms of
 * a 8000/s flood), 4 MiB about 3000, so those gaps drop no legitimate
 * peer's datagram (test flood_*, doc/security.md). */
enum { UDP_RCVBUF = 4 << 20 };

static int udp_setopt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

/* Socket options for one IKE socket, in the order they must be set. */
static int udp_configure(struct udp_sock *s, udp_bypass_fn bypass)
{
	int fd = s->fd, r;

	/* No SO_REUSEADDR: on Linux it lets two UDP sockets share a port, and
	 * a second daemon would silently split IKE traffic with the first. */
	r = 0;
	if (s->family == AF_INET6)
		r = udp_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (!r && s->family == AF_INET6)
		r = udp_setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	if (!r && s->family == AF_INET)
		r = udp_setopt(fd, IPPROTO_IP, IP_PKTINFO, 1);
	/* SO_RCVBUFFORCE (CAP_NET_ADMIN) passes net.core.rmem_max; without
	 * it, SO_RCVBUF gets as much as that allows */
	if (!r && udp_setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, UDP_RCVBUF) < 0)
		(void)udp_setopt(fd, SOL_SOCKET, SO_RCVBUF, UDP_RCVBUF);
	if (!r)
		r = bypass(fd, s->family);
	/* RFC 3948 §2.2: ESP and IKE share port 4500. */
	if (!r && s->natt)
		r = udp_setopt(fd, IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP);
	return r;
}

int udp_open(struct udp_sock *s, int family, uint16_t port, bool natt,
	     udp_bypass_fn bypass)
{
	return udp_open_shared(s, family, port, natt, bypass, false, false);
}

/* The wildcard address of `family` with `port`; its length. */
static socklen_t udp_any(struct sockaddr_storage *ss, int family, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_port = htons(port);
		return sizeof(struct sockaddr_in);
	}
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	return sizeof(struct sockaddr_in6);
}

/* 0 if no socket at all holds `port` (a bind without SO_REUSEPORT
 * works), else -errno. */
static int udp_port_free(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = udp_any(&ss, family, port);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	/* as our sockets are: an IPv6 one does not hold the IPv4 port */
	if (family == AF_INET6)
		r = udp_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (!r && bind(fd, (struct sockaddr *)&ss, len) < 0)
		r = -errno;
	close(fd);
	return r;
}

int udp_open_shared(struct udp_sock *s, int family, uint16_t port, bool natt,
		    udp_bypass_fn bypass, bool reuseport, bool first)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, r;

	*s = (struct udp_sock){ .fd = -1, .family = family, .natt = natt };
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (reuseport && first && port && (r = udp_port_free(family, port)))
		return r;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	r = udp_configure(s, bypass);
	if (!r && reuseport &&
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		r = -errno;
	if (r)
		goto fail;
	len = udp_any(&ss, family, port);
	if (bind(s->fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&ss, &len) < 0) {
		r = -errno;
		goto fail;
	}
	s->port = ntohs(family == AF_INET
				? ((struct sockaddr_in *)&ss)->sin_port
				: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
fail:
	udp_close(s);
	return r;
}

void udp_close(struct udp_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Takes the destination address from an IP_PKTINFO / IPV6_PKTINFO cmsg. */
static void udp_local_from_cmsg(struct udp_sock *s, struct msghdr *mh,
				struct sockaddr_storage *local)
{
	memset(local, 0, sizeof(*local));
	local->ss_family = (sa_family_t)s->family;
	/* The port is the socket's, cmsg or not (a reply on 4500 must leave
	 * from the 4500 socket). */
	if (s->family == AF_INET)
		((struct sockaddr_in *)local)->sin_port = htons(s->port);
	else
		((struct sockaddr_in6 *)local)->sin6_port = htons(s->port);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *sin = (struct sockaddr_in *)local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			sin->sin_addr = pi.ipi_addr;
			sin->sin_port = htons(s->port);
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *sin6 =
				(struct sockaddr_in6 *)local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			sin6->sin6_addr = pi.ipi6_addr;
			sin6->sin6_port = htons(s->port);
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				sin6->sin6_scope_id = (uint32_t)pi.ipi6_ifindex;
		}
	}
}

ssize_t udp_recv(struct udp_sock *s, void *buf, size_t cap,
		 struct sockaddr_storage *local,
		 struct sockaddr_storage *remote)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_name = remote,
		.msg_namelen = sizeof(*remote),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	memset(remote, 0, sizeof(*remote));
	n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (mh.msg_flags & MSG_CTRUNC) /* no local address: cannot answer */
		return -EBADMSG;
	udp_local_from_cmsg(s, &mh, local);
	return n;
}

/* Adds the cmsg that picks the source address; none for a wildcard. */
static void udp_source_cmsg(struct msghdr *mh, char *ctl, size_t ctl_cap,
			    const struct sockaddr_storage *local)
{
	struct cmsghdr *c;

	mh->msg_control = ctl;
	mh->msg_controllen = ctl_cap;
	c = CMSG_FIRSTHDR(mh);
	if (local && local->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)local;
		struct in_pktinfo pi = { .ipi_spec_dst = sin->sin_addr };

		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			goto none;
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		return;
	}
	if (local && local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)local;
		struct in6_pktinfo pi = { .ipi6_addr = sin6->sin6_addr };

		if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			goto none;
		pi.ipi6_ifindex = sin6->sin6_scope_id;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		return;
	}
none:
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
}

int udp_send(struct udp_sock *s, const void *buf, size_t len,
	     const struct sockaddr_storage *local,
	     const struct sockaddr_storage *remote)
{
	return udp_send_ike(s, false, buf, len, local, remote);
}

int udp_send_ike(struct udp_sock *s, bool marker, const void *buf, size_t len,
		 const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote)
{
	static const uint8_t zero[4];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)zero, .iov_len = sizeof(zero) },
		{ .iov_base = (void *)buf, .iov_len = len },
	};
	struct msghdr mh = {
		.msg_name = (void *)remote,
		.msg_iov = marker ? iov : iov + 1,
		.msg_iovlen = marker ? 2 : 1,
	};

	if (remote->ss_family != s->family)
		return -EAFNOSUPPORT;
	mh.msg_namelen = s->family == AF_INET ? sizeof(struct sockaddr_in)
					      : sizeof(struct sockaddr_in6);
	memset(&ctl, 0, sizeof(ctl));
	udp_source_cmsg(&mh, ctl.buf, sizeof(ctl.buf), local);
	if (sendmsg(s->fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

const char *udp_addr_str(const struct sockaddr_storage *ss, char *out,
			 size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(out, cap, "%s[%u]", ip, port);
	return out;
}
