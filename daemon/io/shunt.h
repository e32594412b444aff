/* Shunt children (swanctl.conf `mode = pass | drop` with `start_action =
 * trap`): kernel policies without IPsec that let traffic bypass every
 * tunnel (pass) or drop it (drop), installed at load, never negotiated,
 * needing no peer and no credentials.
 *
 * As strongSwan's shunts: for every pair of local and remote selectors of
 * one address family (a `dynamic` selector is every address of both
 * families), an out policy local -> remote with the child's mark_out and
 * in and fwd policies remote -> local with its mark_in. Pass policies
 * come before IPsec policies (KERNEL_PRIO_PASS), so a pass for a LAN wins
 * over a 0.0.0.0/0 tunnel; drop policies come after them
 * (KERNEL_PRIO_DROP), a fallback for what no tunnel takes.
 *
 *     struct shunts s = { 0 };
 *     shunt_build(conn, child, &s, why, sizeof(why));   (conns.c, at load)
 *     shunt_install(ops, kernel, &s, &policy_seq);      (daemon start-up)
 *     shunt_replace(ops, kernel, &old, &s, &policy_seq); (reload)
 *     shunt_free(&s);
 *
 * Policies leave the kernel with the daemon, removed by selector at stop.
 * On XFRM their index also marks them as keybridge's (kernel.h
 * "Ownership"), so the cleanup after a crash removes them too; PF_KEY
 * picks indexes itself, and a shunt has no template with our reqid: after
 * a crash on PF_KEY they stay until the next start replaces them (same
 * selectors) or an operator removes them.
 */
#ifndef KB_IO_SHUNT_H
#define KB_IO_SHUNT_H

#include "config/config.h"
#include "kernel/kernel.h"

#include <stddef.h>

/* Most kernel policies one shunt child may expand to. */
#define SHUNT_POLICIES_MAX 256

/* One policy of a shunt child, as the kernel gets it (the index is set
 * at install). */
struct shunt_policy {
	char conn[KB_CONF_NAME_MAX], child[KB_CONF_NAME_MAX];
	struct kernel_policy p;
};

struct shunts {
	size_t n;
	struct shunt_policy *v;
};

/* Appends the policies of shunt child `ch` of connection `conn` to `out`.
 * Returns 0, -ENOMEM, or -EINVAL with the reason in `why` (a port range
 * the kernel cannot match, more than SHUNT_POLICIES_MAX policies). */
int shunt_build(const struct kb_conn *conn, const struct kb_child *ch,
		struct shunts *out, char *why, size_t len)
	__attribute__((warn_unused_result));

/* Appends to `next` the policies in `from` of connection `conn` (a reload
 * keeps a connection with errors as it was). Returns 0 or -ENOMEM. */
int shunt_carry(struct shunts *next, const struct shunts *from,
		const char *conn) __attribute__((warn_unused_result));

/* Installs (adds or replaces) every policy of `s`, giving each a
 * keybridge index from `*seq`; logs one line per child, and each policy
 * the kernel refused. Returns how many were refused. */
unsigned shunt_install(const struct kernel_ops *ops, struct kernel *k,
		       struct shunts *s, uint32_t *seq);

/* Removes every policy of `s` from the kernel. */
void shunt_remove(const struct kernel_ops *ops, struct kernel *k,
		  const struct shunts *s);

/* Reload: installs `next`, then removes the policies of `old` that
 * `next` does not have (same selector, direction, mark and interface ID),
 * so no traffic slips through a shunt that stays. */
void shunt_replace(const struct kernel_ops *ops, struct kernel *k,
		   const struct shunts *old, struct shunts *next,
		   uint32_t *seq);

/* Frees `s`; safe on a zeroed struct. */
void shunt_free(struct shunts *s);

#endif
