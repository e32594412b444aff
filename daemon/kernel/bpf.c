/* The loader of keybridge's eBPF programs; see bpf.h. */
#include "kernel/bpf.h"

#include "kb_sa.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

enum { BPF_USAGE_PINS = 8 };

struct bpf_usage {
	struct bpf_usage_opts opts;
	char pin_dir[128];
	struct kb_sa *skel;
	struct ring_buffer *events;
	void (*fn)(void *arg, const struct kb_event *ev);
	void *fn_arg;
	/* tc: hooks we attached to, and whether we created their qdisc */
	unsigned n_tc;
	int tc_ifindex[BPF_USAGE_IF_MAX];
	bool tc_created[BPF_USAGE_IF_MAX];
	unsigned n_pins, replaced;
	char pins[BPF_USAGE_PINS][32];
};

/* ---- libbpf's messages -------------------------------------------------- */

/* The first warning libbpf printed since the last reset: the reason a load
 * or an attach failed ("prog 'kb_sa_fentry': failed to attach: …"). The
 * rest (the verifier's log) is dropped: the daemon's log says what failed
 * and what it does instead, once. */
static char bpf_usage_libbpf_msg[256];

static int bpf_usage_libbpf_print(enum libbpf_print_level level,
				  const char *fmt, va_list ap)
{
	char *nl;

	if (level != LIBBPF_WARN || bpf_usage_libbpf_msg[0])
		return 0;
	/* libbpf warns before it tries to load; what the load says counts */
	if (strstr(fmt, "RLIMIT_MEMLOCK"))
		return 0;
	vsnprintf(bpf_usage_libbpf_msg, sizeof(bpf_usage_libbpf_msg), fmt, ap);
	nl = strchr(bpf_usage_libbpf_msg, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

/* ---- bpffs and pinning -------------------------------------------------- */

int bpf_usage_fs_ensure(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	/* `ip netns exec` gives a fresh /sys without bpffs; systemd mounts
	 * it at boot on most systems (DESIGN.md). */
	if (mount("bpf", dir, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700") < 0)
		return -errno;
	return 0;
}

/* Empties the pin directory (objects of an earlier run, which a crash left
 * behind, or another program's of the same names), creating it if needed. */
static int bpf_usage_pin_prepare(struct bpf_usage *b)
{
	char parent[sizeof(b->pin_dir)], path[sizeof(b->pin_dir) + 257];
	char *slash;
	struct dirent *de;
	DIR *d;
	int r;

	snprintf(parent, sizeof(parent), "%s", b->pin_dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if ((r = bpf_usage_fs_ensure(parent)) < 0)
		return r;
	if (mkdir(b->pin_dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	d = opendir(b->pin_dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", b->pin_dir, de->d_name);
		if (unlink(path) == 0)
			b->replaced++;
	}
	closedir(d);
	return 0;
}

static int bpf_usage_pin_path(struct bpf_usage *b, const char *name, char *path,
			      size_t cap)
{
	if (b->n_pins >= BPF_USAGE_PINS)
		return -ENOSPC;
	snprintf(b->pins[b->n_pins++], sizeof(b->pins[0]), "%s", name);
	snprintf(path, cap, "%s/%s", b->pin_dir, name);
	return 0;
}

/* Pins the maps, the loaded programs and the fentry link by name, so
 * `bpftool map dump name kb_sa_usage` and friends find them. */
static int bpf_usage_pin(struct bpf_usage *b)
{
	struct bpf_map *maps[] = { b->skel->maps.kb_sa_usage,
				   b->skel->maps.kb_sa_limits,
				   b->skel->maps.kb_events,
				   b->skel->maps.kb_stats };
	struct bpf_program *prog;
	char path[192];
	int r;

	if ((r = bpf_usage_pin_prepare(b)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if ((r = bpf_usage_pin_path(b, bpf_map__name(maps[i]), path,
					    sizeof(path))) < 0 ||
		    (r = bpf_map__pin(maps[i], path)) < 0)
			return r;
	bpf_object__for_each_program(prog, b->skel->obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		if ((r = bpf_usage_pin_path(b, bpf_program__name(prog), path,
					    sizeof(path))) < 0 ||
		    (r = bpf_program__pin(prog, path)) < 0)
			return r;
	}
	if (b->skel->links.kb_sa_fentry &&
	    ((r = bpf_usage_pin_path(b, "kb_sa_fentry_link", path,
				     sizeof(path))) < 0 ||
	     (r = bpf_link__pin(b->skel->links.kb_sa_fentry, path)) < 0))
		return r;
	return 0;
}

static void bpf_usage_unpin(struct bpf_usage *b)
{
	char path[192];

	for (unsigned i = 0; i < b->n_pins; i++) {
		snprintf(path, sizeof(path), "%s/%s", b->pin_dir, b->pins[i]);
		(void)unlink(path);
	}
	if (b->n_pins)
		(void)rmdir(b->pin_dir);
	b->n_pins = 0;
}

/* ---- attaching ---------------------------------------------------------- */

static int bpf_usage_attach_tc(struct bpf_usage *b, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct bpf_program *progs[2] = { b->skel->progs.kb_tc_ingress,
					 b->skel->progs.kb_tc_egress };
	unsigned slot = b->n_tc;
	int r;

	if (slot >= BPF_USAGE_IF_MAX)
		return -ENOSPC;
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return r;
	b->tc_ifindex[slot] = ifindex;
	b->tc_created[slot] = r == 0;
	b->n_tc++;
	for (int i = 0; i < 2; i++) {
		/* A fixed handle and priority: a restart replaces the filter
		 * a crashed run left, instead of adding a second one. */
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KB_TC_HANDLE,
			    .priority = KB_TC_HANDLE,
			    .prog_fd = bpf_program__fd(progs[i]),
			    .flags = BPF_TC_F_REPLACE);

		hook.attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		if ((r = bpf_tc_attach(&hook, &opts)) < 0)
			return r;
	}
	return 0;
}

static void bpf_usage_detach_tc(struct bpf_usage *b)
{
	for (unsigned s = 0; s < b->n_tc; s++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->tc_ifindex[s]);

		for (int i = 0; i < 2; i++) {
			LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KB_TC_HANDLE,
				    .priority = KB_TC_HANDLE);

			hook.attach_point = i ? BPF_TC_EGRESS : BPF_TC_INGRESS;
			(void)bpf_tc_detach(&hook, &opts);
		}
		if (b->tc_created[s]) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			(void)bpf_tc_hook_destroy(&hook);
		}
	}
	b->n_tc = 0;
}

static int bpf_usage_attach(struct bpf_usage *b)
{
	struct bpf_link *link;
	int r;

	if (b->opts.mode == KB_BPF_FENTRY) {
		link = bpf_program__attach(b->skel->progs.kb_sa_fentry);
		if (!link)
			return -errno;
		b->skel->links.kb_sa_fentry = link;
		return 0;
	}
	if (!b->opts.n_ifindex)
		return -ENODEV;
	for (unsigned i = 0; i < b->opts.n_ifindex; i++)
		if ((r = bpf_usage_attach_tc(b, b->opts.ifindex[i])) < 0)
			return r;
	return 0;
}

/* ---- open / close ------------------------------------------------------- */

static int bpf_usage_on_event(void *ctx, void *data, size_t size)
{
	struct bpf_usage *b = ctx;

	if (size >= sizeof(struct kb_event) && b->fn)
		b->fn(b->fn_arg, data);
	return 0;
}

int bpf_usage_open(const struct bpf_usage_opts *o, struct bpf_usage **out,
		   char *why, size_t cap)
{
	struct bpf_usage *b = calloc(1, sizeof(*b));
	const char *step = "open";
	bool fentry = o->mode == KB_BPF_FENTRY;
	int r = -ENOMEM;

	*out = NULL;
	libbpf_set_print(bpf_usage_libbpf_print);
	bpf_usage_libbpf_msg[0] = '\0';
	if (!b)
		goto fail;
	b->opts = *o;
	if (o->pin_dir)
		snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", o->pin_dir);
	b->skel = kb_sa__open();
	if (!b->skel) {
		r = -errno;
		goto fail;
	}
	/* open -> const volatile config -> load -> attach */
	b->skel->rodata->kb_netns_ino = o->netns_ino;
	b->skel->rodata->kb_natt_port = o->natt_port ? o->natt_port : 4500;
	bpf_program__set_autoload(b->skel->progs.kb_sa_fentry, fentry);
	bpf_program__set_autoload(b->skel->progs.kb_tc_ingress, !fentry);
	bpf_program__set_autoload(b->skel->progs.kb_tc_egress, !fentry);
	step = "load";
	if ((r = kb_sa__load(b->skel)) < 0)
		goto fail;
	step = "attach";
	if (o->attach && (r = bpf_usage_attach(b)) < 0)
		goto fail;
	step = "pin";
	if (o->pin_dir && (r = bpf_usage_pin(b)) < 0)
		goto fail;
	step = "ring buffer";
	b->events = ring_buffer__new(bpf_map__fd(b->skel->maps.kb_events),
				     bpf_usage_on_event, b, NULL);
	if (!b->events) {
		r = -errno;
		goto fail;
	}
	*out = b;
	return 0;
fail:
	snprintf(why, cap, "%s: %s%s%s%s", step, strerror(-r),
		 bpf_usage_libbpf_msg[0] ? " (" : "", bpf_usage_libbpf_msg,
		 bpf_usage_libbpf_msg[0] ? ")" : "");
	bpf_usage_close(b);
	return r;
}

void bpf_usage_close(struct bpf_usage *b)
{
	if (!b)
		return;
	ring_buffer__free(b->events);
	bpf_usage_detach_tc(b);
	bpf_usage_unpin(b);
	kb_sa__destroy(b->skel); /* destroys the fentry link: detached */
	free(b);
}

unsigned bpf_usage_replaced(const struct bpf_usage *b)
{
	return b->replaced;
}

/* ---- maps --------------------------------------------------------------- */

void bpf_usage_key(struct kb_sa_key *key, uint32_t spi, uint8_t proto,
		   int family, const void *daddr)
{
	memset(key, 0, sizeof(*key));
	key->spi = htonl(spi);
	key->proto = proto;
	key->family = (uint8_t)family;
	memcpy(key->daddr, daddr, family == AF_INET ? 4 : 16);
}

static int bpf_usage_errno(int r)
{
	return r == -E2BIG ? -ENOSPC : r;
}

int bpf_usage_limit_set(struct bpf_usage *b, const struct kb_sa_key *key,
			const struct kb_sa_limit *lim)
{
	struct bpf_map *m = b->skel->maps.kb_sa_limits;
	struct kb_sa_limit l;
	int r;

	if (!lim) {
		r = bpf_map__delete_elem(m, key, sizeof(*key), 0);
		return r == -ENOENT ? 0 : r;
	}
	l = *lim;
	l.fired = 0;
	l.pad = 0;
	r = bpf_map__update_elem(m, key, sizeof(*key), &l, sizeof(l), BPF_ANY);
	return bpf_usage_errno(r);
}

int bpf_usage_sa_add(struct bpf_usage *b, const struct kb_sa_key *key,
		     const struct kb_sa_limit *lim)
{
	struct kb_sa_usage zero = { 0 };
	int r;

	r = bpf_map__update_elem(b->skel->maps.kb_sa_usage, key, sizeof(*key),
				 &zero, sizeof(zero), BPF_ANY);
	if (r < 0)
		return bpf_usage_errno(r);
	r = bpf_usage_limit_set(b, key, lim);
	if (r < 0)
		(void)bpf_usage_sa_del(b, key);
	return r;
}

int bpf_usage_sa_del(struct bpf_usage *b, const struct kb_sa_key *key)
{
	(void)bpf_map__delete_elem(b->skel->maps.kb_sa_limits, key,
				   sizeof(*key), 0);
	return bpf_map__delete_elem(b->skel->maps.kb_sa_usage, key,
				    sizeof(*key), 0);
}

int bpf_usage_get(struct bpf_usage *b, const struct kb_sa_key *key,
		  struct kb_sa_usage *out)
{
	return bpf_map__lookup_elem(b->skel->maps.kb_sa_usage, key,
				    sizeof(*key), out, sizeof(*out), 0);
}

uint64_t bpf_usage_stat(struct bpf_usage *b, enum kb_stat which)
{
	uint32_t k = which;
	uint64_t v = 0;

	if (bpf_map__lookup_elem(b->skel->maps.kb_stats, &k, sizeof(k), &v,
				 sizeof(v), 0) < 0)
		return 0;
	return v;
}

int bpf_usage_events_fd(struct bpf_usage *b)
{
	return ring_buffer__epoll_fd(b->events);
}

int bpf_usage_events_read(struct bpf_usage *b,
			  void (*fn)(void *arg, const struct kb_event *ev),
			  void *arg)
{
	b->fn = fn;
	b->fn_arg = arg;
	return ring_buffer__consume(b->events);
}

int bpf_usage_test_run(struct bpf_usage *b, bool egress, const void *pkt,
		       size_t len, uint32_t repeat, int *retval,
		       uint32_t *ns_per_run)
{
	struct bpf_program *p = egress ? b->skel->progs.kb_tc_egress
				       : b->skel->progs.kb_tc_ingress;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt,
		    .data_size_in = (uint32_t)len, .repeat = repeat);
	int r;

	if (bpf_program__fd(p) < 0)
		return -EBADF;
	r = bpf_prog_test_run_opts(bpf_program__fd(p), &t);
	if (r < 0)
		return -errno;
	*retval = (int)t.retval;
	if (ns_per_run)
		*ns_per_run = t.duration;
	return 0;
}
