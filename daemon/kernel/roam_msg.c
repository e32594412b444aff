/* rtnetlink builders and parsers for the address watch; see roam_msg.h.
 * Payloads are copied out after their length is checked, never cast in
 * place (STYLE.md rule 3). */
#include "kernel/roam_msg.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

int roam_msg_route_get(void *buf, size_t cap, uint32_t seq,
		       const struct kernel_addr *dst)
{
	size_t alen = kernel_addr_len(dst->family);
	struct nlmsghdr *nlh;
	struct rtmsg rtm;

	if (!alen)
		return -EINVAL;
	if (cap < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(rtm)) + MNL_ATTR_HDRLEN +
			  MNL_ALIGN(alen))
		return -ENOSPC;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	memset(&rtm, 0, sizeof(rtm));
	rtm.rtm_family = (unsigned char)dst->family;
	rtm.rtm_dst_len = (unsigned char)(alen * 8);
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(rtm)), &rtm, sizeof(rtm));
	mnl_attr_put(nlh, RTA_DST, (uint16_t)alen, dst->a.raw);
	return (int)nlh->nlmsg_len;
}

/* An address attribute of `family`'s exact size, else false. */
static bool addr_attr(const struct nlattr *a, uint16_t family,
		      struct kernel_addr *out)
{
	size_t alen = kernel_addr_len(family);

	if (!alen || mnl_attr_get_payload_len(a) != alen)
		return false;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->a.raw, mnl_attr_get_payload(a), alen);
	return true;
}

struct attr_ctx {
	uint16_t family;
	bool bad;
	union {
		struct roam_route *route;
		struct roam_event *ev;
	} o;
	struct kernel_addr local, address;
};

static int route_attr(const struct nlattr *a, void *arg)
{
	struct attr_ctx *c = arg;
	struct roam_route *r = c->o.route;

	switch (mnl_attr_get_type(a)) {
	case RTA_PREFSRC: c->bad |= !addr_attr(a, c->family, &r->src); break;
	case RTA_GATEWAY:
		c->bad |= !addr_attr(a, c->family, &r->gateway);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			c->bad = true;
		else
			r->oif = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static bool family_ok(uint8_t f)
{
	return f == AF_INET || f == AF_INET6;
}

int roam_msg_parse_route(const struct nlmsghdr *nlh, struct roam_route *out)
{
	struct attr_ctx c = { 0 };
	struct rtmsg rtm;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EBADMSG;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return -ENOMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtm))
		return -EBADMSG;
	memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
	if (!family_ok(rtm.rtm_family))
		return -EBADMSG;
	c.family = rtm.rtm_family;
	c.o.route = out;
	if (mnl_attr_parse(nlh, sizeof(rtm), route_attr, &c) < 0 || c.bad) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

static int addr_attr_cb(const struct nlattr *a, void *arg)
{
	struct attr_ctx *c = arg;

	switch (mnl_attr_get_type(a)) {
	case IFA_LOCAL: c->bad |= !addr_attr(a, c->family, &c->local); break;
	case IFA_ADDRESS:
		c->bad |= !addr_attr(a, c->family, &c->address);
		break;
	case IFA_FLAGS: /* 32-bit flags beside ifa_flags' 8 (since 3.14) */
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			c->bad = true;
		else
			c->o.ev->flags = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int parse_addr(const struct nlmsghdr *nlh, struct roam_event *ev)
{
	struct attr_ctx c = { 0 };
	struct ifaddrmsg ifa;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifa))
		return -EBADMSG;
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	if (!family_ok(ifa.ifa_family) ||
	    ifa.ifa_prefixlen > (ifa.ifa_family == AF_INET ? 32 : 128))
		return -EBADMSG;
	ev->type = nlh->nlmsg_type == RTM_NEWADDR ? ROAM_EV_ADDR_NEW
						  : ROAM_EV_ADDR_DEL;
	ev->family = ifa.ifa_family;
	ev->ifindex = ifa.ifa_index;
	ev->plen = ifa.ifa_prefixlen;
	ev->flags = ifa.ifa_flags;
	c.family = ifa.ifa_family;
	c.o.ev = ev;
	if (mnl_attr_parse(nlh, sizeof(ifa), addr_attr_cb, &c) < 0 || c.bad)
		return -EBADMSG;
	/* IPv4: IFA_LOCAL is ours, IFA_ADDRESS the peer of a point-to-point
	 * link; IPv6 sends IFA_ADDRESS only (rtnetlink(7)). */
	ev->addr = c.local.family ? c.local : c.address;
	if (!ev->addr.family)
		return -EBADMSG;
	return 0;
}

static int route_ev_attr(const struct nlattr *a, void *arg)
{
	struct attr_ctx *c = arg;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST: c->bad |= !addr_attr(a, c->family, &c->o.ev->addr); break;
	case RTA_OIF:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			c->bad = true;
		else
			c->o.ev->ifindex = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int parse_route_ev(const struct nlmsghdr *nlh, struct roam_event *ev)
{
	struct attr_ctx c = { 0 };
	struct rtmsg rtm;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtm))
		return -EBADMSG;
	memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
	if (!family_ok(rtm.rtm_family) ||
	    rtm.rtm_dst_len > (rtm.rtm_family == AF_INET ? 32 : 128))
		return -EBADMSG;
	ev->type = ROAM_EV_ROUTE;
	ev->family = rtm.rtm_family;
	ev->plen = rtm.rtm_dst_len;
	c.family = rtm.rtm_family;
	c.o.ev = ev;
	if (mnl_attr_parse(nlh, sizeof(rtm), route_ev_attr, &c) < 0 || c.bad)
		return -EBADMSG;
	return 0;
}

int roam_msg_parse_event(const struct nlmsghdr *nlh, struct roam_event *ev)
{
	int r = -ENOMSG;

	memset(ev, 0, sizeof(*ev));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EBADMSG;
	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR: r = parse_addr(nlh, ev); break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE: r = parse_route_ev(nlh, ev); break;
	}
	if (r)
		memset(ev, 0, sizeof(*ev));
	return r;
}
