/* After the kernel's event queue overran (ENOBUFS on the XFRM event
 * socket), the daemon no longer knows which ACQUIREs and EXPIREs it
 * missed: it re-reads keybridge's SAs from the kernel and reconciles the
 * engine with them.
 *
 *  - A lost hard EXPIRE: the kernel removed the SA. Every CHILD SA the
 *    engine holds as installed whose inbound or outbound SA is missing
 *    from the kernel gets the EXPIRE it missed (ENGINE_KEV_EXPIRE_HARD):
 *    the engine deletes it with the peer, as it would have.
 *  - A lost ACQUIRE: if nobody received it (the daemon is the only
 *    listener), the kernel counts it as failed and keeps no larval SA: the
 *    next packet of that flow raises it again, and that is the only
 *    recovery (the packet itself is gone). If another listener got it
 *    (ip xfrm monitor, another daemon), the kernel keeps a larval SA (SPI
 *    0, the trap's reqid) for net.core.xfrm_acq_expires seconds (30 by
 *    default) and sends no new ACQUIRE for that flow meanwhile: each such
 *    SA of ours is replayed as an ACQUIRE (the engine ignores one it is
 *    already acting on).
 *  - A lost soft EXPIRE: time limits are the engine's own timers, so only
 *    byte and packet soft limits depend on it. The kernel does not say
 *    which SAs passed their soft limit; such an SA is rekeyed when its
 *    time limit comes or removed at its hard limit (whose EXPIRE, or this
 *    reconciliation, reaches the engine).
 *  - Policies: the daemon takes no policy events, so none can be lost;
 *    the count of keybridge's policies is reported for the operator.
 * The daemon subscribes only to ACQUIRE, EXPIRE and MAPPING: the SA and
 * POLICY groups would copy every SA's keys (other software's too) into
 * the process and make overruns likelier (kernel/xfrm.h). */
#ifndef KB_IO_RESYNC_H
#define KB_IO_RESYNC_H

#include "engine/engine.h"
#include "kernel/kernel.h"

#include <stdbool.h>
#include <stdint.h>

/* One SA of keybridge's (our reqid range) as the kernel lists it. */
struct resync_sa {
	struct kernel_addr dst;
	uint32_t spi; /* 0: larval SA of an ACQUIRE */
	uint32_t reqid;
};

/* What the kernel holds of keybridge's. */
struct resync_snap {
	struct resync_sa *sa;
	size_t n_sa, cap_sa;
	unsigned n_policies; /* keybridge's (kernel_policy_is_ours) */
};

/* What the reconciliation did. */
struct resync_result {
	unsigned expired;  /* CHILD SAs found gone: hard EXPIRE given */
	unsigned acquired; /* reqids of larval SAs replayed as ACQUIRE */
};

/* Reads keybridge's SAs and policies through the backend. 0 or -errno
 * (`err` says why); free `s` with resync_snap_free() either way. */
int resync_read(const struct kernel_ops *ops, struct kernel *k,
		struct resync_snap *s, struct kernel_err *err)
	__attribute__((warn_unused_result));
void resync_snap_free(struct resync_snap *s);

/* Gives the engine the events `s` shows it missed (see above): the hard
 * EXPIREs of its own CHILD SAs, and with `acquires` the lost ACQUIREs
 * (only to the engine that initiates: with several workers, worker 0's;
 * each engine would start its own IKE SA otherwise). The engine's actions
 * are left for the caller to carry out. */
void resync_apply(struct engine *e, uint64_t now, const struct resync_snap *s,
		  bool acquires, struct resync_result *out);

#endif
