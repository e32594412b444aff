/* One keybridged per network namespace; see lock.h. */
#include "io/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int lock_default_path(char *buf, size_t cap)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	if ((size_t)snprintf(buf, cap, "%s/keybridged.net-%llu.lock", LOCK_DIR,
			     (unsigned long long)st.st_ino) >= cap)
		return -ENAMETOOLONG;
	return 0;
}

/* The pid the holder wrote into the file, 0 if none can be read. */
static pid_t lock_holder(int fd)
{
	char buf[24] = { 0 };
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid = n > 0 ? strtol(buf, NULL, 10) : 0;

	return pid > 0 ? (pid_t)pid : 0;
}

int lock_acquire(const char *path, pid_t *holder)
{
	char pid[24];
	int fd, r;

	*holder = 0;
	if (strncmp(path, LOCK_DIR "/", sizeof(LOCK_DIR)) == 0 &&
	    mkdir(LOCK_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK)
			*holder = lock_holder(fd);
		close(fd);
		return r;
	}
	r = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)r, 0) != r) {
		r = errno ? -errno : -EIO;
		close(fd);
		return r;
	}
	return fd;
}
