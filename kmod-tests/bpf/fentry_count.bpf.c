// SPDX-License-Identifier: ISC
/*
 * Counts calls of xfrm_state_check_expire(), which the kernel makes once per
 * packet per SA on both input and output: the hook keybridge's SA tracing
 * needs. Used by kmod-tests/12-bpf-fentry-sanity.sh to prove that fentry
 * attaches in the guest kernel and fires for ESP traffic.
 */
/* First, in a block of its own: the libbpf headers need its types. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 kmod_hits = 0;

SEC("fentry/xfrm_state_check_expire")
int BPF_PROG(kmod_count_check_expire, void *x)
{
	__sync_fetch_and_add(&kmod_hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
