/* keybridge configuration model: what swanctl.conf says, checked and with
 * strongSwan's defaults applied (doc/configuration.md lists every key).
 *
 *     struct conf_diag d = { 0 };
 *     struct kb_config *cfg = config_load_file("/etc/swanctl/swanctl.conf",
 *                                              &d);
 *     if (conf_diag_errors(&d)) { conf_diag_print(&d, stderr); ... }
 *     ...
 *     config_free(cfg);
 *
 * Everything is plain data in fixed-size arrays, except the lists of
 * connections, children and secrets. Every structure starts zeroed, so
 * unused bytes (padding, string tails, unused array slots) are zero: two
 * loads of equivalent text give byte-identical connections, which a reload
 * may compare with memcmp or a hash. Secrets are wiped by config_free().
 * Times are in seconds, volumes in bytes or packets; 0 means "disabled"
 * where swanctl.conf(5) says so.
 */
#ifndef KB_CONFIG_H
#define KB_CONFIG_H

#include "config/conf_diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	KB_CONF_NAME_MAX = 64,	   /* connection, child and secret names */
	KB_CONF_MAX_ADDRS = 16,	   /* local_addrs / remote_addrs entries */
	KB_CONF_MAX_TS = 16,	   /* local_ts / remote_ts entries */
	KB_CONF_MAX_PROPOSALS = 8, /* comma-separated proposals */
	KB_CONF_MAX_ALGS = 16,	   /* algorithms of one type per proposal */
	KB_CONF_MAX_FILES = 8,	   /* certs / pubkeys / cacerts entries */
	KB_CONF_MAX_IDS = 8,	   /* id, id-1, id-x ... of one secret */
	KB_CONF_ID_MAX = 256,	   /* identity string */
	KB_CONF_PATH_MAX = 512,	   /* file names */
	KB_CONF_SECRET_MAX = 256,  /* decoded pre-shared key bytes */
	KB_CONF_FQDN_MAX = 254,	   /* DNS name + NUL */
	KB_CONF_UPDOWN_MAX = 1024, /* updown command line */
	KB_CONF_MAX_POOLS = 4,	   /* connections.<c>.pools entries */
	KB_CONF_MAX_VIPS = 2,	   /* connections.<c>.vips: one per family */
	KB_CONF_MAX_DNS = 4,	   /* pools.<p>.dns entries */
	KB_CONF_MAX_SUBNETS = 8,   /* pools.<p>.subnet entries */
};

/* One entry of local_addrs / remote_addrs. Addresses are in network byte
 * order; an IPv4 address uses the first 4 bytes. */
enum kb_addr_type {
	KB_ADDR_ANY,	/* %any, %any4, %any6 (family AF_UNSPEC/INET/INET6) */
	KB_ADDR_HOST,	/* one address: from */
	KB_ADDR_SUBNET, /* from/prefix_len, `to` = last address */
	KB_ADDR_RANGE,	/* from-to inclusive */
	KB_ADDR_FQDN,	/* DNS name, resolved by the daemon */
};

struct kb_addr {
	enum kb_addr_type type;
	uint8_t family; /* AF_INET, AF_INET6, AF_UNSPEC */
	uint8_t prefix_len;
	uint8_t from[16], to[16];
	char fqdn[KB_CONF_FQDN_MAX];
};

/* One traffic selector (RFC 7296 §3.13.1): an address range, an IP
 * protocol (0 = any) and a port range (0-65535 = any; OPAQUE is
 * port_from 65535, port_to 0). `dynamic` means "the tunnel address",
 * filled in at negotiation. */
struct kb_ts {
	bool dynamic;
	uint8_t family;
	uint8_t from[16], to[16];
	uint8_t proto;
	uint16_t port_from, port_to;
};

/* An address with a prefix length (pools' DNS servers, subnets; vips). */
struct kb_ipnet {
	uint8_t family;
	uint8_t prefix;
	uint8_t ip[16];
};

struct kb_transform {
	uint16_t id;	  /* IANA transform ID (include/ike_iana.h) */
	uint16_t key_len; /* bits for AES (Key Length attribute), else 0 */
};

/* One proposal: lists of IANA transform IDs in preference order
 * (RFC 7296 §3.3). IKE: ENCR + PRF + KE (+ INTEG unless AEAD).
 * ESP: ENCR (+ INTEG unless AEAD), optional KE (PFS), ESN. */
struct kb_proposal {
	uint8_t protocol; /* PROTO_IKE or PROTO_ESP */
	uint8_t n_encr, n_integ, n_prf, n_ke, n_esn;
	struct kb_transform encr[KB_CONF_MAX_ALGS];
	uint16_t integ[KB_CONF_MAX_ALGS];
	uint16_t prf[KB_CONF_MAX_ALGS];
	uint16_t ke[KB_CONF_MAX_ALGS];
	uint16_t esn[2];
};

struct kb_proposals {
	uint8_t count;
	struct kb_proposal p[KB_CONF_MAX_PROPOSALS];
};

enum kb_auth {
	KB_AUTH_PUBKEY, /* any signature key (certificate or raw key) */
	KB_AUTH_PSK,
	KB_AUTH_RSA,
	KB_AUTH_ECDSA,
	KB_AUTH_ED25519,
	KB_AUTH_EAP_MSCHAPV2, /* remote only: we are the EAP server */
	KB_AUTH_RSA_PSS,      /* rsa/pss: RSASSA-PSS signatures */
};

/* local { } or remote { }: one authentication round. */
struct kb_auth_round {
	enum kb_auth auth;
	uint16_t key_bits; /* minimum strength: ecdsa-256, rsa-2048; 0 any */
	uint8_t n_hashes;  /* RFC 7427 hashes (HASH_*), "pubkey-sha256" */
	uint8_t hashes[4];
	uint8_t id_type;	 /* ID_* of `id`; 0 for %any */
	char id[KB_CONF_ID_MAX]; /* as written, "%any" if none */
	/* remote.eap_id as written: "" (the IKE identity), "%any" (asked
	 * with EAP-Identity) or the one identity EAP-Identity must give */
	char eap_id[KB_CONF_ID_MAX];
	uint8_t n_certs, n_pubkeys, n_cacerts;
	char certs[KB_CONF_MAX_FILES][KB_CONF_PATH_MAX];
	char pubkeys[KB_CONF_MAX_FILES][KB_CONF_PATH_MAX];
	char cacerts[KB_CONF_MAX_FILES][KB_CONF_PATH_MAX];
};

enum kb_mode { KB_MODE_TUNNEL, KB_MODE_TRANSPORT, KB_MODE_PASS, KB_MODE_DROP };

/* mark_in / mark_out = value[/mask] (swanctl.conf(5)): a firewall mark
 * the kernel matches as (skb mark & mask) == value. Written without a
 * mask, the mask is 0xffffffff; value and mask both 0 means none. */
struct kb_mark {
	uint32_t value, mask;
};

/* start_action is a set (swanctl allows "trap|start"). */
enum kb_start_action {
	KB_START_NONE = 0,
	KB_START_TRAP = 1,
	KB_START_START = 2,
};

/* close_action / dpd_action: strongSwan maps clear to none and restart to
 * start. */
enum kb_action { KB_ACTION_NONE, KB_ACTION_TRAP, KB_ACTION_START };

enum kb_unique {
	KB_UNIQUE_NO,
	KB_UNIQUE_NEVER,
	KB_UNIQUE_KEEP,
	KB_UNIQUE_REPLACE,
};

enum kb_frag { KB_FRAG_YES, KB_FRAG_NO, KB_FRAG_ACCEPT, KB_FRAG_FORCE };
/* RFC 6023 childless IKE SAs; values as engine_childless. */
enum kb_childless {
	KB_CHILDLESS_ALLOW,
	KB_CHILDLESS_FORCE,
	KB_CHILDLESS_NEVER
};

struct kb_child {
	char name[KB_CONF_NAME_MAX];
	uint8_t n_local_ts, n_remote_ts;
	struct kb_ts local_ts[KB_CONF_MAX_TS];
	struct kb_ts remote_ts[KB_CONF_MAX_TS];
	struct kb_proposals esp_proposals;
	enum kb_mode mode;
	unsigned start_action; /* enum kb_start_action bits */
	enum kb_action close_action, dpd_action;
	uint64_t rekey_time, life_time, rand_time;
	uint64_t rekey_bytes, life_bytes, rand_bytes;
	uint64_t rekey_packets, life_packets, rand_packets;
	uint32_t replay_window;
	uint64_t inactivity; /* s without traffic before closing; 0 = never */
	/* updown = PATH [ARGS]: run through /bin/sh -c as strongSwan does;
	 * "" for none. hostaccess sets PLUTO_HOST_ACCESS for it. */
	char updown[KB_CONF_UPDOWN_MAX];
	bool hostaccess;
	/* marks on the policies (mark_out also on the outbound SA, mark_in
	 * on the inbound SA with mark_in_sa) and XFRM interface IDs on SAs
	 * and policies; an unset if_id is the connection's */
	struct kb_mark mark_in, mark_out;
	bool mark_in_sa;
	uint32_t if_id_in, if_id_out;
	/* Not settings: where the section starts (for messages), left out of
	 * a reload's comparison (conns.c hashes up to here). */
	char src_file[KB_CONF_PATH_MAX];
	int src_line;
};

/* send_cert (RFC 7296 §3.6) and send_certreq (§3.7). */
enum kb_send_cert {
	KB_SEND_CERT_ALWAYS,
	KB_SEND_CERT_IFASKED,
	KB_SEND_CERT_NEVER
};

struct kb_conn {
	char name[KB_CONF_NAME_MAX];
	uint8_t version; /* 0 any, 1 (refused), 2 */
	uint8_t n_local_addrs, n_remote_addrs;
	struct kb_addr local_addrs[KB_CONF_MAX_ADDRS];
	struct kb_addr remote_addrs[KB_CONF_MAX_ADDRS];
	uint16_t local_port, remote_port;
	struct kb_proposals proposals;
	uint64_t dpd_delay, dpd_timeout;
	uint64_t rekey_time, over_time, rand_time, reauth_time;
	uint32_t keyingtries; /* 0 = forever */
	enum kb_unique unique;
	bool encap;
	bool mobike;
	enum kb_frag fragmentation;
	enum kb_childless childless;
	enum kb_send_cert send_cert;
	bool send_certreq;
	/* pools = name[, name]: where a peer's virtual address comes from
	 * (responder); vips = 0.0.0.0, ::, or addresses: what we ask for
	 * (initiator). Names were checked against the pools section. */
	uint8_t n_pools, n_vips;
	char pools[KB_CONF_MAX_POOLS][KB_CONF_NAME_MAX];
	struct kb_ipnet vips[KB_CONF_MAX_VIPS];
	uint32_t if_id_in, if_id_out; /* defaults for the children */
	struct kb_auth_round local, remote;
	size_t n_children;
	struct kb_child *children;
	/* Not settings (after `children`, outside a reload's comparison):
	 * where the section starts, whether mobike was written, and how many
	 * errors were found inside it (such a connection is not loaded). */
	char src_file[KB_CONF_PATH_MAX];
	int src_line;
	bool mobike_set;
	unsigned n_errors;
};

/* pools.<name> { addrs = CIDR | from-to, dns = ..., subnet = ... }: the
 * addresses handed out (RFC 7296 §3.15.1 INTERNAL_IP4/6_ADDRESS), first
 * to last inclusive. A CIDR subnet leaves out its network address and,
 * for IPv4, its broadcast address (as strongSwan). */
struct kb_pool {
	char name[KB_CONF_NAME_MAX];
	uint8_t family;
	uint8_t first[16], last[16];
	uint8_t n_dns, n_subnets;
	struct kb_ipnet dns[KB_CONF_MAX_DNS];
	struct kb_ipnet subnets[KB_CONF_MAX_SUBNETS];
	char src_file[KB_CONF_PATH_MAX];
	int src_line;
};

/* secrets { ike<suffix> { id<suffix> = ..., secret = ... } } */
struct kb_ike_secret {
	char name[KB_CONF_NAME_MAX];
	uint8_t n_ids;
	char ids[KB_CONF_MAX_IDS][KB_CONF_ID_MAX];
	size_t secret_len;
	uint8_t secret[KB_CONF_SECRET_MAX];
	char src_file[KB_CONF_PATH_MAX]; /* where the section is */
	int src_line;
};

/* Kinds of key files, each with its swanctl directory and secrets
 * section: secrets { private<suffix> { file = ..., secret = ... } },
 * rsa<suffix>, ecdsa<suffix>, pkcs8<suffix>, pkcs12<suffix> alike. */
enum kb_key_kind {
	KB_KEY_PRIVATE,
	KB_KEY_RSA,
	KB_KEY_ECDSA,
	KB_KEY_PKCS8,
	KB_KEY_PKCS12,
	KB_KEY_KINDS
};

/* "private", "rsa", ... : the directory and the secrets section prefix. */
const char *config_key_kind_name(enum kb_key_kind kind);

struct kb_private_secret {
	char name[KB_CONF_NAME_MAX];
	enum kb_key_kind kind;
	char file[KB_CONF_PATH_MAX]; /* resolved against <confdir>/<kind> */
	size_t secret_len;	     /* passphrase, 0 if none */
	uint8_t secret[KB_CONF_SECRET_MAX];
};

/* authorities { <name> { cacert, crl_uris } } (conf_authority.c) */
struct kb_authority {
	char name[KB_CONF_NAME_MAX];
	char cacert[KB_CONF_PATH_MAX]; /* resolved against <confdir>/x509ca */
	uint8_t n_crls;
	char crls[KB_CONF_MAX_FILES][KB_CONF_PATH_MAX]; /* local files */
};

struct kb_config {
	char dir[KB_CONF_PATH_MAX]; /* directory of the main file */
	size_t n_conns, n_ike_secrets, n_private_secrets, n_pools;
	size_t n_authorities;
	struct kb_authority *authorities;
	size_t n_eap_secrets;
	struct kb_conn *conns;
	struct kb_pool *pools;
	struct kb_ike_secret *ike_secrets;
	/* secrets { eap<suffix> { id<suffix> = ..., secret = ... } }: EAP
	 * users and their passwords, same shape as ike secrets */
	struct kb_ike_secret *eap_secrets;
	struct kb_private_secret *private_secrets;
};

/* Reads, checks and converts swanctl.conf at `path` (with its includes).
 * Every error found is added to `diag`; the result holds everything that
 * was valid, so callers decide with conf_diag_errors(diag) whether to use
 * it. Returns NULL only when out of memory. */
struct kb_config *config_load_file(const char *path, struct conf_diag *diag)
	__attribute__((warn_unused_result));

/* As config_load_file, with the swanctl directory (x509/, private/, ...)
 * `confdir` instead of the directory of `path` (NULL: that one), as
 * keybridged --confdir. */
struct kb_config *config_load_file_dir(const char *path, const char *confdir,
				       struct conf_diag *diag)
	__attribute__((warn_unused_result));

/* Same from memory; `name` names the text in messages and its directory
 * is the base for includes and relative file names. */
struct kb_config *config_load_string(const char *text, size_t len,
				     const char *name, struct conf_diag *diag)
	__attribute__((warn_unused_result));

/* Frees the configuration and wipes its secrets; NULL is fine. */
void config_free(struct kb_config *cfg);

/* The connection named `name`, or NULL. */
const struct kb_conn *config_conn(const struct kb_config *cfg,
				  const char *name);

/* The pool named `name`, or NULL. */
const struct kb_pool *config_pool(const struct kb_config *cfg,
				  const char *name);

/* The child `name` of `conn`, or NULL. */
const struct kb_child *config_child(const struct kb_conn *conn,
				    const char *name);

/* Calls fn once per key keybridge supports, named as swanctl.conf(5)
 * does: "connections.<conn>.version", "connections.<conn>.local.auth",
 * "secrets.ike<suffix>.id<suffix>", ... (doc/configuration.md has one
 * table row per name; a test keeps the two in step). */
void config_each_key(void (*fn)(const char *name, void *arg), void *arg);

/* Calls fn once per key and section of strongSwan's swanctl.conf(5)
 * (5.9.8, plus the keys 6.0 added), named as in config_each_key, with
 * `supported` false for those keybridge refuses as "not supported by
 * keybridge". doc/configuration.md lists them all. */
void config_each_swanctl_key(void (*fn)(const char *name, bool supported,
					void *arg),
			     void *arg);

#endif
