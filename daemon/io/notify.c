/* systemd service notifications; see notify.h. */
#include "io/notify.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

int notify_watchdog_open(void)
{
	uint64_t usec = 0;
	struct itimerspec its = { 0 };
	int fd;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	usec /= 2;
	its.it_value.tv_sec = (time_t)(usec / 1000000);
	its.it_value.tv_nsec = (long)(usec % 1000000) * 1000;
	its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -1;
	}
	sd_notify(0, "WATCHDOG=1");
	return fd;
}

void notify_watchdog(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) > 0)
		sd_notify(0, "WATCHDOG=1");
}

void notify_ready(void)
{
	sd_notify(0, "READY=1\nSTATUS=running");
}

void notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration");
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=deleting SAs and stopping");
}

void notify_status(const char *fmt, ...)
{
	char line[256];
	va_list ap;

	/* after every engine event: nothing to format without systemd */
	if (!getenv("NOTIFY_SOCKET"))
		return;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
}
