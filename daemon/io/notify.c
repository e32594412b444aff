/* systemd service notifications; see notify.h. */
#include "io/notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

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

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", line);
}
