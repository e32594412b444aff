/* A blocking vici client over a UNIX socket, for the `ipsec` command and
 * the tests: connect, register for events, send a request, read packets.
 * Packets are read into the connection's own buffer: the pointers a
 * vici_conn_recv() returns stay valid until the next call. */
#ifndef KB_CONTROL_VICI_CONN_H
#define KB_CONTROL_VICI_CONN_H

#include "control/vici.h"

struct vici_conn {
	int fd;
	uint8_t *buf; /* VICI_LEN_MAX bytes */
};

/* Connects to the socket at `path`; 0 or -errno (-ENOENT: no daemon
 * there, -EACCES: no permission, -ECONNREFUSED: a stale socket). */
int vici_conn_open(struct vici_conn *c, const char *path)
	__attribute__((warn_unused_result));
void vici_conn_close(struct vici_conn *c);

/* Sends a segment built with vici_begin()/vici_end(); 0 or -errno. */
int vici_conn_send(struct vici_conn *c, const struct wr *w)
	__attribute__((warn_unused_result));

/* Reads one packet, waiting up to `timeout_ms` (-1: forever). 0, -ETIMEDOUT,
 * -ECONNRESET when the daemon closed the connection, -EBADMSG. */
int vici_conn_recv(struct vici_conn *c, struct vici_packet *p, int timeout_ms)
	__attribute__((warn_unused_result));

/* Registers for (or with `on` false, unregisters from) event `name`;
 * 0, -ENOENT if the daemon has no such event, or another -errno. */
int vici_conn_register(struct vici_conn *c, const char *name, bool on)
	__attribute__((warn_unused_result));

/* Sends CMD_REQUEST `cmd` with the message `args` (may be empty) and reads
 * until its response; every EVENT before it goes to `on_event` (may be
 * NULL). On 0 `resp` points at the response message. -ENOENT when the
 * daemon does not know the command. */
int vici_conn_call(struct vici_conn *c, const char *cmd, const uint8_t *args,
		   size_t args_len,
		   void (*on_event)(void *ctx, const char *name,
				    const uint8_t *msg, size_t len),
		   void *ctx, struct vici_packet *resp, int timeout_ms)
	__attribute__((warn_unused_result));

#endif
