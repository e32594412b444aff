/* Interface addresses over rtnetlink; see addr.h. */
#include "kernel/addr.h"

#include "kernel/rtnl.h"

#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int addr_msg_build(void *buf, size_t cap, bool add, uint32_t seq,
		   uint32_t ifindex, uint8_t family, const uint8_t *ip,
		   uint8_t prefix)
{
	size_t alen = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (!alen || prefix > alen * 8 || !ifindex)
		return -EINVAL;
	nlh = rtnl_msg_start(
		buf, cap, ADDR_MSG_BUFSIZE, add ? RTM_NEWADDR : RTM_DELADDR,
		NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
	if (!nlh)
		return -ENOSPC;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	if (family == AF_INET6 && add)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, ip);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, ip);
	if (add)
		mnl_attr_put_u8(nlh, IFA_PROTO, ADDR_PROTO_KEYBRIDGE);
	return (int)nlh->nlmsg_len;
}

int addr_change(bool add, uint32_t ifindex, uint8_t family, const uint8_t *ip,
		uint8_t prefix)
{
	uint8_t buf[ADDR_MSG_BUFSIZE];
	int len, r;

	len = addr_msg_build(buf, sizeof(buf), add, 1, ifindex, family, ip,
			     prefix);
	if (len < 0)
		return len;
	r = rtnl_talk(buf, (size_t)len, NULL, NULL);
	if ((add && r == -EEXIST) || (!add && r == -EADDRNOTAVAIL))
		return 0;
	return r;
}

uint32_t addr_ifindex_of(uint8_t family, const uint8_t *ip)
{
	struct ifaddrs *list, *i;
	uint32_t idx = 0;

	if (getifaddrs(&list) < 0)
		return 0;
	for (i = list; i && !idx; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || sa->sa_family != family)
			continue;
		if (family == AF_INET &&
		    !memcmp(&((const struct sockaddr_in *)(const void *)sa)
				     ->sin_addr,
			    ip, 4))
			idx = if_nametoindex(i->ifa_name);
		if (family == AF_INET6 &&
		    !memcmp(&((const struct sockaddr_in6 *)(const void *)sa)
				     ->sin6_addr,
			    ip, 16))
			idx = if_nametoindex(i->ifa_name);
	}
	freeifaddrs(list);
	return idx;
}

/* ---- removal of what an earlier run left ---- */

struct addr_found {
	size_t n;
	struct addr_entry a[64];
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= IFA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

int addr_msg_parse(const struct nlmsghdr *nlh, struct addr_entry *out)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 }, *local;
	struct ifaddrmsg ifa;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return -ENOMSG;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(ifa)))
		return -EBADMSG;
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
		return -ENOMSG;
	alen = ifa.ifa_family == AF_INET ? 4 : 16;
	if (mnl_attr_parse(nlh, sizeof(ifa), addr_attr_cb, tb) < 0)
		return -EBADMSG;
	if (!tb[IFA_PROTO] || mnl_attr_get_payload_len(tb[IFA_PROTO]) < 1 ||
	    mnl_attr_get_u8(tb[IFA_PROTO]) != ADDR_PROTO_KEYBRIDGE)
		return -ENOMSG;
	/* IFA_LOCAL is the address when it comes; IPv6 reports an address
	 * without a peer in IFA_ADDRESS alone (rtnetlink(7)) */
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!local || mnl_attr_get_payload_len(local) != alen ||
	    ifa.ifa_prefixlen > alen * 8)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifa.ifa_index;
	out->family = ifa.ifa_family;
	out->prefix = ifa.ifa_prefixlen;
	memcpy(out->ip, mnl_attr_get_payload(local), alen);
	return 0;
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_found *f = data;

	if (f->n < sizeof(f->a) / sizeof(f->a[0]) &&
	    addr_msg_parse(nlh, &f->a[f->n]) == 0)
		f->n++;
	return MNL_CB_OK;
}

/* Every address marked ADDR_PROTO_KEYBRIDGE (up to 64) into `f`; 0 or
 * -errno. */
static int addr_dump_ours(struct addr_found *f)
{
	uint8_t req[64];
	int len = rtnl_msg_dump(req, sizeof(req), RTM_GETADDR, 2,
				sizeof(struct ifaddrmsg));

	if (len < 0)
		return len;
	return rtnl_talk(req, (size_t)len, addr_dump_cb, f);
}

int addr_flush_ours(void)
{
	struct addr_found f = { 0 };
	int r = addr_dump_ours(&f), removed = 0;

	for (size_t i = 0; !r && i < f.n; i++)
		if (addr_change(false, f.a[i].ifindex, f.a[i].family, f.a[i].ip,
				f.a[i].prefix) == 0)
			removed++;
	return r < 0 ? r : removed;
}

uint32_t addr_ours_ifindex(uint8_t family, const uint8_t *ip)
{
	struct addr_found f = { 0 };

	if (addr_dump_ours(&f))
		return 0;
	for (size_t i = 0; i < f.n; i++)
		if (f.a[i].family == family &&
		    !memcmp(f.a[i].ip, ip, family == AF_INET ? 4 : 16))
			return f.a[i].ifindex;
	return 0;
}
