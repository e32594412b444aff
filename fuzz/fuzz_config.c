/* libFuzzer target: the swanctl.conf reader and the value parsers on
 * hostile text (issue 7 item 2).
 *
 * A first byte below 8 selects one value parser (duration, volume, address,
 * traffic selector, identity, secret, IKE or ESP proposals) and feeds it
 * the rest as a string; any other input is a whole configuration file.
 * ASan/UBSan catch memory errors; the asserts check the reader's promises:
 * bounded diagnostics, results within the documented limits. */
#include "config/conf_proposal.h"
#include "config/conf_value.h"
#include "config/config.h"
#include "ike_iana.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_value(uint8_t which, const char *s)
{
	union {
		uint64_t u;
		struct kb_addr addr;
		struct kb_ts ts;
		struct kb_proposals ps;
		uint8_t secret[KB_CONF_SECRET_MAX];
	} out;
	char err[256];
	size_t len;
	uint8_t type;

	switch (which) {
	case 0: (void)conf_value_duration(s, &out.u); break;
	case 1: (void)conf_value_volume(s, &out.u); break;
	case 2:
		if (conf_value_addr(s, &out.addr) == 0)
			assert(out.addr.type != KB_ADDR_FQDN ||
			       strlen(out.addr.fqdn) < KB_CONF_FQDN_MAX);
		break;
	case 3:
		if (conf_value_ts(s, &out.ts) == 0 && !out.ts.dynamic)
			assert(memcmp(out.ts.from, out.ts.to, 16) <= 0);
		break;
	case 4: (void)conf_value_id_type(s, &type); break;
	case 5:
		if (conf_value_secret(s, out.secret, sizeof(out.secret),
				      &len) == 0)
			assert(len <= sizeof(out.secret));
		break;
	default:
		if (conf_proposal_parse(s, which == 6 ? PROTO_IKE : PROTO_ESP,
					&out.ps, err, sizeof(err)) == 0) {
			assert(out.ps.count <= KB_CONF_MAX_PROPOSALS);
			for (unsigned i = 0; i < out.ps.count; i++)
				assert(out.ps.p[i].n_encr > 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag diag = { 0 };
	struct kb_config *cfg;
	char *s;

	if (size > 0 && data[0] < 8) {
		s = strndup((const char *)data + 1, size - 1);
		if (s)
			one_value(data[0], s);
		free(s);
		return 0;
	}
	cfg = config_load_string((const char *)data, size,
				 "/nonexistent/fuzz.conf", &diag);
	assert(diag.count <= CONF_DIAG_MAX);
	for (size_t i = 0; cfg && i < cfg->n_conns; i++) {
		assert(cfg->conns[i].n_local_addrs <= KB_CONF_MAX_ADDRS);
		assert(cfg->conns[i].proposals.count <= KB_CONF_MAX_PROPOSALS);
		for (size_t j = 0; j < cfg->conns[i].n_children; j++)
			assert(cfg->conns[i].children[j].n_local_ts <=
			       KB_CONF_MAX_TS);
	}
	config_free(cfg);
	conf_diag_free(&diag);
	return 0;
}
