/* Connections whose remote_addrs names a host (`remote_addrs =
 * vpn.example.com`): the name is resolved off the event loop (resolve.h),
 * never at load, and again while the daemon runs. Until the first answer
 * such a connection accepts no peer and is not initiated; its
 * start_action = start runs when the answer comes. A later answer with
 * another address moves the connection there: new IKE SAs use it,
 * established ones keep theirs. */
#ifndef KB_IO_NAMES_H
#define KB_IO_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;

/* Starts the resolver thread. Call after privileges are dropped: the
 * thread keeps the capabilities its creator has at that moment. Returns
 * 0 or -errno. */
int names_open(struct daemon *d) __attribute__((warn_unused_result));

/* After a load or reload: gives every connection the address already
 * known for its name, and looks every name up again. */
void names_sync(struct daemon *d);

/* Whether connection `i` of d->conns still waits for its peer's name; if
 * so, says once that initiation waits for it. */
bool names_wait(struct daemon *d, size_t i);

void names_close(struct daemon *d);

#endif
