/* Routes for virtual addresses over rtnetlink; see route.h. */
#include "kernel/route.h"

#include "kernel/kernel.h"
#include "kernel/roam_msg.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

static size_t route_alen(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int route_msg_build(void *buf, size_t cap, bool add, uint32_t seq,
		    uint8_t family, const uint8_t *dst, uint8_t plen,
		    const uint8_t *src, const uint8_t *gw, uint32_t oif)
{
	size_t alen = route_alen(family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (!alen || plen > alen * 8)
		return -EINVAL;
	if (cap < ROUTE_MSG_BUFSIZE)
		return -ENOSPC;
	memset(buf, 0, ROUTE_MSG_BUFSIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = ROUTE_TABLE_VIP;
	rtm->rtm_protocol = ROUTE_PROTO_KEYBRIDGE;
	/* a delete matches any scope (as `ip route del`), an add says it */
	rtm->rtm_scope = !add ? RT_SCOPE_NOWHERE
			 : gw ? RT_SCOPE_UNIVERSE
			      : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, ROUTE_TABLE_VIP);
	if (plen)
		mnl_attr_put(nlh, RTA_DST, (uint16_t)alen, dst);
	if (src)
		mnl_attr_put(nlh, RTA_PREFSRC, (uint16_t)alen, src);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, (uint16_t)alen, gw);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return (int)nlh->nlmsg_len;
}

int route_msg_rule(void *buf, size_t cap, bool add, uint32_t seq,
		   uint8_t family)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	if (!route_alen(family))
		return -EINVAL;
	if (cap < ROUTE_MSG_BUFSIZE)
		return -ENOSPC;
	memset(buf, 0, ROUTE_MSG_BUFSIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = ROUTE_TABLE_VIP;
	mnl_attr_put_u32(nlh, FRA_TABLE, ROUTE_TABLE_VIP);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, ROUTE_TABLE_VIP);
	return (int)nlh->nlmsg_len;
}

static struct mnl_socket *route_open(void)
{
	struct timeval tv = { .tv_sec = 5 };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* Sends one request on a fresh socket; `cb` sees the answers (a dump's
 * messages or the one reply). 0 or -errno. */
static int route_talk(const void *req, size_t len, uint32_t seq, mnl_cb_t cb,
		      void *data)
{
	static uint8_t rbuf[16384];
	struct mnl_socket *nl = route_open();
	unsigned portid;
	ssize_t got;
	int r = -EIO;

	if (!nl)
		return -errno;
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, req, len) < 0) {
		r = -errno;
		goto out;
	}
	while ((got = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf))) > 0) {
		r = mnl_cb_run(rbuf, (size_t)got, seq, portid, cb, data);
		if (r <= MNL_CB_STOP) {
			r = r < 0 ? -errno : 0;
			goto out;
		}
	}
	r = got < 0 ? -errno : -EIO;
out:
	mnl_socket_close(nl);
	return r;
}

int route_change(bool add, uint8_t family, const uint8_t *dst, uint8_t plen,
		 const uint8_t *src, const uint8_t *gw, uint32_t oif)
{
	uint8_t buf[ROUTE_MSG_BUFSIZE];
	int len = route_msg_build(buf, sizeof(buf), add, 1, family, dst, plen,
				  src, gw, oif);
	int r;

	if (len < 0)
		return len;
	r = route_talk(buf, (size_t)len, 1, NULL, NULL);
	return !add && r == -ESRCH ? 0 : r;
}

int route_rule(bool add, uint8_t family)
{
	uint8_t buf[ROUTE_MSG_BUFSIZE];
	int len = route_msg_rule(buf, sizeof(buf), add, 1, family);
	int r;

	if (len < 0)
		return len;
	r = route_talk(buf, (size_t)len, 1, NULL, NULL);
	if ((add && r == -EEXIST) || (!add && r == -ENOENT))
		return 0;
	return r;
}

static int route_lookup_cb(const struct nlmsghdr *nlh, void *data)
{
	return roam_msg_parse_route(nlh, data) ? MNL_CB_ERROR : MNL_CB_STOP;
}

int route_lookup(uint8_t family, const uint8_t *dst, uint8_t gw[16],
		 bool *has_gw, uint32_t *oif)
{
	uint8_t buf[ROAM_MSG_BUFSIZE];
	struct kernel_addr d = { .family = family };
	struct roam_route rt;
	int len, r;

	if (!route_alen(family))
		return -EINVAL;
	memcpy(d.a.raw, dst, route_alen(family));
	len = roam_msg_route_get(buf, sizeof(buf), 1, &d);
	if (len < 0)
		return len;
	memset(&rt, 0, sizeof(rt));
	if ((r = route_talk(buf, (size_t)len, 1, route_lookup_cb, &rt)))
		return r;
	if (!rt.oif)
		return -ENETUNREACH;
	*oif = rt.oif;
	*has_gw = rt.gateway.family == family;
	memset(gw, 0, 16);
	if (*has_gw)
		memcpy(gw, rt.gateway.a.raw, route_alen(family));
	return 0;
}

/* ---- removal of what an earlier run left ---- */

struct route_found {
	size_t n;
	struct {
		uint8_t family, plen;
		uint8_t dst[16];
	} r[64];
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= RTA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct route_found *f = data;
	struct rtmsg rtm;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(rtm))
		return MNL_CB_OK;
	memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
	alen = route_alen(rtm.rtm_family);
	if (!alen || rtm.rtm_protocol != ROUTE_PROTO_KEYBRIDGE ||
	    rtm.rtm_dst_len > alen * 8 ||
	    mnl_attr_parse(nlh, sizeof(rtm), route_attr_cb, tb) < 0 ||
	    !tb[RTA_TABLE] || mnl_attr_get_payload_len(tb[RTA_TABLE]) != 4 ||
	    mnl_attr_get_u32(tb[RTA_TABLE]) != ROUTE_TABLE_VIP ||
	    f->n >= sizeof(f->r) / sizeof(f->r[0]))
		return MNL_CB_OK;
	memset(&f->r[f->n], 0, sizeof(f->r[0]));
	f->r[f->n].family = rtm.rtm_family;
	f->r[f->n].plen = rtm.rtm_dst_len;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == alen)
		memcpy(f->r[f->n].dst, mnl_attr_get_payload(tb[RTA_DST]), alen);
	f->n++;
	return MNL_CB_OK;
}

int route_flush_ours(void)
{
	uint8_t req[64];
	struct route_found f = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int r, removed = 0;

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 2;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	if ((r = route_talk(req, nlh->nlmsg_len, 2, route_dump_cb, &f)))
		return r;
	for (size_t i = 0; i < f.n; i++)
		if (route_change(false, f.r[i].family, f.r[i].dst, f.r[i].plen,
				 NULL, NULL, 0) == 0)
			removed++;
	/* the rules go too: an IPv6 one may be missing, an error then */
	if ((r = route_rule(false, AF_INET)) ||
	    (r = route_rule(false, AF_INET6)))
		return r == -EAFNOSUPPORT ? removed : r;
	return removed;
}
