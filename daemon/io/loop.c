/* The daemon's event loop; see loop.h. */
#include "io/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum { LOOP_MAX_FDS = 64 };

struct loop_watch {
	int fd;
	loop_fd_fn fn;
	void *ctx;
};

struct loop {
	int epfd;
	int timerfd;
	int sigfd;
	bool stop;
	loop_timer_fn timer_fn;
	void *timer_ctx;
	loop_signal_fn signal_fn;
	void *signal_ctx;
	loop_guard_fn enter, leave; /* around every callback */
	/* the deadline the timerfd holds (0: none), valid while `armed`:
	 * setting the same one again costs no system call */
	uint64_t deadline;
	bool armed;
	void *guard_ctx;
	struct loop_watch watches[LOOP_MAX_FDS];
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The loop's own descriptors are tagged with these in epoll_event.data. */
enum { LOOP_TAG_TIMER = -2, LOOP_TAG_SIGNAL = -3 };

static int loop_watch_internal(struct loop *l, int fd, int tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };

	ev.data.fd = tag;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->sigfd = -1;
	for (int i = 0; i < LOOP_MAX_FDS; i++)
		l->watches[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->epfd < 0 || l->timerfd < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_watch_internal(l, l->timerfd, LOOP_TAG_TIMER);
	if (r)
		goto fail;
	*out = l;
	return 0;
fail:
	loop_free(l);
	return r;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *ctx)
{
	struct epoll_event ev = { .events = events };

	for (int i = 0; i < LOOP_MAX_FDS; i++) {
		if (l->watches[i].fd >= 0)
			continue;
		ev.data.fd = i;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		l->watches[i] = (struct loop_watch){ fd, fn, ctx };
		return 0;
	}
	return -ENOSPC;
}

int loop_del_fd(struct loop *l, int fd)
{
	for (int i = 0; i < LOOP_MAX_FDS; i++) {
		if (l->watches[i].fd != fd)
			continue;
		l->watches[i].fd = -1;
		return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno
								       : 0;
	}
	return -ENOENT;
}

void loop_set_guard(struct loop *l, loop_guard_fn enter, loop_guard_fn leave,
		    void *ctx)
{
	l->enter = enter;
	l->leave = leave;
	l->guard_ctx = ctx;
}

void loop_set_timer(struct loop *l, loop_timer_fn fn, void *ctx)
{
	l->timer_fn = fn;
	l->timer_ctx = ctx;
}

int loop_set_deadline(struct loop *l, uint64_t deadline_ms)
{
	struct itimerspec its;

	/* most datagrams leave the earliest deadline where it was */
	if (l->armed && l->deadline == deadline_ms)
		return 0;
	memset(&its, 0, sizeof(its));
	if (deadline_ms) {
		/* An absolute time of zero would disarm: a deadline already
		 * past is armed one nanosecond after the epoch instead. */
		its.it_value.tv_sec = (time_t)(deadline_ms / 1000);
		its.it_value.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		l->armed = false;
		return -errno;
	}
	l->deadline = deadline_ms;
	l->armed = true;
	return 0;
}

int loop_set_signals(struct loop *l, const int *signals, loop_signal_fn fn,
		     void *ctx)
{
	sigset_t set;
	int r;

	sigemptyset(&set);
	for (const int *s = signals; *s; s++)
		sigaddset(&set, *s);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -errno;
	r = loop_watch_internal(l, l->sigfd, LOOP_TAG_SIGNAL);
	if (r)
		return r;
	l->signal_fn = fn;
	l->signal_ctx = ctx;
	return 0;
}

static void loop_on_timer(struct loop *l)
{
	uint64_t expirations;

	if (read(l->timerfd, &expirations, sizeof(expirations)) < 0)
		return;	  /* spurious wake-up: nothing expired */
	l->armed = false; /* it fired: the same deadline must be set again */
	if (l->timer_fn)
		l->timer_fn(l->timer_ctx, loop_now_ms());
}

static void loop_on_signal(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si))
		if (l->signal_fn)
			l->signal_fn(l->signal_ctx, (int)si.ssi_signo);
}

static void loop_dispatch(struct loop *l, const struct epoll_event *ev)
{
	int tag = ev->data.fd;

	if (l->enter)
		l->enter(l->guard_ctx);
	if (tag == LOOP_TAG_TIMER)
		loop_on_timer(l);
	else if (tag == LOOP_TAG_SIGNAL)
		loop_on_signal(l);
	else if (tag >= 0 && tag < LOOP_MAX_FDS && l->watches[tag].fd >= 0)
		l->watches[tag].fn(l->watches[tag].ctx, l->watches[tag].fd,
				   ev->events);
	if (l->leave)
		l->leave(l->guard_ctx);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !l->stop; i++)
			loop_dispatch(l, &evs[i]);
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
