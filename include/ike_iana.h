/* IKEv2 wire constants from the IANA "Internet Key Exchange Version 2 (IKEv2)
 * Parameters" registry (RFC 7296 §3 and the RFCs that extend it).
 *
 * Each registry is one X-macro list X(symbol, value, "name"): the enum and the
 * name table are generated from it, so they cannot disagree. The names are the
 * RFC/IANA spellings that tshark and other daemons print.
 */
#ifndef KB_IKE_IANA_H
#define KB_IKE_IANA_H

#define KB_IANA_ENUM(sym, val, name) sym = val,

/* RFC 7296 §3.1, Exchange Types */
#define IKE_EXCHANGE_TYPES(X)                                                  \
	X(EXCH_IKE_SA_INIT, 34, "IKE_SA_INIT")                                 \
	X(EXCH_IKE_AUTH, 35, "IKE_AUTH")                                       \
	X(EXCH_CREATE_CHILD_SA, 36, "CREATE_CHILD_SA")                         \
	X(EXCH_INFORMATIONAL, 37, "INFORMATIONAL")                             \
	X(EXCH_IKE_SESSION_RESUME, 38, "IKE_SESSION_RESUME")                   \
	X(EXCH_GSA_AUTH, 39, "GSA_AUTH")                                       \
	X(EXCH_GSA_REGISTRATION, 40, "GSA_REGISTRATION")                       \
	X(EXCH_GSA_REKEY, 41, "GSA_REKEY")                                     \
	X(EXCH_IKE_INTERMEDIATE, 43, "IKE_INTERMEDIATE")                       \
	X(EXCH_IKE_FOLLOWUP_KE, 44, "IKE_FOLLOWUP_KE")

/* RFC 7296 §3.2, Payload Types ("No Next Payload" is 0) */
#define IKE_PAYLOAD_TYPES(X)                                                   \
	X(PL_NONE, 0, "NONE")                                                  \
	X(PL_SA, 33, "SA")                                                     \
	X(PL_KE, 34, "KE")                                                     \
	X(PL_IDI, 35, "IDi")                                                   \
	X(PL_IDR, 36, "IDr")                                                   \
	X(PL_CERT, 37, "CERT")                                                 \
	X(PL_CERTREQ, 38, "CERTREQ")                                           \
	X(PL_AUTH, 39, "AUTH")                                                 \
	X(PL_NONCE, 40, "Nonce")                                               \
	X(PL_NOTIFY, 41, "N")                                                  \
	X(PL_DELETE, 42, "D")                                                  \
	X(PL_VENDOR, 43, "V")                                                  \
	X(PL_TSI, 44, "TSi")                                                   \
	X(PL_TSR, 45, "TSr")                                                   \
	X(PL_SK, 46, "SK")                                                     \
	X(PL_CP, 47, "CP")                                                     \
	X(PL_EAP, 48, "EAP")                                                   \
	X(PL_GSPM, 49, "GSPM")                                                 \
	X(PL_IDG, 50, "IDg")                                                   \
	X(PL_GSA, 51, "GSA")                                                   \
	X(PL_KD, 52, "KD")                                                     \
	X(PL_SKF, 53, "SKF")                                                   \
	X(PL_PS, 54, "PS")

/* RFC 7296 §3.3.1, Security Protocol Identifiers */
#define IKE_PROTOCOL_IDS(X)                                                    \
	X(PROTO_NONE, 0, "NONE")                                               \
	X(PROTO_IKE, 1, "IKE")                                                 \
	X(PROTO_AH, 2, "AH")                                                   \
	X(PROTO_ESP, 3, "ESP")                                                 \
	X(PROTO_FC_ESP_HEADER, 4, "FC_ESP_HEADER")                             \
	X(PROTO_FC_CT_AUTHENTICATION, 5, "FC_CT_AUTHENTICATION")

/* RFC 7296 §3.3.2, Transform Types */
#define IKE_TRANSFORM_TYPES(X)                                                 \
	X(TRANS_ENCR, 1, "ENCR")                                               \
	X(TRANS_PRF, 2, "PRF")                                                 \
	X(TRANS_INTEG, 3, "INTEG")                                             \
	X(TRANS_KE, 4, "KE")                                                   \
	X(TRANS_ESN, 5, "ESN")                                                 \
	X(TRANS_ADDKE1, 6, "ADDKE1")                                           \
	X(TRANS_ADDKE2, 7, "ADDKE2")                                           \
	X(TRANS_ADDKE3, 8, "ADDKE3")                                           \
	X(TRANS_ADDKE4, 9, "ADDKE4")                                           \
	X(TRANS_ADDKE5, 10, "ADDKE5")                                          \
	X(TRANS_ADDKE6, 11, "ADDKE6")                                          \
	X(TRANS_ADDKE7, 12, "ADDKE7")

/* Transform Type 1, Encryption Algorithm Transform IDs */
#define IKE_ENCR_IDS(X)                                                        \
	X(ENCR_DES_IV64, 1, "ENCR_DES_IV64")                                   \
	X(ENCR_DES, 2, "ENCR_DES")                                             \
	X(ENCR_3DES, 3, "ENCR_3DES")                                           \
	X(ENCR_RC5, 4, "ENCR_RC5")                                             \
	X(ENCR_IDEA, 5, "ENCR_IDEA")                                           \
	X(ENCR_CAST, 6, "ENCR_CAST")                                           \
	X(ENCR_BLOWFISH, 7, "ENCR_BLOWFISH")                                   \
	X(ENCR_3IDEA, 8, "ENCR_3IDEA")                                         \
	X(ENCR_DES_IV32, 9, "ENCR_DES_IV32")                                   \
	X(ENCR_NULL, 11, "ENCR_NULL")                                          \
	X(ENCR_AES_CBC, 12, "ENCR_AES_CBC")                                    \
	X(ENCR_AES_CTR, 13, "ENCR_AES_CTR")                                    \
	X(ENCR_AES_CCM_8, 14, "ENCR_AES_CCM_8")                                \
	X(ENCR_AES_CCM_12, 15, "ENCR_AES_CCM_12")                              \
	X(ENCR_AES_CCM_16, 16, "ENCR_AES_CCM_16")                              \
	X(ENCR_AES_GCM_8, 18, "ENCR_AES_GCM_8")                                \
	X(ENCR_AES_GCM_12, 19, "ENCR_AES_GCM_12")                              \
	X(ENCR_AES_GCM_16, 20, "ENCR_AES_GCM_16")                              \
	X(ENCR_NULL_AUTH_AES_GMAC, 21, "ENCR_NULL_AUTH_AES_GMAC")              \
	X(ENCR_CAMELLIA_CBC, 23, "ENCR_CAMELLIA_CBC")                          \
	X(ENCR_CAMELLIA_CTR, 24, "ENCR_CAMELLIA_CTR")                          \
	X(ENCR_CAMELLIA_CCM_8, 25, "ENCR_CAMELLIA_CCM_8")                      \
	X(ENCR_CAMELLIA_CCM_12, 26, "ENCR_CAMELLIA_CCM_12")                    \
	X(ENCR_CAMELLIA_CCM_16, 27, "ENCR_CAMELLIA_CCM_16")                    \
	X(ENCR_CHACHA20_POLY1305, 28, "ENCR_CHACHA20_POLY1305")                \
	X(ENCR_AES_CCM_8_IIV, 29, "ENCR_AES_CCM_8_IIV")                        \
	X(ENCR_AES_GCM_16_IIV, 30, "ENCR_AES_GCM_16_IIV")                      \
	X(ENCR_CHACHA20_POLY1305_IIV, 31, "ENCR_CHACHA20_POLY1305_IIV")        \
	X(ENCR_KUZNYECHIK_MGM_KTREE, 32, "ENCR_KUZNYECHIK_MGM_KTREE")          \
	X(ENCR_MAGMA_MGM_KTREE, 33, "ENCR_MAGMA_MGM_KTREE")                    \
	X(ENCR_KUZNYECHIK_MGM_MAC_KTREE, 34, "ENCR_KUZNYECHIK_MGM_MAC_KTREE")  \
	X(ENCR_MAGMA_MGM_MAC_KTREE, 35, "ENCR_MAGMA_MGM_MAC_KTREE")

/* Transform Type 2, Pseudorandom Function Transform IDs */
#define IKE_PRF_IDS(X)                                                         \
	X(PRF_HMAC_MD5, 1, "PRF_HMAC_MD5")                                     \
	X(PRF_HMAC_SHA1, 2, "PRF_HMAC_SHA1")                                   \
	X(PRF_HMAC_TIGER, 3, "PRF_HMAC_TIGER")                                 \
	X(PRF_AES128_XCBC, 4, "PRF_AES128_XCBC")                               \
	X(PRF_HMAC_SHA2_256, 5, "PRF_HMAC_SHA2_256")                           \
	X(PRF_HMAC_SHA2_384, 6, "PRF_HMAC_SHA2_384")                           \
	X(PRF_HMAC_SHA2_512, 7, "PRF_HMAC_SHA2_512")                           \
	X(PRF_AES128_CMAC, 8, "PRF_AES128_CMAC")                               \
	X(PRF_HMAC_STREEBOG_512, 9, "PRF_HMAC_STREEBOG_512")

/* Transform Type 3, Integrity Algorithm Transform IDs */
#define IKE_INTEG_IDS(X)                                                       \
	X(AUTH_NONE, 0, "NONE")                                                \
	X(AUTH_HMAC_MD5_96, 1, "AUTH_HMAC_MD5_96")                             \
	X(AUTH_HMAC_SHA1_96, 2, "AUTH_HMAC_SHA1_96")                           \
	X(AUTH_DES_MAC, 3, "AUTH_DES_MAC")                                     \
	X(AUTH_KPDK_MD5, 4, "AUTH_KPDK_MD5")                                   \
	X(AUTH_AES_XCBC_96, 5, "AUTH_AES_XCBC_96")                             \
	X(AUTH_HMAC_MD5_128, 6, "AUTH_HMAC_MD5_128")                           \
	X(AUTH_HMAC_SHA1_160, 7, "AUTH_HMAC_SHA1_160")                         \
	X(AUTH_AES_CMAC_96, 8, "AUTH_AES_CMAC_96")                             \
	X(AUTH_AES_128_GMAC, 9, "AUTH_AES_128_GMAC")                           \
	X(AUTH_AES_192_GMAC, 10, "AUTH_AES_192_GMAC")                          \
	X(AUTH_AES_256_GMAC, 11, "AUTH_AES_256_GMAC")                          \
	X(AUTH_HMAC_SHA2_256_128, 12, "AUTH_HMAC_SHA2_256_128")                \
	X(AUTH_HMAC_SHA2_384_192, 13, "AUTH_HMAC_SHA2_384_192")                \
	X(AUTH_HMAC_SHA2_512_256, 14, "AUTH_HMAC_SHA2_512_256")

/* Transform Type 4, Key Exchange Method Transform IDs (formerly D-H groups) */
#define IKE_KE_IDS(X)                                                          \
	X(KE_NONE, 0, "NONE")                                                  \
	X(KE_MODP_768, 1, "MODP_768")                                          \
	X(KE_MODP_1024, 2, "MODP_1024")                                        \
	X(KE_MODP_1536, 5, "MODP_1536")                                        \
	X(KE_MODP_2048, 14, "MODP_2048")                                       \
	X(KE_MODP_3072, 15, "MODP_3072")                                       \
	X(KE_MODP_4096, 16, "MODP_4096")                                       \
	X(KE_MODP_6144, 17, "MODP_6144")                                       \
	X(KE_MODP_8192, 18, "MODP_8192")                                       \
	X(KE_ECP_256, 19, "ECP_256")                                           \
	X(KE_ECP_384, 20, "ECP_384")                                           \
	X(KE_ECP_521, 21, "ECP_521")                                           \
	X(KE_MODP_1024_160, 22, "MODP_1024_160")                               \
	X(KE_MODP_2048_224, 23, "MODP_2048_224")                               \
	X(KE_MODP_2048_256, 24, "MODP_2048_256")                               \
	X(KE_ECP_192, 25, "ECP_192")                                           \
	X(KE_ECP_224, 26, "ECP_224")                                           \
	X(KE_BRAINPOOL_P224R1, 27, "BRAINPOOL_P224R1")                         \
	X(KE_BRAINPOOL_P256R1, 28, "BRAINPOOL_P256R1")                         \
	X(KE_BRAINPOOL_P384R1, 29, "BRAINPOOL_P384R1")                         \
	X(KE_BRAINPOOL_P512R1, 30, "BRAINPOOL_P512R1")                         \
	X(KE_CURVE25519, 31, "CURVE25519")                                     \
	X(KE_CURVE448, 32, "CURVE448")                                         \
	X(KE_GOST3410_2012_256, 33, "GOST3410_2012_256")                       \
	X(KE_GOST3410_2012_512, 34, "GOST3410_2012_512")                       \
	X(KE_ML_KEM_512, 35, "ML_KEM_512")                                     \
	X(KE_ML_KEM_768, 36, "ML_KEM_768")                                     \
	X(KE_ML_KEM_1024, 37, "ML_KEM_1024")

/* Transform Type 5, Extended Sequence Numbers Transform IDs */
#define IKE_ESN_IDS(X)                                                         \
	X(ESN_NONE, 0, "NO_ESN")                                               \
	X(ESN_YES, 1, "ESN")

/* RFC 7296 §3.3.5, Transform Attribute Types */
#define IKE_TRANSFORM_ATTRS(X) X(TATTR_KEY_LENGTH, 14, "KEY_LENGTH")

/* RFC 7296 §3.5, IKEv2 Identification Payload ID Types */
#define IKE_ID_TYPES(X)                                                        \
	X(ID_IPV4_ADDR, 1, "ID_IPV4_ADDR")                                     \
	X(ID_FQDN, 2, "ID_FQDN")                                               \
	X(ID_RFC822_ADDR, 3, "ID_RFC822_ADDR")                                 \
	X(ID_IPV6_ADDR, 5, "ID_IPV6_ADDR")                                     \
	X(ID_DER_ASN1_DN, 9, "ID_DER_ASN1_DN")                                 \
	X(ID_DER_ASN1_GN, 10, "ID_DER_ASN1_GN")                                \
	X(ID_KEY_ID, 11, "ID_KEY_ID")                                          \
	X(ID_FC_NAME, 12, "ID_FC_NAME")                                        \
	X(ID_NULL, 13, "ID_NULL")

/* RFC 7296 §3.6, IKEv2 Certificate Encodings */
#define IKE_CERT_ENCODINGS(X)                                                  \
	X(CERT_PKCS7_WRAPPED_X509, 1, "PKCS #7 wrapped X.509 certificate")     \
	X(CERT_PGP, 2, "PGP Certificate")                                      \
	X(CERT_DNS_SIGNED_KEY, 3, "DNS Signed Key")                            \
	X(CERT_X509_SIGNATURE, 4, "X.509 Certificate - Signature")             \
	X(CERT_KERBEROS_TOKEN, 6, "Kerberos Token")                            \
	X(CERT_CRL, 7, "Certificate Revocation List (CRL)")                    \
	X(CERT_ARL, 8, "Authority Revocation List (ARL)")                      \
	X(CERT_SPKI, 9, "SPKI Certificate")                                    \
	X(CERT_X509_ATTRIBUTE, 10, "X.509 Certificate - Attribute")            \
	X(CERT_RAW_RSA_KEY, 11, "Raw RSA Key")                                 \
	X(CERT_HASH_URL_X509_CERT, 12, "Hash and URL of X.509 certificate")    \
	X(CERT_HASH_URL_X509_BUNDLE, 13, "Hash and URL of X.509 bundle")       \
	X(CERT_OCSP_CONTENT, 14, "OCSP Content")                               \
	X(CERT_RAW_PUBLIC_KEY, 15, "Raw Public Key")

/* RFC 7296 §3.8, IKEv2 Authentication Method */
#define IKE_AUTH_METHODS(X)                                                    \
	X(AUTHM_RSA_SIG, 1, "RSA Digital Signature")                           \
	X(AUTHM_SHARED_KEY, 2, "Shared Key Message Integrity Code")            \
	X(AUTHM_DSS_SIG, 3, "DSS Digital Signature")                           \
	X(AUTHM_ECDSA_SHA256_P256, 9, "ECDSA with SHA-256 on the P-256 curve") \
	X(AUTHM_ECDSA_SHA384_P384, 10,                                         \
	  "ECDSA with SHA-384 on the P-384 curve")                             \
	X(AUTHM_ECDSA_SHA512_P521, 11,                                         \
	  "ECDSA with SHA-512 on the P-521 curve")                             \
	X(AUTHM_GSPAM, 12, "Generic Secure Password Authentication Method")    \
	X(AUTHM_NULL, 13, "NULL Authentication")                               \
	X(AUTHM_DIGITAL_SIGNATURE, 14, "Digital Signature")

/* RFC 7427 §4, IKEv2 Hash Algorithms (SIGNATURE_HASH_ALGORITHMS) */
#define IKE_HASH_ALGORITHMS(X)                                                 \
	X(HASH_SHA1, 1, "SHA1")                                                \
	X(HASH_SHA2_256, 2, "SHA2_256")                                        \
	X(HASH_SHA2_384, 3, "SHA2_384")                                        \
	X(HASH_SHA2_512, 4, "SHA2_512")                                        \
	X(HASH_IDENTITY, 5, "Identity")                                        \
	X(HASH_STREEBOG_256, 6, "STREEBOG_256")                                \
	X(HASH_STREEBOG_512, 7, "STREEBOG_512")

/* RFC 7296 §3.10.1, Notify Message Types: errors (1..16383) */
#define IKE_NOTIFY_ERRORS(X)                                                   \
	X(N_UNSUPPORTED_CRITICAL_PAYLOAD, 1, "UNSUPPORTED_CRITICAL_PAYLOAD")   \
	X(N_INVALID_IKE_SPI, 4, "INVALID_IKE_SPI")                             \
	X(N_INVALID_MAJOR_VERSION, 5, "INVALID_MAJOR_VERSION")                 \
	X(N_INVALID_SYNTAX, 7, "INVALID_SYNTAX")                               \
	X(N_INVALID_MESSAGE_ID, 9, "INVALID_MESSAGE_ID")                       \
	X(N_INVALID_SPI, 11, "INVALID_SPI")                                    \
	X(N_NO_PROPOSAL_CHOSEN, 14, "NO_PROPOSAL_CHOSEN")                      \
	X(N_INVALID_KE_PAYLOAD, 17, "INVALID_KE_PAYLOAD")                      \
	X(N_AUTHENTICATION_FAILED, 24, "AUTHENTICATION_FAILED")                \
	X(N_SINGLE_PAIR_REQUIRED, 34, "SINGLE_PAIR_REQUIRED")                  \
	X(N_NO_ADDITIONAL_SAS, 35, "NO_ADDITIONAL_SAS")                        \
	X(N_INTERNAL_ADDRESS_FAILURE, 36, "INTERNAL_ADDRESS_FAILURE")          \
	X(N_FAILED_CP_REQUIRED, 37, "FAILED_CP_REQUIRED")                      \
	X(N_TS_UNACCEPTABLE, 38, "TS_UNACCEPTABLE")                            \
	X(N_INVALID_SELECTORS, 39, "INVALID_SELECTORS")                        \
	X(N_UNACCEPTABLE_ADDRESSES, 40, "UNACCEPTABLE_ADDRESSES")              \
	X(N_UNEXPECTED_NAT_DETECTED, 41, "UNEXPECTED_NAT_DETECTED")            \
	X(N_USE_ASSIGNED_HOA, 42, "USE_ASSIGNED_HoA")                          \
	X(N_TEMPORARY_FAILURE, 43, "TEMPORARY_FAILURE")                        \
	X(N_CHILD_SA_NOT_FOUND, 44, "CHILD_SA_NOT_FOUND")                      \
	X(N_INVALID_GROUP_ID, 45, "INVALID_GROUP_ID")                          \
	X(N_AUTHORIZATION_FAILED, 46, "AUTHORIZATION_FAILED")                  \
	X(N_STATE_NOT_FOUND, 47, "STATE_NOT_FOUND")                            \
	X(N_TS_MAX_QUEUE, 48, "TS_MAX_QUEUE")

/* RFC 7296 §3.10.1, Notify Message Types: status (16384..40959) */
#define IKE_NOTIFY_STATUS(X)                                                   \
	X(N_INITIAL_CONTACT, 16384, "INITIAL_CONTACT")                         \
	X(N_SET_WINDOW_SIZE, 16385, "SET_WINDOW_SIZE")                         \
	X(N_ADDITIONAL_TS_POSSIBLE, 16386, "ADDITIONAL_TS_POSSIBLE")           \
	X(N_IPCOMP_SUPPORTED, 16387, "IPCOMP_SUPPORTED")                       \
	X(N_NAT_DETECTION_SOURCE_IP, 16388, "NAT_DETECTION_SOURCE_IP")         \
	X(N_NAT_DETECTION_DESTINATION_IP, 16389,                               \
	  "NAT_DETECTION_DESTINATION_IP")                                      \
	X(N_COOKIE, 16390, "COOKIE")                                           \
	X(N_USE_TRANSPORT_MODE, 16391, "USE_TRANSPORT_MODE")                   \
	X(N_HTTP_CERT_LOOKUP_SUPPORTED, 16392, "HTTP_CERT_LOOKUP_SUPPORTED")   \
	X(N_REKEY_SA, 16393, "REKEY_SA")                                       \
	X(N_ESP_TFC_PADDING_NOT_SUPPORTED, 16394,                              \
	  "ESP_TFC_PADDING_NOT_SUPPORTED")                                     \
	X(N_NON_FIRST_FRAGMENTS_ALSO, 16395, "NON_FIRST_FRAGMENTS_ALSO")       \
	X(N_MOBIKE_SUPPORTED, 16396, "MOBIKE_SUPPORTED")                       \
	X(N_ADDITIONAL_IP4_ADDRESS, 16397, "ADDITIONAL_IP4_ADDRESS")           \
	X(N_ADDITIONAL_IP6_ADDRESS, 16398, "ADDITIONAL_IP6_ADDRESS")           \
	X(N_NO_ADDITIONAL_ADDRESSES, 16399, "NO_ADDITIONAL_ADDRESSES")         \
	X(N_UPDATE_SA_ADDRESSES, 16400, "UPDATE_SA_ADDRESSES")                 \
	X(N_COOKIE2, 16401, "COOKIE2")                                         \
	X(N_NO_NATS_ALLOWED, 16402, "NO_NATS_ALLOWED")                         \
	X(N_AUTH_LIFETIME, 16403, "AUTH_LIFETIME")                             \
	X(N_MULTIPLE_AUTH_SUPPORTED, 16404, "MULTIPLE_AUTH_SUPPORTED")         \
	X(N_ANOTHER_AUTH_FOLLOWS, 16405, "ANOTHER_AUTH_FOLLOWS")               \
	X(N_REDIRECT_SUPPORTED, 16406, "REDIRECT_SUPPORTED")                   \
	X(N_REDIRECT, 16407, "REDIRECT")                                       \
	X(N_REDIRECTED_FROM, 16408, "REDIRECTED_FROM")                         \
	X(N_TICKET_LT_OPAQUE, 16409, "TICKET_LT_OPAQUE")                       \
	X(N_TICKET_REQUEST, 16410, "TICKET_REQUEST")                           \
	X(N_TICKET_ACK, 16411, "TICKET_ACK")                                   \
	X(N_TICKET_NACK, 16412, "TICKET_NACK")                                 \
	X(N_TICKET_OPAQUE, 16413, "TICKET_OPAQUE")                             \
	X(N_LINK_ID, 16414, "LINK_ID")                                         \
	X(N_USE_WESP_MODE, 16415, "USE_WESP_MODE")                             \
	X(N_ROHC_SUPPORTED, 16416, "ROHC_SUPPORTED")                           \
	X(N_EAP_ONLY_AUTHENTICATION, 16417, "EAP_ONLY_AUTHENTICATION")         \
	X(N_CHILDLESS_IKEV2_SUPPORTED, 16418, "CHILDLESS_IKEV2_SUPPORTED")     \
	X(N_QUICK_CRASH_DETECTION, 16419, "QUICK_CRASH_DETECTION")             \
	X(N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED, 16420,                            \
	  "IKEV2_MESSAGE_ID_SYNC_SUPPORTED")                                   \
	X(N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED, 16421,                        \
	  "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED")                               \
	X(N_IKEV2_MESSAGE_ID_SYNC, 16422, "IKEV2_MESSAGE_ID_SYNC")             \
	X(N_IPSEC_REPLAY_COUNTER_SYNC, 16423, "IPSEC_REPLAY_COUNTER_SYNC")     \
	X(N_SECURE_PASSWORD_METHODS, 16424, "SECURE_PASSWORD_METHODS")         \
	X(N_PSK_PERSIST, 16425, "PSK_PERSIST")                                 \
	X(N_PSK_CONFIRM, 16426, "PSK_CONFIRM")                                 \
	X(N_ERX_SUPPORTED, 16427, "ERX_SUPPORTED")                             \
	X(N_IFOM_CAPABILITY, 16428, "IFOM_CAPABILITY")                         \
	X(N_SENDER_REQUEST_ID, 16429, "SENDER_REQUEST_ID")                     \
	X(N_IKEV2_FRAGMENTATION_SUPPORTED, 16430,                              \
	  "IKEV2_FRAGMENTATION_SUPPORTED")                                     \
	X(N_SIGNATURE_HASH_ALGORITHMS, 16431, "SIGNATURE_HASH_ALGORITHMS")     \
	X(N_CLONE_IKE_SA_SUPPORTED, 16432, "CLONE_IKE_SA_SUPPORTED")           \
	X(N_CLONE_IKE_SA, 16433, "CLONE_IKE_SA")                               \
	X(N_PUZZLE, 16434, "PUZZLE")                                           \
	X(N_USE_PPK, 16435, "USE_PPK")                                         \
	X(N_PPK_IDENTITY, 16436, "PPK_IDENTITY")                               \
	X(N_NO_PPK_AUTH, 16437, "NO_PPK_AUTH")                                 \
	X(N_INTERMEDIATE_EXCHANGE_SUPPORTED, 16438,                            \
	  "INTERMEDIATE_EXCHANGE_SUPPORTED")                                   \
	X(N_IP4_ALLOWED, 16439, "IP4_ALLOWED")                                 \
	X(N_IP6_ALLOWED, 16440, "IP6_ALLOWED")                                 \
	X(N_ADDITIONAL_KEY_EXCHANGE, 16441, "ADDITIONAL_KEY_EXCHANGE")         \
	X(N_USE_AGGFRAG, 16442, "USE_AGGFRAG")                                 \
	X(N_SUPPORTED_AUTH_METHODS, 16443, "SUPPORTED_AUTH_METHODS")           \
	X(N_SA_RESOURCE_INFO, 16444, "SA_RESOURCE_INFO")

#define IKE_NOTIFY_TYPES(X) IKE_NOTIFY_ERRORS(X) IKE_NOTIFY_STATUS(X)

/* RFC 7296 §3.13.1, IKEv2 Traffic Selector Types */
#define IKE_TS_TYPES(X)                                                        \
	X(TS_IPV4_ADDR_RANGE, 7, "TS_IPV4_ADDR_RANGE")                         \
	X(TS_IPV6_ADDR_RANGE, 8, "TS_IPV6_ADDR_RANGE")                         \
	X(TS_FC_ADDR_RANGE, 9, "TS_FC_ADDR_RANGE")                             \
	X(TS_SECLABEL, 10, "TS_SECLABEL")

/* RFC 7296 §3.15, IKEv2 Configuration Payload CFG Types */
#define IKE_CFG_TYPES(X)                                                       \
	X(CFG_REQUEST, 1, "CFG_REQUEST")                                       \
	X(CFG_REPLY, 2, "CFG_REPLY")                                           \
	X(CFG_SET, 3, "CFG_SET")                                               \
	X(CFG_ACK, 4, "CFG_ACK")

/* RFC 7296 §3.15.1, IKEv2 Configuration Payload Attribute Types */
#define IKE_CFG_ATTRS(X)                                                       \
	X(CFGA_INTERNAL_IP4_ADDRESS, 1, "INTERNAL_IP4_ADDRESS")                \
	X(CFGA_INTERNAL_IP4_NETMASK, 2, "INTERNAL_IP4_NETMASK")                \
	X(CFGA_INTERNAL_IP4_DNS, 3, "INTERNAL_IP4_DNS")                        \
	X(CFGA_INTERNAL_IP4_NBNS, 4, "INTERNAL_IP4_NBNS")                      \
	X(CFGA_INTERNAL_IP4_DHCP, 6, "INTERNAL_IP4_DHCP")                      \
	X(CFGA_APPLICATION_VERSION, 7, "APPLICATION_VERSION")                  \
	X(CFGA_INTERNAL_IP6_ADDRESS, 8, "INTERNAL_IP6_ADDRESS")                \
	X(CFGA_INTERNAL_IP6_DNS, 10, "INTERNAL_IP6_DNS")                       \
	X(CFGA_INTERNAL_IP6_DHCP, 12, "INTERNAL_IP6_DHCP")                     \
	X(CFGA_INTERNAL_IP4_SUBNET, 13, "INTERNAL_IP4_SUBNET")                 \
	X(CFGA_SUPPORTED_ATTRIBUTES, 14, "SUPPORTED_ATTRIBUTES")               \
	X(CFGA_INTERNAL_IP6_SUBNET, 15, "INTERNAL_IP6_SUBNET")                 \
	X(CFGA_MIP6_HOME_PREFIX, 16, "MIP6_HOME_PREFIX")                       \
	X(CFGA_INTERNAL_IP6_LINK, 17, "INTERNAL_IP6_LINK")                     \
	X(CFGA_INTERNAL_IP6_PREFIX, 18, "INTERNAL_IP6_PREFIX")                 \
	X(CFGA_HOME_AGENT_ADDRESS, 19, "HOME_AGENT_ADDRESS")                   \
	X(CFGA_P_CSCF_IP4_ADDRESS, 20, "P_CSCF_IP4_ADDRESS")                   \
	X(CFGA_P_CSCF_IP6_ADDRESS, 21, "P_CSCF_IP6_ADDRESS")                   \
	X(CFGA_FTT_KAT, 22, "FTT_KAT")                                         \
	X(CFGA_EXTERNAL_SOURCE_IP4_NAT_INFO, 23,                               \
	  "EXTERNAL_SOURCE_IP4_NAT_INFO")                                      \
	X(CFGA_TIMEOUT_PERIOD_FOR_LIVENESS_CHECK, 24,                          \
	  "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK")                                 \
	X(CFGA_INTERNAL_DNS_DOMAIN, 25, "INTERNAL_DNS_DOMAIN")                 \
	X(CFGA_INTERNAL_DNSSEC_TA, 26, "INTERNAL_DNSSEC_TA")                   \
	X(CFGA_ENCDNS_IP4, 27, "ENCDNS_IP4")                                   \
	X(CFGA_ENCDNS_IP6, 28, "ENCDNS_IP6")                                   \
	X(CFGA_ENCDNS_DIGEST_INFO, 29, "ENCDNS_DIGEST_INFO")

enum ike_exchange_type { IKE_EXCHANGE_TYPES(KB_IANA_ENUM) };
enum ike_payload_type { IKE_PAYLOAD_TYPES(KB_IANA_ENUM) };
enum ike_protocol_id { IKE_PROTOCOL_IDS(KB_IANA_ENUM) };
enum ike_transform_type { IKE_TRANSFORM_TYPES(KB_IANA_ENUM) };
enum ike_encr_id { IKE_ENCR_IDS(KB_IANA_ENUM) };
enum ike_prf_id { IKE_PRF_IDS(KB_IANA_ENUM) };
enum ike_integ_id { IKE_INTEG_IDS(KB_IANA_ENUM) };
enum ike_ke_id { IKE_KE_IDS(KB_IANA_ENUM) };
enum ike_esn_id { IKE_ESN_IDS(KB_IANA_ENUM) };
enum ike_transform_attr { IKE_TRANSFORM_ATTRS(KB_IANA_ENUM) };
enum ike_id_type { IKE_ID_TYPES(KB_IANA_ENUM) };
enum ike_cert_encoding { IKE_CERT_ENCODINGS(KB_IANA_ENUM) };
enum ike_auth_method { IKE_AUTH_METHODS(KB_IANA_ENUM) };
enum ike_hash_algorithm { IKE_HASH_ALGORITHMS(KB_IANA_ENUM) };
enum ike_notify_type { IKE_NOTIFY_TYPES(KB_IANA_ENUM) };
enum ike_ts_type { IKE_TS_TYPES(KB_IANA_ENUM) };
enum ike_cfg_type { IKE_CFG_TYPES(KB_IANA_ENUM) };
enum ike_cfg_attr { IKE_CFG_ATTRS(KB_IANA_ENUM) };

/* RFC 7296 §3.1 header flags and fixed sizes */
enum {
	IKE_HDR_LEN = 28,
	IKE_VERSION_2 = 0x20, /* major 2, minor 0 */
	IKE_FLAG_INITIATOR = 0x08,
	IKE_FLAG_VERSION = 0x10,
	IKE_FLAG_RESPONSE = 0x20,
	IKE_PAYLOAD_CRITICAL = 0x80, /* §3.2 C bit */
	IKE_PORT = 500,
	IKE_NATT_PORT = 4500,
	IKE_NON_ESP_MARKER_LEN = 4, /* RFC 3948 §2.2 */
};

/* Names of registry values, or NULL for a value the registry does not list.
 * Transform IDs are named per transform type (ike_transform_id_name). */
const char *ike_exchange_type_name(unsigned v);
const char *ike_payload_type_name(unsigned v);
const char *ike_protocol_id_name(unsigned v);
const char *ike_transform_type_name(unsigned v);
const char *ike_encr_id_name(unsigned v);
const char *ike_prf_id_name(unsigned v);
const char *ike_integ_id_name(unsigned v);
const char *ike_ke_id_name(unsigned v);
const char *ike_esn_id_name(unsigned v);
const char *ike_transform_attr_name(unsigned v);
const char *ike_id_type_name(unsigned v);
const char *ike_cert_encoding_name(unsigned v);
const char *ike_auth_method_name(unsigned v);
const char *ike_hash_algorithm_name(unsigned v);
const char *ike_notify_type_name(unsigned v);
const char *ike_ts_type_name(unsigned v);
const char *ike_cfg_type_name(unsigned v);
const char *ike_cfg_attr_name(unsigned v);

/* Name of transform `id` of transform type `type`, or NULL. */
const char *ike_transform_id_name(unsigned type, unsigned id);

/* True for notify types in the error range (RFC 7296 §3.10.1: 1..16383). */
int ike_notify_is_error(unsigned v);

#endif
