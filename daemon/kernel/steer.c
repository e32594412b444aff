/* The SK_REUSEPORT steering program's loader; see steer.h. */
#include "kernel/steer.h"

#include "kb_steer.h"
#include "kb_steer.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct steer {
	struct kb_steer *skel;
};

/* libbpf's own lines go nowhere: what failed is in `why`. */
static int steer_libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int steer_fail(char *why, size_t cap, int r, const char *step)
{
	snprintf(why, cap, "%s: %s", step, strerror(-r));
	return r;
}

int steer_open(const int *fds, unsigned n, uint16_t natt_port,
	       struct steer **out, char *why, size_t cap)
{
	struct steer *s = calloc(1, sizeof(*s));
	libbpf_print_fn_t old = libbpf_set_print(steer_libbpf_quiet);
	int prog, map, r = 0;

	*out = NULL;
	if (!s) {
		r = steer_fail(why, cap, -ENOMEM, "allocating");
		goto out;
	}
	if (n < 1 || n > KB_STEER_MAX_WORKERS) {
		r = steer_fail(why, cap, -EINVAL, "worker count");
		goto out;
	}
	if (!(s->skel = kb_steer__open())) {
		r = steer_fail(why, cap, -errno, "opening the BPF object");
		goto out;
	}
	s->skel->rodata->kb_n_workers = n;
	s->skel->rodata->kb_natt_port = natt_port;
	if ((r = kb_steer__load(s->skel)) < 0) {
		r = steer_fail(why, cap, r, "loading the SK_REUSEPORT program");
		goto out;
	}
	prog = bpf_program__fd(s->skel->progs.kb_steer_ike);
	map = bpf_map__fd(s->skel->maps.kb_steer_socks);
	for (unsigned g = 0; g < STEER_GROUPS; g++) {
		int first = -1;

		for (unsigned w = 0; w < n; w++) {
			uint32_t key = g * KB_STEER_MAX_WORKERS + w;
			uint64_t fd = (uint64_t)fds[g * n + w];

			if (fds[g * n + w] < 0)
				continue;
			if (bpf_map_update_elem(map, &key, &fd, BPF_ANY) < 0) {
				r = steer_fail(why, cap, -errno,
					       "adding a socket to the map");
				goto out;
			}
			if (first < 0)
				first = fds[g * n + w];
		}
		/* one socket of a group attaches the program to all of it */
		if (first >= 0 &&
		    setsockopt(first, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
			       &prog, sizeof(prog)) < 0) {
			r = steer_fail(why, cap, -errno,
				       "attaching to the sockets");
			goto out;
		}
	}
	*out = s;
	s = NULL;
out:
	libbpf_set_print(old);
	steer_free(s);
	return r;
}

void steer_stats(const struct steer *s, uint64_t *steered, uint64_t *passed,
		 uint64_t *missing)
{
	uint64_t *out[3] = { steered, passed, missing };
	int ncpu = libbpf_num_possible_cpus();
	int map = bpf_map__fd(s->skel->maps.kb_steer_stats);
	uint64_t *v = calloc(ncpu > 0 ? (size_t)ncpu : 1, sizeof(*v));

	for (uint32_t k = 0; k < 3; k++) {
		*out[k] = 0;
		if (v && ncpu > 0 && bpf_map_lookup_elem(map, &k, v) == 0)
			for (int c = 0; c < ncpu; c++)
				*out[k] += v[c];
	}
	free(v);
}

void steer_free(struct steer *s)
{
	if (!s)
		return;
	kb_steer__destroy(s->skel);
	free(s);
}
