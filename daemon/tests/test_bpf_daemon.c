/* keybridged's SA usage tracing as a process on this host: which attach
 * mode it picks and says it picked, the capabilities it keeps after
 * loading, its pinned objects and tc filters
 * (there while it runs, gone after a stop), the fallback to XFRM polling
 * when BPF is refused, and its USDT probes seen by bpftrace.
 *
 *   [ ns a: 192.0.2.1 ] <--- veth ---> [ ns b: 192.0.2.2 ]
 *     keybridged (initiator)             keybridged (responder)
 *
 * This kernel refuses fentry and has no ESP: the daemons run tc (mode 2),
 * the IKE SA comes up and the CHILD SA is refused by the kernel. Per-SA
 * counts through a real tunnel are checked in kmod-tests/60-bpf-usage.sh. */
#include "tests/daemon_util.h"
#include "tests/test.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Both daemons' tunnel (daemon_util.h); a starts it. */
static const struct du_psk bpf_psk = {
	.secret = "bpf test psk",
	.proposals = "aes128gcm16-prfsha256-x25519",
	.esp_proposals = "aes128gcm16",
};

/* Runs a shell command, returns its first output line in a static buffer
 * ("" if none) and its status in *status. */
static const char *sh(int *status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *sh(int *status, const char *fmt, ...)
{
	static char out[8192];
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	*status = test_run_capture(cmd, out, sizeof(out));
	return out;
}

static int filters(const struct du_peer *p, const char *dir);

static bool tc_mode_or_skip(struct du_peer *p)
{
	if (du_log_wait(p, "SA usage: BPF tc classifiers on", 5000))
		return true;
	if (du_log_has(p, "SA usage: BPF fentry"))
		test_skip("this kernel allows fentry: mode 2 is not picked "
			  "(kmod-tests/60-bpf-usage.sh covers mode 1)");
	if (du_log_has(p, "SA usage: no BPF"))
		test_skip("BPF is refused on this machine; the fallback is "
			  "tested by keybridged_bpf_refused_falls_back_to_"
			  "polling");
	du_log_dump(p);
	test_fail(__FILE__, __LINE__, "no SA usage line in the log");
	test_abort();
}

TEST(keybridged_bpf_tc_pinned_while_running_gone_after_stop)
{
	struct du_peer a, b;
	const char *o;
	char prog_id[32];
	int st;

	du_link(&a, &b, false);
	du_psk_conf(&a, &b, true, &bpf_psk);
	du_psk_conf(&b, &a, false, &bpf_psk);
	du_start(&b, NULL);
	tc_mode_or_skip(&b);
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "IKE SA established", 5000));
	/* loaded with every capability, running with two: CAP_BPF,
	 * CAP_PERFMON and CAP_SYS_ADMIN were for loading only */
	o = sh(&st, "awk '/^CapEff:/ { print $2 }' /proc/%d/status",
	       (int)b.pid);
	CHECK_STR(o, "0000000000001400\n"); /* net_admin, net_bind_service */
	/* the pins, seen from the daemon's own mount namespace (ip netns
	 * exec gave it a /sys of its own, where it mounted bpffs) */
	o = sh(&st, "nsenter -t %d -m ls /sys/fs/bpf/keybridge | tr '\\n' ' '",
	       (int)b.pid);
	CHECK_EQ(st, 0);
	CHECK_STR(o, "kb_events kb_sa_limits kb_sa_usage kb_stats "
		     "kb_tc_egress kb_tc_ingress ");
	o = sh(&st,
	       "nsenter -t %d -m bpftool -j prog show pinned "
	       "/sys/fs/bpf/keybridge/kb_tc_ingress | jq -r .id",
	       (int)b.pid);
	CHECK_EQ(st, 0);
	snprintf(prog_id, sizeof(prog_id), "%.*s", (int)strcspn(o, "\n"), o);
	CHECK(atoi(prog_id) > 0);
	o = sh(&st, "bpftool -j prog show id %s | jq -r .name", prog_id);
	CHECK_STR(o, "kb_tc_ingress\n");
	/* BTF makes the map readable: an empty dump is "[]" */
	o = sh(&st,
	       "nsenter -t %d -m bpftool -j map dump pinned "
	       "/sys/fs/bpf/keybridge/kb_sa_usage",
	       (int)b.pid);
	CHECK_EQ(st, 0);
	CHECK_STR(o, "[]\n");
	/* the filter on the veth, both directions */
	CHECK_EQ(filters(&b, "ingress"), 1);
	CHECK_EQ(filters(&b, "egress"), 1);
	/* a clean stop detaches and unpins: the program is freed */
	REQUIRE_EQ(du_stop(&b, SIGTERM, 12000), 0);
	CHECK_EQ(filters(&b, "ingress"), 0);
	CHECK_EQ(filters(&b, "egress"), 0);
	o = sh(&st, "bpftool prog show id %s 2>/dev/null", prog_id);
	CHECK(st != 0);
	(void)du_stop(&a, SIGTERM, 12000);
	if (test_failed()) {
		du_log_dump(&b);
	}
}

/* The namespace's veth (its only interface but lo). */
static const char *veth_of(const struct du_peer *p)
{
	static char dev[32];
	const char *o;
	int st;

	o = sh(&st,
	       "ip -n %s -o link show | awk -F': ' '$2 !~ /^lo/ "
	       "{ split($2, x, \"@\"); print x[1] }'",
	       p->ns);
	snprintf(dev, sizeof(dev), "%.*s", (int)strcspn(o, "\n"), o);
	return dev;
}

static int filters(const struct du_peer *p, const char *dir)
{
	const char *o;
	int st;

	o = sh(&st, "tc -n %s filter show dev %s %s | grep -c kb_tc_%s", p->ns,
	       veth_of(p), dir, dir);
	return atoi(o);
}

TEST(keybridged_bpf_restart_replaces_pins_and_filters)
{
	struct du_peer a, b;
	char log[128];

	du_link(&a, &b, false);
	du_psk_conf(&b, &a, false, &bpf_psk);
	du_start(&b, NULL);
	tc_mode_or_skip(&b);
	/* killed: its tc filters stay on the veth */
	REQUIRE_EQ(du_stop(&b, SIGKILL, 2000), -2);
	CHECK_EQ(filters(&b, "ingress"), 1);
	snprintf(log, sizeof(log), "%s/log", b.dir);
	REQUIRE_EQ(unlink(log), 0);
	/* started again where bpffs holds another program's map of our
	 * name: both are replaced, nothing is added beside them */
	du_start_as(&b,
		    "sh -c 'mount -t bpf bpf /sys/fs/bpf && "
		    "mkdir /sys/fs/bpf/keybridge && bpftool map create "
		    "/sys/fs/bpf/keybridge/kb_sa_usage type hash key 4 value 4 "
		    "entries 1 name kb_sa_usage && exec \"$0\" \"$@\"'",
		    NULL);
	REQUIRE(du_log_wait(&b, "SA usage: BPF tc classifiers on", 5000));
	CHECK(du_log_has(&b, "replaced 1 pinned objects in "
			     "/sys/fs/bpf/keybridge left by an earlier run"));
	CHECK_EQ(filters(&b, "ingress"), 1);
	CHECK_EQ(filters(&b, "egress"), 1);
	if (test_failed())
		du_log_dump(&b);
	REQUIRE_EQ(du_stop(&b, SIGTERM, 12000), 0);
	CHECK_EQ(filters(&b, "ingress"), 0);
	CHECK_EQ(filters(&b, "egress"), 0);
}

TEST(keybridged_bpf_refused_falls_back_to_polling)
{
	struct du_peer a, b;

	du_link(&a, &b, false);
	du_psk_conf(&a, &b, true, &bpf_psk);
	du_psk_conf(&b, &a, false, &bpf_psk);
	/* Without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN nothing loads. */
	du_start_as(&b, "setpriv --bounding-set -bpf,-perfmon,-sys_admin",
		    NULL);
	du_start(&a, "--bpf off");
	REQUIRE(du_log_wait(&b, "SA usage: no BPF (fentry: load: ", 5000));
	CHECK(du_log_has(&b, "polling the kernel's SA counters (XFRM "
			     "GETSA) every 1000 ms instead"));
	CHECK_EQ(du_log_count(&b, "SA usage:"), 1); /* said once */
	CHECK(du_log_wait(&a, "SA usage: BPF off (--bpf off); polling", 5000));
	/* and the daemons negotiate as ever */
	CHECK(du_log_wait(&b, "IKE SA established", 5000));
	CHECK(du_alive(&b));
	CHECK_EQ(du_stop(&b, SIGTERM, 12000), 0);
	CHECK_EQ(du_stop(&a, SIGTERM, 12000), 0);
	if (test_failed())
		du_log_dump(&b);
}

TEST(keybridged_bpf_fentry_refused_here_falls_back_once)
{
	struct du_peer a, b;

	du_link(&a, &b, false);
	du_psk_conf(&b, &a, false, &bpf_psk);
	du_start(&b, "--bpf fentry");
	REQUIRE(du_log_wait(&b, "SA usage:", 5000));
	if (du_log_has(&b, "SA usage: BPF fentry"))
		test_skip("this kernel allows fentry; the fallback needs one "
			  "that refuses it");
	CHECK(du_log_has(&b, "SA usage: no BPF (fentry: load: Operation not "
			     "permitted (libbpf: prog 'kb_sa_fentry': BPF "
			     "program load failed"));
	CHECK(du_log_has(&b, "; tc: not tried); polling"));
	CHECK_EQ(du_stop(&b, SIGTERM, 12000), 0);
}

TEST(keybridged_bpf_option_refuses_unknown_modes)
{
	char out[4096], cmd[512];

	snprintf(cmd, sizeof(cmd), "%s --bpf kprobe 2>&1",
		 test_build_path("bin/keybridged"));
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 2);
	CHECK_STR(out, "keybridged: --bpf: 'kprobe' is not auto, fentry, tc "
		       "or off\n");
}

/* What bpftrace prints for each probe it attaches to. */
static const char bt_script[] =
	"BEGIN { printf(\"bpftrace ready\\n\"); } " /* after attaching */
	"usdt:%1$s:keybridge:ike_sa_state { printf(\"ike_sa_state %%s %%d "
	"%%s %%d\\n\", str(arg0), arg1, str(arg2), arg3); } "
	"usdt:%1$s:keybridge:exchange_received { printf(\"exchange_received "
	"%%s %%d %%d %%d\\n\", str(arg0), arg1, arg2, arg3); } "
	"usdt:%1$s:keybridge:exchange_sent { printf(\"exchange_sent %%d %%s "
	"%%d\\n\", arg0, str(arg1), arg2); } "
	"usdt:%1$s:keybridge:kernel_error { printf(\"kernel_error %%s %%d "
	"%%s\\n\", str(arg0), arg1, str(arg2)); } "
	"usdt:%1$s:keybridge:message_dropped { printf(\"message_dropped %%s "
	"%%s\\n\", str(arg0), str(arg1)); }";

static bool file_wait(const char *path, const char *needle, unsigned ms)
{
	char buf[65536];

	for (unsigned t = 0; t <= ms; t += 50) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = 0;
		if (strstr(buf, needle))
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* The number after `prefix` in the file `path`, 0 if none. */
static unsigned file_sa_id(const char *path, const char *prefix)
{
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	const char *at;

	if (f)
		fclose(f);
	buf[n] = 0;
	at = strstr(buf, prefix);
	return at ? (unsigned)strtoul(at + strlen(prefix), NULL, 10) : 0;
}

TEST(keybridged_usdt_probes_seen_by_bpftrace)
{
	const char *bin = du_daemon_bin(); /* the one du_start runs */
	char script[2048], out[128], cmd[3072], needle[96];
	struct du_peer a, b;
	const char *o;
	unsigned id;
	int st, bt;

	o = sh(&st, "command -v bpftrace");
	if (st != 0)
		test_skip(
			"bpftrace is missing (Debian package bpftrace, listed "
			"in ci/debian-packages)");
	/* bpftrace -l lists every probe of the binary */
	o = sh(&st, "bpftrace -l 'usdt:%s:*' | sort | tr '\\n' ' '", bin);
	CHECK_EQ(st, 0);
	const char *names[] = { "auth_failed",	      "child_sa_deleted",
				"child_sa_installed", "exchange_received",
				"exchange_sent",      "ike_sa_state",
				"kernel_error",	      "message_dropped",
				"rekey_done",	      "rekey_start" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "keybridge:%s ", names[i]);
		if (!strstr(o, want))
			test_fail(__FILE__, __LINE__, "no probe %s in: %s",
				  names[i], o);
	}
	du_link(&a, &b, false);
	du_psk_conf(&a, &b, true, &bpf_psk);
	du_psk_conf(&b, &a, false, &bpf_psk);
	du_start(&b, "--bpf off");
	REQUIRE(du_log_wait(&b, "ready", 5000));
	snprintf(out, sizeof(out), "%s/bpftrace.out", b.dir);
	snprintf(script, sizeof(script), bt_script, bin);
	snprintf(cmd, sizeof(cmd), "bpftrace -p %d -e '%s' >%s 2>&1 & echo $!",
		 (int)b.pid, script, out);
	o = sh(&st, "%s", cmd);
	bt = atoi(o);
	REQUIRE(bt > 0);
	if (!file_wait(out, "bpftrace ready", 30000)) {
		kill(bt, SIGKILL);
		sh(&st, "cat %s", out);
		test_fail(__FILE__, __LINE__, "bpftrace did not attach");
		test_abort();
	}
	du_start(&a, "--bpf off");
	REQUIRE(du_log_wait(&b, "IKE SA established", 5000));
	/* junk to port 500: dropped, with a reason */
	sh(&st, "ip netns exec %s bash -c 'echo -n junk >/dev/udp/%s/500'",
	   a.ns, b.addr);
	CHECK(file_wait(out, "message_dropped 192.0.2.1[", 5000));
	kill(bt, SIGINT);
	file_wait(out, "\n\n", 3000); /* bpftrace's exit */
	/* the IKE SA's id: 1 or 2, as the worker that answered (worker.h) */
	CHECK(file_wait(out, "ike_sa_state t[", 0));
	id = file_sa_id(out, "ike_sa_state t[");
	CHECK(id == 1 || id == 2);
	snprintf(needle, sizeof(needle), "ike_sa_state t[%u] %u up 0", id, id);
	CHECK(file_wait(out, needle, 0));
	CHECK(file_wait(out, "exchange_received 192.0.2.1[500] 500 ", 0));
	snprintf(needle, sizeof(needle), "exchange_sent %u 192.0.2.1[500] ",
		 id);
	CHECK(file_wait(out, needle, 0));
	/* no ESP in this kernel: installing the CHILD SA fails */
	snprintf(needle, sizeof(needle), "kernel_error t[%u] %u ", id, id);
	CHECK(file_wait(out, needle, 0));
	CHECK(file_wait(out, "] datagram shorter than the IKE header", 0));
	if (test_failed()) {
		FILE *f = fopen(out, "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f))
			test_note("bpftrace: %s", line);
		if (f)
			fclose(f);
	}
	CHECK_EQ(du_stop(&a, SIGTERM, 12000), 0);
	CHECK_EQ(du_stop(&b, SIGTERM, 12000), 0);
}
