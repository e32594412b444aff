/* Test helper: moves the calling test process into a network namespace of
 * its own with the loopback interface up, so tests can bind well-known ports
 * and install kernel objects without touching the host or each other. Each
 * test runs in its own child process, so the namespace ends with the test. */
#ifndef KB_TESTS_NETNS_H
#define KB_TESTS_NETNS_H

/* Enters a fresh network namespace; skips the test loudly if the kernel or
 * the privileges do not allow it. */
void test_netns_enter(void);

/* Adds an address ("127.0.0.2/8", "::2/128" …) to the loopback interface
 * of the current namespace with ip(8); fails the test on error. */
void test_netns_add_lo_addr(const char *cidr);

/* Path of a named namespace made by `ip netns add` (for setns()). */
const char *test_netns_path(const char *name);

#endif
