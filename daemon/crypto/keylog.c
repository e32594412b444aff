/* Wireshark IKEv2 decryption table writer (operator debugging). */
#include "crypto/keylog.h"

#include "ike_iana.h"
#include "io/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct keylog {
	int fd;
	char *path;
};

int keylog_open(const char *path, struct keylog **out)
{
	struct keylog *kl;
	struct stat st;
	int fd;

	if (!path || !out)
		return CRYPTO_E_ARG;
	/* O_NOFOLLOW: a planted symlink must not redirect secrets */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		log_err("keylog: cannot open %s: %s; IKE keys will not be "
			"logged",
			path, strerror(errno));
		return CRYPTO_E_IO;
	}
	/* only a regular file (never chmod a device or FIFO someone named);
	 * an existing one may have been readable by others */
	kl = calloc(1, sizeof(*kl));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    fchmod(fd, 0600) < 0 || !kl || !(kl->path = strdup(path))) {
		log_err("keylog: %s is not a regular file keybridge can "
			"restrict to mode 0600; IKE keys will not be logged",
			path);
		close(fd);
		free(kl);
		return CRYPTO_E_IO;
	}
	kl->fd = fd;
	log_warn("keylog: writing IKE SA keys to %s (Wireshark "
		 "ikev2_decryption_table); anyone who can read it can decrypt "
		 "these IKE SAs, turn it off after debugging",
		 path);
	*out = kl;
	return 0;
}

void keylog_close(struct keylog *kl)
{
	if (!kl)
		return;
	close(kl->fd);
	free(kl->path);
	free(kl);
}

/* The spellings of Wireshark's IKEv2 UAT menus (packet-isakmp.c in
 * Wireshark 4.0); a line with any other spelling is refused by Wireshark. */
const char *keylog_encr_name(const struct xform_encr *e)
{
	if (!e)
		return NULL;
	switch (e->id) {
	case ENCR_AES_CBC:
		return e->key_bits == 128   ? "AES-CBC-128 [RFC3602]"
		       : e->key_bits == 192 ? "AES-CBC-192 [RFC3602]"
					    : "AES-CBC-256 [RFC3602]";
	case ENCR_AES_GCM_16:
		return e->key_bits == 128   ? "AES-GCM-128 with 16 octet ICV "
					      "[RFC5282]"
		       : e->key_bits == 192 ? "AES-GCM-192 with 16 octet ICV "
					      "[RFC5282]"
					    : "AES-GCM-256 with 16 octet ICV "
					      "[RFC5282]";
	}
	return NULL; /* ChaCha20-Poly1305: Wireshark 4.0 cannot decrypt it */
}

const char *keylog_integ_name(const struct xform_integ *i)
{
	if (!i)
		return "NONE [RFC4306]";
	switch (i->id) {
	case AUTH_HMAC_SHA1_96: return "HMAC_SHA1_96 [RFC2404]";
	case AUTH_HMAC_SHA2_256_128: return "HMAC_SHA2_256_128 [RFC4868]";
	case AUTH_HMAC_SHA2_384_192: return "HMAC_SHA2_384_192 [RFC4868]";
	case AUTH_HMAC_SHA2_512_256: return "HMAC_SHA2_512_256 [RFC4868]";
	}
	return NULL;
}

/* Appends `len` bytes as lowercase hex and a separator (Wireshark's UAT
 * files write byte fields unquoted, text fields quoted). */
static char *put_hex(char *p, const uint8_t *b, size_t len, char sep)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		*p++ = digits[b[i] >> 4];
		*p++ = digits[b[i] & 15];
	}
	*p++ = sep;
	return p;
}

static char *put_str(char *p, const char *s, char sep)
{
	size_t n = strlen(s);

	*p++ = '"';
	memcpy(p, s, n);
	p += n;
	*p++ = '"';
	*p++ = sep;
	return p;
}

int keylog_format(char *line, size_t cap, const uint8_t spi_i[KEYMAT_SPI_LEN],
		  const uint8_t spi_r[KEYMAT_SPI_LEN],
		  const struct keymat_ike *km)
{
	const char *encr, *integ;
	char *p = line;

	if (!line || !spi_i || !spi_r || !km)
		return CRYPTO_E_ARG;
	encr = keylog_encr_name(km->suite.encr);
	integ = keylog_integ_name(km->suite.integ);
	if (!encr || !integ)
		return CRYPTO_E_UNSUPPORTED;
	/* hex of the SPIs and four keys, two names, quotes, commas, "\n\0" */
	if (cap < 2 * (16 + 2 * km->e_len + 2 * km->a_len) + strlen(encr) +
			  strlen(integ) + 8 * 3 + 2)
		return CRYPTO_E_BUFFER;
	p = put_hex(p, spi_i, KEYMAT_SPI_LEN, ',');
	p = put_hex(p, spi_r, KEYMAT_SPI_LEN, ',');
	p = put_hex(p, km->sk_ei, km->e_len, ',');
	p = put_hex(p, km->sk_er, km->e_len, ',');
	p = put_str(p, encr, ',');
	p = put_hex(p, km->sk_ai, km->a_len, ',');
	p = put_hex(p, km->sk_ar, km->a_len, ',');
	p = put_str(p, integ, '\n');
	*p = '\0';
	return 0;
}

int keylog_write(struct keylog *kl, const uint8_t spi_i[KEYMAT_SPI_LEN],
		 const uint8_t spi_r[KEYMAT_SPI_LEN],
		 const struct keymat_ike *km)
{
	char line[KEYLOG_LINE_MAX];
	size_t len, done = 0;
	int rc;

	if (!kl)
		return CRYPTO_E_ARG;
	rc = keylog_format(line, sizeof(line), spi_i, spi_r, km);
	if (rc == CRYPTO_E_UNSUPPORTED)
		log_notice("keylog: Wireshark cannot decrypt %s; this IKE SA's "
			   "keys are not logged",
			   km->suite.encr ? km->suite.encr->name : "?");
	if (rc)
		return rc;
	len = strlen(line);
	/* O_APPEND: one write per line keeps lines whole */
	while (done < len) {
		ssize_t n = write(kl->fd, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("keylog: writing %s failed: %s", kl->path,
				strerror(errno));
			rc = CRYPTO_E_IO;
			break;
		}
		done += (size_t)n;
	}
	crypto_wipe(line, sizeof(line));
	return rc;
}
