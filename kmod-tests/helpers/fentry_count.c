// SPDX-License-Identifier: ISC
/*
 * fentry_count OBJ -- CMD [ARG...]
 *
 * Loads kmod-tests/bpf/fentry_count.bpf.o, attaches its fentry program,
 * runs CMD while it is attached and prints "hits N": how often the traced
 * kernel function ran meanwhile. Exit status: CMD's, or 2 when loading or
 * attaching fails (the message names the step, libbpf says why).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv and returns its exit status (128 + signal if killed). */
static int fentry_count_run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "fentry_count: %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reads the program's only global (.bss offset 0). */
static int fentry_count_hits(struct bpf_object *obj, unsigned long long *hits)
{
	struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	unsigned char value[64];
	unsigned key = 0;

	if (!bss || bpf_map__value_size(bss) > sizeof(value))
		return -ENOENT;
	if (bpf_map__lookup_elem(bss, &key, sizeof(key), value,
				 bpf_map__value_size(bss), 0))
		return -errno;
	memcpy(hits, value, sizeof(*hits));
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	unsigned long long hits = 0;
	int rc = 2;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: fentry_count OBJ -- CMD [ARG...]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "fentry_count: open %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "fentry_count: load: %s\n", strerror(errno));
		goto out;
	}
	prog = bpf_object__next_program(obj, NULL);
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "fentry_count: attach: %s\n", strerror(errno));
		goto out;
	}
	rc = fentry_count_run(argv + 3);
	if (rc < 0 || fentry_count_hits(obj, &hits) < 0) {
		fprintf(stderr, "fentry_count: cannot run or read the count\n");
		rc = 2;
		goto out;
	}
	printf("hits %llu\n", hits);
out:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return rc;
}
