/* A blocking vici client; see vici_conn.h. */
#include "control/vici_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int vici_conn_open(struct vici_conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int r;

	c->fd = -1;
	c->buf = NULL;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->buf = malloc(VICI_LEN_MAX);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!c->buf || c->fd < 0) {
		r = c->buf ? -errno : -ENOMEM;
		vici_conn_close(c);
		return r;
	}
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		vici_conn_close(c);
		return r;
	}
	return 0;
}

void vici_conn_close(struct vici_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
}

int vici_conn_send(struct vici_conn *c, const struct wr *w)
{
	size_t off = 0;

	if (!wr_ok(w))
		return -EMSGSIZE;
	while (off < wr_len(w)) {
		ssize_t n = send(c->fd, w->buf + off, wr_len(w) - off,
				 MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/* Reads exactly `len` bytes, waiting up to `timeout_ms` for each part. */
static int vici_conn_read(struct vici_conn *c, uint8_t *buf, size_t len,
			  int timeout_ms)
{
	size_t off = 0;

	while (off < len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int r = poll(&pfd, 1, timeout_ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, buf + off, len - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		off += (size_t)n;
	}
	return 0;
}

int vici_conn_recv(struct vici_conn *c, struct vici_packet *p, int timeout_ms)
{
	uint8_t hdr[4];
	uint32_t len;
	int r = vici_conn_read(c, hdr, 4, timeout_ms);

	if (r < 0)
		return r;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	      (uint32_t)hdr[2] << 8 | hdr[3];
	if (len > VICI_LEN_MAX)
		return -EBADMSG;
	if ((r = vici_conn_read(c, c->buf, len, timeout_ms)) < 0)
		return r;
	return vici_packet_decode(c->buf, len, p);
}

int vici_conn_register(struct vici_conn *c, const char *name, bool on)
{
	uint8_t buf[300];
	struct wr w = wr_init(buf, sizeof(buf));
	struct vici_packet p;
	int r;

	vici_end(&w,
		 vici_begin(&w,
			    on ? VICI_EVENT_REGISTER : VICI_EVENT_UNREGISTER,
			    name));
	if ((r = vici_conn_send(c, &w)) < 0)
		return r;
	/* events already registered may arrive before the confirmation */
	while ((r = vici_conn_recv(c, &p, 10000)) == 0 && p.type == VICI_EVENT)
		;
	if (r < 0)
		return r;
	return p.type == VICI_EVENT_CONFIRM   ? 0
	       : p.type == VICI_EVENT_UNKNOWN ? -ENOENT
					      : -EBADMSG;
}

int vici_conn_call(struct vici_conn *c, const char *cmd, const uint8_t *args,
		   size_t args_len,
		   void (*on_event)(void *ctx, const char *name,
				    const uint8_t *msg, size_t len),
		   void *ctx, struct vici_packet *resp, int timeout_ms)
{
	static uint8_t buf[VICI_LEN_MAX + 4];
	struct wr w = wr_init(buf, sizeof(buf));
	size_t at = vici_begin(&w, VICI_CMD_REQUEST, cmd);
	int r;

	if (args_len)
		wr_bytes(&w, args, args_len);
	vici_end(&w, at);
	if ((r = vici_conn_send(c, &w)) < 0)
		return r;
	for (;;) {
		char name[VICI_NAME_MAX + 1];

		if ((r = vici_conn_recv(c, resp, timeout_ms)) < 0)
			return r;
		if (resp->type == VICI_CMD_RESPONSE)
			return 0;
		if (resp->type == VICI_CMD_UNKNOWN)
			return -ENOENT;
		if (resp->type != VICI_EVENT)
			return -EBADMSG;
		memcpy(name, resp->name, resp->name_len);
		name[resp->name_len] = 0;
		if (on_event)
			on_event(ctx, name, resp->msg, resp->msg_len);
	}
}
