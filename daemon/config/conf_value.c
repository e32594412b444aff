/* Value syntax of swanctl.conf (see conf_value.h). */
#include "config/conf_value.h"
#include "ike_iana.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct name_num {
	const char *name;
	unsigned num;
};

static int lookup(const struct name_num *t, size_t n, const char *s,
		  unsigned *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(t[i].name, s) == 0) {
			*out = t[i].num;
			return 0;
		}
	}
	return -EINVAL;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int conf_value_bool(const char *s, bool *out)
{
	static const struct name_num t[] = {
		{ "yes", 1 }, { "true", 1 },  { "enabled", 1 },	 { "1", 1 },
		{ "no", 0 },  { "false", 0 }, { "disabled", 0 }, { "0", 0 },
	};
	unsigned v;

	if (lookup(t, COUNT(t), s, &v) < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Leading decimal digits of s into *out; returns chars used or -errno. */
static int digits(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (; isdigit((unsigned char)s[n]); n++) {
		unsigned d = (unsigned)(s[n] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return n;
}

static int hexval(char c);

/* Leading hex digits of s (after "0x") into *out. */
static int hex_digits(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (; hexval(s[n]) >= 0; n++) {
		if (v >> 60)
			return -ERANGE;
		v = v << 4 | (uint64_t)hexval(s[n]);
	}
	if (n == 0)
		return -EINVAL;
	*out = v;
	return n;
}

int conf_value_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	bool hex = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'));
	int n = hex ? hex_digits(s + 2, &v) : digits(s, &v);

	if (n < 0)
		return n;
	if (s[n + (hex ? 2 : 0)])
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* number, optional blank, optional one-letter unit from `units` whose
 * multipliers are in `mult`. */
static int with_unit(const char *s, const char *units, const uint64_t *mult,
		     uint64_t *out)
{
	uint64_t v, m = 1;
	const char *u;
	int n = digits(s, &v);

	if (n < 0)
		return n;
	s += n;
	if (*s == ' ')
		s++;
	if (*s) {
		u = strchr(units, tolower((unsigned char)*s));
		if (!u || s[1])
			return -EINVAL;
		m = mult[u - units];
	}
	if (v > UINT64_MAX / m)
		return -ERANGE;
	*out = v * m;
	return 0;
}

int conf_value_duration(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };

	return with_unit(s, "smhd", mult, out);
}

int conf_value_volume(const char *s, uint64_t *out)
{
	static const uint64_t mult[] = { 1024, 1024 * 1024,
					 1024 * 1024 * 1024 };

	return with_unit(s, "kmg", mult, out);
}

int conf_value_ip(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* "a/len": network in from (host bits cleared), last address in to. */
static int parse_cidr(const char *s, uint8_t *family, uint8_t from[16],
		      uint8_t to[16], uint8_t *prefix)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	uint64_t len;
	int bits;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (conf_value_ip(ip, family, from) < 0)
		return -EINVAL;
	bits = addr_len(*family) * 8;
	if (conf_value_uint(slash + 1, (uint64_t)bits, &len) < 0)
		return -EINVAL;
	for (int i = 0; i < addr_len(*family); i++) {
		int keep = (int)len - i * 8;
		uint8_t mask = keep >= 8   ? 0xff
			       : keep <= 0 ? 0
					   : (uint8_t)(0xff << (8 - keep));

		from[i] &= mask;
		to[i] = from[i] | (uint8_t)~mask;
	}
	*prefix = (uint8_t)len;
	return 0;
}

/* "a-b" with a <= b of one family. */
static int parse_range(const char *s, uint8_t *family, uint8_t from[16],
		       uint8_t to[16])
{
	char a[64];
	const char *dash = strchr(s, '-');
	uint8_t fb;

	if (!dash || (size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (conf_value_ip(a, family, from) < 0 ||
	    conf_value_ip(dash + 1, &fb, to) < 0 || fb != *family)
		return -EINVAL;
	if (memcmp(from, to, (size_t)addr_len(*family)) > 0)
		return -ERANGE;
	return 0;
}

/* RFC 1123 host name: LDH labels of 1..63, at most 253 characters, and a
 * last label that is not all digits (so "10.0.0.300" is no name). */
static bool is_fqdn(const char *s)
{
	size_t len = strlen(s), label = 0;
	bool digits_only = true;

	if (len == 0 || len >= KB_CONF_FQDN_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 && !(c == '\0' && i == len && i > 0 &&
					    s[i - 1] == '.'))
				return false;
			if (s[i - 1] == '-')
				return false;
			if (c == '\0')
				break;
			label = 0;
			digits_only = true;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		if (!isdigit((unsigned char)c))
			digits_only = false;
		if (++label > 63)
			return false;
	}
	return !digits_only;
}

int conf_value_addr(const char *s, struct kb_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(s, "%any") == 0 || strcmp(s, "%any4") == 0 ||
	    strcmp(s, "%any6") == 0) {
		out->type = KB_ADDR_ANY;
		out->family = s[4] == '4'   ? AF_INET
			      : s[4] == '6' ? AF_INET6
					    : AF_UNSPEC;
		return 0;
	}
	if (strchr(s, '/')) {
		out->type = KB_ADDR_SUBNET;
		return parse_cidr(s, &out->family, out->from, out->to,
				  &out->prefix_len);
	}
	if (conf_value_ip(s, &out->family, out->from) == 0) {
		out->type = KB_ADDR_HOST;
		memcpy(out->to, out->from, 16);
		return 0;
	}
	if (strchr(s, '-') &&
	    parse_range(s, &out->family, out->from, out->to) == 0) {
		out->type = KB_ADDR_RANGE;
		return 0;
	}
	if (strchr(s, '-') && strchr(s, ':'))
		return -EINVAL; /* an IPv6 range gone wrong, not a name */
	if (!is_fqdn(s))
		return -EINVAL;
	out->type = KB_ADDR_FQDN;
	out->family = AF_UNSPEC;
	snprintf(out->fqdn, sizeof(out->fqdn), "%s", s);
	return 0;
}

static const struct name_num ip_protos[] = {
	{ "icmp", 1 },	     { "tcp", 6 },     { "udp", 17 },
	{ "gre", 47 },	     { "esp", 50 },    { "ah", 51 },
	{ "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "sctp", 132 },
	{ "udplite", 136 },
};

static const struct name_num services[] = {
	{ "ftp", 21 },	   { "ssh", 22 },    { "telnet", 23 },
	{ "smtp", 25 },	   { "domain", 53 }, { "bootps", 67 },
	{ "bootpc", 68 },  { "http", 80 },   { "ntp", 123 },
	{ "snmp", 161 },   { "bgp", 179 },   { "https", 443 },
	{ "isakmp", 500 }, { "l2tp", 1701 }, { "ipsec-nat-t", 4500 },
};

static int parse_port(const char *s, uint16_t *from, uint16_t *to)
{
	const char *dash = strchr(s, '-');
	unsigned v;
	uint64_t a, b;
	char tmp[16];

	if (strcmp(s, "%any") == 0) {
		*from = 0;
		*to = 65535;
		return 0;
	}
	if (strcmp(s, "opaque") == 0) { /* RFC 4301 OPAQUE, RFC 7296 §3.13.1 */
		*from = 65535;
		*to = 0;
		return 0;
	}
	if (lookup(services, COUNT(services), s, &v) == 0) {
		*from = *to = (uint16_t)v;
		return 0;
	}
	if (dash && (size_t)(dash - s) < sizeof(tmp)) {
		memcpy(tmp, s, (size_t)(dash - s));
		tmp[dash - s] = '\0';
		if (conf_value_uint(tmp, 65535, &a) < 0 ||
		    conf_value_uint(dash + 1, 65535, &b) < 0 || a > b)
			return -EINVAL;
	} else if (conf_value_uint(s, 65535, &a) == 0) {
		b = a;
	} else {
		return -EINVAL;
	}
	*from = (uint16_t)a;
	*to = (uint16_t)b;
	return 0;
}

/* "[proto]" or "[proto/port]" (proto may be empty or %any). */
static int parse_proto_port(const char *s, struct kb_ts *ts)
{
	char buf[64], *slash;
	size_t len = strlen(s);
	uint64_t n;
	unsigned v;

	if (len < 2 || s[len - 1] != ']' || len - 2 >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (parse_port(slash + 1, &ts->port_from, &ts->port_to) < 0)
			return -EINVAL;
	}
	if (buf[0] == '\0' || strcmp(buf, "%any") == 0)
		ts->proto = 0;
	else if (lookup(ip_protos, COUNT(ip_protos), buf, &v) == 0)
		ts->proto = (uint8_t)v;
	else if (conf_value_uint(buf, 255, &n) == 0)
		ts->proto = (uint8_t)n;
	else
		return -EINVAL;
	return 0;
}

int conf_value_ts(const char *s, struct kb_ts *out)
{
	char addr[128];
	const char *br = strchr(s, '[');
	size_t alen = br ? (size_t)(br - s) : strlen(s);
	uint8_t prefix;

	memset(out, 0, sizeof(*out));
	out->port_to = 65535;
	if (alen >= sizeof(addr))
		return -E2BIG;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (br && parse_proto_port(br, out) < 0)
		return -EINVAL;
	if (strcmp(addr, "dynamic") == 0) {
		out->dynamic = true;
		return 0;
	}
	if (strchr(addr, '/'))
		return parse_cidr(addr, &out->family, out->from, out->to,
				  &prefix);
	if (conf_value_ip(addr, &out->family, out->from) == 0) {
		memcpy(out->to, out->from, 16);
		return 0;
	}
	return parse_range(addr, &out->family, out->from, out->to);
}

int conf_value_id_type(const char *s, uint8_t *type)
{
	static const struct name_num prefixes[] = {
		{ "ipv4", ID_IPV4_ADDR },
		{ "ipv6", ID_IPV6_ADDR },
		{ "rfc822", ID_RFC822_ADDR },
		{ "email", ID_RFC822_ADDR },
		{ "userfqdn", ID_RFC822_ADDR },
		{ "fqdn", ID_FQDN },
		{ "dns", ID_FQDN },
		{ "asn1dn", ID_DER_ASN1_DN },
		{ "asn1gn", ID_DER_ASN1_GN },
		{ "keyid", ID_KEY_ID },
	};
	const char *colon = strchr(s, ':');
	uint8_t fam, a[16];
	char pfx[16];
	unsigned v;

	if (!*s)
		return -EINVAL;
	if (strcmp(s, "%any") == 0) {
		*type = 0;
		return 0;
	}
	if (colon && (size_t)(colon - s) < sizeof(pfx)) {
		memcpy(pfx, s, (size_t)(colon - s));
		pfx[colon - s] = '\0';
		if (lookup(prefixes, COUNT(prefixes), pfx, &v) == 0) {
			if (!colon[1])
				return -EINVAL;
			*type = (uint8_t)v;
			return 0;
		}
	}
	if (conf_value_ip(s, &fam, a) == 0)
		*type = fam == AF_INET ? ID_IPV4_ADDR : ID_IPV6_ADDR;
	else if (s[0] == '@' && s[1] == '#')
		*type = ID_KEY_ID;
	else if (s[0] == '@')
		*type = ID_FQDN;
	else if (strchr(s, '='))
		*type = ID_DER_ASN1_DN;
	else if (strchr(s, '@'))
		*type = ID_RFC822_ADDR;
	else
		*type = ID_FQDN;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int conf_value_secret(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (strncmp(s, "0x", 2) == 0) {
		s += 2;
		n -= 2;
		if (n == 0 || n % 2)
			return -EINVAL;
		if (n / 2 > cap)
			return -E2BIG;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			out[i] = (uint8_t)(hi << 4 | lo);
		}
		*len = n / 2;
		return 0;
	}
	if (strncmp(s, "0s", 2) == 0) {
		uint8_t tmp[KB_CONF_SECRET_MAX * 2];
		int dec;

		s += 2;
		n -= 2;
		if (n == 0 || n % 4 || n / 4 * 3 > sizeof(tmp))
			return n / 4 * 3 > sizeof(tmp) ? -E2BIG : -EINVAL;
		dec = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
		if (dec < 0)
			return -EINVAL;
		/* EVP_DecodeBlock counts the padding as zero bytes */
		dec -= (s[n - 1] == '=') + (s[n - 2] == '=');
		if ((size_t)dec > cap) {
			OPENSSL_cleanse(tmp, sizeof(tmp));
			return -E2BIG;
		}
		memcpy(out, tmp, (size_t)dec);
		OPENSSL_cleanse(tmp, sizeof(tmp));
		*len = (size_t)dec;
		return 0;
	}
	if (n == 0)
		return -EINVAL;
	if (n > cap)
		return -E2BIG;
	memcpy(out, s, n);
	*len = n;
	return 0;
}

int conf_value_item(const char **pos, char *item, size_t cap)
{
	const char *s = *pos, *end;
	size_t n;

	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	end = strchr(s, ',');
	if (!end)
		end = s + strlen(s);
	*pos = *end ? end + 1 : NULL;
	n = (size_t)(end - s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return -EINVAL;
	if (n >= cap)
		return -E2BIG;
	memcpy(item, s, n);
	item[n] = '\0';
	return 1;
}
