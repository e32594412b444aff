/* The few kernel types bpf/kb_sa.bpf.c reads, declared by hand instead of a
 * full generated vmlinux.h (bpf/README.md says why). Every record is marked
 * preserve_access_index: clang emits CO-RE relocations for each field
 * access, and libbpf resolves them at load time against the running
 * kernel's BTF (/sys/kernel/btf/vmlinux), so only the names and types of
 * these fields must match the kernel, never their offsets or the other
 * fields. Names and types are those of Linux 6.1 and later (include/net/
 * xfrm.h, include/net/net_namespace.h, include/linux/ns_common.h).
 */
#ifndef KB_VMLINUX_H
#define KB_VMLINUX_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)),           \
			     apply_to = record)

struct ns_common {
	unsigned int inum;
};

struct net {
	struct ns_common ns;
};

typedef struct {
	struct net *net;
} possible_net_t;

typedef union {
	__be32 a4;
	__be32 a6[4];
} xfrm_address_t;

struct xfrm_id {
	xfrm_address_t daddr;
	__be32 spi;
	__u8 proto;
};

struct xfrm_lifetime_cur {
	__u64 bytes;
	__u64 packets;
	__u64 add_time;
	__u64 use_time;
};

struct xfrm_state {
	possible_net_t xs_net;
	struct xfrm_id id;
	struct {
		__u16 family;
	} props;
	struct xfrm_lifetime_cur curlft;
};

#pragma clang attribute pop

#endif
