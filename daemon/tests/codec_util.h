/* Helpers shared by the codec tests: test vectors, capture files written
 * from IKE datagrams (for ikedump and tshark), and running a command. */
#ifndef KB_TESTS_CODEC_UTIL_H
#define KB_TESTS_CODEC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Reads daemon/tests/vectors/codec/<name>.hex into `buf`; returns its
 * length, or ends the test when the file is missing or malformed. */
size_t codec_util_vec(const char *name, uint8_t *buf, size_t cap);

/* A capture file being written: classic pcap (LINKTYPE_ETHERNET) or pcapng
 * (one Ethernet interface). Frames carry UDP over IPv4 or IPv6; timestamps are fixed
 * (1700000000 s plus one second per frame) so output is reproducible. */
struct codec_util_pcap {
	FILE *f;
	bool ng;
	unsigned frames;
	unsigned linktype;
};

/* Link types we can write (LINKTYPE_* of the pcap specification). */
enum {
	CODEC_UTIL_LINK_ETHERNET = 1,
	CODEC_UTIL_LINK_RAW = 101,
	CODEC_UTIL_LINK_LINUX_SLL2 = 276, /* tcpdump -i any */
};

/* Opens `path` for writing; ends the test on failure. */
void codec_util_pcap_open(struct codec_util_pcap *pc, const char *path,
			  bool ng);

/* The same with another link type (CODEC_UTIL_LINK_*). */
void codec_util_pcap_open_link(struct codec_util_pcap *pc, const char *path,
			       bool ng, unsigned linktype);

/* Appends one UDP datagram from src:sport to dst:dport (IPv4 or IPv6
 * addresses as text). */
void codec_util_pcap_add(struct codec_util_pcap *pc, const char *src,
			 unsigned sport, const char *dst, unsigned dport,
			 const void *data, size_t len);

/* The same datagram (IPv4 only) split into IPv4 fragments carrying `frag`
 * bytes of the IP payload each (a multiple of 8), one frame per fragment. */
void codec_util_pcap_add_frags(struct codec_util_pcap *pc, const char *src,
			       unsigned sport, const char *dst, unsigned dport,
			       const void *data, size_t len, size_t frag);

void codec_util_pcap_close(struct codec_util_pcap *pc);

#endif
