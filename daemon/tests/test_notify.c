/* Tests for systemd notifications (daemon/io/notify.c): libsystemd's real
 * sd_notify() talking to a datagram socket standing in for PID 1's. */
#include "io/notify.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_notify_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	REQUIRE(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/kbnotify-%d",
		 (int)getpid());
	unlink(sun.sun_path);
	REQUIRE(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	return fd;
}

static void expect(int fd, const char *want)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	REQUIRE(n > 0);
	buf[n] = 0;
	CHECK_STR(buf, want);
}

TEST(notify_reports_lifecycle_to_systemd)
{
	int fd = listen_notify_socket();

	notify_ready();
	expect(fd, "READY=1\nSTATUS=running");
	notify_reloading();
	expect(fd, "RELOADING=1\nSTATUS=reloading configuration");
	notify_status("%d IKE SAs up", 3);
	expect(fd, "STATUS=3 IKE SAs up");
	notify_stopping();
	expect(fd, "STOPPING=1\nSTATUS=deleting SAs and stopping");
	unlink(getenv("NOTIFY_SOCKET"));
	close(fd);
}
