/* kbconf: check a swanctl.conf as keybridge reads it.
 *
 *   kbconf [--quiet] [FILE]      (FILE defaults to /etc/keybridge/swanctl.conf)
 *
 * Prints every error as "file:line: key: why" on stderr and exits 1 if
 * there is any; otherwise prints what keybridge understood (connections
 * with their proposals as IANA names, children, secrets without their
 * values) unless --quiet, and exits 0. Exit 2 is a usage error. This is
 * keybridged's --check-config as a standalone program.
 */
#include "config/conf_proposal.h"
#include "config/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *addr_str(const struct kb_addr *a, char *buf, size_t len)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
	int fam = a->family == AF_INET6 ? AF_INET6 : AF_INET;

	switch (a->type) {
	case KB_ADDR_ANY:
		snprintf(buf, len, "%%any%s",
			 a->family == AF_INET	 ? "4"
			 : a->family == AF_INET6 ? "6"
						 : "");
		return buf;
	case KB_ADDR_FQDN: snprintf(buf, len, "%s", a->fqdn); return buf;
	default: break;
	}
	inet_ntop(fam, a->from, from, sizeof(from));
	inet_ntop(fam, a->to, to, sizeof(to));
	if (a->type == KB_ADDR_SUBNET)
		snprintf(buf, len, "%s/%u", from, a->prefix_len);
	else if (a->type == KB_ADDR_RANGE)
		snprintf(buf, len, "%s-%s", from, to);
	else
		snprintf(buf, len, "%s", from);
	return buf;
}

static void print_ts(const char *what, const struct kb_ts *ts, unsigned n)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];

	printf("      %s:", what);
	for (unsigned i = 0; i < n; i++) {
		int fam = ts[i].family == AF_INET6 ? AF_INET6 : AF_INET;

		if (ts[i].dynamic) {
			printf(" dynamic");
		} else {
			inet_ntop(fam, ts[i].from, from, sizeof(from));
			inet_ntop(fam, ts[i].to, to, sizeof(to));
			printf(" %s-%s", from, to);
		}
		printf("[%u/%u-%u]", ts[i].proto, ts[i].port_from,
		       ts[i].port_to);
	}
	printf("\n");
}

static void print_proposals(const char *indent, const struct kb_proposals *ps)
{
	char buf[1024];

	for (unsigned i = 0; i < ps->count; i++)
		printf("%s%s\n", indent,
		       conf_proposal_str(&ps->p[i], buf, sizeof(buf)));
}

static void print_conn(const struct kb_conn *c)
{
	char buf[300];

	printf("%s: version %u, rekey %llus (over %llus, rand %llus), dpd "
	       "%llus\n",
	       c->name, c->version, (unsigned long long)c->rekey_time,
	       (unsigned long long)c->over_time,
	       (unsigned long long)c->rand_time,
	       (unsigned long long)c->dpd_delay);
	printf("  local %u:", c->local_port);
	for (unsigned i = 0; i < c->n_local_addrs; i++)
		printf(" %s", addr_str(&c->local_addrs[i], buf, sizeof(buf)));
	printf(", id '%s'\n  remote %u:", c->local.id, c->remote_port);
	for (unsigned i = 0; i < c->n_remote_addrs; i++)
		printf(" %s", addr_str(&c->remote_addrs[i], buf, sizeof(buf)));
	printf(", id '%s'\n", c->remote.id);
	print_proposals("  ", &c->proposals);
	for (size_t i = 0; i < c->n_children; i++) {
		const struct kb_child *ch = &c->children[i];

		static const char *const modes[] = { "tunnel", "transport",
						     "pass", "drop" };
		static const char *const starts[] = { "none", "trap", "start",
						      "trap|start" };

		printf("    %s: %s, start_action %s, rekey %llus, life %llus\n",
		       ch->name, modes[ch->mode], starts[ch->start_action & 3],
		       (unsigned long long)ch->rekey_time,
		       (unsigned long long)ch->life_time);
		print_ts("local_ts", ch->local_ts, ch->n_local_ts);
		print_ts("remote_ts", ch->remote_ts, ch->n_remote_ts);
		print_proposals("      ", &ch->esp_proposals);
	}
}

static int usage(FILE *out, int rc)
{
	fprintf(out, "usage: kbconf [--quiet] [FILE]\n"
		     "Checks FILE (default /etc/keybridge/swanctl.conf) as "
		     "keybridge reads it.\n");
	return rc;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	struct conf_diag diag = { 0 };
	struct kb_config *cfg;
	bool quiet = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0 ||
		    strcmp(argv[i], "-q") == 0)
			quiet = true;
		else if (strcmp(argv[i], "--help") == 0)
			return usage(stdout, 0);
		else if (argv[i][0] == '-' || file)
			return usage(stderr, 2);
		else
			file = argv[i];
	}
	if (!file)
		file = "/etc/keybridge/swanctl.conf";
	cfg = config_load_file(file, &diag);
	conf_diag_print(&diag, stderr);
	rc = conf_diag_errors(&diag) || !cfg ? 1 : 0;
	if (rc == 0 && !quiet) {
		for (size_t i = 0; i < cfg->n_conns; i++)
			print_conn(&cfg->conns[i]);
		for (size_t i = 0; i < cfg->n_ike_secrets; i++)
			printf("secret %s: %u identities, %zu bytes\n",
			       cfg->ike_secrets[i].name,
			       cfg->ike_secrets[i].n_ids,
			       cfg->ike_secrets[i].secret_len);
		for (size_t i = 0; i < cfg->n_private_secrets; i++)
			printf("private key %s: %s\n",
			       cfg->private_secrets[i].name,
			       cfg->private_secrets[i].file);
	}
	if (rc)
		fprintf(stderr, "%s: %zu error%s\n", file,
			conf_diag_errors(&diag),
			conf_diag_errors(&diag) == 1 ? "" : "s");
	config_free(cfg);
	conf_diag_free(&diag);
	return rc;
}
