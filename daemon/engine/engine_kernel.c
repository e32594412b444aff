/* Engine actions to kernel model and back; see engine_kernel.h. */
#include "engine/engine_kernel.h"

#include "engine/ts.h"
#include "ike_iana.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static void ek_addr(const struct engine_addr *in, struct kernel_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	memcpy(out->a.raw, in->ip, in->family == AF_INET6 ? 16 : 4);
}

static uint8_t ek_mode(enum engine_mode m)
{
	return m == ENGINE_MODE_TRANSPORT ? KERNEL_MODE_TRANSPORT
					  : KERNEL_MODE_TUNNEL;
}

/* Sets bit `bit` (0 = most significant) of a big-endian address. */
static bool ek_bit(const uint8_t *a, unsigned bit)
{
	return a[bit / 8] & (0x80 >> (bit % 8));
}

/* The largest prefix starting at `cur` that ends at or before `end`. */
static unsigned ek_plen(const uint8_t *cur, const uint8_t *end, unsigned bits)
{
	unsigned plen = bits;

	/* Grow the block while cur stays aligned and the block end stays
	 * within the range. */
	while (plen > 0 && !ek_bit(cur, plen - 1)) {
		uint8_t last[16];
		unsigned p = plen - 1;

		memcpy(last, cur, bits / 8);
		for (unsigned b = p; b < bits; b++)
			last[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		if (memcmp(last, end, bits / 8) > 0)
			break;
		plen = p;
	}
	return plen;
}

/* Adds 2^(bits - plen) to `a`; returns false on overflow past the top. */
static bool ek_advance(uint8_t *a, unsigned plen, unsigned bits)
{
	int i = (int)(plen ? plen - 1 : 0);
	unsigned carry;

	if (plen == 0)
		return false;
	carry = 0x80 >> (i % 8);
	for (int byte = i / 8; byte >= 0; byte--) {
		unsigned v = a[byte] + carry;

		a[byte] = (uint8_t)v;
		carry = v >> 8;
		if (!carry)
			return true;
	}
	(void)bits;
	return false;
}

size_t engine_ts_prefixes(const struct engine_ts *ts, struct engine_prefix *out,
			  size_t cap)
{
	size_t alen = ts_addr_len(ts->type), n = 0;
	unsigned bits = (unsigned)alen * 8;
	uint8_t cur[16] = { 0 };

	if (!alen || memcmp(ts->start, ts->end, alen) > 0)
		return 0;
	memcpy(cur, ts->start, alen);
	for (;;) {
		unsigned plen = ek_plen(cur, ts->end, bits);
		uint8_t last[16];

		if (n == cap)
			return 0;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].addr, cur, alen);
		out[n++].plen = (uint8_t)plen;
		memcpy(last, cur, alen);
		for (unsigned b = plen; b < bits; b++)
			last[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		if (!memcmp(last, ts->end, alen) ||
		    !ek_advance(cur, plen, bits))
			return n;
	}
}

void engine_sa_to_kernel(const struct engine_sa *in, struct kernel_sa *out)
{
	struct engine_prefix ps[1], pd[1];

	memset(out, 0, sizeof(*out));
	ek_addr(&in->src, &out->id.src);
	ek_addr(&in->dst, &out->id.dst);
	out->id.spi = in->spi;
	out->id.proto = KERNEL_PROTO_ESP;
	out->id.mark = (struct kernel_mark){ in->mark.value, in->mark.mask };
	out->id.if_id = in->if_id;
	out->mode = ek_mode(in->mode);
	out->reqid = in->reqid;
	out->encr_id = in->encr;
	out->encr_key_bits = in->encr_keylen;
	out->integ_id = in->integ;
	out->icv_len = in->icv_len;
	out->enc_key_len = (uint8_t)in->enc_key_len;
	out->integ_key_len = (uint8_t)in->integ_key_len;
	memcpy(out->enc_key, in->enc_key, sizeof(out->enc_key));
	memcpy(out->integ_key, in->integ_key, sizeof(out->integ_key));
	out->replay_window = in->replay_window;
	out->esn = in->esn;
	out->soft = (struct kernel_lifetime){ in->life_soft_bytes,
					      in->life_soft_packets,
					      in->life_soft_s, 0 };
	out->hard = (struct kernel_lifetime){ in->life_hard_bytes,
					      in->life_hard_packets,
					      in->life_hard_s, 0 };
	if (in->encap)
		out->encap = (struct kernel_encap){
			KERNEL_ENCAP_ESPINUDP, in->src.port, in->dst.port, { 0 }
		};
	/* Transport mode: the SA carries exactly the selector's hosts. */
	if (in->mode == ENGINE_MODE_TRANSPORT &&
	    engine_ts_prefixes(&in->src_ts, ps, 1) == 1 &&
	    engine_ts_prefixes(&in->dst_ts, pd, 1) == 1) {
		struct kernel_selector *s = &out->sel;

		s->family = in->src.family;
		s->src.family = s->dst.family = in->src.family;
		memcpy(s->src.a.raw, ps[0].addr, 16);
		memcpy(s->dst.a.raw, pd[0].addr, 16);
		s->src_plen = ps[0].plen;
		s->dst_plen = pd[0].plen;
		s->proto = in->src_ts.proto;
	}
}

static int ek_port(const struct engine_ts *ts, uint16_t *port)
{
	if (ts->port_lo == 0 && ts->port_hi == 65535)
		*port = 0;
	else if (ts->port_lo == ts->port_hi)
		*port = ts->port_lo;
	else
		return -EINVAL;
	return 0;
}

static void ek_policy_one(const struct engine_policy *in,
			  const struct engine_prefix *s,
			  const struct engine_prefix *d, uint32_t index,
			  struct kernel_policy *p)
{
	uint16_t fam = in->src.type == TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;

	memset(p, 0, sizeof(*p));
	p->sel.family = fam;
	p->sel.src.family = p->sel.dst.family = fam;
	memcpy(p->sel.src.a.raw, s->addr, 16);
	memcpy(p->sel.dst.a.raw, d->addr, 16);
	p->sel.src_plen = s->plen;
	p->sel.dst_plen = d->plen;
	p->sel.proto = in->src.proto ? in->src.proto : in->dst.proto;
	p->dir = in->dir == ENGINE_POL_IN    ? KERNEL_DIR_IN
		 : in->dir == ENGINE_POL_OUT ? KERNEL_DIR_OUT
					     : KERNEL_DIR_FWD;
	p->action = KERNEL_ACTION_ALLOW;
	p->priority = in->priority;
	p->index = index;
	p->mark = (struct kernel_mark){ in->mark.value, in->mark.mask };
	p->if_id = in->if_id;
	p->n_tmpl = 1;
	p->tmpl[0].reqid = in->reqid;
	p->tmpl[0].proto = KERNEL_PROTO_ESP;
	p->tmpl[0].mode = ek_mode(in->mode);
	if (in->mode == ENGINE_MODE_TUNNEL) {
		ek_addr(&in->tmpl_src, &p->tmpl[0].src);
		ek_addr(&in->tmpl_dst, &p->tmpl[0].dst);
	}
}

int engine_policy_to_kernel(const struct engine_policy *in, uint32_t *index_seq,
			    struct kernel_policy *out, size_t cap)
{
	struct engine_prefix s[ENGINE_KERNEL_PREFIX_MAX];
	struct engine_prefix d[ENGINE_KERNEL_PREFIX_MAX];
	size_t ns, nd, n = 0;
	uint16_t sport, dport;

	if (ek_port(&in->src, &sport) || ek_port(&in->dst, &dport))
		return -EINVAL;
	ns = engine_ts_prefixes(&in->src, s, ENGINE_KERNEL_PREFIX_MAX);
	nd = engine_ts_prefixes(&in->dst, d, ENGINE_KERNEL_PREFIX_MAX);
	if (!ns || !nd || in->src.type != in->dst.type)
		return -EINVAL;
	if (ns * nd > cap)
		return -ENOSPC;
	for (size_t i = 0; i < ns; i++) {
		for (size_t j = 0; j < nd; j++, n++) {
			uint8_t dir = in->dir == ENGINE_POL_IN ? KERNEL_DIR_IN
				      : in->dir == ENGINE_POL_OUT
					      ? KERNEL_DIR_OUT
					      : KERNEL_DIR_FWD;

			ek_policy_one(in, &s[i], &d[j],
				      kernel_policy_index((*index_seq)++, dir),
				      &out[n]);
			out[n].sel.sport = sport;
			out[n].sel.dport = dport;
			if (!in->priority)
				out[n].priority = kernel_policy_priority(
					KERNEL_PRIO_IPSEC, &out[n].sel);
		}
	}
	return (int)n;
}

int engine_kevent_from_kernel(const struct kernel_event *in,
			      struct engine_kevent *out)
{
	memset(out, 0, sizeof(*out));
	switch (in->type) {
	case KERNEL_EV_ACQUIRE:
		out->type = ENGINE_KEV_ACQUIRE;
		out->reqid = in->u.acquire.tmpl.reqid;
		return 0;
	case KERNEL_EV_EXPIRE:
		out->type = in->u.expire.hard ? ENGINE_KEV_EXPIRE_HARD
					      : ENGINE_KEV_EXPIRE_SOFT;
		out->spi = in->u.expire.id.spi;
		out->proto = PROTO_ESP;
		return 0;
	default: return -ENOENT;
	}
}
