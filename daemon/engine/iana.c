/* Name tables for the IANA IKEv2 registries, generated from the X-macro
 * lists in include/ike_iana.h. */
#include "ike_iana.h"

#include <stddef.h>

#define IANA_CASE(sym, val, name)                                              \
	case val:                                                              \
		return name;

#define IANA_NAME_FN(fn, LIST)                                                 \
	const char *fn(unsigned v)                                             \
	{                                                                      \
		switch (v) {                                                   \
			LIST(IANA_CASE)                                        \
		}                                                              \
		return NULL;                                                   \
	}

IANA_NAME_FN(ike_exchange_type_name, IKE_EXCHANGE_TYPES)
IANA_NAME_FN(ike_payload_type_name, IKE_PAYLOAD_TYPES)
IANA_NAME_FN(ike_protocol_id_name, IKE_PROTOCOL_IDS)
IANA_NAME_FN(ike_transform_type_name, IKE_TRANSFORM_TYPES)
IANA_NAME_FN(ike_encr_id_name, IKE_ENCR_IDS)
IANA_NAME_FN(ike_prf_id_name, IKE_PRF_IDS)
IANA_NAME_FN(ike_integ_id_name, IKE_INTEG_IDS)
IANA_NAME_FN(ike_ke_id_name, IKE_KE_IDS)
IANA_NAME_FN(ike_esn_id_name, IKE_ESN_IDS)
IANA_NAME_FN(ike_transform_attr_name, IKE_TRANSFORM_ATTRS)
IANA_NAME_FN(ike_id_type_name, IKE_ID_TYPES)
IANA_NAME_FN(ike_cert_encoding_name, IKE_CERT_ENCODINGS)
IANA_NAME_FN(ike_auth_method_name, IKE_AUTH_METHODS)
IANA_NAME_FN(ike_hash_algorithm_name, IKE_HASH_ALGORITHMS)
IANA_NAME_FN(ike_notify_type_name, IKE_NOTIFY_TYPES)
IANA_NAME_FN(ike_ts_type_name, IKE_TS_TYPES)
IANA_NAME_FN(ike_cfg_type_name, IKE_CFG_TYPES)
IANA_NAME_FN(ike_cfg_attr_name, IKE_CFG_ATTRS)

const char *ike_transform_id_name(unsigned type, unsigned id)
{
	switch (type) {
	case TRANS_ENCR: return ike_encr_id_name(id);
	case TRANS_PRF: return ike_prf_id_name(id);
	case TRANS_INTEG: return ike_integ_id_name(id);
	case TRANS_KE:
	case TRANS_ADDKE1:
	case TRANS_ADDKE2:
	case TRANS_ADDKE3:
	case TRANS_ADDKE4:
	case TRANS_ADDKE5:
	case TRANS_ADDKE6:
	case TRANS_ADDKE7: return ike_ke_id_name(id);
	case TRANS_ESN: return ike_esn_id_name(id);
	}
	return NULL;
}

int ike_notify_is_error(unsigned v)
{
	return v >= 1 && v <= 16383;
}
