/* ikedump: print every IKEv2 message in a pcap or pcapng capture.
 *
 *   ikedump [--json] FILE...      (FILE "-" is standard input)
 *
 * Reads UDP datagrams to or from ports 500 and 4500 (non-ESP marker and
 * NAT-keepalives recognised, RFC 3948), decodes them with the daemon's own
 * codec and prints one header line per message and one line per payload,
 * with a name for every registered number. --json prints one JSON object per
 * message per line (JSON Lines) with the same fields. The format is stable:
 * tests and scripts compare it.
 */
#include "engine/ike_msg.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- emitter: the same tree as "key=value" text or JSON ---- */

struct out {
	FILE *f;
	bool json;
	int depth;
	bool first[16];
};

static void out_sep(struct out *o)
{
	if (!o->first[o->depth])
		fputs(o->json ? "," : " ", o->f);
	o->first[o->depth] = false;
}

static void out_key(struct out *o, const char *key)
{
	out_sep(o);
	if (key)
		fprintf(o->f, o->json ? "\"%s\":" : "%s=", key);
}

static void out_open(struct out *o, const char *key, char c)
{
	out_key(o, key);
	fputc(c, o->f);
	if (o->depth < 15)
		o->depth++;
	o->first[o->depth] = true;
}

static void out_close(struct out *o, char c)
{
	fputc(c, o->f);
	if (o->depth > 0)
		o->depth--;
}

static void out_quoted(struct out *o, const char *s, size_t n)
{
	fputc('"', o->f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(o->f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(o->f, "\\u%04x", c);
		else
			fputc(c, o->f);
	}
	fputc('"', o->f);
}

/* A string value; text mode quotes it only when it has spaces. */
static void out_strn(struct out *o, const char *key, const char *s, size_t n)
{
	bool plain = !o->json && n > 0;

	for (size_t i = 0; plain && i < n; i++)
		plain = s[i] > 0x20 && s[i] < 0x7f && s[i] != '"';
	out_key(o, key);
	if (plain)
		fwrite(s, 1, n, o->f);
	else
		out_quoted(o, s, n);
}

static void out_str(struct out *o, const char *key, const char *s)
{
	out_strn(o, key, s, strlen(s));
}

static void out_fmt(struct out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void out_fmt(struct out *o, const char *key, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_str(o, key, buf);
}

static void out_u(struct out *o, const char *key, unsigned long long v)
{
	out_key(o, key);
	fprintf(o->f, "%llu", v);
}

static void out_bool(struct out *o, const char *key, bool v)
{
	out_key(o, key);
	fputs(v ? "true" : "false", o->f);
}

static void out_hex(struct out *o, const char *key, struct ike_bytes b)
{
	out_key(o, key);
	if (o->json)
		fputc('"', o->f);
	for (size_t i = 0; i < b.len; i++)
		fprintf(o->f, "%02x", b.ptr[i]);
	if (o->json)
		fputc('"', o->f);
	else if (b.len == 0)
		fputs("\"\"", o->f);
}

/* A registry value: its name, or its number when the registry lacks it. */
static void out_name(struct out *o, const char *key, const char *name,
		     unsigned v)
{
	if (name)
		out_str(o, key, name);
	else
		out_u(o, key, v);
}

/* ---- small registries that are not IKE's own ---- */

static const char *ip_proto_name(unsigned p)
{
	switch (p) {
	case 0: return "any";
	case 1: return "ICMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	}
	return NULL;
}

static const char *eap_code_name(unsigned c)
{
	static const char *const n[] = { NULL,	    "Request", "Response",
					 "Success", "Failure", "Initiate",
					 "Finish" };
	return c < sizeof(n) / sizeof(*n) ? n[c] : NULL;
}

static const char *eap_type_name(unsigned t)
{
	switch (t) {
	case 1: return "Identity";
	case 2: return "Notification";
	case 3: return "Nak";
	case 4: return "MD5-Challenge";
	case 13: return "EAP-TLS";
	case 18: return "EAP-SIM";
	case 21: return "EAP-TTLS";
	case 23: return "EAP-AKA";
	case 25: return "PEAP";
	case 26: return "EAP-MSCHAP-V2";
	case 50: return "EAP-AKA'";
	case 254: return "Expanded";
	}
	return NULL;
}

/* ---- payloads ---- */

static void out_addr(struct out *o, const char *key, struct ike_bytes b)
{
	char s[INET6_ADDRSTRLEN];

	if (b.len == 4 && inet_ntop(AF_INET, b.ptr, s, sizeof(s)))
		out_str(o, key, s);
	else if (b.len == 16 && inet_ntop(AF_INET6, b.ptr, s, sizeof(s)))
		out_str(o, key, s);
	else
		out_hex(o, key, b);
}

static void out_sa(struct out *o, const struct ike_pl_sa *sa)
{
	out_open(o, "proposals", '[');
	for (unsigned i = 0; i < sa->n_proposals; i++) {
		const struct ike_proposal *pr = &sa->proposals[i];

		out_open(o, NULL, '{');
		out_u(o, "num", pr->num);
		out_name(o, "protocol", ike_protocol_id_name(pr->protocol),
			 pr->protocol);
		if (pr->spi.len)
			out_hex(o, "spi", pr->spi);
		out_open(o, "transforms", '[');
		for (unsigned j = 0; j < pr->n_transforms; j++) {
			const struct ike_transform *t = &pr->transforms[j];

			out_open(o, NULL, '{');
			out_name(o, "type", ike_transform_type_name(t->type),
				 t->type);
			out_name(o, "id", ike_transform_id_name(t->type, t->id),
				 t->id);
			if (t->key_len)
				out_u(o, "key_len", t->key_len);
			if (t->n_unknown_attrs)
				out_hex(o, "attrs", t->attrs);
			out_close(o, '}');
		}
		out_close(o, ']');
		out_close(o, '}');
	}
	out_close(o, ']');
}

static void out_id(struct out *o, const struct ike_pl_id *id)
{
	out_name(o, "id_type", ike_id_type_name(id->type), id->type);
	switch (id->type) {
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR: out_addr(o, "value", id->data); return;
	case ID_FQDN:
	case ID_RFC822_ADDR:
		out_strn(o, "value", (const char *)id->data.ptr, id->data.len);
		return;
	}
	out_hex(o, "data", id->data);
}

static void out_notify(struct out *o, const struct ike_pl_notify *n)
{
	struct ike_bytes d = n->data;

	out_name(o, "type", ike_notify_type_name(n->type), n->type);
	out_name(o, "protocol", ike_protocol_id_name(n->protocol), n->protocol);
	if (n->spi.len)
		out_hex(o, "spi", n->spi);
	if (n->type == N_SIGNATURE_HASH_ALGORITHMS && d.len % 2 == 0) {
		out_open(o, "hash_algorithms", '[');
		for (size_t i = 0; i < d.len; i += 2) {
			unsigned h = (unsigned)(d.ptr[i] << 8 | d.ptr[i + 1]);
			out_name(o, NULL, ike_hash_algorithm_name(h), h);
		}
		out_close(o, ']');
		return;
	}
	if (n->type == N_INVALID_KE_PAYLOAD && d.len == 2) {
		unsigned g = (unsigned)(d.ptr[0] << 8 | d.ptr[1]);
		out_name(o, "group", ike_ke_id_name(g), g);
		return;
	}
	if (d.len)
		out_hex(o, "data", d);
}

static void out_ts(struct out *o, const struct ike_pl_ts *t)
{
	out_open(o, "selectors", '[');
	for (unsigned i = 0; i < t->n_ts; i++) {
		const struct ike_ts *ts = &t->ts[i];

		out_open(o, NULL, '{');
		out_name(o, "type", ike_ts_type_name(ts->type), ts->type);
		if (ts->raw.ptr) {
			out_hex(o, "data", ts->raw);
		} else {
			out_name(o, "ip_proto", ip_proto_name(ts->ip_proto),
				 ts->ip_proto);
			out_u(o, "start_port", ts->start_port);
			out_u(o, "end_port", ts->end_port);
			out_addr(o, "start", ts->start);
			out_addr(o, "end", ts->end);
		}
		out_close(o, '}');
	}
	out_close(o, ']');
}

static void out_cfg_value(struct out *o, const struct ike_cp_attr *a)
{
	struct ike_bytes v = a->value;
	char s[INET6_ADDRSTRLEN];

	if (v.len == 0)
		return;
	if (v.len == 17 && inet_ntop(AF_INET6, v.ptr, s, sizeof(s))) {
		out_fmt(o, "value", "%s/%u", s, v.ptr[16]);
	} else if (v.len == 8 && a->type == CFGA_INTERNAL_IP4_SUBNET) {
		char m[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, v.ptr, s, sizeof(s));
		inet_ntop(AF_INET, v.ptr + 4, m, sizeof(m));
		out_fmt(o, "value", "%s/%s", s, m);
	} else if ((v.len == 4 || v.len == 16) &&
		   a->type != CFGA_APPLICATION_VERSION &&
		   a->type != CFGA_SUPPORTED_ATTRIBUTES) {
		out_addr(o, "value", v);
	} else if (a->type == CFGA_APPLICATION_VERSION ||
		   a->type == CFGA_INTERNAL_DNS_DOMAIN) {
		out_strn(o, "value", (const char *)v.ptr, v.len);
	} else {
		out_hex(o, "value", v);
	}
}

static void out_cp(struct out *o, const struct ike_pl_cp *cp)
{
	out_name(o, "cfg_type", ike_cfg_type_name(cp->cfg_type), cp->cfg_type);
	out_open(o, "attrs", '[');
	for (unsigned i = 0; i < cp->n_attrs; i++) {
		const struct ike_cp_attr *a = &cp->attrs[i];

		out_open(o, NULL, '{');
		out_name(o, "type", ike_cfg_attr_name(a->type), a->type);
		out_cfg_value(o, a);
		out_close(o, '}');
	}
	out_close(o, ']');
}

static void out_delete(struct out *o, const struct ike_pl_delete *d)
{
	out_name(o, "protocol", ike_protocol_id_name(d->protocol), d->protocol);
	out_u(o, "spi_size", d->spi_size);
	out_open(o, "spis", '[');
	for (unsigned i = 0; i < d->n_spis && d->spi_size; i++) {
		struct ike_bytes s = { d->spis.ptr + (size_t)i * d->spi_size,
				       d->spi_size };
		out_hex(o, NULL, s);
	}
	out_close(o, ']');
}

static void out_body(struct out *o, const struct ike_payload *p)
{
	const char *pt;

	switch (p->type) {
	case PL_SA: out_sa(o, &p->u.sa); return;
	case PL_KE:
		out_name(o, "group", ike_ke_id_name(p->u.ke.group),
			 p->u.ke.group);
		out_u(o, "len", p->u.ke.data.len);
		out_hex(o, "data", p->u.ke.data);
		return;
	case PL_IDI:
	case PL_IDR: out_id(o, &p->u.id); return;
	case PL_CERT:
	case PL_CERTREQ:
		out_name(o, "encoding",
			 ike_cert_encoding_name(p->u.cert.encoding),
			 p->u.cert.encoding);
		out_u(o, "len", p->u.cert.data.len);
		out_hex(o, "data", p->u.cert.data);
		return;
	case PL_AUTH:
		out_name(o, "method", ike_auth_method_name(p->u.auth.method),
			 p->u.auth.method);
		out_u(o, "len", p->u.auth.data.len);
		out_hex(o, "data", p->u.auth.data);
		return;
	case PL_NONCE:
		out_u(o, "len", p->u.nonce.data.len);
		out_hex(o, "data", p->u.nonce.data);
		return;
	case PL_NOTIFY: out_notify(o, &p->u.notify); return;
	case PL_DELETE: out_delete(o, &p->u.del); return;
	case PL_VENDOR: out_hex(o, "id", p->u.vendor.id); return;
	case PL_TSI:
	case PL_TSR: out_ts(o, &p->u.ts); return;
	case PL_CP: out_cp(o, &p->u.cp); return;
	case PL_SK:
		pt = ike_payload_type_name(p->u.sk.first_payload);
		out_name(o, "first_payload", pt, p->u.sk.first_payload);
		out_u(o, "len", p->u.sk.body.len);
		return;
	case PL_SKF:
		pt = ike_payload_type_name(p->u.skf.first_payload);
		out_name(o, "first_payload", pt, p->u.skf.first_payload);
		out_u(o, "fragment", p->u.skf.frag_num);
		out_u(o, "total", p->u.skf.total);
		out_u(o, "len", p->u.skf.body.len);
		return;
	case PL_EAP:
		out_name(o, "code", eap_code_name(p->u.eap.code),
			 p->u.eap.code);
		out_u(o, "identifier", p->u.eap.identifier);
		if (p->u.eap.type)
			out_name(o, "eap_type", eap_type_name(p->u.eap.type),
				 p->u.eap.type);
		out_u(o, "len", p->u.eap.data.len);
		return;
	}
	out_u(o, "len", p->body.len);
	out_hex(o, "data", p->body);
}

static void out_payload(struct out *o, const struct ike_payload *p)
{
	const char *name = ike_payload_type_name(p->type);
	char num[16];

	if (o->json) {
		out_open(o, NULL, '{');
		out_name(o, "payload", name, p->type);
	} else {
		snprintf(num, sizeof(num), "%u", p->type);
		fprintf(o->f, "  %s", name ? name : num);
		o->first[o->depth] = false;
	}
	if (p->critical)
		out_bool(o, "critical", true);
	if (p->inner)
		out_bool(o, "inner", true);
	out_body(o, p);
	if (o->json)
		out_close(o, '}');
	else
		fputc('\n', o->f);
}

/* ---- message and datagram ---- */

struct dgram {
	unsigned long frame;
	double time;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	unsigned sport, dport;
	const uint8_t *data;
	size_t len;
	bool truncated;
	unsigned ip_fragments; /* reassembled from this many IPv4 fragments */
};

static void out_begin(struct out *o, const struct dgram *d, const char *kind)
{
	o->depth = 0;
	o->first[0] = true;
	if (o->json)
		out_open(o, NULL, '{');
	out_u(o, "frame", d->frame);
	out_fmt(o, "time", "%.6f", d->time);
	if (strchr(d->src, ':')) { /* RFC 5952 §6: [address]:port */
		out_fmt(o, "src", "[%s]:%u", d->src, d->sport);
		out_fmt(o, "dst", "[%s]:%u", d->dst, d->dport);
	} else {
		out_fmt(o, "src", "%s:%u", d->src, d->sport);
		out_fmt(o, "dst", "%s:%u", d->dst, d->dport);
	}
	out_str(o, "kind", kind);
	if (d->ip_fragments)
		out_u(o, "ip_fragments", d->ip_fragments);
}

static void out_end(struct out *o)
{
	if (o->json)
		out_close(o, '}');
	fputc('\n', o->f);
}

static void out_header(struct out *o, const struct ike_hdr *h, size_t off)
{
	char flags[4] = "";

	if (h->flags & IKE_FLAG_INITIATOR)
		strcat(flags, "I");
	if (h->flags & IKE_FLAG_VERSION)
		strcat(flags, "V");
	if (h->flags & IKE_FLAG_RESPONSE)
		strcat(flags, "R");
	if (off)
		out_bool(o, "non_esp_marker", true);
	out_name(o, "exchange", ike_exchange_type_name(h->exchange),
		 h->exchange);
	out_str(o, "role",
		h->flags & IKE_FLAG_RESPONSE ? "response" : "request");
	out_u(o, "msg_id", h->msg_id);
	out_str(o, "flags", flags);
	out_fmt(o, "spi_i", "%016llx", (unsigned long long)h->spi_i);
	out_fmt(o, "spi_r", "%016llx", (unsigned long long)h->spi_r);
	out_fmt(o, "version", "%u.%u", h->version >> 4, h->version & 15);
	out_u(o, "length", h->length);
}

static void out_error(struct out *o, const struct ike_msg *m, int rc)
{
	uint16_t n = ike_err_notify(rc);

	out_open(o, "error", '{');
	out_str(o, "name", ike_err_name(rc));
	out_str(o, "text", ike_err_str(rc));
	out_u(o, "offset", m->err_off);
	if (m->err_payload)
		out_name(o, "payload", ike_payload_type_name(m->err_payload),
			 m->err_payload);
	out_str(o, "notify", n ? ike_notify_type_name(n) : "none");
	out_close(o, '}');
}

static void dump_ike(struct out *o, const struct dgram *d, size_t off)
{
	static struct ike_msg m;
	int rc = ike_msg_decode(&m, d->data + off, d->len - off);

	out_begin(o, d, "IKE");
	if (m.hdr.version)
		out_header(o, &m.hdr, off);
	if (rc < 0)
		out_error(o, &m, rc);
	if (o->json) {
		out_open(o, "payloads", '[');
		for (unsigned i = 0; i < m.n_payloads; i++)
			out_payload(o, &m.payloads[i]);
		out_close(o, ']');
		out_end(o);
		return;
	}
	out_end(o);
	for (unsigned i = 0; i < m.n_payloads; i++)
		out_payload(o, &m.payloads[i]);
}

static void dump_dgram(struct out *o, const struct dgram *d)
{
	bool natt = d->sport == IKE_NATT_PORT || d->dport == IKE_NATT_PORT;
	size_t off = 0;

	if (d->truncated) {
		out_begin(o, d, "truncated-capture");
		out_end(o);
		return;
	}
	switch (ike_msg_classify(d->data, d->len, natt, &off)) {
	case IKE_DGRAM_IKE: dump_ike(o, d, off); return;
	case IKE_DGRAM_KEEPALIVE: out_begin(o, d, "NAT-keepalive"); break;
	case IKE_DGRAM_ESP:
		out_begin(o, d, "ESP");
		out_fmt(o, "spi", "%02x%02x%02x%02x", d->data[0], d->data[1],
			d->data[2], d->data[3]);
		break;
	case IKE_DGRAM_INVALID: out_begin(o, d, "invalid"); break;
	}
	out_u(o, "len", d->len);
	out_end(o);
}

/* ---- capture parsing: link layer, IPv4/IPv6, UDP ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Finds the network layer; returns its offset and ethertype-like family
 * (0x0800 or 0x86dd), or -1. */
static long link_offset(int dlt, const uint8_t *p, size_t n, unsigned *eth)
{
	size_t off;

	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return -1;
		*eth = be16(p + 12);
		off = 14;
		while ((*eth == 0x8100 || *eth == 0x88a8) && n >= off + 4) {
			*eth = be16(p + off + 2);
			off += 4;
		}
		return (long)off;
	case DLT_LINUX_SLL:
		if (n < 16)
			return -1;
		*eth = be16(p + 14);
		return 16;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return -1;
		*eth = be16(p);
		return 20;
	case DLT_NULL:
	case DLT_LOOP:
		if (n < 5)
			return -1;
		*eth = (p[4] >> 4) == 6 ? 0x86dd : 0x0800;
		return 4;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (n < 1)
			return -1;
		*eth = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
		return 0;
	}
	return -1;
}

/* IPv4 reassembly (RFC 791 §3.2), enough for a debugging tool: a few
 * datagrams in progress, identified by addresses and ID; overlapping or
 * duplicated fragments are not sorted out. */
struct frag_slot {
	bool used;
	uint8_t key[10]; /* source, destination, identification */
	size_t total;	 /* 0 until the last fragment is seen */
	size_t have;
	unsigned count;
	uint8_t data[65535];
};

static struct frag_slot frag_slots[4];
static unsigned frag_next;

/* Adds the IPv4 fragment `ip` (header length ihl, n bytes). Returns the
 * reassembled payload and its length once complete, else NULL. */
static const uint8_t *frag_add(const uint8_t *ip, size_t ihl, size_t n,
			       size_t *len, unsigned *count)
{
	size_t off = (size_t)(be16(ip + 6) & 0x1fff) * 8, plen;
	bool more = be16(ip + 6) & 0x2000;
	struct frag_slot *s = NULL;
	uint8_t key[10];

	memcpy(key, ip + 12, 8);
	memcpy(key + 8, ip + 4, 2);
	plen = (be16(ip + 2) < n ? be16(ip + 2) : n) - ihl;
	for (unsigned i = 0; i < 4 && !s; i++) {
		if (frag_slots[i].used && !memcmp(frag_slots[i].key, key, 10))
			s = &frag_slots[i];
	}
	if (!s) {
		s = &frag_slots[frag_next++ % 4];
		memset(s, 0, offsetof(struct frag_slot, data));
		s->used = true;
		memcpy(s->key, key, 10);
	}
	if (off + plen > sizeof(s->data))
		return NULL;
	memcpy(s->data + off, ip + ihl, plen);
	s->have += plen;
	s->count++;
	if (!more)
		s->total = off + plen;
	if (!s->total || s->have < s->total)
		return NULL;
	s->used = false;
	*len = s->total;
	*count = s->count;
	return s->data;
}

/* Finds the UDP datagram in the IP packet at p (n bytes captured); fills
 * addresses. Returns it and its captured length in *avail, or NULL (not
 * UDP, or a fragment of a datagram not complete yet). */
static const uint8_t *ip_udp(unsigned eth, const uint8_t *p, size_t n,
			     struct dgram *d, size_t *avail)
{
	if (eth == 0x0800) {
		size_t ihl;

		if (n < 20 || (p[0] >> 4) != 4 || p[9] != 17)
			return NULL;
		ihl = (size_t)(p[0] & 15) * 4;
		if (ihl < 20 || n < ihl || be16(p + 2) < ihl)
			return NULL;
		inet_ntop(AF_INET, p + 12, d->src, sizeof(d->src));
		inet_ntop(AF_INET, p + 16, d->dst, sizeof(d->dst));
		if (be16(p + 6) & 0x3fff) /* MF or an offset: a fragment */
			return frag_add(p, ihl, n, avail, &d->ip_fragments);
		*avail = n - ihl;
		return p + ihl;
	}
	if (eth == 0x86dd) {
		/* Extension headers other than none are not followed. */
		if (n < 40 || (p[0] >> 4) != 6 || p[6] != 17)
			return NULL;
		inet_ntop(AF_INET6, p + 8, d->src, sizeof(d->src));
		inet_ntop(AF_INET6, p + 24, d->dst, sizeof(d->dst));
		*avail = n - 40;
		return p + 40;
	}
	return NULL;
}

static void dump_frame(struct out *o, int dlt, unsigned long frame,
		       const struct pcap_pkthdr *h, const uint8_t *p)
{
	struct dgram d = { .frame = frame };
	size_t n = h->caplen, ulen;
	unsigned eth = 0;
	long off;

	d.time = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
	off = link_offset(dlt, p, n, &eth);
	if (off < 0)
		return;
	p = ip_udp(eth, p + off, n - (size_t)off, &d, &n);
	if (!p || n < 8)
		return;
	d.sport = be16(p);
	d.dport = be16(p + 2);
	if (d.sport != IKE_PORT && d.dport != IKE_PORT &&
	    d.sport != IKE_NATT_PORT && d.dport != IKE_NATT_PORT)
		return;
	ulen = be16(p + 4);
	if (ulen < 8)
		return;
	d.data = p + 8;
	d.len = ulen - 8;
	if (n - 8 < d.len || (h->caplen < h->len && !d.ip_fragments))
		d.truncated = true;
	dump_dgram(o, &d);
}

static int dump_file(struct out *o, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	unsigned long frame = 0;
	pcap_t *pc = pcap_open_offline(path, err);
	int rc;

	if (!pc) {
		fprintf(stderr, "ikedump: %s: %s\n", path, err);
		return -1;
	}
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1)
		dump_frame(o, pcap_datalink(pc), ++frame, h, p);
	if (rc == PCAP_ERROR)
		fprintf(stderr, "ikedump: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	return rc == PCAP_ERROR ? -1 : 0;
}

static int usage(void)
{
	fputs("usage: ikedump [--json] FILE...   (- reads standard input)\n"
	      "Prints every IKEv2 message (UDP 500/4500) in pcap/pcapng "
	      "captures,\none payload per line; --json: one JSON object per "
	      "message.\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct out o = { .f = stdout };
	int i = 1, rc = 0;

	if (i < argc && strcmp(argv[i], "--json") == 0) {
		o.json = true;
		i++;
	}
	if (i >= argc || (argv[i][0] == '-' && argv[i][1] != 0))
		return usage();
	for (; i < argc; i++) {
		if (dump_file(&o, argv[i]) < 0)
			rc = 1;
	}
	return rc;
}
