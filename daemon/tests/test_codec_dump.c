/* Tests of tools/ikedump: captures written from the hand-built vectors, in
 * pcap and pcapng, printed as text and JSON. */
#include "engine/ike_msg.h"
#include "tests/codec_util.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>

/* The datagrams of the test capture, in order. */
static const struct {
	const char *vec; /* vector name, or NULL for `raw` */
	const char *raw;
	bool to_responder;
	unsigned port;
	bool marker; /* prepend the non-ESP marker */
} frames[] = {
	{ "sa_init_i", NULL, true, 500, false },
	{ "sa_init_r", NULL, false, 500, false },
	{ "auth_i", NULL, true, 4500, true },
	{ NULL, "ff", true, 4500, false },		       /* keepalive */
	{ NULL, "c1c2c3c4 00000001 0102", true, 4500, false }, /* ESP */
	{ "auth_i_plain", NULL, true, 500, false },
	{ "informational", NULL, false, 4500, true },
	{ "eap", NULL, false, 500, false },
	{ "skf1", NULL, true, 500, false },
	{ "create_child_ike", NULL, true, 500, false },
	{ "unknown_noncritical", NULL, true, 500, false },
	{ "err_critical", NULL, true, 500, false },
	{ "err_ts_range", NULL, true, 500, false },
	{ "sa_init_i", NULL, true, 500, false }, /* over IPv6 */
	{ "auth_i", NULL, false, 4500, true },	 /* over IPv6, NAT-T */
};

static void write_capture_link(const char *path, bool ng, unsigned link)
{
	static uint8_t buf[4096];
	struct codec_util_pcap pc;

	codec_util_pcap_open_link(&pc, path, ng, link);
	for (size_t i = 0; i < sizeof(frames) / sizeof(*frames); i++) {
		size_t off = frames[i].marker ? 4 : 0, len;

		memset(buf, 0, 4);
		if (frames[i].vec) {
			len = codec_util_vec(frames[i].vec, buf + off,
					     sizeof(buf) - off);
		} else {
			long n = test_unhex(frames[i].raw, buf, sizeof(buf));
			REQUIRE_GE(n, 0);
			len = (size_t)n;
		}
		const char *a = i >= 13 ? "2001:db8::1" : "192.0.2.1";
		const char *b = i >= 13 ? "2001:db8::2" : "192.0.2.2";

		if (frames[i].to_responder)
			codec_util_pcap_add(&pc, a, frames[i].port, b,
					    frames[i].port, buf, len + off);
		else
			codec_util_pcap_add(&pc, b, frames[i].port, a,
					    frames[i].port, buf, len + off);
	}
	codec_util_pcap_close(&pc);
}

/* Copies a test_*_path() result, which lives in a small ring of buffers. */
static const char *keep_path(char *buf, size_t cap, const char *path)
{
	snprintf(buf, cap, "%s", path);
	return buf;
}

static void write_capture(const char *path, bool ng)
{
	write_capture_link(path, ng, CODEC_UTIL_LINK_ETHERNET);
}

static char *run_dump(const char *args, const char *path, int *status)
{
	static char out[4][1 << 17];
	static unsigned slot;
	char *o = out[slot++ % 4];
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s %s %s", test_build_path("bin/ikedump"),
		 args, path);
	*status = test_run_capture(cmd, o, sizeof(out[0]));
	return o;
}

static char *read_file(const char *path)
{
	static char text[1 << 17];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
	REQUIRE(f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

/* The text format is stable: a reviewed golden file. */
TEST(codec_ikedump_text_matches_golden)
{
	char p1[512], p2[512];
	const char *pcap = keep_path(p1, sizeof(p1),
				     test_build_path("tests/codec_dump.pcap"));
	const char *golden = keep_path(
		p2, sizeof(p2),
		test_src_path("daemon/tests/vectors/codec/ikedump.txt"));
	int st;
	char *out;

	write_capture(pcap, false);
	out = run_dump("", pcap, &st);
	CHECK_EQ(st, 0);
	if (strcmp(out, read_file(golden)) != 0) {
		FILE *f = fopen(test_build_path("tests/codec_dump.txt"), "w");

		if (f) {
			fputs(out, f);
			fclose(f);
		}
		test_fail(__FILE__, __LINE__,
			  "ikedump output differs from %s; got %s", golden,
			  test_build_path("tests/codec_dump.txt"));
	}
}

/* pcapng gives the same output as pcap. */
TEST(codec_ikedump_pcapng_equals_pcap)
{
	char p1[512], p2[512];
	const char *pcap = keep_path(p1, sizeof(p1),
				     test_build_path("tests/codec_dump2.pcap"));
	const char *pcapng = keep_path(
		p2, sizeof(p2), test_build_path("tests/codec_dump2.pcapng"));
	int st1, st2;
	char *a, *b;

	write_capture(pcap, false);
	write_capture(pcapng, true);
	a = run_dump("", pcap, &st1);
	b = run_dump("", pcapng, &st2);
	CHECK_EQ(st1, 0);
	CHECK_EQ(st2, 0);
	CHECK(strlen(a) > 1000);
	CHECK_STR(b, a);
	a = run_dump("--json", pcap, &st1);
	b = run_dump("--json", pcapng, &st2);
	CHECK_STR(b, a);
}

/* Every --json line parses as JSON and says what the text says. */
TEST(codec_ikedump_json_parses)
{
	char p1[512], cmd[2048], out[4096];
	const char *pcap = keep_path(p1, sizeof(p1),
				     test_build_path("tests/codec_dump3.pcap"));
	int st;

	if (test_run_capture("python3 -c pass", out, sizeof(out)) != 0)
		test_skip("python3 is not installed: cannot parse the JSON");
	write_capture(pcap, false);
	snprintf(cmd, sizeof(cmd),
		 "%s --json %s | python3 -c '"
		 "import json,sys\n"
		 "m=[json.loads(l) for l in sys.stdin]\n"
		 "print(len(m))\n"
		 "print(m[0][\"exchange\"], m[0][\"payloads\"][0][\"payload\"],"
		 " m[0][\"payloads\"][0][\"proposals\"][0][\"transforms\"][0]"
		 "[\"id\"])\n"
		 "print(m[2][\"non_esp_marker\"], m[2][\"payloads\"][0]"
		 "[\"first_payload\"])\n"
		 "print(m[3][\"kind\"], m[4][\"kind\"], m[4][\"spi\"])\n"
		 "print(m[11][\"error\"][\"name\"], "
		 "m[11][\"error\"][\"notify\"])\n"
		 "'",
		 test_build_path("bin/ikedump"), pcap);
	st = test_run_capture(cmd, out, sizeof(out));
	CHECK_EQ(st, 0);
	CHECK_STR(out, "15\n"
		       "IKE_SA_INIT SA ENCR_AES_GCM_16\n"
		       "True IDi\n"
		       "NAT-keepalive ESP c1c2c3c4\n"
		       "IKE_ERR_CRITICAL UNSUPPORTED_CRITICAL_PAYLOAD\n");
}

TEST(codec_ikedump_rejects_bad_input)
{
	char out[256];

	CHECK_EQ(test_run_capture(test_build_path("bin/ikedump"), out,
				  sizeof(out)),
		 2);
	CHECK_EQ(test_run_capture(strcat(strcpy((char[512]){ 0 },
						test_build_path("bin/ikedump")),
					 " /nonexistent.pcap 2>/dev/null"),
				  out, sizeof(out)),
		 1);
}

/* tcpdump -i any writes Linux cooked captures (SLL2); raw IP captures have
 * no link header: the same messages must print the same. */
TEST(codec_ikedump_link_types)
{
	static const unsigned links[] = { CODEC_UTIL_LINK_LINUX_SLL2,
					  CODEC_UTIL_LINK_RAW };
	char p1[512], p2[512];
	const char *eth = keep_path(p1, sizeof(p1),
				    test_build_path("tests/codec_dump4.pcap"));
	const char *other = keep_path(
		p2, sizeof(p2), test_build_path("tests/codec_dump4b.pcap"));
	int st;
	char *want, *got;

	write_capture(eth, false);
	want = run_dump("", eth, &st);
	CHECK_EQ(st, 0);
	for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++) {
		write_capture_link(other, i == 1, links[i]);
		got = run_dump("", other, &st);
		CHECK_EQ(st, 0);
		CHECK(strlen(got) > 1000);
		CHECK_STR(got, want);
	}
}

/* tcpdump -w - | ikedump - */
TEST(codec_ikedump_reads_stdin)
{
	char p1[512], cmd[1200];
	const char *pcap = keep_path(p1, sizeof(p1),
				     test_build_path("tests/codec_dump5.pcap"));
	int st;
	char *want;
	static char got[1 << 17];

	write_capture(pcap, false);
	want = run_dump("", pcap, &st);
	snprintf(cmd, sizeof(cmd), "%s - < %s", test_build_path("bin/ikedump"),
		 pcap);
	CHECK_EQ(test_run_capture(cmd, got, sizeof(got)), 0);
	CHECK_STR(got, want);
}

/* An IKE message the network split into IPv4 fragments (what happens to a
 * big IKE_AUTH without RFC 7383): ikedump reassembles it and prints the
 * same payloads, on the frame that completed it. */
TEST(codec_ikedump_reassembles_ipv4_fragments)
{
	static uint8_t msg[1024];
	char p1[512], p2[512];
	const char *whole = keep_path(
		p1, sizeof(p1), test_build_path("tests/codec_dump6.pcap"));
	const char *frags = keep_path(
		p2, sizeof(p2), test_build_path("tests/codec_dump6f.pcap"));
	size_t len = codec_util_vec("auth_i_plain", msg, sizeof(msg));
	struct codec_util_pcap pc;
	char *a, *b, *nl;
	int st;

	codec_util_pcap_open(&pc, whole, false);
	codec_util_pcap_add(&pc, "192.0.2.1", 500, "192.0.2.2", 500, msg, len);
	codec_util_pcap_close(&pc);
	codec_util_pcap_open(&pc, frags, false);
	/* 370 bytes of UDP: 128 + 128 + 114 (the last one) */
	codec_util_pcap_add_frags(&pc, "192.0.2.1", 500, "192.0.2.2", 500, msg,
				  len, 128);
	codec_util_pcap_close(&pc);
	a = run_dump("", whole, &st);
	CHECK_EQ(st, 0);
	b = run_dump("", frags, &st);
	CHECK_EQ(st, 0);
	/* The header line differs (frame 3, ip_fragments=3); the payload
	 * lines are identical. */
	CHECK(strstr(b, "frame=3 ") == b);
	CHECK(strstr(b, " kind=IKE ip_fragments=3 exchange=IKE_AUTH ") != NULL);
	REQUIRE((nl = strchr(a, '\n')) != NULL);
	a = nl;
	REQUIRE((nl = strchr(b, '\n')) != NULL);
	b = nl;
	CHECK(strlen(a) > 500);
	CHECK_STR(b, a);
}
