#!/usr/bin/env python3
# Independent computation of the shared-key AUTH vector in
# daemon/tests/test_crypto_auth.c (RFC 7296 §2.15) with Python's hmac:
#   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"),
#              RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload))
import hashlib
import hmac

for name, h in (("SHA2-256", hashlib.sha256), ("SHA2-512", hashlib.sha512)):
    n = h().digest_size
    psk = b"keybridge test secret"
    sk_pi = bytes(range(n))
    msg = b"RealMessage1: the whole IKE_SA_INIT request"
    nonce = bytes([0x77]) * 32
    idi = b"\x02\x00\x00\x00" + b"alice.example.org"  # ID_FQDN
    maced = hmac.new(sk_pi, idi, h).digest()
    key = hmac.new(psk, b"Key Pad for IKEv2", h).digest()
    print(name, "MACedIDForI", maced.hex())
    print(name, "AUTH", hmac.new(key, msg + nonce + maced, h).hexdigest())
