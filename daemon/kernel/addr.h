/* Virtual addresses on host interfaces over rtnetlink (RTM_NEWADDR,
 * RTM_DELADDR): what a road warrior does with the address its VPN gateway
 * assigned (RFC 7296 §3.15, ENGINE_ACT_ADDR_ADD/DEL).
 *
 * Builders are pure, over a caller's buffer, as in xfrm_msg.h: they return
 * the message length or -ENOSPC/-EINVAL, and the tests compare their bytes
 * with what iproute2's `ip address add|del` sends (plus IFA_PROTO).
 * rtnl_talk() (rtnl.h) owns the socket.
 *
 * Ownership: every address keybridge adds carries IFA_PROTO
 * ADDR_PROTO_KEYBRIDGE (0x6b, "k"; Linux 6.1 and later keep it, newer
 * iproute2 shows "proto 0x6b"), so addresses a crashed daemon left behind are
 * found and removed at the next start without touching anyone else's.
 */
#ifndef KB_KERNEL_ADDR_H
#define KB_KERNEL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_PROTO_KEYBRIDGE 0x6b
#define ADDR_MSG_BUFSIZE     128

/* One RTM_NEWADDR (`add`, NLM_F_CREATE|NLM_F_EXCL) or RTM_DELADDR request
 * with NLM_F_ACK for `ip` (4 or 16 bytes by `family`) / `prefix` on
 * interface `ifindex`, scope global, IPv6 without duplicate address
 * detection (IFA_F_NODAD: the gateway owns the address). */
int addr_msg_build(void *buf, size_t cap, bool add, uint32_t seq,
		   uint32_t ifindex, uint8_t family, const uint8_t *ip,
		   uint8_t prefix) __attribute__((warn_unused_result));

/* An address keybridge added, as the kernel reports it. */
struct addr_entry {
	uint32_t ifindex;
	uint8_t family, prefix;
	uint8_t ip[16];
};

struct nlmsghdr;

/* Parses one RTM_NEWADDR message (of a dump) whose length the caller
 * checked against its buffer (as rtnl_msg_run() does): 0 and `out` filled for an address marked
 * ADDR_PROTO_KEYBRIDGE, -ENOMSG for any other message or address,
 * -EBADMSG for a malformed one. */
int addr_msg_parse(const struct nlmsghdr *nlh, struct addr_entry *out)
	__attribute__((warn_unused_result));

/* Adds or removes the address with a fresh NETLINK_ROUTE socket. Adding
 * an address that is there already and removing one that is gone are
 * successes. Returns 0 or -errno. */
int addr_change(bool add, uint32_t ifindex, uint8_t family, const uint8_t *ip,
		uint8_t prefix) __attribute__((warn_unused_result));

/* Index of the interface holding local address `ip`, or 0 if none does
 * (getifaddrs). */
uint32_t addr_ifindex_of(uint8_t family, const uint8_t *ip);

/* Index of the interface holding `ip` marked ADDR_PROTO_KEYBRIDGE (one
 * we added), or 0 if none does or the dump fails. */
uint32_t addr_ours_ifindex(uint8_t family, const uint8_t *ip);

/* Removes every address marked ADDR_PROTO_KEYBRIDGE (left by an earlier
 * run); returns how many, or -errno. */
int addr_flush_ours(void) __attribute__((warn_unused_result));

#endif
