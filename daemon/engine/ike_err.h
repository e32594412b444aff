/* Named engine errors and the IKE Notify each one is answered with.
 *
 * Engine functions return 0 on success or a negative `enum ike_err`
 * (STYLE.md rule 7). Every error, its description and the Notify Message Type
 * that reports it to the peer are one X-macro row, so the mapping lives in
 * exactly one table. A notify of 0 means "send nothing": the datagram is
 * dropped (RFC 7296 §2.21: errors in unauthenticated messages must not be
 * answered blindly; whether to answer at all stays the caller's decision).
 *
 * Values start at -1000 so that they never collide with -errno.
 */
#ifndef KB_ENGINE_IKE_ERR_H
#define KB_ENGINE_IKE_ERR_H

#include "ike_iana.h"

#include <stdint.h>

/* X(symbol, number, notify type, description); the enum value is -number. */
#define IKE_ERRORS(X)                                                          \
	/* Datagram and header (RFC 7296 §3.1, RFC 3948 §2.2) */             \
	X(IKE_ERR_NOT_IKE, 1000, 0, "datagram is not an IKE message")          \
	X(IKE_ERR_TRUNCATED, 1001, 0, "datagram shorter than the IKE header")  \
	X(IKE_ERR_MAJOR_VERSION, 1002, N_INVALID_MAJOR_VERSION,                \
	  "major version is not 2")                                            \
	X(IKE_ERR_LENGTH, 1003, N_INVALID_SYNTAX,                              \
	  "header length differs from the datagram length")                    \
	/* Generic payload header and chain (RFC 7296 §3.2) */                \
	X(IKE_ERR_PAYLOAD_LENGTH, 1010, N_INVALID_SYNTAX,                      \
	  "payload length below the minimum for its type")                     \
	X(IKE_ERR_PAYLOAD_OVERRUN, 1011, N_INVALID_SYNTAX,                     \
	  "payload runs past the end of the message")                          \
	X(IKE_ERR_CRITICAL, 1012, N_UNSUPPORTED_CRITICAL_PAYLOAD,              \
	  "unsupported payload with the critical bit set")                     \
	X(IKE_ERR_TOO_MANY_PAYLOADS, 1013, N_INVALID_SYNTAX,                   \
	  "more payloads than the decoder accepts")                            \
	X(IKE_ERR_TOO_MANY_ITEMS, 1014, N_INVALID_SYNTAX,                      \
	  "more proposals, transforms, selectors or attributes than accepted") \
	X(IKE_ERR_SK_NOT_LAST, 1015, N_INVALID_SYNTAX,                         \
	  "encrypted payload (SK/SKF) is not the last payload")                \
	X(IKE_ERR_TRAILING, 1017, N_INVALID_SYNTAX,                            \
	  "bytes left after the last payload")                                 \
	X(IKE_ERR_PAYLOAD_SYNTAX, 1016, N_INVALID_SYNTAX,                      \
	  "payload body does not match its type's format")                     \
	/* SA payload (RFC 7296 §3.3) */                                      \
	X(IKE_ERR_PROPOSAL_NUM, 1020, N_INVALID_SYNTAX,                        \
	  "proposal numbers do not start at 1 and go up by one")               \
	X(IKE_ERR_PROPOSAL_COUNT, 1021, N_INVALID_SYNTAX,                      \
	  "proposal or transform count disagrees with the structure")          \
	X(IKE_ERR_SPI_SIZE, 1022, N_INVALID_SYNTAX,                            \
	  "SPI size wrong for the protocol")                                   \
	X(IKE_ERR_TRANSFORM, 1023, N_INVALID_SYNTAX,                           \
	  "transform substructure malformed")                                  \
	X(IKE_ERR_TRANSFORM_ATTR, 1024, N_INVALID_SYNTAX,                      \
	  "transform attribute format error")                                  \
	/* Traffic selectors (RFC 7296 §3.13) */                              \
	X(IKE_ERR_TS_LENGTH, 1030, N_INVALID_SYNTAX,                           \
	  "traffic selector length or count wrong")                            \
	X(IKE_ERR_TS_RANGE, 1031, N_INVALID_SYNTAX,                            \
	  "traffic selector start address above end address")                  \
	/* Fragments (RFC 7383 §2.5) and EAP (RFC 7296 §3.16) */             \
	X(IKE_ERR_FRAGMENT, 1040, N_INVALID_SYNTAX,                            \
	  "fragment number zero or above the total")                           \
	X(IKE_ERR_EAP_LENGTH, 1041, N_INVALID_SYNTAX,                          \
	  "EAP length differs from the payload length")                        \
	/* Encoder */                                                          \
	X(IKE_ERR_NO_SPACE, 1090, 0, "output buffer too small")                \
	X(IKE_ERR_ENCODE, 1091, 0, "message field out of range for encoding")

#define IKE_ERR_ENUM_(sym, num, notify, text) sym = -(num),
enum ike_err { IKE_OK = 0, IKE_ERRORS(IKE_ERR_ENUM_) };
#undef IKE_ERR_ENUM_

/* Symbol of error `err` ("IKE_ERR_LENGTH"), "IKE_OK" for 0, or "errno" for
 * any other negative value. */
const char *ike_err_name(int err);

/* One-line description of `err` for logs. */
const char *ike_err_str(int err);

/* Notify Message Type that reports `err` to the peer (RFC 7296 §3.10.1), or
 * 0 when the datagram should be dropped without an answer. */
uint16_t ike_err_notify(int err);

#endif
