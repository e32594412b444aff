/* See sig_util.h. */
#include "tests/sig_util.h"

#include "crypto/auth.h"
#include "tests/test.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void su_keys_make(struct su_keys *k, const char *type, const char *param)
{
	char priv[] = "/tmp/kb-engine-key-XXXXXX";
	char pub[] = "/tmp/kb-engine-pub-XXXXXX";
	int fd1 = mkstemp(priv), fd2 = mkstemp(pub);
	FILE *f1, *f2;
	EVP_PKEY *pk;

	REQUIRE(fd1 >= 0 && fd2 >= 0);
	if (!strcmp(type, "EC"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	else if (!strcmp(type, "RSA"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
	REQUIRE(pk);
	f1 = fdopen(fd1, "w");
	f2 = fdopen(fd2, "w");
	REQUIRE(f1 && f2);
	REQUIRE(PEM_write_PrivateKey(f1, pk, NULL, NULL, 0, NULL, NULL));
	REQUIRE(PEM_write_PUBKEY(f2, pk));
	fclose(f1);
	fclose(f2);
	EVP_PKEY_free(pk);
	REQUIRE_EQ(auth_key_load_private(priv, &k->priv), 0);
	REQUIRE_EQ(auth_key_load_public(pub, &k->pub), 0);
	unlink(priv);
	unlink(pub);
}

void su_keys_free(struct su_keys *k)
{
	auth_key_free(k->priv);
	auth_key_free(k->pub);
	memset(k, 0, sizeof(*k));
}

void su_pair(struct harness *h, const struct su_keys *ka,
	     const struct su_keys *kb)
{
	harness_pair_default(h);
	h->a.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.local_auth.method = ENGINE_AUTH_PUBKEY;
	h->b.conn.remote_auth.method = ENGINE_AUTH_PUBKEY;
	h->a.conn.local_auth.key = ka->priv;
	h->a.conn.remote_auth.key = kb->pub;
	h->b.conn.local_auth.key = kb->priv;
	h->b.conn.remote_auth.key = ka->pub;
}
