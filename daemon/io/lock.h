/* One keybridged per network namespace: XFRM state, policies and the IKE
 * ports all belong to a namespace, and a second daemon's start-up cleanup
 * would remove the first one's SAs and policies. The daemon takes an
 * exclusive flock(2) on a file before it touches anything; the kernel
 * drops it when the process ends, however it ends. */
#ifndef KB_IO_LOCK_H
#define KB_IO_LOCK_H

#include <stddef.h>
#include <sys/types.h>

/* Where the lock lives unless --lock-file says otherwise. */
#define LOCK_DIR "/run/keybridge"

/* The default lock file of this process's network namespace,
 * LOCK_DIR "/keybridged.net-<namespace inode>.lock", into `buf`. Returns 0
 * or -errno (no /proc/self/ns/net). */
int lock_default_path(char *buf, size_t cap);

/* Creates `path` (and its directory if it is LOCK_DIR), takes the lock
 * without waiting and writes our pid into the file. Returns the open file
 * descriptor (close it to release the lock), -EWOULDBLOCK if another
 * process holds it (its pid in *holder, 0 if unknown), or another -errno. */
int lock_acquire(const char *path, pid_t *holder);

#endif
