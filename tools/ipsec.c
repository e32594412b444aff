/* ipsec: keybridge's command line, a vici client of keybridged's control
 * socket (daemon/control/). `ipsec status` shows each IKE SA and its CHILD
 * SAs with the kernel's counters; up, down, rekey and reload steer the
 * daemon; monitor prints events as they happen; metrics prints them for
 * Prometheus. The manual is doc/ipsec.8.
 *
 * Exit status: 0 done, 1 the daemon refused or the operation failed, 2 bad
 * usage, 3 keybridged is not running, 4 permission denied. */
#include "control/ctl.h"
#include "control/vici_conn.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef KB_VERSION
#define KB_VERSION "0.1.0"
#endif

enum {
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_RUNNING = 3,
	EXIT_PERM = 4,
};

static const char *sock_path = CTL_DEFAULT_PATH;
static bool colour;

/* ---- a vici message as a tree ------------------------------------------ */

enum node_type { NODE_SECTION, NODE_KV, NODE_LIST };

struct node {
	enum node_type type;
	char *name;
	char *value;  /* KV */
	char **items; /* LIST */
	size_t n_items;
	struct node **kids; /* SECTION */
	size_t n_kids;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "ipsec: out of memory\n");
		exit(EXIT_FAIL);
	}
	return p;
}

static char *xstrndup(const uint8_t *p, size_t n)
{
	char *s = xcalloc(n + 1, 1);

	memcpy(s, p, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			s[i] = '?'; /* never print control bytes */
	return s;
}

static void node_add(struct node *parent, struct node *kid)
{
	struct node **k =
		realloc(parent->kids, (parent->n_kids + 1) * sizeof(*k));

	if (!k) {
		fprintf(stderr, "ipsec: out of memory\n");
		exit(EXIT_FAIL);
	}
	k[parent->n_kids++] = kid;
	parent->kids = k;
}

/* Parses a well-formed message (the daemon's) into a tree. */
static struct node *tree_parse(const uint8_t *msg, size_t len)
{
	struct node *root = xcalloc(1, sizeof(*root)),
		    *stack[VICI_DEPTH_MAX + 1];
	struct node *list = NULL;
	struct vici_iter it;
	struct vici_elem e;
	unsigned depth = 0;

	stack[0] = root;
	vici_iter_init(&it, msg, len);
	while (vici_iter_next(&it, &e) > 0) {
		struct node *n;

		switch (e.type) {
		case VICI_SECTION_START:
		case VICI_KEY_VALUE:
		case VICI_LIST_START:
			n = xcalloc(1, sizeof(*n));
			n->name = xstrndup(e.name, e.name_len);
			n->type = e.type == VICI_SECTION_START ? NODE_SECTION
				  : e.type == VICI_KEY_VALUE   ? NODE_KV
							       : NODE_LIST;
			if (n->type == NODE_KV)
				n->value = xstrndup(e.value, e.value_len);
			node_add(stack[depth], n);
			if (n->type == NODE_SECTION)
				stack[++depth] = n;
			if (n->type == NODE_LIST)
				list = n;
			break;
		case VICI_SECTION_END: depth--; break;
		case VICI_LIST_ITEM:
			list->items =
				realloc(list->items,
					(list->n_items + 1) * sizeof(char *));
			if (!list->items)
				exit(EXIT_FAIL);
			list->items[list->n_items++] =
				xstrndup(e.value, e.value_len);
			break;
		case VICI_LIST_END: list = NULL; break;
		}
	}
	return root;
}

static void tree_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		tree_free(n->kids[i]);
	for (size_t i = 0; i < n->n_items; i++)
		free(n->items[i]);
	free(n->kids);
	free(n->items);
	free(n->name);
	free(n->value);
	free(n);
}

static const struct node *node_get(const struct node *n, const char *name)
{
	for (size_t i = 0; n && i < n->n_kids; i++)
		if (strcmp(n->kids[i]->name, name) == 0)
			return n->kids[i];
	return NULL;
}

/* The value of key `name` in section `n`, or NULL. */
static const char *kv(const struct node *n, const char *name)
{
	const struct node *k = node_get(n, name);

	return k && k->type == NODE_KV ? k->value : NULL;
}

static uint64_t kv_u64(const struct node *n, const char *name)
{
	const char *v = kv(n, name);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* ---- talking to the daemon --------------------------------------------- */

static int conn_open(struct vici_conn *c)
{
	int r = vici_conn_open(c, sock_path);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr,
			"ipsec: keybridged is not running (nothing answers on "
			"%s)\n",
			sock_path);
		exit(EXIT_NOT_RUNNING);
	}
	if (r == -EACCES || r == -EPERM) {
		fprintf(stderr,
			"ipsec: permission denied on %s: members of group "
			"keybridge may read, root or CAP_NET_ADMIN may "
			"change\n",
			sock_path);
		exit(EXIT_PERM);
	}
	if (r < 0) {
		fprintf(stderr, "ipsec: cannot connect to %s: %s\n", sock_path,
			strerror(-r));
		exit(EXIT_FAIL);
	}
	return 0;
}

static void conn_register(struct vici_conn *c, const char *event)
{
	int r = vici_conn_register(c, event, true);

	if (r < 0) {
		fprintf(stderr, "ipsec: registering for %s events: %s\n", event,
			strerror(-r));
		exit(EXIT_FAIL);
	}
}

/* A request's arguments: key/value pairs as the command needs them. */
struct args {
	uint8_t buf[1024];
	struct wr w;
};

static void args_init(struct args *a)
{
	a->w = wr_init(a->buf, sizeof(a->buf));
}

/* Runs `cmd`; events go to `on_event`; returns the response tree. */
static struct node *call(struct vici_conn *c, const char *cmd,
			 const struct args *a,
			 void (*on_event)(void *ctx, const char *name,
					  const uint8_t *msg, size_t len),
			 void *ctx)
{
	struct vici_packet p;
	int r = vici_conn_call(c, cmd, a ? a->buf : NULL, a ? wr_len(&a->w) : 0,
			       on_event, ctx, &p, -1);

	if (r == -ENOENT) {
		fprintf(stderr, "ipsec: keybridged does not know '%s'\n", cmd);
		exit(EXIT_FAIL);
	}
	if (r < 0) {
		fprintf(stderr, "ipsec: %s: %s\n", cmd,
			r == -ECONNRESET ? "keybridged closed the connection"
					 : strerror(-r));
		exit(EXIT_FAIL);
	}
	return tree_parse(p.msg, p.msg_len);
}

/* Prints a success/errmsg answer; returns the exit status. */
static int result(const struct node *res, const char *what)
{
	const char *ok = kv(res, "success"), *err = kv(res, "errmsg");

	if (ok && strcmp(ok, "yes") == 0)
		return 0;
	fprintf(stderr, "ipsec: %s failed: %s\n", what, err ? err : "?");
	return err && strncmp(err, "permission denied", 17) == 0 ? EXIT_PERM
								 : EXIT_FAIL;
}

/* ---- status -------------------------------------------------------------- */

struct sas {
	struct node **ike; /* the list-sa events' IKE SA sections */
	size_t n;
	struct node **roots;
};

static void on_list_sa(void *ctx, const char *name, const uint8_t *msg,
		       size_t len)
{
	struct sas *s = ctx;
	struct node *root;

	if (strcmp(name, "list-sa") != 0)
		return;
	root = tree_parse(msg, len);
	s->roots = realloc(s->roots, (s->n + 1) * sizeof(*s->roots));
	s->ike = realloc(s->ike, (s->n + 1) * sizeof(*s->ike));
	if (!s->roots || !s->ike)
		exit(EXIT_FAIL);
	s->roots[s->n] = root;
	s->ike[s->n++] = root->n_kids ? root->kids[0] : root;
}

static void sas_fetch(struct sas *s, const char *conn)
{
	struct vici_conn c;
	struct args a;

	memset(s, 0, sizeof(*s));
	args_init(&a);
	if (conn)
		vici_kv(&a.w, "ike", conn);
	conn_open(&c);
	conn_register(&c, "list-sa");
	tree_free(call(&c, "list-sas", &a, on_list_sa, s));
	vici_conn_close(&c);
}

static void sas_free(struct sas *s)
{
	for (size_t i = 0; i < s->n; i++)
		tree_free(s->roots[i]);
	free(s->roots);
	free(s->ike);
}

static const char *c_bold(void)
{
	return colour ? "\033[1m" : "";
}
static const char *c_green(void)
{
	return colour ? "\033[32m" : "";
}
static const char *c_yellow(void)
{
	return colour ? "\033[33m" : "";
}
static const char *c_off(void)
{
	return colour ? "\033[0m" : "";
}

/* "3 h 20 min", "45 s" */
static const char *span(uint64_t s, char *out, size_t cap)
{
	if (s >= 86400)
		snprintf(out, cap, "%" PRIu64 " d %" PRIu64 " h", s / 86400,
			 s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, cap, "%" PRIu64 " h %" PRIu64 " min", s / 3600,
			 s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, cap, "%" PRIu64 " min %" PRIu64 " s", s / 60,
			 s % 60);
	else
		snprintf(out, cap, "%" PRIu64 " s", s);
	return out;
}

static const char *bytes_str(uint64_t b, char *out, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(out, cap, "%" PRIu64 " B", b);
	else
		snprintf(out, cap, "%.2f %s", v, unit[u]);
	return out;
}

static void print_list(const struct node *n, const char *name)
{
	const struct node *l = node_get(n, name);

	for (size_t i = 0; l && i < l->n_items; i++)
		printf("%s%s", i ? ", " : "", l->items[i]);
}

static void print_dir(const struct node *ch, const char *dir)
{
	char k[32], b[32], r[32], t[32];
	const char *v;

	snprintf(k, sizeof(k), "bytes-%s", dir);
	printf("    %-3s %s", dir, bytes_str(kv_u64(ch, k), b, sizeof(b)));
	snprintf(k, sizeof(k), "packets-%s", dir);
	printf(", %" PRIu64 " packets", kv_u64(ch, k));
	snprintf(k, sizeof(k), "rate-%s", dir);
	if ((v = kv(ch, k)))
		printf(", %s/s",
		       bytes_str(strtoull(v, NULL, 10), r, sizeof(r)));
	snprintf(k, sizeof(k), "use-%s", dir);
	if ((v = kv(ch, k)))
		printf(", last %s ago",
		       span(strtoull(v, NULL, 10), t, sizeof(t)));
	printf("\n");
}

static void print_child(const struct node *ch)
{
	char t[32];
	const char *st = kv(ch, "state");

	printf("  %schild %s%s #%s: %s%s%s, %s%s %s", c_bold(), kv(ch, "name"),
	       c_off(), kv(ch, "uniqueid"),
	       st && strcmp(st, "INSTALLED") == 0 ? c_green() : c_yellow(),
	       st ? st : "?", c_off(), kv(ch, "mode"),
	       kv(ch, "encap") ? "-in-UDP" : "", kv(ch, "protocol"));
	if (kv(ch, "encr-alg"))
		printf(" %s%s%s", kv(ch, "encr-alg"),
		       kv(ch, "encr-keysize") ? "-" : "",
		       kv(ch, "encr-keysize") ? kv(ch, "encr-keysize") : "");
	if (kv(ch, "integ-alg"))
		printf("/%s", kv(ch, "integ-alg"));
	printf("\n    spi in %s, out %s, reqid %s\n", kv(ch, "spi-in"),
	       kv(ch, "spi-out"), kv(ch, "reqid"));
	printf("    traffic ");
	print_list(ch, "local-ts");
	printf(" === ");
	print_list(ch, "remote-ts");
	printf("\n");
	print_dir(ch, "in");
	print_dir(ch, "out");
	printf("    installed %s ago",
	       span(kv_u64(ch, "install-time"), t, sizeof(t)));
	if (kv(ch, "rekey-time"))
		printf(", rekey in at most %s",
		       span(kv_u64(ch, "rekey-time"), t, sizeof(t)));
	if (kv(ch, "life-time"))
		printf(", expires in %s",
		       span(kv_u64(ch, "life-time"), t, sizeof(t)));
	printf("\n");
}

static void print_ike(const struct node *ike)
{
	const char *st = kv(ike, "state");
	const struct node *kids = node_get(ike, "child-sas");
	char t[32];

	printf("%sconnection %s%s: IKE SA #%s %s%s%s, %s\n", c_bold(),
	       ike->name, c_off(), kv(ike, "uniqueid"),
	       st && strcmp(st, "ESTABLISHED") == 0 ? c_green() : c_yellow(),
	       st ? st : "?", c_off(),
	       kv(ike, "initiator") ? "initiator" : "responder");
	printf("  local  %s[%s] '%s'\n", kv(ike, "local-host"),
	       kv(ike, "local-port"),
	       kv(ike, "local-id") ? kv(ike, "local-id") : "");
	printf("  remote %s[%s] '%s'%s\n", kv(ike, "remote-host"),
	       kv(ike, "remote-port"),
	       kv(ike, "remote-id") ? kv(ike, "remote-id") : "",
	       kv(ike, "nat-any") ? " (NAT)" : "");
	if (kv(ike, "encr-alg"))
		printf("  %s%s%s%s%s/%s/%s\n", kv(ike, "encr-alg"),
		       kv(ike, "encr-keysize") ? "-" : "",
		       kv(ike, "encr-keysize") ? kv(ike, "encr-keysize") : "",
		       kv(ike, "integ-alg") ? "/" : "",
		       kv(ike, "integ-alg") ? kv(ike, "integ-alg") : "",
		       kv(ike, "prf-alg"), kv(ike, "dh-group"));
	printf("  spi %s_i %s_r", kv(ike, "initiator-spi"),
	       kv(ike, "responder-spi"));
	if (kv(ike, "established"))
		printf(", established %s ago",
		       span(kv_u64(ike, "established"), t, sizeof(t)));
	if (kv(ike, "rekey-time"))
		printf(", rekey in at most %s",
		       span(kv_u64(ike, "rekey-time"), t, sizeof(t)));
	printf("\n");
	for (size_t i = 0; kids && i < kids->n_kids; i++)
		print_child(kids->kids[i]);
}

/* ---- JSON (schema in doc/control.md) ----------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "key": value from vici key `vkey` of `n`, as a string, a number or a
 * boolean; nothing when absent (numbers, strings) or false (booleans). */
static void json_field(bool *first, const char *key, const char *value,
		       char kind)
{
	printf("%s\"%s\": ", *first ? "" : ", ", key);
	*first = false;
	if (kind == 'n' && value[0] &&
	    strspn(value, "0123456789") == strlen(value))
		printf("%s", value);
	else if (kind == 'b')
		printf("%s", value ? "true" : "false");
	else
		json_str(value); /* a number that is not one stays text */
}

static void json_map(const struct node *n, const char *const (*map)[3],
		     bool *first)
{
	for (size_t i = 0; map[i][0]; i++) {
		const char *v = kv(n, map[i][1]);

		if (map[i][2][0] == 'b')
			json_field(first, map[i][0], v, 'b');
		else if (v)
			json_field(first, map[i][0], v, map[i][2][0]);
	}
}

static void json_list(const struct node *n, const char *key, const char *vkey)
{
	const struct node *l = node_get(n, vkey);

	printf(", \"%s\": [", key);
	for (size_t i = 0; l && i < l->n_items; i++) {
		printf("%s", i ? ", " : "");
		json_str(l->items[i]);
	}
	printf("]");
}

static const char *const json_ike_map[][3] = {
	{ "name", "", "s" },
	{ "id", "uniqueid", "n" },
	{ "state", "state", "s" },
	{ "initiator", "initiator", "b" },
	{ "local_host", "local-host", "s" },
	{ "local_port", "local-port", "n" },
	{ "local_id", "local-id", "s" },
	{ "remote_host", "remote-host", "s" },
	{ "remote_port", "remote-port", "n" },
	{ "remote_id", "remote-id", "s" },
	{ "nat", "nat-any", "b" },
	{ "spi_i", "initiator-spi", "s" },
	{ "spi_r", "responder-spi", "s" },
	{ "encr", "encr-alg", "s" },
	{ "encr_keysize", "encr-keysize", "n" },
	{ "integ", "integ-alg", "s" },
	{ "prf", "prf-alg", "s" },
	{ "dh_group", "dh-group", "s" },
	{ "established_s", "established", "n" },
	{ "rekey_in_s", "rekey-time", "n" },
	{ NULL, NULL, NULL },
};

static const char *const json_child_map[][3] = {
	{ "name", "name", "s" },
	{ "id", "uniqueid", "n" },
	{ "reqid", "reqid", "n" },
	{ "state", "state", "s" },
	{ "mode", "mode", "s" },
	{ "protocol", "protocol", "s" },
	{ "encap", "encap", "b" },
	{ "spi_in", "spi-in", "s" },
	{ "spi_out", "spi-out", "s" },
	{ "encr", "encr-alg", "s" },
	{ "encr_keysize", "encr-keysize", "n" },
	{ "integ", "integ-alg", "s" },
	{ "esn", "esn", "b" },
	{ "bytes_in", "bytes-in", "n" },
	{ "packets_in", "packets-in", "n" },
	{ "bytes_out", "bytes-out", "n" },
	{ "packets_out", "packets-out", "n" },
	{ "rate_in_Bps", "rate-in", "n" },
	{ "rate_out_Bps", "rate-out", "n" },
	{ "last_use_in_s", "use-in", "n" },
	{ "last_use_out_s", "use-out", "n" },
	{ "installed_s", "install-time", "n" },
	{ "rekey_in_s", "rekey-time", "n" },
	{ "expires_in_s", "life-time", "n" },
	{ NULL, NULL, NULL },
};

static void json_status(const struct sas *s)
{
	printf("{\"version\": 1, \"ike_sas\": [");
	for (size_t i = 0; i < s->n; i++) {
		const struct node *ike = s->ike[i];
		const struct node *kids = node_get(ike, "child-sas");
		bool first = true;

		printf("%s\n  {", i ? "," : "");
		json_field(&first, "name", ike->name, 's');
		json_map(ike, json_ike_map + 1, &first);
		printf(", \"child_sas\": [");
		for (size_t k = 0; kids && k < kids->n_kids; k++) {
			const struct node *ch = kids->kids[k];
			bool f = true;

			printf("%s\n    {", k ? "," : "");
			json_map(ch, json_child_map, &f);
			json_list(ch, "local_ts", "local-ts");
			json_list(ch, "remote_ts", "remote-ts");
			printf("}");
		}
		printf("]}");
	}
	printf("\n]}\n");
}

static int cmd_status(int argc, char **argv)
{
	const char *conn = NULL;
	bool json = false;
	struct sas s;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] != '-' && !conn)
			conn = argv[i];
		else
			return EXIT_USAGE;
	}
	sas_fetch(&s, conn);
	if (json) {
		json_status(&s);
	} else {
		for (size_t i = 0; i < s.n; i++) {
			if (i)
				printf("\n");
			print_ike(s.ike[i]);
		}
		if (!s.n)
			printf("no IKE SAs%s%s\n", conn ? " of " : "",
			       conn ? conn : "");
	}
	sas_free(&s);
	return 0;
}

/* ---- up, down, rekey, reload --------------------------------------------- */

static void on_control_log(void *ctx, const char *name, const uint8_t *msg,
			   size_t len)
{
	char line[1024];

	(void)ctx;
	if (strcmp(name, "control-log") == 0 &&
	    vici_find_str(msg, len, "msg", line, sizeof(line)) == 0)
		printf("%s\n", line);
	fflush(stdout);
}

/* "conn" or "conn/child" */
static void split_target(char *arg, const char **conn, const char **child)
{
	char *slash = strchr(arg, '/');

	*conn = arg;
	*child = NULL;
	if (slash) {
		*slash = 0;
		*child = slash + 1;
	}
}

static int control(const char *cmd, const char *what, struct args *a, bool log)
{
	struct vici_conn c;
	struct node *res;
	int st;

	conn_open(&c);
	if (log)
		conn_register(&c, "control-log");
	res = call(&c, cmd, a, on_control_log, NULL);
	st = result(res, what);
	if (!st)
		printf("%s: done\n", what);
	tree_free(res);
	vici_conn_close(&c);
	return st;
}

static void on_list_conn(void *ctx, const char *name, const uint8_t *msg,
			 size_t len)
{
	char **first = ctx;
	struct node *root = tree_parse(msg, len);
	const struct node *kids =
		root->n_kids ? node_get(root->kids[0], "children") : NULL;

	if (strcmp(name, "list-conn") == 0 && kids && kids->n_kids && !*first)
		*first = strdup(kids->kids[0]->name);
	tree_free(root);
}

/* The first child of connection `conn` (NULL if it has none): `up CONN`
 * waits for it, not only for the IKE SA. */
static char *first_child(const char *conn)
{
	struct vici_conn c;
	struct args a;
	char *first = NULL;

	args_init(&a);
	vici_kv(&a.w, "ike", conn);
	conn_open(&c);
	conn_register(&c, "list-conn");
	tree_free(call(&c, "list-conns", &a, on_list_conn, &first));
	vici_conn_close(&c);
	return first;
}

static int cmd_up(int argc, char **argv)
{
	const char *conn, *child;
	char *first = NULL;
	struct args a;
	int st;

	if (argc != 2)
		return EXIT_USAGE;
	split_target(argv[1], &conn, &child);
	if (!child)
		child = first = first_child(conn);
	args_init(&a);
	vici_kv(&a.w, "ike", conn);
	if (child)
		vici_kv(&a.w, "child", child);
	vici_kv(&a.w, "timeout", "30000");
	vici_kv(&a.w, "loglevel", "2");
	st = control("initiate", "up", &a, true);
	free(first);
	return st;
}

static int cmd_down(int argc, char **argv)
{
	const char *conn, *child;
	struct args a;

	if (argc != 2)
		return EXIT_USAGE;
	split_target(argv[1], &conn, &child);
	args_init(&a);
	vici_kv(&a.w, child ? "child" : "ike", child ? child : conn);
	vici_kv(&a.w, "timeout", "30000");
	vici_kv(&a.w, "loglevel", "2");
	return control("terminate", "down", &a, true);
}

static int cmd_rekey(int argc, char **argv)
{
	const char *conn, *child;
	struct args a;

	if (argc != 2)
		return EXIT_USAGE;
	split_target(argv[1], &conn, &child);
	args_init(&a);
	vici_kv(&a.w, child ? "child" : "ike", child ? child : conn);
	return control("rekey", "rekey", &a, false);
}

static int cmd_reload(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	return control("reload-settings", "reload", NULL, false);
}

/* ---- monitor ---------------------------------------------------------- */

static void monitor_line(const char *name, const struct node *root)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	const struct node *sa = NULL;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	for (size_t i = 0; i < root->n_kids; i++)
		if (root->kids[i]->type == NODE_SECTION)
			sa = root->kids[i];
	if (strcmp(name, "log") == 0) {
		printf("%s %s%s%s\n", stamp,
		       kv(root, "ikesa-name") ? kv(root, "ikesa-name") : "",
		       kv(root, "ikesa-name") ? ": " : "", kv(root, "msg"));
		return;
	}
	printf("%s %s%s%s %s", stamp, c_bold(), name, c_off(),
	       sa ? sa->name : "?");
	if (strstr(name, "updown"))
		printf(" %s", kv(root, "up") ? "up" : "down");
	if (sa && kv(sa, "uniqueid"))
		printf(" IKE SA #%s", kv(sa, "uniqueid"));
	if (sa && node_get(sa, "new"))
		printf(" #%s -> #%s", kv(node_get(sa, "old"), "uniqueid"),
		       kv(node_get(sa, "new"), "uniqueid"));
	const struct node *kids = sa ? node_get(sa, "child-sas") : NULL;
	for (size_t i = 0; kids && i < kids->n_kids; i++) {
		const struct node *ch = kids->kids[i];
		const struct node *o = node_get(ch, "old"),
				  *n = node_get(ch, "new");

		if (o && n)
			printf(", child %s spi %s/%s -> %s/%s", ch->name,
			       kv(o, "spi-in"), kv(o, "spi-out"),
			       kv(n, "spi-in"), kv(n, "spi-out"));
		else
			printf(", child %s #%s spi %s/%s", kv(ch, "name"),
			       kv(ch, "uniqueid"), kv(ch, "spi-in"),
			       kv(ch, "spi-out"));
	}
	printf("\n");
}

static int cmd_monitor(int argc, char **argv)
{
	static const char *const events[] = { "ike-updown", "child-updown",
					      "ike-rekey", "child-rekey" };
	struct vici_conn c;
	struct vici_packet p;
	bool log = argc == 2 && strcmp(argv[1], "--log") == 0;
	int r;

	if (argc > 2 || (argc == 2 && !log))
		return EXIT_USAGE;
	conn_open(&c);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		conn_register(&c, events[i]);
	if (log)
		conn_register(&c, "log");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((r = vici_conn_recv(&c, &p, -1)) == 0) {
		char name[VICI_NAME_MAX + 1];
		struct node *root;

		if (p.type != VICI_EVENT)
			continue;
		memcpy(name, p.name, p.name_len);
		name[p.name_len] = 0;
		root = tree_parse(p.msg, p.msg_len);
		monitor_line(name, root);
		tree_free(root);
	}
	vici_conn_close(&c);
	fprintf(stderr, "ipsec: monitor: %s\n",
		r == -ECONNRESET ? "keybridged went away" : strerror(-r));
	return r == -ECONNRESET ? EXIT_NOT_RUNNING : EXIT_FAIL;
}

/* ---- metrics (Prometheus text exposition format) ------------------------- */

static void label(const char *key, const char *v, bool first)
{
	printf("%s%s=\"", first ? "" : ",", key);
	for (; v && *v; v++) {
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if (*v == '\n')
			printf("\\n");
		else
			putchar(*v);
	}
	putchar('"');
}

static void metric_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_child(const struct sas *s, const char *name,
			 const char *key_in, const char *key_out)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct node *kids = node_get(s->ike[i], "child-sas");

		for (size_t k = 0; kids && k < kids->n_kids; k++) {
			const struct node *ch = kids->kids[k];

			for (int d = 0; d < 2; d++) {
				printf("%s{", name);
				label("conn", s->ike[i]->name, true);
				label("child", kv(ch, "name"), false);
				label("child_id", kv(ch, "uniqueid"), false);
				label("direction", d ? "out" : "in", false);
				printf("} %" PRIu64 "\n",
				       kv_u64(ch, d ? key_out : key_in));
			}
		}
	}
}

static int cmd_metrics(int argc, char **argv)
{
	struct sas s;

	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	sas_fetch(&s, NULL);
	metric_head("keybridge_up", "gauge",
		    "1 when keybridged answered on its control socket");
	printf("keybridge_up 1\n");
	metric_head("keybridge_ike_sa_established_seconds", "gauge",
		    "Seconds since the IKE SA was established");
	for (size_t i = 0; i < s.n; i++) {
		const struct node *ike = s.ike[i];

		printf("keybridge_ike_sa_established_seconds{");
		label("conn", ike->name, true);
		label("ike_id", kv(ike, "uniqueid"), false);
		label("state", kv(ike, "state"), false);
		label("remote_host", kv(ike, "remote-host"), false);
		printf("} %" PRIu64 "\n", kv_u64(ike, "established"));
	}
	metric_head("keybridge_ike_sas", "gauge", "IKE SAs");
	printf("keybridge_ike_sas %zu\n", s.n);
	metric_head("keybridge_child_sa_bytes_total", "counter",
		    "Bytes the kernel processed with the CHILD SA");
	metric_child(&s, "keybridge_child_sa_bytes_total", "bytes-in",
		     "bytes-out");
	metric_head("keybridge_child_sa_packets_total", "counter",
		    "Packets the kernel processed with the CHILD SA");
	metric_child(&s, "keybridge_child_sa_packets_total", "packets-in",
		     "packets-out");
	metric_head("keybridge_child_sa_rate_bytes_per_second", "gauge",
		    "Latest byte rate of the CHILD SA (SA usage tracking)");
	metric_child(&s, "keybridge_child_sa_rate_bytes_per_second", "rate-in",
		     "rate-out");
	sas_free(&s);
	return 0;
}

/* ---- version --------------------------------------------------------------- */

static int cmd_version(int argc, char **argv)
{
	struct vici_conn c;
	struct node *res;

	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	printf("ipsec (keybridge) %s\n", KB_VERSION);
	conn_open(&c);
	res = call(&c, "version", NULL, NULL, NULL);
	printf("%s %s on %s %s %s\n", kv(res, "daemon"), kv(res, "version"),
	       kv(res, "sysname"), kv(res, "release"), kv(res, "machine"));
	tree_free(res);
	vici_conn_close(&c);
	return 0;
}

/* ---- main: a table of subcommands ------------------------------------------ */

static const struct {
	const char *name, *args, *help;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "status", "[CONN] [--json]", "show IKE and CHILD SAs", cmd_status },
	{ "up", "CONN[/CHILD]", "initiate a connection", cmd_up },
	{ "down", "CONN[/CHILD]", "delete its SAs with the peer", cmd_down },
	{ "rekey", "CONN[/CHILD]", "rekey the IKE SA (or CHILD SA)",
	  cmd_rekey },
	{ "reload", "", "reload swanctl.conf (as SIGHUP)", cmd_reload },
	{ "monitor", "[--log]", "print events as they happen", cmd_monitor },
	{ "metrics", "", "print Prometheus metrics", cmd_metrics },
	{ "version", "", "print the versions", cmd_version },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: ipsec [--socket PATH] COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-8s %-16s %s\n", cmds[i].name, cmds[i].args,
			cmds[i].help);
	fprintf(out, "The socket is $KEYBRIDGE_VICI or " CTL_DEFAULT_PATH
		     ". See ipsec(8).\n");
}

int main(int argc, char **argv)
{
	const char *env = getenv("KEYBRIDGE_VICI");

	signal(SIGPIPE, SIG_IGN);
	if (env && *env)
		sock_path = env;
	if (argc > 2 && strcmp(argv[1], "--socket") == 0) {
		sock_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int st;

		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		st = cmds[i].fn(argc - 1, argv + 1);
		if (st == EXIT_USAGE)
			fprintf(stderr, "Usage: ipsec %s %s\n", cmds[i].name,
				cmds[i].args);
		return st;
	}
	fprintf(stderr, "ipsec: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
