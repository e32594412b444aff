/* Routes for a road warrior's virtual address over rtnetlink: what
 * strongSwan's charon does with install_routes (its default). Traffic to
 * the remote selectors of a tunnel whose local side is our virtual
 * address must leave with that address as its source, or the out policy
 * (src = virtual address) never matches. So each such selector gets a
 * route in table ROUTE_TABLE_VIP:
 *
 *   <remote_ts> via <next hop to the peer> dev <its interface> src <vip>
 *
 * looked up before the main table by one rule (priority ROUTE_TABLE_VIP,
 * as charon's 220 / 220). Routes carry protocol ROUTE_PROTO_KEYBRIDGE, so
 * what a crashed run left is found and removed at the next start.
 *
 * Builders and the dump parser are pure, over a caller's buffer (as
 * addr.h); the functions below them each use a fresh NETLINK_ROUTE socket
 * (rtnl_talk). */
#ifndef KB_KERNEL_ROUTE_H
#define KB_KERNEL_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTE_TABLE_VIP	      220
#define ROUTE_PROTO_KEYBRIDGE 0x6b
#define ROUTE_MSG_BUFSIZE     160

/* RTM_NEWROUTE (`add`: create or replace) or RTM_DELROUTE with NLM_F_ACK
 * in table ROUTE_TABLE_VIP: `dst`/`plen` with preferred source `src`,
 * through gateway `gw` (NULL: on-link) on interface `oif` (0: any, for a
 * delete). Addresses are 4 or 16 bytes by `family`. Returns the length
 * or -EINVAL / -ENOSPC. */
int route_msg_build(void *buf, size_t cap, bool add, uint32_t seq,
		    uint8_t family, const uint8_t *dst, uint8_t plen,
		    const uint8_t *src, const uint8_t *gw, uint32_t oif)
	__attribute__((warn_unused_result));

/* RTM_NEWRULE / RTM_DELRULE "from all lookup ROUTE_TABLE_VIP priority
 * ROUTE_TABLE_VIP" of `family`. */
int route_msg_rule(void *buf, size_t cap, bool add, uint32_t seq,
		   uint8_t family) __attribute__((warn_unused_result));

/* A route keybridge added, as the kernel reports it in a dump. */
struct route_entry {
	uint8_t family, plen;
	uint8_t dst[16];
};

struct nlmsghdr;

/* Parses one RTM_NEWROUTE message of a dump (its length checked against
 * the buffer, as rtnl_msg_run() does): 0 and `out` filled for a route of
 * table ROUTE_TABLE_VIP with protocol ROUTE_PROTO_KEYBRIDGE, -ENOMSG for
 * any other message or route, -EBADMSG for a malformed one. */
int route_msg_parse(const struct nlmsghdr *nlh, struct route_entry *out)
	__attribute__((warn_unused_result));

/* Adds (or replaces) or removes one route as route_msg_build describes;
 * removing one that is gone is a success. 0 or -errno. */
int route_change(bool add, uint8_t family, const uint8_t *dst, uint8_t plen,
		 const uint8_t *src, const uint8_t *gw, uint32_t oif)
	__attribute__((warn_unused_result));

/* Adds or removes the rule; one that is there already (add) or gone
 * (remove) is a success. 0 or -errno. */
int route_rule(bool add, uint8_t family) __attribute__((warn_unused_result));

/* How the kernel reaches `dst` now: its interface, and the gateway
 * (*has_gw false when `dst` is on-link). 0 or -errno. */
int route_lookup(uint8_t family, const uint8_t *dst, uint8_t gw[16],
		 bool *has_gw, uint32_t *oif)
	__attribute__((warn_unused_result));

/* Removes every route of table ROUTE_TABLE_VIP with protocol
 * ROUTE_PROTO_KEYBRIDGE, and the rules of both families: returns how
 * many routes, or -errno. */
int route_flush_ours(void) __attribute__((warn_unused_result));

#endif
