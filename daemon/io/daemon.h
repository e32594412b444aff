/* keybridged's run time: owns the event loop, the IKE sockets, the kernel
 * backend and the engine, carries out the engine's actions and feeds it
 * every event (DESIGN.md "Shape"). */
#ifndef KB_IO_DAEMON_H
#define KB_IO_DAEMON_H

#include "engine/engine.h"

#include <stdbool.h>
#include <stdint.h>

struct daemon_opts {
	const char *conf_path;	    /* swanctl.conf */
	const char *confdir;	    /* x509/, private/ …; NULL: conf_path's */
	int log_level;		    /* LOG_LVL_* */
	const char *keylog;	    /* Wireshark IKEv2 key table, or NULL */
	uint16_t ike_port;	    /* [500] */
	uint16_t natt_port;	    /* [4500] */
	unsigned stop_timeout_ms;   /* [10000] bound on the graceful stop */
	unsigned updown_timeout_ms; /* [10000] an updown script's run */
	const char *kernel;	    /* backend: "xfrm" (default) or "pfkey" */
	const char *lock_path;	    /* NULL: lock_default_path() (io/lock.h) */
	int bpf_mode;		    /* enum usage_mode_req: --bpf [auto] */
	const char *vici_path;	    /* control socket (control/ctl.h) */
	const char *version;	    /* what `version` answers */
	unsigned workers;	    /* [1] --workers (io/worker.h); 0: 1 */
	/* the engine's DoS limits (io/limits.h); 0: its default */
	struct engine_settings limits;
};

/* Loads the configuration, opens sockets and the kernel, drops privileges,
 * starts the connections and runs until SIGTERM/SIGINT; then deletes every
 * SA with its peer and in the kernel. Returns the process exit status. */
int daemon_main(const struct daemon_opts *opts);

#endif
