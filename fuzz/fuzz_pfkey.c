/* libFuzzer target: the PF_KEY v2 parsers on hostile bytes.
 *
 * The input is one message as a read() on a PF_KEY socket returns it. It
 * goes through every parser (header, SA, policy, event, REGISTER reply);
 * ASan/UBSan catch reads outside the input. A policy the parser accepts
 * and the builder can express must survive build -> parse unchanged.
 * Seeds: fuzz/seeds/pfkey_*.bin (the messages of test_pfkey_msg.c). */
#include "kernel/pfkey_msg.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool parse_result_ok(int r)
{
	return r == 0 || r == -EBADMSG || r == -ENOMSG;
}

static void policy_roundtrip(const struct kernel_policy *p)
{
	static uint8_t buf[PFKEY_MSG_BUFSIZE];
	struct kernel_policy back;
	int n;

	if (p->action == KERNEL_ACTION_BLOCK && p->n_tmpl)
		return; /* a discard policy's requests are not sent */
	n = pfkey_msg_policy_add(buf, sizeof(buf), 1, 1, p, false);
	if (n < 0)
		return; /* the builder refuses what it cannot express */
	assert(pfkey_msg_parse_policy(buf, (size_t)n, &back) == 0);
	assert(memcmp(&back, p, sizeof(back)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy with 8-byte alignment, as a socket read gives it */
	static uint64_t msg[PFKEY_MSG_BUFSIZE / 8];
	struct pfkey_hdr h;
	struct kernel_sa_id id;
	struct kernel_sa_stats st;
	struct kernel_sa sa;
	struct kernel_policy p;
	struct kernel_event ev;
	struct kernel_caps caps = { 0 };
	int r;

	if (size > sizeof(msg))
		return 0;
	memcpy(msg, data, size);
	assert(parse_result_ok(pfkey_msg_parse_hdr(msg, size, &h)));
	assert(parse_result_ok(pfkey_msg_parse_sa(msg, size, &id, &st, &sa)));
	assert(parse_result_ok(pfkey_msg_parse_event(msg, size, &ev)));
	r = pfkey_msg_parse_supported(msg, size, &caps);
	assert(parse_result_ok(r));
	assert(caps.n_encr <= KERNEL_CAPS_ALGS &&
	       caps.n_integ <= KERNEL_CAPS_ALGS);
	r = pfkey_msg_parse_policy(msg, size, &p);
	assert(parse_result_ok(r));
	if (r == 0) {
		assert(p.n_tmpl <= KERNEL_TMPL_MAX);
		policy_roundtrip(&p);
	}
	return 0;
}
