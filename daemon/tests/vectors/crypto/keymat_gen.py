#!/usr/bin/env python3
# Independent computation of the prf+ and key derivation vectors used by
# daemon/tests/test_crypto.c (RFC 7296 §2.13, §2.14, §2.17, §2.18), written
# straight from the RFC text with Python's hmac module. Run it to reproduce
# the expected values pasted into the tests.
import hashlib
import hmac


def prf(k, d, h=hashlib.sha256):
    return hmac.new(k, d, h).digest()


def prfplus(k, s, n, h=hashlib.sha256):
    t, out, i = b"", b"", 1
    while len(out) < n:
        t = prf(k, t + s + bytes([i]), h)
        out += t
        i += 1
    return out[:n]


def split(buf, lens):
    out, off = [], 0
    for n in lens:
        out.append(buf[off:off + n].hex())
        off += n
    return out


K = bytes(range(32))
print("prf+ (100 bytes)", prfplus(K, b"keybridge prf+ seed", 100).hex())

# IKE SA: ENCR_AES_CBC-256, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128
gir = bytes([0x11]) * 32
ni = bytes([0xa0 + i % 16 for i in range(32)])
nr = bytes([0x50]) * 16
spii = bytes.fromhex("0102030405060708")
spir = bytes.fromhex("1112131415161718")
skeyseed = prf(ni + nr, gir)
print("SKEYSEED", skeyseed.hex())
km = prfplus(skeyseed, ni + nr + spii + spir, 7 * 32)
for name, v in zip(["d", "ai", "ar", "ei", "er", "pi", "pr"],
                   split(km, [32] * 7)):
    print("SK_" + name, v)

# Rekey to ENCR_AES_GCM_16-256 + PRF_HMAC_SHA2_384 (old PRF: SHA2-256)
sk_d = km[:32]
gir2, ni2, nr2 = bytes([0x22]) * 32, bytes([0x33]) * 32, bytes([0x44]) * 32
spii2 = bytes.fromhex("2122232425262728")
spir2 = bytes.fromhex("3132333435363738")
skeyseed2 = prf(sk_d, gir2 + ni2 + nr2)
km2 = prfplus(skeyseed2, ni2 + nr2 + spii2 + spir2, 48 * 3 + 36 * 2,
              hashlib.sha384)
for name, v in zip(["d", "ei", "er", "pi", "pr"],
                   split(km2, [48, 36, 36, 48, 48])):
    print("rekey SK_" + name, v)

# CHILD_SA from the first IKE SA: no PFS (20-byte GCM keys), PFS (AES-128
# + SHA2-256 keys)
print("child", split(prfplus(sk_d, ni2 + nr2, 40), [20, 20]))
print("child pfs", split(prfplus(sk_d, gir2 + ni2 + nr2, 96),
                         [16, 32, 16, 32]))
