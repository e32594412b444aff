/* Privilege drop; see privs.h. */
#include "io/privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

const int privs_keep[] = { CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, -1 };

int privs_drop(void)
{
	capng_select_t select = CAPNG_SELECT_BOTH;
	int sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET;

	/* Trimming the bounding set needs CAP_SETPCAP, which a service
	 * started as its own user with ambient capabilities (keybridge.
	 * service) does not have: systemd trimmed it already
	 * (CapabilityBoundingSet=). */
	capng_get_caps_process();
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)) {
		select = CAPNG_SELECT_CAPS;
		sets &= ~CAPNG_BOUNDING_SET;
	}
	capng_clear(select);
	for (const int *c = privs_keep; *c >= 0; c++)
		if (capng_update(CAPNG_ADD, (capng_type_t)sets, (unsigned)*c) <
		    0)
			return -EINVAL;
	if (capng_apply(select) < 0)
		return -EPERM;
	/* Nothing the daemon runs may gain privileges back (setuid, file
	 * capabilities). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* The process holds keys: no core dumps, no ptrace by its own uid,
	 * /proc/PID owned by root. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

const char *privs_describe(char *out, unsigned long cap)
{
	char *text;

	capng_get_caps_process();
	text = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_EFFECTIVE);
	snprintf(out, cap, "%s", text ? text : "none");
	free(text);
	return out;
}
