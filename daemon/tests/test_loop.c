/* Tests for the event loop (daemon/io/loop.c) with real descriptors, a real
 * timerfd and a real signal. */
#include "io/loop.h"
#include "tests/test.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

struct seen {
	struct loop *l;
	int reads, timers, signals, last_signal;
	uint64_t fired_at;
	char byte;
};

static void on_read(void *ctx, int fd, uint32_t events)
{
	struct seen *s = ctx;

	CHECK(events & EPOLLIN);
	CHECK_EQ(read(fd, &s->byte, 1), 1);
	s->reads++;
	loop_stop(s->l);
}

TEST(loop_dispatches_readable_fds)
{
	struct seen s = { 0 };
	int p[2];

	REQUIRE_EQ(loop_new(&s.l), 0);
	REQUIRE(pipe(p) == 0);
	REQUIRE_EQ(loop_add_fd(s.l, p[0], EPOLLIN, on_read, &s), 0);
	REQUIRE(write(p[1], "k", 1) == 1);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.reads, 1);
	CHECK_EQ(s.byte, 'k');
	CHECK_EQ(loop_del_fd(s.l, p[0]), 0);
	CHECK_EQ(loop_del_fd(s.l, p[0]), -ENOENT);
	loop_free(s.l);
	close(p[0]);
	close(p[1]);
}

static void on_timer(void *ctx, uint64_t now)
{
	struct seen *s = ctx;

	s->timers++;
	s->fired_at = now;
	loop_stop(s->l);
}

TEST(loop_timer_fires_at_the_deadline_not_before)
{
	struct seen s = { 0 };
	uint64_t start = loop_now_ms();

	REQUIRE_EQ(loop_new(&s.l), 0);
	loop_set_timer(s.l, on_timer, &s);
	REQUIRE_EQ(loop_set_deadline(s.l, start + 50), 0);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.timers, 1);
	CHECK_GE(s.fired_at, start + 50);
	loop_free(s.l);
}

TEST(loop_past_deadline_fires_at_once)
{
	struct seen s = { 0 };

	REQUIRE_EQ(loop_new(&s.l), 0);
	loop_set_timer(s.l, on_timer, &s);
	REQUIRE_EQ(loop_set_deadline(s.l, 1), 0);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.timers, 1);
	loop_free(s.l);
}

/* Setting the deadline already armed makes no system call (loop.c keeps
 * it); once the timer fired, the same deadline set again must arm it
 * again, and a deadline moved away and back must still fire. */
TEST(loop_same_deadline_again_fires_again)
{
	struct seen s = { 0 };
	uint64_t at = loop_now_ms() + 20;

	REQUIRE_EQ(loop_new(&s.l), 0);
	loop_set_timer(s.l, on_timer, &s);
	REQUIRE_EQ(loop_set_deadline(s.l, at), 0);
	REQUIRE_EQ(loop_set_deadline(s.l, at), 0);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.timers, 1);
	REQUIRE_EQ(loop_set_deadline(s.l, at), 0); /* past now: at once */
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.timers, 2);
	at = loop_now_ms() + 20;
	REQUIRE_EQ(loop_set_deadline(s.l, at), 0);
	REQUIRE_EQ(loop_set_deadline(s.l, 0), 0);
	REQUIRE_EQ(loop_set_deadline(s.l, at), 0);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.timers, 3);
	CHECK_GE(s.fired_at, at);
	loop_free(s.l);
}

static void on_signal(void *ctx, int signo)
{
	struct seen *s = ctx;

	s->signals++;
	s->last_signal = signo;
	loop_stop(s->l);
}

TEST(loop_delivers_signals_through_signalfd)
{
	static const int sigs[] = { SIGTERM, SIGHUP, 0 };
	struct seen s = { 0 };

	REQUIRE_EQ(loop_new(&s.l), 0);
	REQUIRE_EQ(loop_set_signals(s.l, sigs, on_signal, &s), 0);
	REQUIRE(kill(getpid(), SIGHUP) == 0);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.signals, 1);
	CHECK_EQ(s.last_signal, SIGHUP);
	loop_free(s.l);
}

TEST(loop_disarmed_timer_does_not_fire)
{
	struct seen s = { 0 };
	int p[2];

	REQUIRE_EQ(loop_new(&s.l), 0);
	loop_set_timer(s.l, on_timer, &s);
	REQUIRE_EQ(loop_set_deadline(s.l, loop_now_ms() + 20), 0);
	REQUIRE_EQ(loop_set_deadline(s.l, 0), 0);
	REQUIRE(pipe(p) == 0);
	REQUIRE_EQ(loop_add_fd(s.l, p[0], EPOLLIN, on_read, &s), 0);
	usleep(60 * 1000);
	REQUIRE(write(p[1], "x", 1) == 1);
	REQUIRE_EQ(loop_run(s.l), 0);
	CHECK_EQ(s.timers, 0);
	CHECK_EQ(s.reads, 1);
	loop_free(s.l);
	close(p[0]);
	close(p[1]);
}
