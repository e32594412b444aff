/* tshark cross-check of the encoder (issue 3 item 6): every message our
 * encoder writes goes into a capture; Wireshark's ISAKMP dissector must find
 * nothing malformed and report, field by field, what our decoder says. */
#include "engine/ike_msg.h"
#include "tests/codec_util.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The tshark fields compared, in output order. */
#define TSHARK_FIELDS(X)                                                       \
	X(ISPI, "isakmp.ispi")                                                 \
	X(RSPI, "isakmp.rspi")                                                 \
	X(EXCH, "isakmp.exchangetype")                                         \
	X(FLAGS, "isakmp.flags")                                               \
	X(MSGID, "isakmp.messageid")                                           \
	X(LEN, "isakmp.length")                                                \
	X(TYPES, "isakmp.typepayload")                                         \
	X(PLEN, "isakmp.payloadlength")                                        \
	X(NEXT, "isakmp.nextpayload")                                          \
	X(CRIT, "isakmp.criticalpayload")                                      \
	X(PROPNUM, "isakmp.prop.number")                                       \
	X(PROTOID, "isakmp.prop.protoid")                                      \
	X(SPI, "isakmp.spi")                                                   \
	X(TFTYPE, "isakmp.tf.type")                                            \
	X(TFENCR, "isakmp.tf.id.encr")                                         \
	X(TFPRF, "isakmp.tf.id.prf")                                           \
	X(TFINTEG, "isakmp.tf.id.integ")                                       \
	X(TFDH, "isakmp.tf.id.dh")                                             \
	X(TFESN, "isakmp.tf.id.esn")                                           \
	X(KEYLEN, "isakmp.ike2.attr.key_length")                               \
	X(DH, "isakmp.key_exchange.dh_group")                                  \
	X(KEDATA, "isakmp.key_exchange.data")                                  \
	X(NOTIFY, "isakmp.notify.msgtype")                                     \
	X(NONCE, "isakmp.nonce")                                               \
	X(IDTYPE, "isakmp.id.type")                                            \
	X(AUTH, "isakmp.auth.method")                                          \
	X(CERTENC, "isakmp.cert.encoding")                                     \
	X(CERTREQ, "isakmp.certreq.type")                                      \
	X(TSTYPE, "isakmp.ts.type")                                            \
	X(TSPROTO, "isakmp.ts.protoid")                                        \
	X(TSSP, "isakmp.ts.start_port")                                        \
	X(TSEP, "isakmp.ts.end_port")                                          \
	X(TS4S, "isakmp.ts.start_ipv4")                                        \
	X(TS4E, "isakmp.ts.end_ipv4")                                          \
	X(TS6S, "isakmp.ts.start_ipv6")                                        \
	X(TS6E, "isakmp.ts.end_ipv6")                                          \
	X(DELSPI, "isakmp.delete.spi")                                         \
	X(SPINUM, "isakmp.spinum")                                             \
	X(CFG, "isakmp.cfg.type")                                              \
	X(FRAGN, "isakmp.frag.number")                                         \
	X(FRAGT, "isakmp.frag.total")

#define TS_ENUM(sym, name) F_##sym,
enum { TSHARK_FIELDS(TS_ENUM) F_N };
#define TS_NAME(sym, name) name,
static const char *const field_name[F_N] = { TSHARK_FIELDS(TS_NAME) };

struct row {
	char f[F_N][1024];
};

/* Appends one occurrence to field `f` (tshark joins them with ','). */
static void add(struct row *r, int f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(struct row *r, int f, const char *fmt, ...)
{
	size_t n = strlen(r->f[f]);
	va_list ap;

	if (n)
		r->f[f][n++] = ',';
	va_start(ap, fmt);
	vsnprintf(r->f[f] + n, sizeof(r->f[f]) - n, fmt, ap);
	va_end(ap);
}

static void add_hex(struct row *r, int f, struct ike_bytes b)
{
	char s[1024];

	for (size_t i = 0; i < b.len && 2 * i + 2 < sizeof(s); i++)
		snprintf(s + 2 * i, 3, "%02x", b.ptr[i]);
	s[b.len ? 2 * (b.len < 511 ? b.len : 511) : 0] = 0;
	add(r, f, "%s", s);
}

static void add_addr(struct row *r, int f, struct ike_bytes b)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(b.len == 4 ? AF_INET : AF_INET6, b.ptr, s, sizeof(s));
	add(r, f, "%s", s);
}

/* tshark names the transform ID per transform type. */
static int tf_id_field(uint8_t type)
{
	switch (type) {
	case TRANS_ENCR: return F_TFENCR;
	case TRANS_PRF: return F_TFPRF;
	case TRANS_INTEG: return F_TFINTEG;
	case TRANS_KE: return F_TFDH;
	}
	return F_TFESN;
}

/* SA: tshark lists each proposal (type 2) and transform (type 3) as a
 * payload of its own, with its Last Substruc as "next payload". */
static void expect_sa(struct row *r, const struct ike_pl_sa *sa)
{
	for (unsigned i = 0; i < sa->n_proposals; i++) {
		const struct ike_proposal *pr = &sa->proposals[i];
		size_t plen = 8 + pr->spi.len;

		for (unsigned j = 0; j < pr->n_transforms; j++)
			plen += 8 + pr->transforms[j].attrs.len;
		add(r, F_TYPES, "2");
		add(r, F_PLEN, "%zu", plen);
		add(r, F_NEXT, "%u", i + 1 < sa->n_proposals ? 2 : 0);
		add(r, F_PROPNUM, "%u", pr->num);
		add(r, F_PROTOID, "%u", pr->protocol);
		if (pr->spi.len)
			add_hex(r, F_SPI, pr->spi);
		for (unsigned j = 0; j < pr->n_transforms; j++) {
			const struct ike_transform *t = &pr->transforms[j];

			add(r, F_TYPES, "3");
			add(r, F_PLEN, "%zu", 8 + t->attrs.len);
			add(r, F_NEXT, "%u", j + 1 < pr->n_transforms ? 3 : 0);
			add(r, F_TFTYPE, "%u", t->type);
			add(r, tf_id_field(t->type), "%u", t->id);
			if (t->key_len)
				add(r, F_KEYLEN, "%u", t->key_len);
		}
	}
}

static void expect_ts(struct row *r, const struct ike_pl_ts *t)
{
	for (unsigned i = 0; i < t->n_ts; i++) {
		const struct ike_ts *ts = &t->ts[i];
		bool v4 = ts->type == TS_IPV4_ADDR_RANGE;

		add(r, F_TSTYPE, "%u", ts->type);
		add(r, F_TSPROTO, "%u", ts->ip_proto);
		add(r, F_TSSP, "%u", ts->start_port);
		add(r, F_TSEP, "%u", ts->end_port);
		add_addr(r, v4 ? F_TS4S : F_TS6S, ts->start);
		add_addr(r, v4 ? F_TS4E : F_TS6E, ts->end);
	}
}

/* Fields of one payload that tshark reports (besides type/length). */
static void expect_body(struct row *r, const struct ike_payload *p)
{
	switch (p->type) {
	case PL_SA: expect_sa(r, &p->u.sa); break;
	case PL_KE:
		add(r, F_DH, "%u", p->u.ke.group);
		add_hex(r, F_KEDATA, p->u.ke.data);
		break;
	case PL_NOTIFY:
		add(r, F_NOTIFY, "%u", p->u.notify.type);
		if (p->u.notify.spi.len)
			add_hex(r, F_SPI, p->u.notify.spi);
		break;
	case PL_NONCE: add_hex(r, F_NONCE, p->u.nonce.data); break;
	case PL_IDI:
	case PL_IDR: add(r, F_IDTYPE, "%u", p->u.id.type); break;
	case PL_AUTH: add(r, F_AUTH, "%u", p->u.auth.method); break;
	case PL_CERT: add(r, F_CERTENC, "%u", p->u.cert.encoding); break;
	case PL_CERTREQ: add(r, F_CERTREQ, "%u", p->u.cert.encoding); break;
	case PL_TSI:
	case PL_TSR: expect_ts(r, &p->u.ts); break;
	case PL_DELETE:
		add(r, F_SPINUM, "%u", p->u.del.n_spis);
		for (unsigned i = 0; i < p->u.del.n_spis; i++) {
			struct ike_bytes s = { p->u.del.spis.ptr + 4 * i, 4 };
			add_hex(r, F_DELSPI, s);
		}
		break;
	case PL_CP: add(r, F_CFG, "%u", p->u.cp.cfg_type); break;
	case PL_SKF:
		add(r, F_FRAGN, "%u", p->u.skf.frag_num);
		add(r, F_FRAGT, "%u", p->u.skf.total);
		break;
	}
}

/* The line tshark should print for message `m`. */
static void expect_line(const struct ike_msg *m, char *out, size_t cap)
{
	static struct row r;
	size_t n = 0;

	memset(&r, 0, sizeof(r));
	add(&r, F_ISPI, "%016llx", (unsigned long long)m->hdr.spi_i);
	add(&r, F_RSPI, "%016llx", (unsigned long long)m->hdr.spi_r);
	add(&r, F_EXCH, "%u", m->hdr.exchange);
	add(&r, F_FLAGS, "0x%02x", m->hdr.flags);
	add(&r, F_MSGID, "0x%08x", m->hdr.msg_id);
	add(&r, F_LEN, "%u", m->hdr.length);
	add(&r, F_NEXT, "%u", m->hdr.next_payload);
	for (unsigned i = 0; i < m->n_payloads; i++) {
		const struct ike_payload *p = &m->payloads[i];
		uint8_t next =
			i + 1 < m->n_payloads ? m->payloads[i + 1].type : 0;

		if (p->type == PL_SK)
			next = p->u.sk.first_payload;
		if (p->type == PL_SKF)
			next = p->u.skf.first_payload;
		add(&r, F_TYPES, "%u", p->type);
		add(&r, F_PLEN, "%zu", 4 + p->body.len);
		add(&r, F_NEXT, "%u", next);
		add(&r, F_CRIT, "%u", p->critical);
		expect_body(&r, p);
	}
	for (int f = 0; f < F_N; f++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", f ? "|" : "",
				      r.f[f]);
	snprintf(out + n, cap - n, "\n");
}

static const char *const vectors[] = {
	"sa_init_i",
	"sa_init_r",
	"auth_i",
	"auth_i_plain",
	"informational",
	"eap",
	"skf1",
	"skf3",
	"create_child_ike",
	"unknown_noncritical",
	"sa_init_cookie",
};
#define N_VEC (sizeof(vectors) / sizeof(*vectors))

TEST(codec_tshark_agrees_with_encoder)
{
	static uint8_t in[4096], out[4100];
	static struct ike_msg m[N_VEC];
	static char want[1 << 16], got[1 << 16], line[8192];
	char path[512], cmd[4096];
	struct codec_util_pcap pc;
	size_t n = 0;
	int st;

	if (test_run_capture("tshark -v >/dev/null 2>&1", got, sizeof(got)))
		test_skip("tshark is not installed (Debian package tshark)");
	snprintf(path, sizeof(path), "%s",
		 test_build_path("tests/codec_tshark.pcap"));
	codec_util_pcap_open(&pc, path, false);
	want[0] = 0;
	for (size_t i = 0; i < N_VEC; i++) {
		size_t len = codec_util_vec(vectors[i], in, sizeof(in)), olen;
		bool natt = i == 2; /* IKE_AUTH on 4500 with the marker */

		REQUIRE_EQ(ike_msg_decode(&m[i], in, len), 0);
		memset(out, 0, 4);
		REQUIRE_EQ(ike_msg_encode(&m[i], out + 4 * natt,
					  sizeof(out) - 4, &olen),
			   0);
		codec_util_pcap_add(&pc, "192.0.2.1", natt ? 4500 : 500,
				    "192.0.2.2", natt ? 4500 : 500, out,
				    olen + 4 * natt);
		/* expectations from decoding what the encoder wrote */
		REQUIRE_EQ(ike_msg_decode(&m[i], out + 4 * natt, olen), 0);
		expect_line(&m[i], line, sizeof(line));
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s", line);
	}
	codec_util_pcap_close(&pc);

	n = (size_t)snprintf(cmd, sizeof(cmd),
			     "tshark -r %s -T fields -E separator='|' "
			     "-E occurrence=a -E aggregator=,",
			     path);
	for (int f = 0; f < F_N; f++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " -e %s",
				      field_name[f]);
	snprintf(cmd + n, sizeof(cmd) - n, " 2>/dev/null");
	st = test_run_capture(cmd, got, sizeof(got));
	CHECK_EQ(st, 0);
	/* line by line, so a difference names its message */
	for (const char *w = want, *g = got; *w || *g; n++) {
		const char *we = strchr(w, '\n'), *ge = strchr(g, '\n');
		size_t wl = we ? (size_t)(we - w) : strlen(w);
		size_t gl = ge ? (size_t)(ge - g) : strlen(g);

		if (wl != gl || memcmp(w, g, wl) != 0)
			test_fail(
				__FILE__, __LINE__,
				"fields differ\n  ours:   %.*s\n  tshark: %.*s",
				(int)wl, w, (int)gl, g);
		w += wl + (we != NULL);
		g += gl + (ge != NULL);
	}

	/* Expert info: nothing malformed, no error-level item. */
	snprintf(cmd, sizeof(cmd), "tshark -r %s -q -z expert 2>/dev/null",
		 path);
	CHECK_EQ(test_run_capture(cmd, got, sizeof(got)), 0);
	if (strstr(got, "Malformed") || strstr(got, "Errors ("))
		test_fail(__FILE__, __LINE__, "tshark expert info:\n%s", got);
}
