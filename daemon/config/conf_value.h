/* Value syntax of swanctl.conf: booleans, numbers, durations, volumes,
 * addresses, traffic selectors, identities, secrets and comma-separated
 * lists. Each parser returns 0, or -EINVAL (bad syntax) / -ERANGE (out of
 * range) / -E2BIG (too long) and leaves *out unspecified.
 */
#ifndef KB_CONF_VALUE_H
#define KB_CONF_VALUE_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_WUR __attribute__((warn_unused_result))

/* yes/true/enabled/1 or no/false/disabled/0 (as strongSwan's vici). */
int conf_value_bool(const char *s, bool *out) CONF_WUR;

/* Integer 0..max, decimal or hexadecimal with 0x (as swanctl.conf). */
int conf_value_uint(const char *s, uint64_t max, uint64_t *out) CONF_WUR;

/* Seconds: "90", "30s", "5m", "1h", "2d" (swanctl.conf(5) TIME FORMATS). */
int conf_value_duration(const char *s, uint64_t *out) CONF_WUR;

/* Byte or packet count: "1000", "64k", "512M", "1G" (binary multiples,
 * as strongSwan's parse_bytes). */
int conf_value_volume(const char *s, uint64_t *out) CONF_WUR;

/* One IPv4 or IPv6 address; *family is AF_INET or AF_INET6. */
int conf_value_ip(const char *s, uint8_t *family, uint8_t addr[16]) CONF_WUR;

/* %any, %any4, %any6, an address, a CIDR subnet, a range a-b or a DNS
 * name (local_addrs / remote_addrs). */
int conf_value_addr(const char *s, struct kb_addr *out) CONF_WUR;

/* "dynamic", an address, a CIDR subnet or a range a-b, optionally
 * followed by [proto] or [proto/port] (swanctl.conf(5) local_ts). */
int conf_value_ts(const char *s, struct kb_ts *out) CONF_WUR;

/* IKE identity type (ID_*) that strongSwan would pick for `s`, honouring
 * the "type:" prefixes; 0 for %any. */
int conf_value_id_type(const char *s, uint8_t *type) CONF_WUR;

/* A secret: "0x<hex>", "0s<base64>" or the text itself. */
int conf_value_secret(const char *s, uint8_t *out, size_t cap,
		      size_t *len) CONF_WUR;

/* Next item of a comma-separated list, trimmed, into item[cap]. Returns 1
 * for an item, 0 at the end, -EINVAL for an empty item, -E2BIG if too
 * long. `*pos` starts at the value and advances. */
int conf_value_item(const char **pos, char *item, size_t cap) CONF_WUR;

#endif
