/* rtnetlink requests and answers for addr.c and route.c; see rtnl.h. */
#include "kernel/rtnl.h"

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

struct nlmsghdr *rtnl_msg_start(void *buf, size_t cap, size_t size,
				uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh;

	if (cap < size || size < MNL_NLMSG_HDRLEN)
		return NULL;
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

int rtnl_msg_dump(void *buf, size_t cap, uint16_t type, uint32_t seq,
		  size_t hdr_len)
{
	size_t size = MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr_len);
	struct nlmsghdr *nlh =
		rtnl_msg_start(buf, cap, size, type, NLM_F_DUMP, seq);

	if (!nlh)
		return -ENOSPC;
	mnl_nlmsg_put_extra_header(nlh, hdr_len); /* zeroed: AF_UNSPEC */
	return (int)nlh->nlmsg_len;
}

int rtnl_msg_run(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		 mnl_cb_t cb, void *data)
{
	const uint8_t *p = buf;
	size_t off = 0;
	int r;

	if ((uintptr_t)buf % NLMSG_ALIGNTO || len > INT_MAX)
		return -EINVAL;
	/* mnl_cb_run() stops quietly at a message running past the buffer,
	 * and mnl_attr_parse() reads up to a message's aligned end: both
	 * must be inside, as they always are in what the kernel sends */
	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		size_t step;

		memcpy(&h, p + off, sizeof(h));
		step = MNL_ALIGN((size_t)h.nlmsg_len);
		if (h.nlmsg_len < sizeof(h) || step > len - off)
			return -EBADMSG;
		off += step;
	}
	if (off != len)
		return -EBADMSG;
	errno = 0;
	r = mnl_cb_run(buf, len, seq, portid, cb, data);
	if (r >= MNL_CB_STOP)
		return r;
	/* libmnl puts the kernel's error (or its own verdict) in errno; a
	 * callback may have failed without one */
	return errno > 0 && errno < 4096 ? -errno : -EBADMSG;
}

static struct mnl_socket *rtnl_open(void)
{
	struct timeval tv = { .tv_sec = 5 };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int e;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

int rtnl_talk(const void *req, size_t len, mnl_cb_t cb, void *data)
{
	/* a dump's answers come in parts of up to this size; static, as
	 * the daemon's loop is one thread */
	static union {
		struct nlmsghdr align;
		uint8_t b[16384];
	} rbuf;
	struct nlmsghdr h;
	struct mnl_socket *nl;
	ssize_t got;
	int r;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, req, sizeof(h));
	if (!(nl = rtnl_open()))
		return -errno;
	if (mnl_socket_sendto(nl, req, len) < 0) {
		r = -errno;
		goto out;
	}
	while ((got = mnl_socket_recvfrom(nl, rbuf.b, sizeof(rbuf.b))) > 0) {
		r = rtnl_msg_run(rbuf.b, (size_t)got, h.nlmsg_seq,
				 mnl_socket_get_portid(nl), cb, data);
		if (r <= 0)
			goto out;
	}
	r = got < 0 ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return r;
}
