/* Tests of the vici codec (control/vici.c): the encoding example of
 * strongSwan's vici protocol description byte for byte, packets, lookups,
 * and every structural error the decoder must refuse. */
#include "control/vici.h"
#include "tests/test.h"

#include <errno.h>

/* The tree   key1 = value1
 *            section1 = { sub-section = { key2 = value2 }
 *                         list1 = [ item1, item2 ] }
 * as the protocol description encodes it. */
static const char example_hex[] =
	"03 04 6b657931 0006 76616c756531 # key1 = value1\n"
	"01 08 73656374696f6e31		  # section1 {\n"
	"01 0b 7375622d73656374696f6e	  # sub-section {\n"
	"03 04 6b657932 0006 76616c756532 # key2 = value2\n"
	"02				  # } sub-section\n"
	"04 05 6c69737431		  # list1 [\n"
	"05 0005 6974656d31		  # item1\n"
	"05 0005 6974656d32		  # item2\n"
	"06				  # ] list1\n"
	"02				  # } section1\n";

static void build_example(struct wr *w)
{
	vici_kv(w, "key1", "value1");
	vici_section(w, "section1");
	vici_section(w, "sub-section");
	vici_kv(w, "key2", "value2");
	vici_section_end(w);
	vici_list(w, "list1");
	vici_item(w, "item1");
	vici_item(w, "item2");
	vici_list_end(w);
	vici_section_end(w);
}

TEST(vici_encodes_the_protocol_example)
{
	uint8_t want[256], buf[256];
	long n = test_unhex(example_hex, want, sizeof(want));
	struct wr w = wr_init(buf, sizeof(buf));

	REQUIRE_GE(n, 1);
	build_example(&w);
	REQUIRE(wr_ok(&w));
	CHECK_EQ(wr_len(&w), n);
	CHECK_MEM(buf, want, (size_t)n);
	CHECK_EQ(vici_msg_check(buf, wr_len(&w)), 0);
}

TEST(vici_walks_the_protocol_example)
{
	static const struct {
		uint8_t type, depth;
		const char *name, *value;
	} want[] = {
		{ VICI_KEY_VALUE, 0, "key1", "value1" },
		{ VICI_SECTION_START, 0, "section1", NULL },
		{ VICI_SECTION_START, 1, "sub-section", NULL },
		{ VICI_KEY_VALUE, 2, "key2", "value2" },
		{ VICI_SECTION_END, 1, NULL, NULL },
		{ VICI_LIST_START, 1, "list1", NULL },
		{ VICI_LIST_ITEM, 1, NULL, "item1" },
		{ VICI_LIST_ITEM, 1, NULL, "item2" },
		{ VICI_LIST_END, 1, NULL, NULL },
		{ VICI_SECTION_END, 0, NULL, NULL },
	};
	uint8_t msg[256];
	long n = test_unhex(example_hex, msg, sizeof(msg));
	struct vici_iter it;
	struct vici_elem e;
	size_t i = 0;
	int r;

	vici_iter_init(&it, msg, (size_t)n);
	while ((r = vici_iter_next(&it, &e)) > 0) {
		REQUIRE(i < sizeof(want) / sizeof(want[0]));
		CHECK_EQ(e.type, want[i].type);
		CHECK_EQ(e.depth, want[i].depth);
		if (want[i].name)
			CHECK(vici_name_is(&e, want[i].name));
		if (want[i].value) {
			CHECK_EQ(e.value_len, strlen(want[i].value));
			CHECK(memcmp(e.value, want[i].value, e.value_len) == 0);
		}
		i++;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(i, sizeof(want) / sizeof(want[0]));
}

TEST(vici_find_str_follows_section_paths)
{
	uint8_t msg[256];
	long n = test_unhex(example_hex, msg, sizeof(msg));
	char out[16];

	CHECK_EQ(vici_find_str(msg, (size_t)n, "key1", out, sizeof(out)), 0);
	CHECK_STR(out, "value1");
	CHECK_EQ(vici_find_str(msg, (size_t)n, "section1.sub-section.key2", out,
			       sizeof(out)),
		 0);
	CHECK_STR(out, "value2");
	/* key2 is not at the root, nor directly in section1 */
	CHECK_EQ(vici_find_str(msg, (size_t)n, "key2", out, sizeof(out)),
		 -ENOENT);
	CHECK_EQ(vici_find_str(msg, (size_t)n, "section1.key2", out,
			       sizeof(out)),
		 -ENOENT);
	CHECK_EQ(vici_find_str(msg, (size_t)n, "nope", out, sizeof(out)),
		 -ENOENT);
	CHECK_EQ(vici_find_str(msg, (size_t)n, "key1", out, 6), -ENOSPC);
}

/* A key after a closed section is found at its own depth, not inside. */
TEST(vici_find_str_leaves_closed_sections)
{
	uint8_t buf[256];
	struct wr w = wr_init(buf, sizeof(buf));
	char out[16];

	vici_section(&w, "a");
	vici_kv(&w, "x", "inner");
	vici_section_end(&w);
	vici_kv(&w, "x", "outer");
	vici_section(&w, "b");
	vici_section(&w, "a");
	vici_kv(&w, "x", "deep");
	vici_section_end(&w);
	vici_section_end(&w);
	REQUIRE(wr_ok(&w));
	CHECK_EQ(vici_find_str(buf, wr_len(&w), "x", out, sizeof(out)), 0);
	CHECK_STR(out, "outer");
	CHECK_EQ(vici_find_str(buf, wr_len(&w), "a.x", out, sizeof(out)), 0);
	CHECK_STR(out, "inner");
	CHECK_EQ(vici_find_str(buf, wr_len(&w), "b.a.x", out, sizeof(out)), 0);
	CHECK_STR(out, "deep");
}

TEST(vici_packet_round_trip)
{
	uint8_t buf[256];
	struct wr w = wr_init(buf, sizeof(buf));
	struct vici_packet p;
	size_t at = vici_begin(&w, VICI_CMD_REQUEST, "list-sas");

	vici_kv(&w, "noblock", "yes");
	REQUIRE(vici_end(&w, at));
	/* 32-bit length, type 0, name "list-sas", then the message */
	CHECK_EQ(buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3],
		 wr_len(&w) - 4);
	CHECK_EQ(buf[4], VICI_CMD_REQUEST);
	CHECK_EQ(buf[5], 8);
	REQUIRE_EQ(vici_packet_decode(buf + 4, wr_len(&w) - 4, &p), 0);
	CHECK_EQ(p.type, VICI_CMD_REQUEST);
	CHECK_EQ(p.name_len, 8);
	CHECK(memcmp(p.name, "list-sas", 8) == 0);
	CHECK_EQ(p.msg_len, 1 + 1 + 7 + 2 + 3);

	/* Unnamed types carry no name: CMD_RESPONSE starts its message at
	 * once; an empty EVENT_CONFIRM is one byte. */
	w = wr_init(buf, sizeof(buf));
	at = vici_begin(&w, VICI_EVENT_CONFIRM, NULL);
	REQUIRE(vici_end(&w, at));
	CHECK_EQ(wr_len(&w), 5);
	REQUIRE_EQ(vici_packet_decode(buf + 4, 1, &p), 0);
	CHECK(p.name == NULL);
	CHECK_EQ(p.msg_len, 0);
}

/* Every malformed packet or message is refused, none is read past. */
TEST(vici_decoder_refuses_malformed_input)
{
	static const char *const bad[] = {
		"",			   /* no type */
		"08",			   /* packet type 8 is not defined */
		"00",			   /* named type without a name */
		"00 05 6c6973",		   /* name cut short */
		"01 00",		   /* element type 0 */
		"01 07",		   /* element type 7 */
		"01 03 04 6b",		   /* key name cut short */
		"01 03 01 6b 00",	   /* value length cut short */
		"01 03 01 6b 0005 6162",   /* value cut short */
		"01 01 01 73",		   /* section never closed */
		"01 02",		   /* SECTION_END at the root */
		"01 04 01 6c",		   /* list never closed */
		"01 04 01 6c 04 01 6d 06", /* list in a list */
		"01 04 01 6c 03 01 6b 0000 06", /* key in a list */
		"01 04 01 6c 01 01 73 02 06",	/* section in a list */
		"01 05 0000",			/* item outside a list */
		"01 06",			/* LIST_END outside a list */
	};
	uint8_t buf[64];
	struct vici_packet p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long n = test_unhex(bad[i], buf, sizeof(buf));

		REQUIRE_GE(n, 0);
		if (vici_packet_decode(buf, (size_t)n, &p) != -EBADMSG)
			test_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
	}
}

TEST(vici_decoder_limits_nesting_depth)
{
	uint8_t buf[512];
	struct wr w = wr_init(buf, sizeof(buf));

	for (int i = 0; i < VICI_DEPTH_MAX; i++)
		vici_section(&w, "s");
	for (int i = 0; i < VICI_DEPTH_MAX; i++)
		vici_section_end(&w);
	REQUIRE(wr_ok(&w));
	CHECK_EQ(vici_msg_check(buf, wr_len(&w)), 0);
	w = wr_init(buf, sizeof(buf));
	for (int i = 0; i <= VICI_DEPTH_MAX; i++)
		vici_section(&w, "s");
	for (int i = 0; i <= VICI_DEPTH_MAX; i++)
		vici_section_end(&w);
	REQUIRE(wr_ok(&w));
	CHECK_EQ(vici_msg_check(buf, wr_len(&w)), -EBADMSG);
}

TEST(vici_writer_refuses_what_the_format_cannot_carry)
{
	static char big[VICI_VALUE_MAX + 2];
	static uint8_t buf[2 * VICI_VALUE_MAX];
	char name[VICI_NAME_MAX + 2];
	struct wr w = wr_init(buf, sizeof(buf));

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	CHECK(!vici_section(&w, name));
	CHECK(!wr_ok(&w));
	w = wr_init(buf, sizeof(buf));
	memset(big, 'v', sizeof(big) - 1);
	CHECK(!vici_kv(&w, "k", big));
	CHECK(!wr_ok(&w));
	big[VICI_VALUE_MAX] = 0; /* exactly the largest value fits */
	w = wr_init(buf, sizeof(buf));
	CHECK(vici_kv(&w, "k", big));
	CHECK(wr_ok(&w));
	/* too little room fails the writer instead of truncating */
	w = wr_init(buf, 8);
	CHECK(!vici_kv(&w, "key", "value"));
	CHECK(!wr_ok(&w));
}
