/* Credentials the way swanctl loads them: every file of the swanctl
 * directory's x509/, x509ca/, x509crl/, pubkey/, private/, rsa/, ecdsa/,
 * pkcs8/ and pkcs12/, PEM or DER, encrypted keys opened with the
 * passphrase of the secrets.<kind><suffix> section naming the file.
 * Connections then find their certificate by name or by identity, and
 * their private key by its public key (conns.c). */
#ifndef KB_IO_CREDS_H
#define KB_IO_CREDS_H

#include "config/conf_diag.h"
#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>

struct auth_key;
struct auth_cert;
struct auth_crl;
struct auth_trust;

struct creds_item {
	char path[KB_CONF_PATH_MAX];
	struct auth_cert *cert; /* NULL for raw keys */
	struct auth_key *key;	/* the certificate's public key, or the
				   private key in creds.keys */
	bool used;		/* some connection points to it */
};

struct creds {
	size_t n_certs, n_cas, n_pubkeys, n_keys, n_crls;
	struct creds_item *certs;   /* x509/, and the certificates of pkcs12/ */
	struct creds_item *cas;	    /* x509ca/ */
	struct creds_item *pubkeys; /* pubkey/ */
	struct creds_item *keys;    /* private/ rsa/ ecdsa/ pkcs8/ pkcs12/ */
	struct auth_crl **crls;	    /* x509crl/ (always freed by creds_free:
				       a trust holds its own references) */
};

/* Loads every credential of cfg->dir. A file that cannot be used is an
 * error naming it and the reason (diag); the others load. Notes on what is
 * loaded but not acted on go to `warnings`. Returns 0 or -ENOMEM. */
int creds_load(const struct kb_config *cfg, struct creds *out,
	       struct conf_diag *diag, struct conf_diag *warnings)
	__attribute__((warn_unused_result));

/* The private key whose public key is `pub`, or NULL; marks it used. */
struct creds_item *creds_private_for(struct creds *c,
				     const struct auth_key *pub);

/* The first certificate of x509/ (or pkcs12/) naming identity `type`
 * `data`, preferring one whose private key is loaded; NULL if none. */
struct creds_item *creds_cert_for_id(struct creds *c, uint8_t type,
				     const uint8_t *data, size_t len);

/* A trust for verifying a peer's certificate (crypto/auth.h): the
 * `n_anchors` anchors given, or with none every CA of x509ca/ (as swanctl
 * trusts them for connections naming no cacerts); every CA certificate of
 * x509/ and x509ca/ as an intermediate that may complete a chain; every
 * CRL of x509crl/. 0, -ENOENT (no anchor at all) or -ENOMEM. */
int creds_trust(struct creds *c, const struct auth_cert *const *anchors,
		size_t n_anchors, struct auth_trust **out)
	__attribute__((warn_unused_result));

/* The intermediate CA certificates (x509/, x509ca/) from `leaf`'s issuer
 * up to, not including, a self-signed root, issuer first: what we send
 * after our certificate so a peer trusting only the root can build the
 * chain. Returns how many were written to `out` (at most `max`). */
size_t creds_chain(const struct creds *c, const struct auth_cert *leaf,
		   const struct auth_cert **out, size_t max);

/* Warns about private keys no connection uses. */
void creds_warn_unused(const struct creds *c, struct conf_diag *warnings);

/* Frees the arrays; with `objects`, the keys and certificates too (else
 * the caller took them over). */
void creds_free(struct creds *c, bool objects);

#endif
