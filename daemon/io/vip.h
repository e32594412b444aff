/* io's side of virtual addresses (RFC 7296 §3.15): puts the address the
 * peer assigned on the host (ENGINE_ACT_ADDR_ADD) and takes it away
 * (ADDR_DEL), through kernel/addr.h. The address goes on the interface
 * that holds the IKE SA's own address, as strongSwan does by default
 * (charon.install_virtual_ip_on unset), or on the loopback interface when
 * no interface holds it (a wildcard local address). When MOBIKE moves the
 * IKE SA to an address on another interface, the engine asks again and
 * the address moves there (as charon reinstalls its virtual IPs after a
 * roam): the old interface may be about to go away, taking it along. */
#ifndef KB_IO_VIP_H
#define KB_IO_VIP_H

#include "config/config.h"
#include "engine/engine.h"

#include <stddef.h>

/* The engine's pools from swanctl.conf's (malloc'd array, *n entries);
 * 0 or -ENOMEM. */
int vip_pools(const struct kb_config *cfg, struct engine_pool **out, size_t *n)
	__attribute__((warn_unused_result));

/* Copies a connection's pools and vips into the engine's. */
void vip_conn(const struct kb_conn *c, struct engine_conn *ec);

/* "dynamic" selectors of a child whose address comes from the CP
 * exchange: the local ones of a connection with vips and the remote ones
 * of a connection with pools cover every address of those families
 * (0.0.0.0/0, ::/0) until the engine narrows them to the virtual
 * address (engine/cp.c). */
void vip_conn_ts(const struct kb_config *cfg, const struct kb_conn *c,
		 const struct kb_child *ch, struct engine_child_cfg *out);

/* Carries out an ADDR_ADD (add, or move to the interface of the local
 * address) or ADDR_DEL (from wherever it is) action; failures are
 * logged. */
void vip_action(const struct engine_action *a);

/* After a POLICY_ADD or POLICY_DEL action (io/daemon.c): an outbound
 * tunnel policy whose source is one virtual address we put on the host
 * gets a route per remote selector in table 220, with that address as
 * source and the next hop towards the peer (kernel/route.h; as
 * strongSwan's install_routes), removed with the policy. Other policies
 * are left alone. `name` names the SA in logs. */
void vip_policy(const char *name, const struct engine_action *a);

/* After an SA_MIGRATE action (MOBIKE): the routes of such an outbound
 * policy follow the new path to the peer. */
void vip_migrate(const char *name, const struct engine_action *a);

/* Removes the virtual addresses, their routes and the rule of table 220
 * an earlier run (`when` says which, for the log) left on the host. */
void vip_flush(const char *when);

#endif
