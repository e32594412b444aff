/* Routes for virtual addresses over rtnetlink; see route.h. */
#include "kernel/route.h"

#include "kernel/kernel.h"
#include "kernel/roam_msg.h"
#include "kernel/rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

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
	nlh = rtnl_msg_start(
		buf, cap, ROUTE_MSG_BUFSIZE, add ? RTM_NEWROUTE : RTM_DELROUTE,
		NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0), seq);
	if (!nlh)
		return -ENOSPC;
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
	nlh = rtnl_msg_start(
		buf, cap, ROUTE_MSG_BUFSIZE, add ? RTM_NEWRULE : RTM_DELRULE,
		NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
	if (!nlh)
		return -ENOSPC;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = ROUTE_TABLE_VIP;
	mnl_attr_put_u32(nlh, FRA_TABLE, ROUTE_TABLE_VIP);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, ROUTE_TABLE_VIP);
	return (int)nlh->nlmsg_len;
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
	r = rtnl_talk(buf, (size_t)len, NULL, NULL);
	return !add && r == -ESRCH ? 0 : r;
}

int route_rule(bool add, uint8_t family)
{
	uint8_t buf[ROUTE_MSG_BUFSIZE];
	int len = route_msg_rule(buf, sizeof(buf), add, 1, family);
	int r;

	if (len < 0)
		return len;
	r = rtnl_talk(buf, (size_t)len, NULL, NULL);
	if ((add && r == -EEXIST) || (!add && r == -ENOENT))
		return 0;
	return r;
}

static int route_lookup_cb(const struct nlmsghdr *nlh, void *data)
{
	int r = roam_msg_parse_route(nlh, data);

	errno = -r;
	return r ? MNL_CB_ERROR : MNL_CB_STOP;
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
	if ((r = rtnl_talk(buf, (size_t)len, route_lookup_cb, &rt)))
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
	struct route_entry r[64];
};

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= RTA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

int route_msg_parse(const struct nlmsghdr *nlh, struct route_entry *out)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct rtmsg rtm;
	size_t alen;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EBADMSG;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return -ENOMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtm))
		return -EBADMSG;
	memcpy(&rtm, mnl_nlmsg_get_payload(nlh), sizeof(rtm));
	alen = route_alen(rtm.rtm_family);
	if (!alen || rtm.rtm_protocol != ROUTE_PROTO_KEYBRIDGE)
		return -ENOMSG;
	if (mnl_attr_parse(nlh, sizeof(rtm), route_attr_cb, tb) < 0)
		return -EBADMSG;
	/* RTA_TABLE names tables above 255 too; rtm_table says 252 then */
	if (!tb[RTA_TABLE] || mnl_attr_get_payload_len(tb[RTA_TABLE]) != 4)
		return -EBADMSG;
	if (mnl_attr_get_u32(tb[RTA_TABLE]) != ROUTE_TABLE_VIP)
		return -ENOMSG;
	/* a default route (/0) comes without RTA_DST */
	if (rtm.rtm_dst_len > alen * 8 ||
	    (rtm.rtm_dst_len &&
	     (!tb[RTA_DST] || mnl_attr_get_payload_len(tb[RTA_DST]) != alen)))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->family = rtm.rtm_family;
	out->plen = rtm.rtm_dst_len;
	if (rtm.rtm_dst_len)
		memcpy(out->dst, mnl_attr_get_payload(tb[RTA_DST]), alen);
	return 0;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_found *f = data;

	if (f->n < sizeof(f->r) / sizeof(f->r[0]) &&
	    route_msg_parse(nlh, &f->r[f->n]) == 0)
		f->n++;
	return MNL_CB_OK;
}

int route_flush_ours(void)
{
	uint8_t req[64];
	struct route_found f = { 0 };
	int len = rtnl_msg_dump(req, sizeof(req), RTM_GETROUTE, 2,
				sizeof(struct rtmsg));
	int r, removed = 0;

	if (len < 0)
		return len;
	if ((r = rtnl_talk(req, (size_t)len, route_dump_cb, &f)))
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
