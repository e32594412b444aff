/* The resolver thread (resolve.h). The thread and the loop share one
 * block under a mutex: the watched names with the time each is due, and
 * the answers not yet taken by the loop. The block is counted by
 * reference so that resolver_free() never waits for a DNS server: the
 * thread, stuck in getaddrinfo() at shutdown, frees it when it returns. */
#include "io/resolve.h"

#include "io/log.h"
#include "io/loop.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct watched {
	struct resolve_name q;
	uint64_t due_ms; /* 0: at once */
};

struct shared {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned refs; /* the loop's and the thread's */
	bool stop;
	int efd; /* written by the thread, closed by the last reference */
	struct watched *w;
	size_t n_w;
	struct resolve_answer *ans; /* answers for the loop */
	size_t n_ans, cap_ans;
};

struct resolver {
	struct shared *sh;
	struct loop *loop;
	resolve_fn fn;
	void *ctx;
	struct resolve_answer *cache; /* the latest good answer per name */
	size_t n_cache;
};

static bool name_eq(const struct resolve_name *a, const struct resolve_name *b)
{
	return a->family == b->family && !strcmp(a->name, b->name);
}

static void shared_put(struct shared *sh)
{
	bool last;

	pthread_mutex_lock(&sh->mu);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&sh->mu);
	pthread_cond_destroy(&sh->cv);
	close(sh->efd);
	free(sh->w);
	free(sh->ans);
	free(sh);
}

/* getaddrinfo() for one name, outside the lock. */
static void lookup(const struct resolve_name *q, struct resolve_answer *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	a->q = *q;
	hints.ai_family = q->family ? q->family : AF_UNSPEC;
	rc = getaddrinfo(q->name, NULL, &hints, &ai);
	if (rc == 0 && ai->ai_family == AF_INET) {
		a->addr.family = AF_INET;
		memcpy(a->addr.ip,
		       &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
	} else if (rc == 0 && ai->ai_family == AF_INET6) {
		a->addr.family = AF_INET6;
		memcpy(a->addr.ip,
		       &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
		       16);
	} else if (rc == 0) {
		rc = EAI_ADDRFAMILY;
	}
	if (ai)
		freeaddrinfo(ai);
	a->err = rc;
	if (rc == EAI_SYSTEM)
		snprintf(a->why, sizeof(a->why), "%s", strerror(errno));
	else if (rc)
		snprintf(a->why, sizeof(a->why), "%s", gai_strerror(rc));
}

/* The first due name (copied to *q), or false with *wait_ms until the
 * next one. Called locked. */
static bool next_due(struct shared *sh, uint64_t now, struct resolve_name *q,
		     uint64_t *wait_ms)
{
	uint64_t soonest = UINT64_MAX;

	for (size_t i = 0; i < sh->n_w; i++) {
		if (sh->w[i].due_ms <= now) {
			*q = sh->w[i].q;
			/* not again before the answer reschedules it */
			sh->w[i].due_ms = UINT64_MAX;
			return true;
		}
		if (sh->w[i].due_ms < soonest)
			soonest = sh->w[i].due_ms;
	}
	*wait_ms = soonest == UINT64_MAX ? UINT64_MAX : soonest - now;
	return false;
}

/* Called locked: reschedules the name and queues the answer. */
static void post(struct shared *sh, const struct resolve_answer *a)
{
	uint64_t next = loop_now_ms() +
			(a->err ? RESOLVE_RETRY_MS : RESOLVE_REFRESH_MS);
	uint64_t one = 1;

	for (size_t i = 0; i < sh->n_w; i++)
		if (name_eq(&sh->w[i].q, &a->q) &&
		    sh->w[i].due_ms == UINT64_MAX)
			sh->w[i].due_ms = next;
	if (sh->n_ans == sh->cap_ans) {
		size_t cap = sh->cap_ans ? 2 * sh->cap_ans : 8;
		struct resolve_answer *p = realloc(sh->ans, cap * sizeof(*p));

		if (!p)
			return; /* the next refresh brings it again */
		sh->ans = p;
		sh->cap_ans = cap;
	}
	sh->ans[sh->n_ans++] = *a;
	if (write(sh->efd, &one, sizeof(one)) < 0) {
		/* eventfd counter full: the loop has a wake-up pending */
	}
}

static void timed_wait(struct shared *sh, uint64_t wait_ms)
{
	struct timespec ts;

	if (wait_ms == UINT64_MAX) {
		pthread_cond_wait(&sh->cv, &sh->mu);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(wait_ms / 1000);
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
}

static void *resolver_thread(void *arg)
{
	struct shared *sh = arg;
	struct resolve_name q;
	struct resolve_answer a;
	uint64_t wait_ms;

	pthread_mutex_lock(&sh->mu);
	while (!sh->stop) {
		if (!next_due(sh, loop_now_ms(), &q, &wait_ms)) {
			timed_wait(sh, wait_ms);
			continue;
		}
		pthread_mutex_unlock(&sh->mu);
		lookup(&q, &a);
		pthread_mutex_lock(&sh->mu);
		if (!sh->stop)
			post(sh, &a);
	}
	pthread_mutex_unlock(&sh->mu);
	shared_put(sh);
	return NULL;
}

static void cache_put(struct resolver *r, const struct resolve_answer *a)
{
	struct resolve_answer *p;

	for (size_t i = 0; i < r->n_cache; i++)
		if (name_eq(&r->cache[i].q, &a->q)) {
			r->cache[i] = *a;
			return;
		}
	p = realloc(r->cache, (r->n_cache + 1) * sizeof(*p));
	if (!p)
		return; /* resolver_cached() says none; the callback had it */
	r->cache = p;
	r->cache[r->n_cache++] = *a;
}

static void resolver_ready(void *ctx, int fd, uint32_t events)
{
	struct resolver *r = ctx;
	struct shared *sh = r->sh;
	struct resolve_answer *ans;
	uint64_t count;
	size_t n;

	(void)events;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_msg(LOG_LVL_WARNING, NULL, "resolver eventfd: %s",
			strerror(errno));
	pthread_mutex_lock(&sh->mu);
	ans = sh->ans;
	n = sh->n_ans;
	sh->ans = NULL;
	sh->n_ans = sh->cap_ans = 0;
	pthread_mutex_unlock(&sh->mu);
	for (size_t i = 0; i < n; i++) {
		if (!ans[i].err)
			cache_put(r, &ans[i]);
		r->fn(r->ctx, &ans[i]);
	}
	free(ans);
}

int resolver_new(struct loop *loop, resolve_fn fn, void *ctx,
		 struct resolver **out)
{
	struct resolver *r = calloc(1, sizeof(*r));
	struct shared *sh = calloc(1, sizeof(*sh));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t th;
	int rc;

	*out = NULL;
	if (!r || !sh) {
		free(r);
		free(sh);
		return -ENOMEM;
	}
	sh->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sh->efd < 0) {
		rc = -errno;
		free(r);
		free(sh);
		return rc;
	}
	pthread_mutex_init(&sh->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cv, &ca);
	pthread_condattr_destroy(&ca);
	sh->refs = 2;
	r->sh = sh;
	r->loop = loop;
	r->fn = fn;
	r->ctx = ctx;
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rc = -pthread_create(&th, &ta, resolver_thread, sh);
	pthread_attr_destroy(&ta);
	if (rc) {
		sh->refs = 1;
		shared_put(sh);
		free(r);
		return rc;
	}
	rc = loop_add_fd(loop, sh->efd, EPOLLIN, resolver_ready, r);
	if (rc) {
		resolver_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int resolver_watch(struct resolver *r, const struct resolve_name *names,
		   size_t n)
{
	struct shared *sh = r->sh;
	struct watched *w = calloc(n ? n : 1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		w[i].q = names[i]; /* due at once */
	pthread_mutex_lock(&sh->mu);
	free(sh->w);
	sh->w = w;
	sh->n_w = n;
	pthread_cond_signal(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	return 0;
}

const struct resolve_answer *resolver_cached(const struct resolver *r,
					     const struct resolve_name *q)
{
	for (size_t i = 0; i < r->n_cache; i++)
		if (name_eq(&r->cache[i].q, q))
			return &r->cache[i];
	return NULL;
}

void resolver_free(struct resolver *r)
{
	struct shared *sh;

	if (!r)
		return;
	sh = r->sh;
	(void)loop_del_fd(r->loop, sh->efd);
	pthread_mutex_lock(&sh->mu);
	sh->stop = true;
	pthread_cond_signal(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	shared_put(sh);
	free(r->cache);
	free(r);
}
