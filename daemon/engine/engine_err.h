/* Engine errors: why a message, an exchange or an SA failed. Each is a
 * negative return value, named in logs and mapped to the IKE Notify type
 * sent to the peer (0: nothing is sent) in one table (RFC 7296 §3.10.1). */
#ifndef KB_ENGINE_ENGINE_ERR_H
#define KB_ENGINE_ENGINE_ERR_H

#include "ike_iana.h"

/* X(symbol, value, notify, "name") */
#define ENGINE_ERRORS(X)                                                       \
	X(ENG_ERR_NOMEM, 2000, 0, "out of memory")                             \
	X(ENG_ERR_RANDOM, 2001, 0, "random source failed")                     \
	X(ENG_ERR_MALFORMED, 2002, N_INVALID_SYNTAX, "malformed message")      \
	X(ENG_ERR_NO_PROPOSAL, 2003, N_NO_PROPOSAL_CHOSEN,                     \
	  "no acceptable proposal")                                            \
	X(ENG_ERR_INVALID_KE, 2004, N_INVALID_KE_PAYLOAD,                      \
	  "KE method differs from the selected one")                           \
	X(ENG_ERR_AUTH, 2005, N_AUTHENTICATION_FAILED,                         \
	  "authentication failed")                                             \
	X(ENG_ERR_ID, 2006, N_AUTHENTICATION_FAILED,                           \
	  "peer identity does not match the configuration")                    \
	X(ENG_ERR_TS, 2007, N_TS_UNACCEPTABLE,                                 \
	  "traffic selectors unacceptable")                                    \
	X(ENG_ERR_UNKNOWN_SPI, 2008, N_INVALID_IKE_SPI, "unknown IKE SPI")     \
	X(ENG_ERR_STATE, 2009, 0, "message unexpected in this state")          \
	X(ENG_ERR_MSGID, 2010, 0, "message ID outside the window")             \
	X(ENG_ERR_ICV, 2011, 0, "integrity check failed")                      \
	X(ENG_ERR_NO_CONN, 2012, N_NO_PROPOSAL_CHOSEN,                         \
	  "no matching connection")                                            \
	X(ENG_ERR_BUSY, 2013, 0, "too many half-open SAs")                     \
	X(ENG_ERR_COOKIE, 2014, 0, "cookie missing or wrong")                  \
	X(ENG_ERR_MISSING, 2015, N_INVALID_SYNTAX,                             \
	  "a required payload is missing")                                     \
	X(ENG_ERR_PEER, 2016, 0, "peer sent an error notify")                  \
	X(ENG_ERR_TIMEOUT, 2017, 0, "peer did not answer")                     \
	X(ENG_ERR_KE_VALUE, 2018, N_INVALID_SYNTAX,                            \
	  "peer's KE value is invalid")                                        \
	X(ENG_ERR_CRYPTO, 2019, 0, "crypto operation failed")                  \
	X(ENG_ERR_KERNEL, 2020, 0, "kernel refused")                           \
	X(ENG_ERR_UNSUPPORTED, 2021, 0, "not supported")                       \
	X(ENG_ERR_CRITICAL, 2022, N_UNSUPPORTED_CRITICAL_PAYLOAD,              \
	  "unsupported critical payload")                                      \
	X(ENG_ERR_VERSION, 2023, N_INVALID_MAJOR_VERSION,                      \
	  "unsupported major version")                                         \
	X(ENG_ERR_INVALID_SPI, 2024, N_INVALID_SPI, "unknown CHILD SA SPI")    \
	X(ENG_ERR_ADDRESS, 2040, N_INTERNAL_ADDRESS_FAILURE,                   \
	  "no virtual address to assign")                                      \
	X(ENG_ERR_EAP, 2025, N_AUTHENTICATION_FAILED,                          \
	  "EAP authentication failed")                                         \
	X(ENG_ERR_UNRESOLVED, 2041, 0, "the peer's name is not resolved yet")  \
	X(ENG_ERR_NO_PSK, 2050, N_AUTHENTICATION_FAILED,                       \
	  "no pre-shared key for this pair of identities")

#define ENGINE_ERR_ENUM(sym, val, notify, name) sym = val,
enum engine_err { ENGINE_ERRORS(ENGINE_ERR_ENUM) };

/* Name of a (negative or positive) engine error, or "error <n>". */
const char *engine_err_name(int err);

/* Notify type to send for an engine error, or 0. */
unsigned engine_err_notify(int err);

#endif
