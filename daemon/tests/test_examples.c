/* examples/road-warrior/: the README shows these files (their bodies
 * after the header comments) word for word, kmod-tests/50 runs them, and
 * here keybridged's configuration loader takes the gateway's file with a
 * certificate and key beside it, as the README says. */
#include "config/config.h"
#include "io/conns.h"
#include "tests/conf_util.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file `rel` of the source tree, NUL-terminated (malloc'd). */
static char *slurp(const char *rel)
{
	const char *path = test_src_path(rel);
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		test_fail(__FILE__, __LINE__, "cannot open %s", path);
	REQUIRE(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	REQUIRE(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	REQUIRE(buf != NULL);
	REQUIRE(fread(buf, 1, (size_t)n, f) == (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The file without its leading comment lines and blank lines. */
static const char *body(const char *text)
{
	while (*text == '#' || *text == '\n') {
		const char *nl = strchr(text, '\n');

		if (!nl)
			break;
		text = nl + 1;
	}
	return text;
}

TEST(examples_road_warrior_shown_in_readme)
{
	static const char *const files[] = {
		"examples/road-warrior/gateway/swanctl.conf",
		"examples/road-warrior/client/swanctl.conf",
	};
	char *readme = slurp("README.md");

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = slurp(files[i]);
		const char *b = body(text);

		REQUIRE(strlen(b) > 100);
		if (!strstr(readme, b))
			test_fail(__FILE__, __LINE__,
				  "README.md does not show %s as it is",
				  files[i]);
		free(text);
	}
	free(readme);
}

TEST(examples_road_warrior_gateway_loads)
{
	char *dir = cu_tmpdir(), *text, cmd[2048], path[1024];
	struct conf_diag d = { 0 };
	struct conns c = { 0 };
	struct kb_config *cfg;

	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir x509 private; exec 2>/dev/null; "
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:P-256 -nodes -keyout private/gw.key "
		 "-out x509/gw.pem -subj /CN=gw.example.net "
		 "-addext subjectAltName=DNS:gw.example.net -days 30",
		 dir);
	REQUIRE(system(cmd) == 0);
	text = slurp("examples/road-warrior/gateway/swanctl.conf");
	cu_write(dir, "swanctl.conf", text);
	free(text);
	snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
	cfg = config_load_file(path, &d);
	REQUIRE(cfg != NULL);
	if (conf_diag_errors(&d))
		cu_show(&d);
	CHECK_EQ(conf_diag_errors(&d), 0);
	REQUIRE_EQ(conns_build(cfg, NULL, &c, &d), 0);
	REQUIRE_EQ(c.n, 1);
	CHECK(c.conn[0].mobike);
	CHECK_EQ(c.conn[0].n_pools, 1);
	CHECK_EQ(c.conn[0].remote_auth.method, ENGINE_AUTH_EAP_MSCHAPV2);
	CHECK_EQ(c.conn[0].eap_id_mode, ENGINE_EAP_ID_ANY);
	CHECK_EQ(c.conn[0].n_eap_users, 2);
	CHECK_EQ(c.conn[0].local_auth.method, ENGINE_AUTH_PUBKEY);
	conns_free(&c);
	config_free(cfg);
	conf_diag_free(&d);
	free(dir);
}
