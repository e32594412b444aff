/* An event loop: epoll over file descriptors, one timerfd armed at the
 * next deadline, and a signalfd for the signals the daemon handles. The
 * daemon runs one on its main thread and one on each worker's thread
 * (io/worker.h); a loop's callbacks run one at a time on its thread,
 * between its guard's enter and leave. loop_set_deadline() may be called
 * from any thread, one at a time for a loop (the worker's lock). */
#ifndef KB_IO_LOOP_H
#define KB_IO_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* Called when `fd` is ready; `events` are the epoll events (EPOLLIN …). */
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);

/* Called when the deadline set with loop_set_deadline() passes. */
typedef void (*loop_timer_fn)(void *ctx, uint64_t now_ms);

/* Called for each signal that arrives; `signo` is its number. */
typedef void (*loop_signal_fn)(void *ctx, int signo);

/* Called before and after every callback (locking, io/worker.h). */
typedef void (*loop_guard_fn)(void *ctx);

/* Creates a loop; `*out` is NULL on error. Returns 0 or -errno. */
int loop_new(struct loop **out) __attribute__((warn_unused_result));

/* Closes the loop's descriptors and frees it; loop_free(NULL) is fine. The
 * descriptors added with loop_add_fd() remain the caller's. */
void loop_free(struct loop *l);

/* Watches `fd` for `events`; returns 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *ctx) __attribute__((warn_unused_result));

/* Stops watching `fd`; returns 0 or -errno. */
int loop_del_fd(struct loop *l, int fd);

/* Sets the functions run around every callback (either may be NULL). */
void loop_set_guard(struct loop *l, loop_guard_fn enter, loop_guard_fn leave,
		    void *ctx);

/* Sets the timer callback, called once when the deadline passes. */
void loop_set_timer(struct loop *l, loop_timer_fn fn, void *ctx);

/* Arms the timer for `deadline_ms` on the loop_now_ms() clock; 0 disarms.
 * A deadline already past fires on the next iteration. The deadline armed
 * already costs nothing. */
int loop_set_deadline(struct loop *l, uint64_t deadline_ms);

/* Blocks `signals` (terminated by 0) for the process and delivers them
 * through `fn` instead. Returns 0 or -errno. */
int loop_set_signals(struct loop *l, const int *signals, loop_signal_fn fn,
		     void *ctx) __attribute__((warn_unused_result));

/* Runs until loop_stop(); returns 0, or -errno if epoll fails. */
int loop_run(struct loop *l);

/* Makes loop_run() return after the current callback. */
void loop_stop(struct loop *l);

/* Milliseconds on CLOCK_MONOTONIC (the clock deadlines use). */
uint64_t loop_now_ms(void);

#endif
