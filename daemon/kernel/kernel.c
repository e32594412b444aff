/* Helpers of the neutral kernel model: ownership tests, address text,
 * object descriptions for error messages, wiping SAs. */
#include "kernel/kernel.h"

#include "ike_iana.h"
#include "kernel/pfkey.h"
#include "kernel/xfrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool kernel_policy_is_ours(const struct kernel_policy *p)
{
	if (kernel_policy_index_is_ours(p->index))
		return true;
	for (unsigned i = 0; i < p->n_tmpl && i < KERNEL_TMPL_MAX; i++)
		if (kernel_reqid_is_ours(p->tmpl[i].reqid))
			return true;
	return false;
}

uint32_t kernel_policy_priority(enum kernel_prio_class c,
				const struct kernel_selector *sel)
{
	/* at most (128 + 128) * 256 + 128 + 2 * 32 = 65728 below the base
	 * of the class: classes never overlap */
	uint32_t specific = (uint32_t)(sel->src_plen + sel->dst_plen) * 256u +
			    (sel->proto ? 128u : 0) + (sel->sport ? 32u : 0) +
			    (sel->dport ? 32u : 0);

	return (uint32_t)c * 100000u - specific;
}

size_t kernel_addr_len(uint16_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int kernel_addr_parse(struct kernel_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a.v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->a.v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *kernel_addr_str(const struct kernel_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->a.raw, buf, (socklen_t)len))
		snprintf(buf, len, "any");
	return buf;
}

const char *kernel_dir_name(uint8_t dir)
{
	switch (dir) {
	case KERNEL_DIR_IN: return "in";
	case KERNEL_DIR_OUT: return "out";
	case KERNEL_DIR_FWD: return "fwd";
	}
	return "dir?";
}

const char *kernel_proto_name(uint8_t proto)
{
	switch (proto) {
	case KERNEL_PROTO_ESP: return "esp";
	case KERNEL_PROTO_AH: return "ah";
	case KERNEL_PROTO_COMP: return "comp";
	}
	return "proto?";
}

const char *kernel_mode_name(uint8_t mode)
{
	switch (mode) {
	case KERNEL_MODE_TRANSPORT: return "transport";
	case KERNEL_MODE_TUNNEL: return "tunnel";
	}
	return "mode?";
}

const char *kernel_event_name(uint8_t type)
{
	switch (type) {
	case KERNEL_EV_ACQUIRE: return "acquire";
	case KERNEL_EV_EXPIRE: return "expire";
	case KERNEL_EV_POLICY_EXPIRE: return "policy-expire";
	case KERNEL_EV_SA_ADDED: return "sa-added";
	case KERNEL_EV_SA_DELETED: return "sa-deleted";
	case KERNEL_EV_POLICY_ADDED: return "policy-added";
	case KERNEL_EV_POLICY_DELETED: return "policy-deleted";
	case KERNEL_EV_MAPPING: return "mapping";
	}
	return "event?";
}

void kernel_sa_describe(const struct kernel_sa_id *id, uint32_t reqid,
			char *buf, size_t len)
{
	char s[64], d[64];
	int n;

	n = snprintf(buf, len, "SA %s spi 0x%08x %s->%s",
		     kernel_proto_name(id->proto), id->spi,
		     kernel_addr_str(&id->src, s, sizeof(s)),
		     kernel_addr_str(&id->dst, d, sizeof(d)));
	if (reqid && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " reqid 0x%08x", reqid);
}

static int selector_str(const struct kernel_selector *sel, char *buf,
			size_t len)
{
	char s[64], d[64];
	int n = snprintf(
		buf, len, "%s/%u->%s/%u",
		kernel_addr_str(&sel->src, s, sizeof(s)), sel->src_plen,
		kernel_addr_str(&sel->dst, d, sizeof(d)), sel->dst_plen);
	if (sel->proto && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " proto %u",
			      sel->proto);
	return n;
}

void kernel_policy_describe(const struct kernel_policy *p, char *buf,
			    size_t len)
{
	char sel[160];

	selector_str(&p->sel, sel, sizeof(sel));
	snprintf(buf, len, "policy %s %s index 0x%08x", kernel_dir_name(p->dir),
		 sel, p->index);
}

void kernel_migrate_describe(const struct kernel_migrate *m, char *buf,
			     size_t len)
{
	char sel[160], os[46], od[46], ns[46], nd[46];

	selector_str(&m->sel, sel, sizeof(sel));
	snprintf(buf, len, "policy %s %s reqid 0x%08x from %s->%s to %s->%s%s",
		 kernel_dir_name(m->dir), sel, m->reqid,
		 kernel_addr_str(&m->old_src, os, sizeof(os)),
		 kernel_addr_str(&m->old_dst, od, sizeof(od)),
		 kernel_addr_str(&m->new_src, ns, sizeof(ns)),
		 kernel_addr_str(&m->new_dst, nd, sizeof(nd)),
		 m->encap.type ? " with UDP encapsulation" : "");
}

int kernel_err_set(struct kernel_err *err, int code, const char *what,
		   const char *detail)
{
	if (!err)
		return code;
	err->code = code;
	if (detail && *detail)
		snprintf(err->msg, sizeof(err->msg), "%s: %s (kernel: %s)",
			 what, strerror(-code), detail);
	else
		snprintf(err->msg, sizeof(err->msg), "%s: %s", what,
			 strerror(-code));
	return code;
}

void kernel_sa_wipe(struct kernel_sa *sa)
{
	explicit_bzero(sa, sizeof(*sa));
}

struct kernel_sa *kernel_sa_new(void)
{
	return calloc(1, sizeof(struct kernel_sa));
}

void kernel_sa_free(struct kernel_sa *sa)
{
	if (!sa)
		return;
	kernel_sa_wipe(sa);
	free(sa);
}

const struct kernel_ops *kernel_backend(const char *name)
{
	static const struct kernel_ops *const all[] = { &kernel_xfrm_ops,
							&kernel_pfkey_ops };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

static bool caps_listed(const uint16_t *ids, uint8_t n, uint16_t id)
{
	for (uint8_t i = 0; i < n && i < KERNEL_CAPS_ALGS; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static bool caps_is_aead(uint16_t id)
{
	switch (id) {
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_AES_CCM_8:
	case ENCR_AES_CCM_12:
	case ENCR_AES_CCM_16:
	case ENCR_NULL_AUTH_AES_GMAC:
	case ENCR_CHACHA20_POLY1305: return true;
	}
	return false;
}

int kernel_caps_check(const struct kernel_caps *caps, const char *backend,
		      uint8_t type, uint16_t id, char *why, size_t len)
{
	const char *name = ike_transform_id_name(type, id);
	char unknown[16];

	if (!name) {
		snprintf(unknown, sizeof(unknown), "#%u", id);
		name = unknown;
	}
	switch (type) {
	case TRANS_ENCR:
		if (caps_is_aead(id) && !caps->aead) {
			snprintf(why, len,
				 "the %s backend cannot install AEAD ciphers "
				 "such as %s",
				 backend, name);
			return -ENOTSUP;
		}
		if (caps_listed(caps->encr, caps->n_encr, id))
			return 0;
		break;
	case TRANS_INTEG:
		if (id == AUTH_HMAC_SHA2_256_128 && !caps->sha256_128) {
			snprintf(why, len,
				 "the %s backend truncates HMAC-SHA-256 to 96 "
				 "bits, not the 128 of RFC 4868 that %s "
				 "means: no peer would agree",
				 backend, name);
			return -ENOTSUP;
		}
		if (caps_listed(caps->integ, caps->n_integ, id))
			return 0;
		break;
	case TRANS_ESN:
		if (id == ESN_YES && !caps->esn) {
			snprintf(why, len,
				 "the %s backend cannot install extended "
				 "sequence numbers (ESN)",
				 backend);
			return -ENOTSUP;
		}
		return 0;
	default: return 0; /* KE (PFS) and PRF never reach the kernel */
	}
	snprintf(why, len, "the %s backend cannot install %s", backend, name);
	return -ENOTSUP;
}
