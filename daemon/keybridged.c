/* keybridged: the keybridge IKEv2 daemon. main() reads the options and
 * hands over to daemon_main() (daemon/io/daemon.c). */
#include "config/config.h"
#include "control/ctl.h"
#include "io/conns.h"
#include "io/daemon.h"
#include "io/limits.h"
#include "io/log.h"
#include "io/usage.h"
#include "io/worker.h"
#include "kb_steer.h"
#include "kernel/kernel.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KB_VERSION
#define KB_VERSION "0.1.0"
#endif

#define KB_DEFAULT_CONF "/etc/keybridge/swanctl.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: keybridged [options]\n"
		"  -c, --config FILE     swanctl.conf to load [" KB_DEFAULT_CONF
		"]\n"
		"      --confdir DIR     swanctl directory (x509/, x509ca/, "
		"private/, ...)\n"
		"                        [the directory of the config file]\n"
		"      --updown-timeout S  kill an updown script after S "
		"seconds [10]\n"
		"      --check-config    check the configuration, report every "
		"problem, exit 0/1\n"
		"  -f, --foreground      stay in the foreground, log to stderr "
		"(the default;\n"
		"                        systemd runs it so)\n"
		"  -l, --log-level LVL   err, warning, notice, info or debug "
		"[info]\n"
		"      --keylog FILE     write IKE SA keys for Wireshark "
		"(debugging only)\n"
		"      --port N          IKE port [500] (NAT-T stays on 4500)\n"
		"      --kernel NAME     kernel interface for SAs and "
		"policies: "
		"xfrm (netlink)\n"
		"                        or pfkey (PF_KEY v2, deprecated by "
		"Linux; no AEAD,\n"
		"                        no ESN, no HMAC-SHA-256) [xfrm]\n"
		"      --lock-file FILE  one daemon per network namespace: the "
		"lock it holds\n"
		"                        [/run/keybridge/"
		"keybridged.net-<netns inode>.lock]\n"
		"      --bpf MODE        SA usage tracing: auto, fentry, tc or "
		"off [auto]\n"
		"                        (doc/tracing.md)\n"
		"      --vici PATH       control socket [" CTL_DEFAULT_PATH
		"]\n"
		"      --workers N|auto  threads, each with its own IKE SAs "
		"and sockets,\n"
		"                        auto: one per online CPU [auto]\n"
		"                        (doc/performance.md)\n"
		"%s"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n",
		limits_usage);
}

/* --workers: "auto" (one per online CPU) or 1 … KB_STEER_MAX_WORKERS. */
static int parse_workers(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!strcmp(s, "auto")) {
		*out = worker_count(0);
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 ||
	    v > KB_STEER_MAX_WORKERS)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* --check-config: what the daemon would load with kernel backend `kops`,
 * and every problem found. */
static int check_config(const char *path, const char *confdir,
			const struct kernel_ops *kops)
{
	struct conf_diag diag = { 0 };
	struct kb_config *cfg = config_load_file_dir(path, confdir, &diag);
	struct conns conns = { 0 };
	struct kernel_caps caps;
	struct conns_opts copts = { kops->name, &caps, path };
	size_t n;
	int status;

	if (!cfg) {
		fprintf(stderr, "keybridged: out of memory\n");
		return 1;
	}
	kops->caps(NULL, &caps);
	if (conns_build(cfg, &copts, &conns, &diag) < 0) {
		fprintf(stderr, "keybridged: out of memory\n");
		config_free(cfg);
		return 1;
	}
	conf_diag_print(&diag, stderr);
	for (size_t i = 0; i < conns.warnings.count; i++)
		fprintf(stderr, "warning: %s\n", conns.warnings.msgs[i]);
	status = conf_diag_errors(&diag) ? 1 : 0;
	n = cfg->n_ike_secrets + cfg->n_private_secrets + cfg->n_eap_secrets;
	printf("%s: %zu connection%s, %zu secret%s: %s\n", path,
	       conns_count(&conns), conns_count(&conns) == 1 ? "" : "s", n,
	       n == 1 ? "" : "s", status ? "errors" : "OK");
	conns_free(&conns);
	conf_diag_free(&diag);
	config_free(cfg);
	return status;
}

static int parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == 0 || *end || v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		OPT_CHECK = 256,
		OPT_KEYLOG,
		OPT_PORT,
		OPT_KERNEL,
		OPT_BPF,
		OPT_VICI,
		OPT_LOCK,
		OPT_CONFDIR,
		OPT_UPDOWN_TIMEOUT,
		OPT_LIMIT,
		OPT_WORKERS
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "confdir", required_argument, NULL, OPT_CONFDIR },
		{ "updown-timeout", required_argument, NULL,
		  OPT_UPDOWN_TIMEOUT },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "keylog", required_argument, NULL, OPT_KEYLOG },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "lock-file", required_argument, NULL, OPT_LOCK },
		{ "bpf", required_argument, NULL, OPT_BPF },
		{ "vici", required_argument, NULL, OPT_VICI },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "half-open-max", required_argument, NULL, OPT_LIMIT },
		{ "cookie-threshold", required_argument, NULL, OPT_LIMIT },
		{ "half-open-per-peer", required_argument, NULL, OPT_LIMIT },
		{ "half-open-timeout", required_argument, NULL, OPT_LIMIT },
		{ "invalid-spi-rate", required_argument, NULL, OPT_LIMIT },
		{ "window-size", required_argument, NULL, OPT_LIMIT },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct daemon_opts opts = {
		.conf_path = KB_DEFAULT_CONF,
		.log_level = LOG_LVL_INFO,
		.ike_port = 500,
		.natt_port = 4500,
		.stop_timeout_ms = 10000,
		.updown_timeout_ms = 10000,
		.kernel = "xfrm",
		.vici_path = CTL_DEFAULT_PATH,
		.version = KB_VERSION,
	};
	const struct kernel_ops *kops;
	bool check = false;
	uint16_t secs;
	char err[160];
	int c, li = 0;

	while ((c = getopt_long(argc, argv, "c:fl:Vh", longopts, &li)) != -1) {
		switch (c) {
		case 'c': opts.conf_path = optarg; break;
		case OPT_CHECK: check = true; break;
		case OPT_CONFDIR: opts.confdir = optarg; break;
		case OPT_UPDOWN_TIMEOUT:
			if (parse_port(optarg, &secs) < 0 || secs > 3600) {
				fprintf(stderr,
					"keybridged: --updown-timeout takes "
					"1-3600 seconds, not '%s'\n",
					optarg);
				return 2;
			}
			opts.updown_timeout_ms = secs * 1000u;
			break;
		case 'f': break; /* keybridged never forks */
		case 'l':
			opts.log_level = log_level_parse(optarg);
			if (opts.log_level < 0) {
				fprintf(stderr,
					"keybridged: unknown log level '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_KEYLOG: opts.keylog = optarg; break;
		case OPT_KERNEL: opts.kernel = optarg; break;
		case OPT_VICI: opts.vici_path = optarg; break;
		case OPT_LOCK: opts.lock_path = optarg; break;
		case OPT_PORT:
			if (parse_port(optarg, &opts.ike_port) < 0) {
				fprintf(stderr, "keybridged: bad port '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_BPF:
			opts.bpf_mode = usage_mode_parse(optarg);
			if (opts.bpf_mode < 0) {
				fprintf(stderr,
					"keybridged: --bpf: '%s' is not auto, "
					"fentry, tc or off\n",
					optarg);
				return 2;
			}
			break;
		case OPT_WORKERS:
			if (parse_workers(optarg, &opts.workers) < 0) {
				fprintf(stderr,
					"keybridged: --workers: '%s' is not "
					"auto or a number from 1 to %d\n",
					optarg, KB_STEER_MAX_WORKERS);
				return 2;
			}
			break;
		case OPT_LIMIT:
			if (limits_set(&opts.limits, longopts[li].name, optarg,
				       err, sizeof(err)) < 0) {
				fprintf(stderr, "keybridged: %s\n", err);
				return 2;
			}
			break;
		case 'V': printf("keybridged %s\n", KB_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keybridged: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (limits_check(&opts.limits, err, sizeof(err)) < 0) {
		fprintf(stderr, "keybridged: %s\n", err);
		return 2;
	}
	kops = kernel_backend(opts.kernel);
	if (!kops) {
		fprintf(stderr,
			"keybridged: unknown kernel backend '%s' (xfrm or "
			"pfkey)\n",
			opts.kernel);
		return 2;
	}
	if (check)
		return check_config(opts.conf_path, opts.confdir, kops);
	return daemon_main(&opts);
}
