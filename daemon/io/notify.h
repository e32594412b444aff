/* systemd service notifications (sd_notify(3)): the daemon says when it is
 * ready, reloading and stopping, and a one-line status that `systemctl
 * status` shows. Without $NOTIFY_SOCKET every call does nothing. */
#ifndef KB_IO_NOTIFY_H
#define KB_IO_NOTIFY_H

/* Start-up finished: sockets bound, kernel state cleaned, connections
 * loaded. */
void notify_ready(void);

/* A SIGHUP reload started; call notify_ready() when it is done. */
void notify_reloading(void);

/* SIGTERM: deleting SAs with peers and in the kernel before exiting. */
void notify_stopping(void);

/* The systemd watchdog (WatchdogSec=): a timer descriptor firing at half
 * the interval systemd expects pings at, or -1 when the watchdog is off.
 * The event loop watches it and calls notify_watchdog() when it fires, so
 * a loop that hangs stops the pings and systemd restarts the service. */
int notify_watchdog_open(void);
void notify_watchdog(int fd);

/* Sets the status line, e.g. "3 IKE SAs, 5 CHILD SAs up". */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
