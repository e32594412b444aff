/* Key log for operators debugging with Wireshark: one line per IKE SA in
 * the format of Wireshark's IKEv2 decryption table (UAT file
 * `ikev2_decryption_table`):
 *
 *   SPIi,SPIr,SK_ei,SK_er,"encr",SK_ai,SK_ar,"integ"
 *
 * keys and SPIs as bare hex, algorithms quoted and spelled as Wireshark's
 * menu spells them (e.g. "AES-CBC-128 [RFC3602]"). The file is created mode 0600; opening it logs a warning, because
 * anyone who reads it can decrypt the IKE SAs.
 */
#ifndef KB_CRYPTO_KEYLOG_H
#define KB_CRYPTO_KEYLOG_H

#include "crypto/crypto.h"
#include "crypto/keymat.h"

/* Longest line keylog_format() writes (keys of 64 bytes in hex). */
#define KEYLOG_LINE_MAX 800

struct keylog;

/* Opens (creates mode 0600, appends to) the key log at `path` and logs a
 * warning that it is on. 0 or CRYPTO_E_IO. */
int keylog_open(const char *path, struct keylog **out)
	__attribute__((warn_unused_result));

/* Closes the key log; keylog_close(NULL) is fine. */
void keylog_close(struct keylog *kl);

/* Wireshark's name for an encryption transform, e.g. "AES-CBC-128
 * [RFC3602]", or NULL when Wireshark cannot decrypt it. */
const char *keylog_encr_name(const struct xform_encr *e);

/* Wireshark's name for an integrity transform ("NONE" for NULL, i.e.
 * AEAD), or NULL when Wireshark does not know it. */
const char *keylog_integ_name(const struct xform_integ *i);

/* Formats one table line (with newline) for an IKE SA. 0, CRYPTO_E_BUFFER
 * or CRYPTO_E_UNSUPPORTED when Wireshark cannot express the suite. */
int keylog_format(char *line, size_t cap, const uint8_t spi_i[KEYMAT_SPI_LEN],
		  const uint8_t spi_r[KEYMAT_SPI_LEN],
		  const struct keymat_ike *km)
	__attribute__((warn_unused_result));

/* Appends the line for an IKE SA and flushes it. 0, CRYPTO_E_IO or as
 * keylog_format(). */
int keylog_write(struct keylog *kl, const uint8_t spi_i[KEYMAT_SPI_LEN],
		 const uint8_t spi_r[KEYMAT_SPI_LEN],
		 const struct keymat_ike *km)
	__attribute__((warn_unused_result));

#endif
