/* Configuration payloads (RFC 7296 §3.15): virtual addresses for road
 * warriors, both ways, in IKE_AUTH only (§2.19).
 *
 *   initiator (vips set)                      responder (pools set)
 *   HDR, SK {IDi, AUTH, CP(CFG_REQUEST), SA, TSi, TSr}  -->
 *                 <--  HDR, SK {IDr, AUTH, CP(CFG_REPLY), SA, TSi, TSr}
 *
 * The responder leases an address per peer identity (the EAP identity
 * when EAP authenticated the peer, its IDi otherwise) from the connection's
 * pools (pool.h) and narrows the CHILD SA's remote selectors to it; the
 * initiator narrows its local selectors to the address it got and asks io
 * to put it on the host (ENGINE_ACT_ADDR_ADD, removed with ADDR_DEL when
 * the last IKE SA holding it goes). No address to give is answered with
 * INTERNAL_ADDRESS_FAILURE instead of the CHILD SA (§3.15.4); the IKE SA
 * stays up.
 */
#ifndef KB_ENGINE_CP_H
#define KB_ENGINE_CP_H

#include "engine/ike_sa.h"

enum {
	CP_MAX_VALUES = 16, /* addresses, DNS servers, subnets kept each */
	CP_WIRE_MAX = 40,   /* attributes in a CP payload we build */
};

/* A CP payload's attributes, typed. Values past CP_MAX_VALUES of a kind
 * are counted in n_dropped; attributes of other types in n_other. */
struct cp_attrs {
	uint8_t cfg_type; /* enum ike_cfg_type */
	uint32_t asked;	  /* bit 1 << type: sent empty (a request) */
	uint8_t n_addrs, n_dns, n_subnets;
	uint16_t n_other, n_dropped;
	uint8_t netmask; /* prefix of INTERNAL_IP4_NETMASK, 0 if none */
	struct engine_ipnet addrs[CP_MAX_VALUES];   /* IP4/6_ADDRESS */
	struct engine_ipnet dns[CP_MAX_VALUES];	    /* IP4/6_DNS */
	struct engine_ipnet subnets[CP_MAX_VALUES]; /* IP4/6_SUBNET */
};

/* Types the payload view `cp` (decoded by ike_msg_decode) into `out`.
 * Returns 0 or -ENG_ERR_MALFORMED (a netmask that is not a prefix, an
 * IPv6 prefix length above 128). */
int cp_parse(const struct ike_pl_cp *cp, struct cp_attrs *out)
	__attribute__((warn_unused_result));

/* Storage for the attributes of a CP payload we build. */
struct cp_wire {
	uint16_t n;
	struct ike_cp_attr attrs[CP_WIRE_MAX];
	uint8_t val[CP_WIRE_MAX][17];
};

/* Appends attribute `type` with value `v` in its wire form (§3.15.1), or
 * empty (a request) when `v` is NULL. False when full or when `v` does
 * not fit the type (family). */
bool cp_wire_add(struct cp_wire *w, uint16_t type,
		 const struct engine_ipnet *v);

/* ---- IKE_AUTH hooks ---- */

/* Initiator: adds CP(CFG_REQUEST) for the connection's vips. */
int cp_build_i(struct ike_sa *sa, struct ike_msg *m, struct cp_wire *w)
	__attribute__((warn_unused_result));

/* Responder, once the peer is authenticated as `id` (IDi; the EAP
 * identity of sa->eap when EAP ran): leases addresses for a CFG_REQUEST. Returns 0 (nothing asked, or something leased) or
 * -ENG_ERR_ADDRESS (asked, nothing to give: answer that instead of the
 * CHILD SA). */
int cp_process_r(struct ike_sa *sa, const struct ike_msg *m,
		 const struct ike_pl_id *id)
	__attribute__((warn_unused_result));

/* Responder: adds CP(CFG_REPLY) with what cp_process_r leased. */
int cp_build_r(struct ike_sa *sa, struct ike_msg *r, struct cp_wire *w)
	__attribute__((warn_unused_result));

/* Initiator: takes the CFG_REPLY, keeps the addresses and asks io to
 * install them. Returns 0 or -ENG_ERR_ADDRESS (asked, got none). */
int cp_process_i(struct ike_sa *sa, const struct ike_msg *m)
	__attribute__((warn_unused_result));

/* Narrows a CHILD SA's selectors to the IKE SA's virtual addresses: the
 * local side where we asked for them, the remote side where we leased
 * them. -ENG_ERR_TS if nothing is left; 0 otherwise (also without
 * virtual addresses). */
int cp_child_narrow(struct ike_sa *sa, struct child_sa *c)
	__attribute__((warn_unused_result));

/* Logs and ignores a CP payload in a message other than IKE_AUTH
 * (§2.19: configuration is exchanged in IKE_AUTH only). */
void cp_unexpected(struct ike_sa *sa, const struct ike_msg *m);

/* MOBIKE moved our end of the IKE SA (sa->local is new): asks io again
 * (ENGINE_ACT_ADDR_ADD with the new local address) for every address we
 * were given, so that it moves to the interface of the new address, as
 * strongSwan's charon reinstalls its virtual IPs after a roam. */
void cp_local_moved(struct ike_sa *sa);

/* An IKE SA rekey: `n` takes over the virtual addresses of `old`. */
void cp_takeover(struct ike_sa *old, struct ike_sa *n);

/* The IKE SA goes: its leases are released (kept for the identity), its
 * installed addresses removed unless another IKE SA holds them. */
void cp_sa_free(struct ike_sa *sa);

/* Formats an engine_ipnet ("10.3.0.1", "fd00::1/64" when `plen`). */
const char *cp_prefix_str(const struct engine_ipnet *p, bool plen, char *buf,
			  size_t cap);

#endif
