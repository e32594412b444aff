/* rtnetlink messages for MOBIKE's address watch (RFC 4555 §3.8: "the
 * initiator … decides which addresses to use"), built and parsed without a
 * socket, like xfrm_msg.h.
 *
 * io/roam.c subscribes to the kernel's address and route notifications
 * (RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE,
 * RTMGRP_IPV6_ROUTE); each one that arrives goes through
 * roam_msg_parse_event(). To learn which of our addresses now reaches a
 * peer it asks the kernel's routing decision with roam_msg_route_get()
 * and reads the answer with roam_msg_parse_route(): the source address
 * the kernel would pick (RTA_PREFSRC) is the one the IKE SA should use.
 *
 * Parsers take one message (its nlmsg_len already checked against the
 * buffer, as mnl_nlmsg_ok() does) and return 0, -EBADMSG for a truncated
 * or malformed message, or -ENOMSG for a type they do not handle. */
#ifndef KB_KERNEL_ROAM_MSG_H
#define KB_KERNEL_ROAM_MSG_H

#include "kernel/kernel.h"

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#define ROAM_MSG_WARN __attribute__((warn_unused_result))

enum roam_ev_type {
	ROAM_EV_ADDR_NEW = 1, /* RTM_NEWADDR: an address appeared/changed */
	ROAM_EV_ADDR_DEL,     /* RTM_DELADDR: an address went away */
	ROAM_EV_ROUTE,	      /* RTM_NEWROUTE / RTM_DELROUTE */
};

/* One notification. Address events carry the address (IFA_LOCAL, else
 * IFA_ADDRESS), its prefix length, interface and IFA_F_* flags (a
 * tentative IPv6 address cannot be used yet); route events the route's
 * family, destination prefix and output interface when given. */
struct roam_event {
	uint8_t type; /* enum roam_ev_type */
	uint16_t family;
	uint32_t ifindex;
	struct kernel_addr addr; /* address, or route destination */
	uint8_t plen;
	uint32_t flags; /* IFA_F_* of an address */
};

/* The kernel's answer to roam_msg_route_get(): the source address it
 * would use (family 0 if it named none), the gateway (family 0 when the
 * peer is on-link) and the output interface. */
struct roam_route {
	struct kernel_addr src;
	struct kernel_addr gateway;
	uint32_t oif;
};

/* Most bytes roam_msg_route_get() writes. */
#define ROAM_MSG_BUFSIZE 128

/* RTM_GETROUTE for the host route to `dst` (NLM_F_REQUEST only; the answer
 * is one RTM_NEWROUTE or an error). Returns the length, -EINVAL for an
 * address without family, -ENOSPC if `cap` is short. */
int roam_msg_route_get(void *buf, size_t cap, uint32_t seq,
		       const struct kernel_addr *dst) ROAM_MSG_WARN;

/* RTM_NEWROUTE answering roam_msg_route_get(). */
int roam_msg_parse_route(const struct nlmsghdr *nlh,
			 struct roam_route *out) ROAM_MSG_WARN;

/* RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE; -ENOMSG for
 * anything else. */
int roam_msg_parse_event(const struct nlmsghdr *nlh,
			 struct roam_event *ev) ROAM_MSG_WARN;

#endif
