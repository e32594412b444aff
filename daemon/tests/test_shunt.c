/* Shunt children (mode = pass | drop) and marks / XFRM interface IDs:
 * the configuration as strongSwan's users write it, the policies built
 * from it, and the real XFRM of this machine deciding between a pass
 * shunt, a 0.0.0.0/0 trap and a drop shunt for real datagrams.
 *
 *   [ test's netns, all on lo ]
 *     10.1.0.1 -> 10.1.5.9   pass shunt 10.1.0.0/16 <-> 10.1.0.0/16: delivered
 *     10.1.0.1 -> 10.7.0.1   trap 10.1.0.0/16 -> 0.0.0.0/0: ACQUIRE
 *     10.2.0.1 -> 10.7.0.1   drop shunt %any -> 0.0.0.0/0: EPERM
 *
 * (This kernel has no ESP; tunnels through xfrm interfaces and marks on
 * real SAs run in kmod-tests/55-kb-shunt-marks.sh.) */
#include "engine/engine_kernel.h"
#include "ike_iana.h"
#include "io/conns.h"
#include "io/shunt.h"
#include "tests/conf_util.h"
#include "tests/daemon_util.h"
#include "tests/test.h"
#include "tests/test_xfrm_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define F "/nonexistent/test.conf"

static struct kb_config *load_ok(const char *text)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg = cu_load(text, &d);

	REQUIRE(cfg != NULL);
	if (conf_diag_errors(&d)) {
		cu_show(&d);
		test_fail(__FILE__, __LINE__, "%zu unexpected errors",
			  conf_diag_errors(&d));
	}
	conf_diag_free(&d);
	return cfg;
}

static void one_error(const char *text, const char *msg)
{
	struct conf_diag d = { 0 };
	struct kb_config *cfg = cu_load(text, &d);

	CU_HAS(&d, msg);
	CHECK_EQ(conf_diag_errors(&d), 1);
	config_free(cfg);
	conf_diag_free(&d);
}

/* ---- configuration ------------------------------------------------------ */

TEST(shunt_config_marks_and_if_ids_as_swanctl_writes_them)
{
	struct kb_config *cfg = load_ok("connections { vpn {\n"
					"  if_id_in = 7\n if_id_out = 0x8\n"
					"  children {\n"
					"    a { mark_in = 42\n"
					"        mark_out = 0x2a/0xff\n"
					"        mark_in_sa = yes }\n"
					"    b { mark_out = 0x1ff/0xff\n"
					"        if_id_in = 9 }\n"
					"  } } }\n");
	const struct kb_conn *c = &cfg->conns[0];
	const struct kb_child *a = config_child(c, "a");
	const struct kb_child *b = config_child(c, "b");

	REQUIRE(a && b);
	CHECK_EQ(c->if_id_in, 7);
	CHECK_EQ(c->if_id_out, 8);
	CHECK_EQ(a->mark_in.value, 42);
	CHECK_EQ(a->mark_in.mask, 0xffffffffu); /* no mask: all bits */
	CHECK_EQ(a->mark_out.value, 0x2a);
	CHECK_EQ(a->mark_out.mask, 0xff);
	CHECK(a->mark_in_sa);
	/* unset if_ids are the connection's, set ones stay */
	CHECK_EQ(a->if_id_in, 7);
	CHECK_EQ(a->if_id_out, 8);
	CHECK_EQ(b->if_id_in, 9);
	CHECK_EQ(b->if_id_out, 8);
	/* the value is masked, as strongSwan does */
	CHECK_EQ(b->mark_out.value, 0xff);
	CHECK_EQ(b->mark_in.value | b->mark_in.mask, 0); /* none */
	CHECK(!b->mark_in_sa);
	config_free(cfg);
}

TEST(shunt_config_bad_marks_name_file_line_and_key)
{
	one_error("connections { c { children { n {\n mark_in = %unique } } "
		  "} }\n",
		  F ":2: connections.c.children.n.mark_in: '%unique' is not "
		    "supported by keybridge (give a number)");
	one_error("connections { c {\n if_id_out = %unique-dir } }\n",
		  F ":2: connections.c.if_id_out: '%unique-dir' is not "
		    "supported by keybridge (give a number)");
	one_error("connections { c { children { n {\n\n mark_out = 1/2/3 } } "
		  "} }\n",
		  F ":3: connections.c.children.n.mark_out: expected a mark "
		    "value[/mask] such as 42 or 0x2a/0xff (32 bits each), not "
		    "'1/2/3'");
	one_error("connections { c { children { n {\n if_id_in = 1/2 } } } "
		  "}\n",
		  F ":2: connections.c.children.n.if_id_in: expected an "
		    "interface ID 0-4294967295, not '1/2'");
	one_error("connections { c {\n if_id_in = 4294967296 } }\n",
		  F ":2: connections.c.if_id_in: expected an interface ID "
		    "0-4294967295, not '4294967296'");
	/* strongSwan's keys around them stay refused, by name */
	one_error("connections { c { children { n {\n set_mark_out = 1 } } } "
		  "}\n",
		  F ":2: connections.c.children.n.set_mark_out: not supported "
		    "by keybridge");
}

/* ---- building: shunts need no peer and no credentials ------------------- */

struct built {
	struct kb_config *cfg;
	struct conns conns;
	struct conf_diag diag;
};

static void build(struct built *b, const char *text)
{
	memset(b, 0, sizeof(*b));
	b->cfg = load_ok(text);
	REQUIRE_EQ(conns_build(b->cfg, NULL, &b->conns, &b->diag), 0);
}

static void built_free(struct built *b)
{
	conns_free(&b->conns);
	config_free(b->cfg);
	conf_diag_free(&b->diag);
}

static const struct kernel_policy *find(const struct shunts *s, uint8_t dir,
					const char *src, unsigned splen,
					const char *dst, unsigned dplen)
{
	struct kernel_addr a = xt_addr(src), d = xt_addr(dst);

	for (size_t i = 0; i < s->n; i++) {
		const struct kernel_policy *p = &s->v[i].p;

		if (p->dir == dir && p->sel.src_plen == splen &&
		    p->sel.dst_plen == dplen && p->sel.family == a.family &&
		    !memcmp(p->sel.src.a.raw, a.a.raw, 16) &&
		    !memcmp(p->sel.dst.a.raw, d.a.raw, 16))
			return p;
	}
	return NULL;
}

/* The usual strongSwan LAN bypass: a connection of its own, no addresses,
 * no authentication, no secrets. Nothing to say about certificates. */
TEST(shunt_only_connection_needs_no_credentials)
{
	struct built b;
	const struct kernel_policy *p;

	build(&b, "connections {\n"
		  "  lan-bypass {\n"
		  "    children {\n"
		  "      lan {\n"
		  "        local_ts = 10.1.0.0/24\n"
		  "        remote_ts = 10.1.0.0/24\n"
		  "        mode = pass\n"
		  "        start_action = trap\n"
		  "      }\n"
		  "      no-leak {\n"
		  "        remote_ts = 0.0.0.0/0, ::/0\n"
		  "        mode = drop\n"
		  "        mark_out = 3\n"
		  "        start_action = trap\n"
		  "      }\n"
		  "    }\n"
		  "  }\n"
		  "}\n");
	for (size_t i = 0; i < b.diag.count; i++)
		test_note("%s", b.diag.msgs[i]);
	CHECK_EQ(b.diag.count, 0);
	CHECK_EQ(b.conns.warnings.count, 0); /* not even about MOBIKE */
	CHECK_EQ(b.conns.n, 0);		     /* nothing to negotiate */
	CHECK_EQ(conns_count(&b.conns), 1);
	/* pass: out, in, fwd; drop: the same for each family (a dynamic
	 * local_ts is every address of both) */
	REQUIRE_EQ(b.conns.shunts.n, 3 + 6);
	p = find(&b.conns.shunts, KERNEL_DIR_OUT, "10.1.0.0", 24, "10.1.0.0",
		 24);
	REQUIRE(p != NULL);
	CHECK_EQ(p->action, KERNEL_ACTION_ALLOW);
	CHECK_EQ(p->n_tmpl, 0);
	CHECK(find(&b.conns.shunts, KERNEL_DIR_IN, "10.1.0.0", 24, "10.1.0.0",
		   24));
	CHECK(find(&b.conns.shunts, KERNEL_DIR_FWD, "10.1.0.0", 24, "10.1.0.0",
		   24));
	p = find(&b.conns.shunts, KERNEL_DIR_OUT, "0.0.0.0", 0, "0.0.0.0", 0);
	REQUIRE(p != NULL);
	CHECK_EQ(p->action, KERNEL_ACTION_BLOCK);
	CHECK_EQ(p->mark.value, 3); /* mark_out on the out policy */
	p = find(&b.conns.shunts, KERNEL_DIR_IN, "::", 0, "::", 0);
	REQUIRE(p != NULL);
	CHECK_EQ(p->action, KERNEL_ACTION_BLOCK);
	CHECK_EQ(p->mark.mask, 0); /* no mark_in */
	built_free(&b);
}

/* Pass before IPsec before drop, whatever the selectors' sizes; within a
 * class the more specific first. */
TEST(shunt_priorities_pass_before_ipsec_before_drop)
{
	struct built b;
	struct engine_policy ep = { 0 };
	struct kernel_policy kp[1];
	uint32_t seq = 0;
	const struct kernel_policy *pass, *drop;

	build(&b, "connections { s { children {\n"
		  "  p { local_ts = 0.0.0.0/0\n remote_ts = 0.0.0.0/0\n"
		  "      mode = pass\n start_action = trap }\n"
		  "  d { local_ts = 10.1.0.1/32\n remote_ts = 10.2.0.1/32\n"
		  "      mode = drop\n start_action = trap }\n"
		  "} } }\n");
	pass = find(&b.conns.shunts, KERNEL_DIR_OUT, "0.0.0.0", 0, "0.0.0.0",
		    0);
	drop = find(&b.conns.shunts, KERNEL_DIR_OUT, "10.1.0.1", 32, "10.2.0.1",
		    32);
	REQUIRE(pass && drop);
	/* the engine's policy for a /32 <-> /32 tunnel */
	ep.src.type = ep.dst.type = TS_IPV4_ADDR_RANGE;
	ep.src.port_hi = ep.dst.port_hi = 65535;
	memcpy(ep.src.start, "\x0a\x01\x00\x01", 4);
	memcpy(ep.src.end, "\x0a\x01\x00\x01", 4);
	memcpy(ep.dst.start, "\x0a\x02\x00\x01", 4);
	memcpy(ep.dst.end, "\x0a\x02\x00\x01", 4);
	ep.dir = ENGINE_POL_OUT;
	ep.reqid = KERNEL_REQID_MIN + 1;
	REQUIRE_EQ(engine_policy_to_kernel(&ep, &seq, kp, 1), 1);
	test_note("pass %u, ipsec %u, drop %u", pass->priority, kp[0].priority,
		  drop->priority);
	CHECK_LT(pass->priority, kp[0].priority); /* lower matches first */
	CHECK_LT(kp[0].priority, drop->priority);
	/* within the IPsec class a /24 beats a /0 */
	memset(ep.dst.start, 0, 4);
	memset(ep.dst.end, 0xff, 4);
	REQUIRE_EQ(engine_policy_to_kernel(&ep, &seq, kp, 1), 1);
	CHECK_EQ(kp[0].priority,
		 kernel_policy_priority(KERNEL_PRIO_IPSEC, &kp[0].sel));
	CHECK_GT(kp[0].priority,
		 kernel_policy_priority(KERNEL_PRIO_IPSEC, &drop->sel));
	built_free(&b);
}

/* One connection with a tunnel and a LAN bypass: the engine sees the
 * tunnel alone, with its marks and interface IDs. */
TEST(shunt_beside_a_tunnel_in_one_connection)
{
	struct built b;
	const struct engine_child_cfg *ch;
	struct engine_mark m;
	uint32_t if_id;

	build(&b, "connections { vpn {\n"
		  "  remote_addrs = 192.0.2.2\n"
		  "  local { auth = psk }\n remote { auth = psk }\n"
		  "  if_id_in = 5\n if_id_out = 6\n"
		  "  children {\n"
		  "    lan { local_ts = 10.1.0.0/24\n remote_ts = 10.1.0.0/24\n"
		  "          mode = pass\n start_action = trap }\n"
		  "    net { local_ts = 10.1.0.0/24\n remote_ts = 0.0.0.0/0\n"
		  "          mark_in = 0x10/0xf0\n mark_out = 33 }\n"
		  "  } } }\n"
		  "secrets { ike { secret = abc } }\n");
	for (size_t i = 0; i < b.diag.count; i++)
		test_note("%s", b.diag.msgs[i]);
	REQUIRE_EQ(b.conns.n, 1);
	CHECK_EQ(conns_count(&b.conns), 1);
	CHECK_EQ(b.conns.shunts.n, 3);
	REQUIRE_EQ(b.conns.conn[0].n_children, 1);
	ch = &b.conns.conn[0].children[0];
	CHECK_STR(ch->name, "net");
	CHECK_EQ(ch->mark_in.value, 0x10);
	CHECK_EQ(ch->mark_in.mask, 0xf0);
	CHECK_EQ(ch->mark_out.value, 33);
	CHECK_EQ(ch->if_id_in, 5);
	CHECK_EQ(ch->if_id_out, 6);
	/* where strongSwan puts them: the inbound SA has no mark unless
	 * mark_in_sa, the in/fwd policies and the outbound side do */
	engine_child_marks(ch, true, true, &m, &if_id);
	CHECK_EQ(m.value | m.mask, 0);
	CHECK_EQ(if_id, 5);
	engine_child_marks(ch, true, false, &m, &if_id);
	CHECK_EQ(m.value, 0x10);
	engine_child_marks(ch, false, true, &m, &if_id);
	CHECK_EQ(m.value, 33);
	CHECK_EQ(if_id, 6);
	built_free(&b);
}

TEST(shunt_refusals_say_why_and_keep_the_others)
{
	struct built b;

	memset(&b, 0, sizeof(b));
	b.cfg = load_ok("connections {\n"
			"  a { children { s { mode = pass\n"
			"      start_action = start } } }\n"
			"  b { children { s { mode = drop\n"
			"      remote_ts = 10.0.0.0/8[tcp/1000-2000]\n"
			"      start_action = trap } } }\n"
			"  c { children { s { mode = pass } } }\n"
			"  d { children { s { mode = pass\n"
			"      local_ts = 10.0.0.0/8\n remote_ts = ::/0\n"
			"      start_action = trap } } }\n"
			"  ok { children { s { mode = drop\n"
			"      start_action = trap } } }\n"
			"}\n");
	REQUIRE_EQ(conns_build(b.cfg, NULL, &b.conns, &b.diag), 0);
	cu_show(&b.diag);
	CHECK(conf_diag_contains(&b.diag,
				 "conn a: child s: mode = pass is a shunt, "
				 "installed and never negotiated: "
				 "start_action = start does not apply (use "
				 "start_action = trap)"));
	CHECK(conf_diag_contains(&b.diag,
				 "conn b: child s: mode = drop: ports "
				 "1000-2000 are neither one port nor all of "
				 "them"));
	CHECK(conf_diag_contains(&b.diag,
				 "conn d: child s: mode = pass: no local and "
				 "remote selector of one address family"));
	CHECK(conf_diag_contains(&b.diag, F ":2: conn a:"));
	/* start_action = none: loaded, said, nothing installed */
	CHECK(conf_diag_contains(&b.conns.warnings,
				 "conn c: child s: mode = pass with "
				 "start_action = none is not installed"));
	CHECK_EQ(conns_count(&b.conns), 1); /* ok */
	CHECK_EQ(b.conns.shunts.n, 6);
	for (size_t i = 0; i < b.conns.shunts.n; i++)
		CHECK_STR(b.conns.shunts.v[i].conn, "ok");
	built_free(&b);
}

/* ---- the real XFRM deciding ------------------------------------------- */

/* Sends one datagram src -> dst:port and says whether it arrived on a
 * socket bound to dst (-errno of sendto if that failed). */
static int deliver(const char *src, const char *dst, uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct timeval tv = { 0, 300000 };
	char buf[16];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	REQUIRE(fd >= 0);
	REQUIRE(inet_pton(AF_INET, dst, &in.sin_addr) == 1);
	REQUIRE(bind(fd, (struct sockaddr *)&in, sizeof(in)) == 0);
	REQUIRE(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
	r = xt_send_udp(src, dst, port);
	if (r >= 0)
		r = recv(fd, buf, sizeof(buf), 0) > 0;
	close(fd);
	return r;
}

static bool is_acquire_of(const struct kernel_event *ev, void *arg)
{
	return ev->u.acquire.tmpl.reqid == *(uint32_t *)arg;
}

TEST(shunt_xfrm_pass_beats_a_default_route_tunnel_drop_catches_the_rest)
{
	const struct kernel_ops *ops = kernel_backend("xfrm");
	struct kernel *k = NULL;
	struct kernel_err err;
	struct kernel_event ev;
	struct built b;
	struct engine_policy ep = { 0 };
	struct kernel_policy trap[1];
	struct kernel_req req = { .type = KERNEL_REQ_POLICY_ADD };
	uint32_t seq = 1, reqid = KERNEL_REQID_MIN + 9;
	int r;

	static const char *const addrs[] = { "10.1.0.1/32", "10.1.5.9/32",
					     "10.7.0.1/32", "10.2.0.1/32" };

	xt_netns();
	for (unsigned i = 0; i < 4; i++)
		REQUIRE_EQ(xt_sh("ip addr add %s dev lo", addrs[i]), 0);
	r = ops->open(&k, true, &err);
	if (r == -EPROTONOSUPPORT)
		test_skip("no XFRM netlink in this kernel: %s", err.msg);
	REQUIRE_EQ(r, 0);
	/* the tunnel's trap: 10.1.0.0/16 -> 0.0.0.0/0 */
	ep.src.type = ep.dst.type = TS_IPV4_ADDR_RANGE;
	ep.src.port_hi = ep.dst.port_hi = 65535;
	memcpy(ep.src.start, "\x0a\x01\x00\x00", 4);
	memcpy(ep.src.end, "\x0a\x01\xff\xff", 4);
	memset(ep.dst.end, 0xff, 4);
	ep.dir = ENGINE_POL_OUT;
	ep.mode = ENGINE_MODE_TRANSPORT;
	ep.reqid = reqid;
	REQUIRE_EQ(engine_policy_to_kernel(&ep, &seq, trap, 1), 1);
	req.o.policy = trap;
	REQUIRE_EQ(ops->apply(k, &req, 1), 0);
	build(&b, "connections { s { children {\n"
		  "  lan { local_ts = 10.1.0.0/16\n remote_ts = 10.1.0.0/16\n"
		  "        mode = pass\n start_action = trap }\n"
		  "  rest { remote_ts = 0.0.0.0/0\n"
		  "         mode = drop\n start_action = trap }\n"
		  "} } }\n");
	CHECK_EQ(shunt_install(ops, k, &b.conns.shunts, &seq), 0);
	test_note("%s", xt_sh_out("ip xfrm policy"));
	/* pass wins over the /0 tunnel: delivered in clear */
	CHECK_EQ(deliver("10.1.0.1", "10.1.5.9", 4001), 1);
	/* the tunnel wins over the drop fallback: an ACQUIRE, no delivery */
	CHECK_NE(deliver("10.1.0.1", "10.7.0.1", 4002), 1);
	CHECK(xt_wait_event((struct xfrm *)k, KERNEL_EV_ACQUIRE, 3000,
			    is_acquire_of, &reqid, &ev));
	/* what no tunnel takes is dropped */
	CHECK_EQ(deliver("10.2.0.1", "10.7.0.1", 4003), -EPERM);
	/* without the shunts: the LAN goes to the tunnel, the rest in
	 * clear */
	shunt_remove(ops, k, &b.conns.shunts);
	CHECK_NE(deliver("10.1.0.1", "10.1.5.9", 4004), 1);
	CHECK_EQ(deliver("10.2.0.1", "10.7.0.1", 4005), 1);
	built_free(&b);
	ops->close(k);
}

struct count_ctx {
	unsigned pass, drop;
};

static int count_shunts(const struct kernel_policy *p, void *arg)
{
	struct count_ctx *c = arg;

	if (!p->n_tmpl && kernel_policy_index_is_ours(p->index))
		(*(p->action == KERNEL_ACTION_ALLOW ? &c->pass : &c->drop))++;
	return 0;
}

static struct count_ctx count(const struct kernel_ops *ops, struct kernel *k)
{
	struct count_ctx c = { 0 };
	struct kernel_err err;

	REQUIRE_EQ(ops->policy_list(k, count_shunts, &c, &err), 0);
	return c;
}

/* A reload installs the new set before removing what went, and leaves
 * the ones that stay. */
TEST(shunt_xfrm_replace_keeps_what_stays)
{
	const struct kernel_ops *ops = kernel_backend("xfrm");
	struct kernel *k = NULL;
	struct kernel_err err;
	struct built old, next;
	struct count_ctx c;
	uint32_t seq = 1;
	int r;

	xt_netns();
	r = ops->open(&k, false, &err);
	if (r == -EPROTONOSUPPORT)
		test_skip("no XFRM netlink in this kernel: %s", err.msg);
	REQUIRE_EQ(r, 0);
	build(&old, "connections { s { children {\n"
		    "  a { local_ts = 10.1.0.0/24\n remote_ts = 10.1.0.0/24\n"
		    "      mode = pass\n start_action = trap }\n"
		    "  b { local_ts = 10.3.0.0/24\n remote_ts = 10.4.0.0/24\n"
		    "      mode = drop\n start_action = trap }\n"
		    "} } }\n");
	build(&next, "connections { s { children {\n"
		     "  a { local_ts = 10.1.0.0/24\n remote_ts = 10.1.0.0/24\n"
		     "      mode = pass\n start_action = trap }\n"
		     "  c { local_ts = 10.5.0.0/24\n remote_ts = 10.6.0.0/24\n"
		     "      mode = pass\n mark_in = 4\n start_action = trap }\n"
		     "} } }\n");
	CHECK_EQ(shunt_install(ops, k, &old.conns.shunts, &seq), 0);
	c = count(ops, k);
	CHECK_EQ(c.pass, 3);
	CHECK_EQ(c.drop, 3);
	shunt_replace(ops, k, &old.conns.shunts, &next.conns.shunts, &seq);
	c = count(ops, k);
	CHECK_EQ(c.pass, 6);
	CHECK_EQ(c.drop, 0);
	CHECK(strstr(xt_sh_out("ip xfrm policy"), "mark 0x4/0xffffffff"));
	shunt_remove(ops, k, &next.conns.shunts);
	c = count(ops, k);
	CHECK_EQ(c.pass + c.drop, 0);
	built_free(&old);
	built_free(&next);
	ops->close(k);
}

/* ---- keybridged ---------------------------------------------------------- */

static const char daemon_conf[] =
	"connections {\n"
	"  lan { children { lan {\n"
	"    local_ts = 10.1.0.0/24\n remote_ts = %s\n"
	"    mode = pass\n start_action = trap } } }\n"
	"  vpn {\n"
	"    local_addrs = 192.0.2.1\n remote_addrs = 192.0.2.2\n"
	"    local { auth = psk }\n remote { auth = psk }\n"
	"    if_id_in = 0x2a\n if_id_out = 43\n"
	"    children { net {\n"
	"      local_ts = 10.1.0.0/24\n remote_ts = 0.0.0.0/0\n"
	"      mark_out = 7/0xff\n start_action = trap } } }\n"
	"}\n"
	"secrets { ike { secret = abc } }\n";

/* keybridged installs shunts at load, with the trap of a marked tunnel on
 * an interface ID, replaces them at a reload and removes them at stop. */
TEST(shunt_keybridged_installs_replaces_and_removes)
{
	struct du_peer a, b;
	char conf[2048];
	const char *pol;

	du_link(&a, &b, false);
	snprintf(conf, sizeof(conf), daemon_conf, "10.1.0.0/24");
	du_write_conf(&a, conf);
	du_start(&a, NULL);
	REQUIRE(du_log_wait(&a, "ready", 5000));
	CHECK(du_log_has(&a, "lan: child lan: pass shunt installed (3 kernel "
			     "policies)"));
	CHECK(du_log_has(&a, "loaded 2 of 2 connections"));
	pol = xt_sh_out("ip -n %s xfrm policy", a.ns);
	test_note("%s", pol);
	CHECK(strstr(pol, "src 10.1.0.0/24 dst 10.1.0.0/24 \n\tdir out "
			  "priority 87712"));
	CHECK(strstr(pol, "src 10.1.0.0/24 dst 10.1.0.0/24 \n\tdir fwd "
			  "priority 87712"));
	/* the trap carries mark_out and if_id_out */
	CHECK(strstr(pol, "src 10.1.0.0/24 dst 0.0.0.0/0 \n\tdir out "
			  "priority 193856"));
	CHECK(strstr(pol, "mark 0x7/0xff"));
	CHECK(strstr(pol, "if_id 0x2b"));
	/* strongSwan's swanctl lists the shunt beside the trap */
	if (system("command -v swanctl >/dev/null") == 0) {
		static char out[8192];
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
			 "swanctl --list-pols --uri unix://%s/keybridge.vici "
			 "2>&1",
			 a.dir);
		CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
		test_note("%s", out);
		CHECK(strstr(out, "lan/lan, PASS\n"
				  "  local:  10.1.0.0/24\n"
				  "  remote: 10.1.0.0/24\n"));
		CHECK(strstr(out, "vpn/net, TUNNEL"));
	} else {
		test_note("swanctl is not installed: list-pols not checked");
	}
	/* reload: the LAN grows; the old pass goes, the new one comes */
	snprintf(conf, sizeof(conf), daemon_conf, "10.1.0.0/16");
	du_write_conf(&a, conf);
	REQUIRE(kill(a.pid, SIGHUP) == 0);
	CHECK(du_log_wait(&a, "reloaded:", 5000));
	CHECK(du_log_has(&a, "removing 3 shunt policies the configuration "
			     "no longer has"));
	pol = xt_sh_out("ip -n %s xfrm policy", a.ns);
	CHECK(!strstr(pol, "dst 10.1.0.0/24 \n\tdir out priority 87712"));
	CHECK(strstr(pol, "src 10.1.0.0/24 dst 10.1.0.0/16 \n\tdir out"));
	CHECK(strstr(pol, "src 10.1.0.0/16 dst 10.1.0.0/24 \n\tdir in"));
	CHECK_EQ(du_stop(&a, SIGTERM, 10000), 0);
	pol = xt_sh_out("ip -n %s xfrm policy | grep -c 'dir ' || true", a.ns);
	CHECK_STR(pol, "0\n");
}

/* PF_KEY cannot carry marks: refused at file:line, naming the key; its
 * shunts are fine. */
TEST(shunt_pfkey_refuses_marks_by_key)
{
	char path[64], cmd[512], out[4096], want[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/kbshunt-%d.conf", (int)getpid());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("connections {\n"					   /* 1 */
	      "  lan { children { lan {\n"			   /* 2 */
	      "    local_ts = 10.1.0.0/24\n"			   /* 3 */
	      "    remote_ts = 10.1.0.0/24\n"			   /* 4 */
	      "    mode = pass\n start_action = trap } } }\n"	   /* 5, 6 */
	      "  vpn {\n"					   /* 7 */
	      "    remote_addrs = 192.0.2.2\n"			   /* 8 */
	      "    local { auth = psk }\n remote { auth = psk }\n" /* 9, 10 */
	      "    children { net {\n"				   /* 11 */
	      "      remote_ts = 0.0.0.0/0\n"			   /* 12 */
	      "      mark_out = 7 } } }\n"			   /* 13 */
	      "}\n"
	      "secrets { ike { secret = abc } }\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%s --kernel pfkey --check-config -c %s 2>&1",
		 test_build_path("bin/keybridged"), path);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 1);
	test_note("%s", out);
	snprintf(want, sizeof(want),
		 "%s:13: connections.vpn.children.net.mark_out: the pfkey "
		 "backend cannot put marks or XFRM interface IDs on SAs and "
		 "policies (use --kernel xfrm)",
		 path);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, ": 1 connection, 1 secret: errors") != NULL);
	snprintf(cmd, sizeof(cmd), "%s --check-config -c %s 2>&1",
		 test_build_path("bin/keybridged"), path);
	CHECK_EQ(test_run_capture(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, ": 2 connections, 1 secret: OK") != NULL);
	unlink(path);
}
