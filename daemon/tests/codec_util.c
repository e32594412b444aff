/* Helpers shared by the codec tests; see codec_util.h. */
#include "tests/codec_util.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <sys/wait.h>

size_t codec_util_vec(const char *name, uint8_t *buf, size_t cap)
{
	static char text[65536];
	char rel[256];
	FILE *f;
	size_t n;
	long len;

	snprintf(rel, sizeof(rel), "daemon/tests/vectors/codec/%s.hex", name);
	f = fopen(test_src_path(rel), "r");
	if (!f)
		test_fail(__FILE__, __LINE__, "cannot open %s", rel);
	REQUIRE(f != NULL);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	len = test_unhex(text, buf, cap);
	if (len < 0)
		test_fail(__FILE__, __LINE__, "%s: bad hex", rel);
	REQUIRE_GE(len, 0);
	return (size_t)len;
}

static void put_le32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	fwrite(b, 1, 4, f);
}

static void put_le16(FILE *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	fwrite(b, 1, 2, f);
}

void codec_util_pcap_open(struct codec_util_pcap *pc, const char *path, bool ng)
{
	codec_util_pcap_open_link(pc, path, ng, CODEC_UTIL_LINK_ETHERNET);
}

void codec_util_pcap_open_link(struct codec_util_pcap *pc, const char *path,
			       bool ng, unsigned linktype)
{
	pc->f = fopen(path, "wb");
	pc->ng = ng;
	pc->frames = 0;
	pc->linktype = linktype;
	if (!pc->f)
		test_fail(__FILE__, __LINE__, "cannot write %s", path);
	REQUIRE(pc->f != NULL);
	if (!ng) {
		/* pcap file header: magic, 2.4, zone, sigfigs, snaplen, DLT */
		put_le32(pc->f, 0xa1b2c3d4);
		put_le16(pc->f, 2);
		put_le16(pc->f, 4);
		put_le32(pc->f, 0);
		put_le32(pc->f, 0);
		put_le32(pc->f, 65535);
		put_le32(pc->f, linktype);
		return;
	}
	/* pcapng Section Header Block then Interface Description Block */
	put_le32(pc->f, 0x0a0d0d0a);
	put_le32(pc->f, 28);
	put_le32(pc->f, 0x1a2b3c4d);
	put_le16(pc->f, 1);
	put_le16(pc->f, 0);
	put_le32(pc->f, 0xffffffff); /* section length unknown (-1) */
	put_le32(pc->f, 0xffffffff);
	put_le32(pc->f, 28);
	put_le32(pc->f, 1);
	put_le32(pc->f, 20);
	put_le16(pc->f, (uint16_t)linktype);
	put_le16(pc->f, 0);
	put_le32(pc->f, 65535);
	put_le32(pc->f, 20);
}

/* Internet checksum (RFC 1071) of `n` bytes, continuing from `sum`. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes an IPv4 or IPv6 header for `ulen` bytes of UDP at `ip`; returns
 * its length. IPv6 also gets the (mandatory) UDP checksum, later. */
static size_t build_ip(uint8_t *ip, const char *src, const char *dst,
		       size_t ulen, bool *v6)
{
	*v6 = strchr(src, ':') != NULL;
	if (*v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put_be16(ip + 4, ulen);
		ip[6] = 17;
		ip[7] = 64;
		REQUIRE(inet_pton(AF_INET6, src, ip + 8) == 1);
		REQUIRE(inet_pton(AF_INET6, dst, ip + 24) == 1);
		return 40;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, 20 + ulen);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 17;
	REQUIRE(inet_pton(AF_INET, src, ip + 12) == 1);
	REQUIRE(inet_pton(AF_INET, dst, ip + 16) == 1);
	put_be16(ip + 10, fold(sum16(0, ip, 20)));
	return 20;
}

/* Link-layer header length for the link types we write. */
static size_t link_len(unsigned linktype)
{
	switch (linktype) {
	case CODEC_UTIL_LINK_ETHERNET: return 14;
	case CODEC_UTIL_LINK_LINUX_SLL2: return 20;
	}
	return 0; /* CODEC_UTIL_LINK_RAW */
}

/* Writes the link-layer header of an IP packet (ethertype `eth`). */
static void build_link(uint8_t *frame, unsigned linktype, unsigned eth)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	if (linktype == CODEC_UTIL_LINK_ETHERNET) {
		memcpy(frame, mac, sizeof(mac));
		put_be16(frame + 12, eth);
	} else if (linktype == CODEC_UTIL_LINK_LINUX_SLL2) {
		/* protocol, reserved, ifindex 2, ARPHRD_ETHER, outgoing,
		 * address length 6, address (8 bytes, padded) */
		memset(frame, 0, 20);
		put_be16(frame, eth);
		frame[7] = 2;
		put_be16(frame + 8, 1);
		frame[10] = 4;
		frame[11] = 6;
		memcpy(frame + 12, mac + 6, 6);
	}
}

/* Builds link + IP + UDP around `data` into `frame`. */
static size_t build_frame(uint8_t *frame, unsigned linktype, const char *src,
			  unsigned sport, const char *dst, unsigned dport,
			  const void *data, size_t len)
{
	size_t ulen = 8 + len, iplen, ll = link_len(linktype);
	uint8_t *ip = frame + ll, *udp;
	bool v6;

	iplen = build_ip(ip, src, dst, ulen, &v6);
	build_link(frame, linktype, v6 ? 0x86dd : 0x0800);
	udp = ip + iplen;
	put_be16(udp, sport);
	put_be16(udp + 2, dport);
	put_be16(udp + 4, ulen);
	put_be16(udp + 6, 0); /* IPv4: no checksum (RFC 768) */
	memcpy(udp + 8, data, len);
	if (v6) { /* RFC 8200 §8.1: pseudo-header, then the datagram */
		uint32_t s = sum16(0, ip + 8, 32) + (uint32_t)ulen + 17;
		uint16_t c = fold(sum16(s, udp, ulen));

		put_be16(udp + 6, c ? c : 0xffff);
	}
	return ll + iplen + ulen;
}

/* Writes one frame of `n` bytes with the next timestamp. */
static void write_frame(struct codec_util_pcap *pc, const uint8_t *frame,
			size_t n)
{
	uint32_t sec = 1700000000u + pc->frames++;
	uint64_t ts = (uint64_t)sec * 1000000u;
	size_t pad = (4 - n % 4) % 4;

	if (!pc->ng) {
		put_le32(pc->f, sec);
		put_le32(pc->f, 0);
		put_le32(pc->f, (uint32_t)n);
		put_le32(pc->f, (uint32_t)n);
		fwrite(frame, 1, n, pc->f);
		return;
	}
	/* Enhanced Packet Block, timestamps in microseconds */
	put_le32(pc->f, 6);
	put_le32(pc->f, (uint32_t)(32 + n + pad));
	put_le32(pc->f, 0);
	put_le32(pc->f, (uint32_t)(ts >> 32));
	put_le32(pc->f, (uint32_t)ts);
	put_le32(pc->f, (uint32_t)n);
	put_le32(pc->f, (uint32_t)n);
	fwrite(frame, 1, n, pc->f);
	for (size_t i = 0; i < pad; i++)
		fputc(0, pc->f);
	put_le32(pc->f, (uint32_t)(32 + n + pad));
}

void codec_util_pcap_add(struct codec_util_pcap *pc, const char *src,
			 unsigned sport, const char *dst, unsigned dport,
			 const void *data, size_t len)
{
	static uint8_t frame[70000];

	REQUIRE(len <= 65000);
	write_frame(pc, frame,
		    build_frame(frame, pc->linktype, src, sport, dst, dport,
				data, len));
}

void codec_util_pcap_add_frags(struct codec_util_pcap *pc, const char *src,
			       unsigned sport, const char *dst, unsigned dport,
			       const void *data, size_t len, size_t frag)
{
	static uint8_t whole[70000], piece[70000];
	size_t ll = link_len(pc->linktype), n, payload;

	REQUIRE(len <= 65000 && frag % 8 == 0 && frag > 0);
	REQUIRE(strchr(src, ':') == NULL);
	n = build_frame(whole, pc->linktype, src, sport, dst, dport, data, len);
	payload = n - ll - 20;
	for (size_t off = 0; off < payload; off += frag) {
		size_t k = payload - off < frag ? payload - off : frag;
		uint8_t *ip = piece + ll;

		memcpy(piece, whole, ll + 20);
		memcpy(ip + 20, whole + ll + 20 + off, k);
		put_be16(ip + 2, 20 + k);
		/* RFC 791: offset in 8-octet units; MF on all but the last */
		put_be16(ip + 6, (off / 8) | (off + k < payload ? 0x2000 : 0));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, fold(sum16(0, ip, 20)));
		write_frame(pc, piece, ll + 20 + k);
	}
}

void codec_util_pcap_close(struct codec_util_pcap *pc)
{
	CHECK_EQ(fclose(pc->f), 0);
	pc->f = NULL;
}
