/* Tests for the swanctl.conf value syntax (daemon/config/conf_value.c):
 * each type with good and bad inputs. */
#include "config/conf_value.h"
#include "ike_iana.h"
#include "tests/test.h"

#include <errno.h>
#include <sys/socket.h>

TEST(conf_value_bool_words)
{
	static const char *yes[] = { "yes", "true", "enabled", "1", "YES" };
	static const char *no[] = { "no", "false", "disabled", "0" };
	static const char *bad[] = { "", "y", "2", "yes ", "on", "nope" };
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		b = false;
		CHECK_EQ(conf_value_bool(yes[i], &b), 0);
		CHECK(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
		b = true;
		CHECK_EQ(conf_value_bool(no[i], &b), 0);
		CHECK(!b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK_EQ(conf_value_bool(bad[i], &b), -EINVAL);
}

TEST(conf_value_uint_bounds)
{
	uint64_t v;

	CHECK_EQ(conf_value_uint("0", 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(conf_value_uint("65535", 65535, &v), 0);
	CHECK_EQ(v, 65535);
	CHECK_EQ(conf_value_uint("65536", 65535, &v), -ERANGE);
	CHECK_EQ(conf_value_uint("18446744073709551616", UINT64_MAX, &v),
		 -ERANGE);
	CHECK_EQ(conf_value_uint("-1", 10, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("+1", 10, &v), -EINVAL);
	CHECK_EQ(conf_value_uint(" 1", 10, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("1x", 10, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("", 10, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("0x10", 100, &v), 0);
	CHECK_EQ(v, 16);
	CHECK_EQ(conf_value_uint("0XfF", 255, &v), 0);
	CHECK_EQ(v, 255);
	CHECK_EQ(conf_value_uint("0x100", 255, &v), -ERANGE);
	CHECK_EQ(conf_value_uint("0x", 255, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("0xg", 255, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("0x1g", 255, &v), -EINVAL);
	CHECK_EQ(conf_value_uint("0x10000000000000000", UINT64_MAX, &v),
		 -ERANGE);
	CHECK_EQ(conf_value_uint("010", 100, &v), 0); /* decimal, not octal */
	CHECK_EQ(v, 10);
}

TEST(conf_value_duration_units)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },	 { "90", 90 },
		{ "30s", 30 },	 { "5m", 300 },
		{ "1h", 3600 },	 { "2d", 172800 },
		{ "4H", 14400 }, { "10 m", 600 },
		{ "0s", 0 },	 { "1000000d", 86400000000ULL },
	};
	static const char *bad[] = { "",    "s",  "1w",	 "1.5h", "-1s",
				     "1hh", "h1", "1s ", "1  s" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		CHECK_EQ(conf_value_duration(good[i].s, &v), 0);
		CHECK_EQ(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK_EQ(conf_value_duration(bad[i], &v), -EINVAL);
	CHECK_EQ(conf_value_duration("999999999999999999d", &v), -ERANGE);
}

TEST(conf_value_volume_binary_units)
{
	uint64_t v;

	CHECK_EQ(conf_value_volume("1000", &v), 0);
	CHECK_EQ(v, 1000);
	CHECK_EQ(conf_value_volume("64k", &v), 0);
	CHECK_EQ(v, 65536);
	CHECK_EQ(conf_value_volume("512M", &v), 0);
	CHECK_EQ(v, 512ULL << 20);
	CHECK_EQ(conf_value_volume("1G", &v), 0);
	CHECK_EQ(v, 1ULL << 30);
	CHECK_EQ(conf_value_volume("2 g", &v), 0);
	CHECK_EQ(v, 2ULL << 30);
	CHECK_EQ(conf_value_volume("1T", &v), -EINVAL);
	CHECK_EQ(conf_value_volume("1.5G", &v), -EINVAL);
	CHECK_EQ(conf_value_volume("M", &v), -EINVAL);
	CHECK_EQ(conf_value_volume("-5", &v), -EINVAL);
	CHECK_EQ(conf_value_volume("17179869184G", &v), -ERANGE);
}

TEST(conf_value_addresses)
{
	struct kb_addr a;

	CHECK_EQ(conf_value_addr("%any", &a), 0);
	CHECK_EQ(a.type, KB_ADDR_ANY);
	CHECK_EQ(a.family, AF_UNSPEC);
	CHECK_EQ(conf_value_addr("%any6", &a), 0);
	CHECK_EQ(a.family, AF_INET6);
	CHECK_EQ(conf_value_addr("%any4", &a), 0);
	CHECK_EQ(a.family, AF_INET);

	CHECK_EQ(conf_value_addr("192.0.2.1", &a), 0);
	CHECK_EQ(a.type, KB_ADDR_HOST);
	CHECK_MEM(a.from, "\xc0\x00\x02\x01", 4);

	CHECK_EQ(conf_value_addr("2001:db8::1", &a), 0);
	CHECK_EQ(a.type, KB_ADDR_HOST);
	CHECK_EQ(a.family, AF_INET6);
	CHECK_EQ(a.from[15], 1);

	CHECK_EQ(conf_value_addr("10.1.2.3/16", &a), 0); /* host bits dropped */
	CHECK_EQ(a.type, KB_ADDR_SUBNET);
	CHECK_EQ(a.prefix_len, 16);
	CHECK_MEM(a.from, "\x0a\x01\x00\x00", 4);
	CHECK_MEM(a.to, "\x0a\x01\xff\xff", 4);
	CHECK_EQ(conf_value_addr("2001:db8::/33", &a), 0);
	CHECK_EQ(a.from[4], 0x00);
	CHECK_EQ(a.to[4], 0x7f);
	CHECK_EQ(a.to[5], 0xff);

	CHECK_EQ(conf_value_addr("10.0.0.1-10.0.0.9", &a), 0);
	CHECK_EQ(a.type, KB_ADDR_RANGE);
	CHECK_EQ(a.to[3], 9);
	CHECK_EQ(conf_value_addr("fec0::1-fec0::9", &a), 0);
	CHECK_EQ(a.type, KB_ADDR_RANGE);

	CHECK_EQ(conf_value_addr("vpn-gw.example.org", &a), 0);
	CHECK_EQ(a.type, KB_ADDR_FQDN);
	CHECK_STR(a.fqdn, "vpn-gw.example.org");
	CHECK_EQ(conf_value_addr("moon", &a), 0);

	static const char *bad[] = {
		"10.0.0.300",
		"10.0.0.0/33",
		"::/129",
		"10.0.0.9-10.0.0.1",
		"10.0.0.1-fec0::1",
		"bad_name.org",
		"-lead.org",
		"trail-.org",
		"a..b",
		"10.0.0.0/",
		"/8",
		"%anyx",
		"1.2.3.4/8/8",
		"fec0::1-",
		"",
		"300",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (conf_value_addr(bad[i], &a) == 0)
			test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
}

TEST(conf_value_traffic_selectors)
{
	struct kb_ts ts;

	CHECK_EQ(conf_value_ts("dynamic", &ts), 0);
	CHECK(ts.dynamic);
	CHECK_EQ(ts.proto, 0);
	CHECK_EQ(ts.port_from, 0);
	CHECK_EQ(ts.port_to, 65535);

	CHECK_EQ(conf_value_ts("10.0.0.0/24[tcp/80]", &ts), 0);
	CHECK(!ts.dynamic);
	CHECK_EQ(ts.family, AF_INET);
	CHECK_MEM(ts.from, "\x0a\x00\x00\x00", 4);
	CHECK_MEM(ts.to, "\x0a\x00\x00\xff", 4);
	CHECK_EQ(ts.proto, 6);
	CHECK_EQ(ts.port_from, 80);
	CHECK_EQ(ts.port_to, 80);

	CHECK_EQ(conf_value_ts("0.0.0.0/0[udp/1024-2048]", &ts), 0);
	CHECK_EQ(ts.proto, 17);
	CHECK_EQ(ts.port_from, 1024);
	CHECK_EQ(ts.port_to, 2048);

	CHECK_EQ(conf_value_ts("dynamic[udp/l2tp]", &ts), 0);
	CHECK(ts.dynamic);
	CHECK_EQ(ts.port_from, 1701);

	CHECK_EQ(conf_value_ts("fec1::/16[ipv6-icmp]", &ts), 0);
	CHECK_EQ(ts.proto, 58);
	CHECK_EQ(ts.family, AF_INET6);

	CHECK_EQ(conf_value_ts("10.0.0.1[47]", &ts), 0);
	CHECK_EQ(ts.proto, 47);
	CHECK_MEM(ts.to, "\x0a\x00\x00\x01", 4);

	CHECK_EQ(conf_value_ts("10.0.0.1-10.0.0.5[tcp/opaque]", &ts), 0);
	CHECK_EQ(ts.port_from, 65535); /* RFC 7296 §3.13.1 OPAQUE */
	CHECK_EQ(ts.port_to, 0);

	CHECK_EQ(conf_value_ts("10.0.0.0/8[%any/https]", &ts), 0);
	CHECK_EQ(ts.proto, 0);
	CHECK_EQ(ts.port_from, 443);

	static const char *bad[] = {
		"10.0.0.0/24[tcp/80",
		"10.0.0.0/24[tcp/65536]",
		"10.0.0.0/24[nope]",
		"10.0.0.0/24[256]",
		"10.0.0.0/24[tcp/9-1]",
		"example.org",
		"%any",
		"10.0.0.0/24 [tcp]",
		"",
		"dynamic[tcp/x]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (conf_value_ts(bad[i], &ts) == 0)
			test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
}

TEST(conf_value_identity_types)
{
	static const struct {
		const char *s;
		uint8_t type;
	} t[] = {
		{ "%any", 0 },
		{ "192.0.2.1", ID_IPV4_ADDR },
		{ "2001:db8::1", ID_IPV6_ADDR },
		{ "moon.strongswan.org", ID_FQDN },
		{ "@moon", ID_FQDN },
		{ "@#0123abcd", ID_KEY_ID },
		{ "carol@strongswan.org", ID_RFC822_ADDR },
		{ "C=CH, O=strongSwan, CN=moon", ID_DER_ASN1_DN },
		{ "fqdn:10.0.0.1", ID_FQDN },
		{ "email:x", ID_RFC822_ADDR },
		{ "keyid:#00ff", ID_KEY_ID },
		{ "ipv4:#0a000001", ID_IPV4_ADDR },
		{ "asn1dn:#3000", ID_DER_ASN1_DN },
	};
	uint8_t type;

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		type = 0xff;
		CHECK_EQ(conf_value_id_type(t[i].s, &type), 0);
		if (type != t[i].type)
			test_fail(__FILE__, __LINE__, "'%s': type %u, not %u",
				  t[i].s, type, t[i].type);
	}
	CHECK_EQ(conf_value_id_type("", &type), -EINVAL);
	CHECK_EQ(conf_value_id_type("fqdn:", &type), -EINVAL);
}

TEST(conf_value_secret_encodings)
{
	uint8_t out[KB_CONF_SECRET_MAX];
	size_t len = 0;

	CHECK_EQ(conf_value_secret("This is a strong secret", out, sizeof(out),
				   &len),
		 0);
	CHECK_EQ(len, 23);
	CHECK_MEM(out, "This is a strong secret", 23);

	CHECK_EQ(conf_value_secret("0x0123ABcd", out, sizeof(out), &len), 0);
	CHECK_EQ(len, 4);
	CHECK_MEM(out, "\x01\x23\xab\xcd", 4);

	CHECK_EQ(conf_value_secret("0sc2VjcmV0", out, sizeof(out), &len), 0);
	CHECK_EQ(len, 6);
	CHECK_MEM(out, "secret", 6);
	CHECK_EQ(conf_value_secret("0sc2VjcmV0MQ==", out, sizeof(out), &len),
		 0);
	CHECK_EQ(len, 7);
	CHECK_MEM(out, "secret1", 7);

	CHECK_EQ(conf_value_secret("0x123", out, sizeof(out), &len), -EINVAL);
	CHECK_EQ(conf_value_secret("0xzz", out, sizeof(out), &len), -EINVAL);
	CHECK_EQ(conf_value_secret("0x", out, sizeof(out), &len), -EINVAL);
	CHECK_EQ(conf_value_secret("0s!!!!", out, sizeof(out), &len), -EINVAL);
	CHECK_EQ(conf_value_secret("0sabc", out, sizeof(out), &len), -EINVAL);
	CHECK_EQ(conf_value_secret("", out, sizeof(out), &len), -EINVAL);
	CHECK_EQ(conf_value_secret("0x0102", out, 1, &len), -E2BIG);
	CHECK_EQ(conf_value_secret("toolong", out, 3, &len), -E2BIG);
}

TEST(conf_value_list_items)
{
	const char *pos = " a , b,c  ,d d";
	char item[8];

	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 1);
	CHECK_STR(item, "a");
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 1);
	CHECK_STR(item, "b");
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 1);
	CHECK_STR(item, "c");
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 1);
	CHECK_STR(item, "d d");
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 0);

	pos = "a,,b";
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 1);
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), -EINVAL);
	pos = "a,";
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), 1);
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), -EINVAL);
	pos = "abcdefghij";
	CHECK_EQ(conf_value_item(&pos, item, sizeof(item)), -E2BIG);
}
