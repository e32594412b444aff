/* Tests for the IANA IKEv2 registries (include/ike_iana.h). Values are
 * checked against the IANA "IKEv2 Parameters" registry; duplicate values in
 * one list would already fail to compile (duplicate case labels). */
#include "ike_iana.h"
#include "tests/test.h"

TEST(iana_spot_values_match_the_registry)
{
	CHECK_EQ(EXCH_IKE_SA_INIT, 34);
	CHECK_EQ(EXCH_INFORMATIONAL, 37);
	CHECK_EQ(EXCH_IKE_INTERMEDIATE, 43);
	CHECK_EQ(PL_SA, 33);
	CHECK_EQ(PL_SK, 46);
	CHECK_EQ(PL_SKF, 53);
	CHECK_EQ(ENCR_AES_CBC, 12);
	CHECK_EQ(ENCR_AES_GCM_16, 20);
	CHECK_EQ(ENCR_CHACHA20_POLY1305, 28);
	CHECK_EQ(PRF_HMAC_SHA2_256, 5);
	CHECK_EQ(AUTH_HMAC_SHA2_512_256, 14);
	CHECK_EQ(KE_MODP_2048, 14);
	CHECK_EQ(KE_ECP_521, 21);
	CHECK_EQ(KE_CURVE25519, 31);
	CHECK_EQ(KE_CURVE448, 32);
	CHECK_EQ(ID_KEY_ID, 11);
	CHECK_EQ(AUTHM_DIGITAL_SIGNATURE, 14);
	CHECK_EQ(N_NO_PROPOSAL_CHOSEN, 14);
	CHECK_EQ(N_AUTHENTICATION_FAILED, 24);
	CHECK_EQ(N_TS_UNACCEPTABLE, 38);
	CHECK_EQ(N_COOKIE, 16390);
	CHECK_EQ(N_IKEV2_FRAGMENTATION_SUPPORTED, 16430);
	CHECK_EQ(N_SIGNATURE_HASH_ALGORITHMS, 16431);
	CHECK_EQ(TS_IPV6_ADDR_RANGE, 8);
	CHECK_EQ(CFGA_INTERNAL_IP6_SUBNET, 15);
	CHECK_EQ(CERT_X509_SIGNATURE, 4);
	CHECK_EQ(HASH_SHA2_512, 4);
}

TEST(iana_names_for_known_values)
{
	CHECK_STR(ike_exchange_type_name(35), "IKE_AUTH");
	CHECK_STR(ike_payload_type_name(41), "N");
	CHECK_STR(ike_payload_type_name(44), "TSi");
	CHECK_STR(ike_transform_id_name(TRANS_ENCR, 20), "ENCR_AES_GCM_16");
	CHECK_STR(ike_transform_id_name(TRANS_PRF, 7), "PRF_HMAC_SHA2_512");
	CHECK_STR(ike_transform_id_name(TRANS_INTEG, 2), "AUTH_HMAC_SHA1_96");
	CHECK_STR(ike_transform_id_name(TRANS_KE, 19), "ECP_256");
	CHECK_STR(ike_transform_id_name(TRANS_ADDKE1, 36), "ML_KEM_768");
	CHECK_STR(ike_transform_id_name(TRANS_ESN, 1), "ESN");
	CHECK_STR(ike_notify_type_name(16388), "NAT_DETECTION_SOURCE_IP");
	CHECK_STR(ike_notify_type_name(17), "INVALID_KE_PAYLOAD");
	CHECK_STR(ike_id_type_name(9), "ID_DER_ASN1_DN");
	CHECK_STR(ike_auth_method_name(2), "Shared Key Message Integrity Code");
	CHECK_STR(ike_ts_type_name(7), "TS_IPV4_ADDR_RANGE");
	CHECK_STR(ike_cfg_type_name(2), "CFG_REPLY");
	CHECK_STR(ike_cfg_attr_name(1), "INTERNAL_IP4_ADDRESS");
	CHECK_STR(ike_protocol_id_name(3), "ESP");
	CHECK_STR(ike_hash_algorithm_name(5), "Identity");
	CHECK_STR(ike_cert_encoding_name(15), "Raw Public Key");
	CHECK_STR(ike_transform_attr_name(14), "KEY_LENGTH");
}

TEST(iana_unknown_values_have_no_name)
{
	CHECK(ike_exchange_type_name(42) == NULL);
	CHECK(ike_payload_type_name(1) == NULL);
	CHECK(ike_transform_id_name(TRANS_ENCR, 10) == NULL);
	CHECK(ike_transform_id_name(99, 1) == NULL);
	CHECK(ike_notify_type_name(2) == NULL);
	CHECK(ike_notify_type_name(40960) == NULL);
	CHECK(ike_id_type_name(4) == NULL);
}

TEST(iana_notify_error_range)
{
	CHECK(ike_notify_is_error(N_INVALID_SYNTAX));
	CHECK(ike_notify_is_error(16383));
	CHECK(!ike_notify_is_error(N_INITIAL_CONTACT));
	CHECK(!ike_notify_is_error(0));
}
