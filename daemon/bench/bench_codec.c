/* Benchmark of the IKEv2 codec: decode and encode of a typical IKE_SA_INIT
 * request (charon's, 276 bytes: two proposals, X25519 KE, five notifies)
 * and of a typical IKE_AUTH payload set (the plaintext inside SK: IDi,
 * CERT, CERTREQ, AUTH, N, CP, two ESP proposals, TSi with IPv4 and IPv6,
 * TSr, N; 362 bytes). The reference is memcpy of the same bytes: the floor
 * for touching every byte once. tshark is not a comparable reference (it
 * builds a display tree), and strongSwan's parser cannot be called from
 * here without its development headers, which Debian does not ship. */
#include "bench/bench.h"
#include "engine/ike_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample {
	uint8_t bytes[2048];
	size_t len;
	struct ike_msg msg; /* decoded once, the encoder's input */
};

static uint8_t out[2048];
static volatile size_t sink;

/* Loads a seed file written by fuzz/make-seeds.sh. */
static bool load(struct sample *s, const char *name)
{
	const char *root = getenv("KB_ROOT");
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz/seeds/%s", root ? root : ".",
		 name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	s->len = fread(s->bytes, 1, sizeof(s->bytes), f);
	fclose(f);
	return ike_msg_decode(&s->msg, s->bytes, s->len) == 0;
}

static void decode(void *arg)
{
	static struct ike_msg m;
	struct sample *s = arg;

	if (ike_msg_decode(&m, s->bytes, s->len) != 0)
		abort();
	sink = m.n_payloads;
}

static void encode(void *arg)
{
	struct sample *s = arg;
	size_t len;

	if (ike_msg_encode(&s->msg, out, sizeof(out), &len) != 0)
		abort();
	__asm__ volatile("" : : "r"(out) : "memory");
	sink = len;
}

static void copy(void *arg)
{
	struct sample *s = arg;

	memcpy(out, s->bytes, s->len);
	__asm__ volatile("" : : "r"(out) : "memory");
	sink = out[3];
}

static void run(const char *what, struct sample *s)
{
	double secs = bench_seconds() / 3;
	double mc = bench_ns_per_op(copy, s, secs);
	char label[128], ref[64];

	snprintf(ref, sizeof(ref), "memcpy %zu B", s->len);
	snprintf(label, sizeof(label), "codec: decode %s (%zu B)", what,
		 s->len);
	bench_report(label, bench_ns_per_op(decode, s, secs), mc, ref, "ns/msg",
		     false);
	snprintf(label, sizeof(label), "codec: encode %s (%zu B)", what,
		 s->len);
	bench_report(label, bench_ns_per_op(encode, s, secs), mc, ref, "ns/msg",
		     false);
}

BENCH(codec_decode_encode)
{
	static struct sample init, auth;

	if (!load(&init, "charon-1.bin") || !load(&auth, "auth_i_plain.bin")) {
		bench_report_alone(
			"codec", 0, "ns/msg",
			"fuzz/seeds missing: run from the repo root");
		return;
	}
	run("IKE_SA_INIT request", &init);
	run("IKE_AUTH payloads", &auth);
}
