/* Privilege drop (libcap-ng): after start-up the daemon keeps only the
 * capabilities it needs while running. */
#ifndef KB_IO_PRIVS_H
#define KB_IO_PRIVS_H

/* The capabilities keybridged keeps after start-up:
 *  - CAP_NET_ADMIN: XFRM netlink (SAs, policies) and PF_KEY;
 *  - CAP_NET_BIND_SERVICE: rebinding ports 500/4500 after a reload.
 * BPF programs are loaded and pinned before the drop, so CAP_BPF and
 * CAP_PERFMON are not kept. */
extern const int privs_keep[];

/* Drops every capability but privs_keep from the effective, permitted,
 * inheritable and (with CAP_SETPCAP) bounding sets, sets no_new_privs and
 * makes the process non-dumpable (its memory holds keys). Returns 0 or a
 * negative errno-style value; the daemon refuses to run on error. */
int privs_drop(void) __attribute__((warn_unused_result));

/* Formats the current effective capabilities as text (for the log). */
const char *privs_describe(char *out, unsigned long cap);

#endif
