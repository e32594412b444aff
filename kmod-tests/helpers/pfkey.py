#!/usr/bin/python3
"""Minimal PF_KEY v2 client (RFC 2367) for kmod-tests/11-pfkey-sanity.sh.

  pfkey.py dump                      print "spi=0x... auth=N encrypt=N" per ESP SA
  pfkey.py add SRC DST SPI ENCKEY AUTHKEY
                                     SADB_ADD an ESP SA, AES-CBC + HMAC-SHA-256
  pfkey.py delete SRC DST SPI        SADB_DELETE it

Exit status 0 on success; the kernel's errno is printed on failure. This is a
test probe, not keybridge's PF_KEY backend: it only proves that the guest
kernel speaks PF_KEY and that SAs written one way are read the other way.
"""
import os
import socket
import struct
import sys

PF_KEY_V2 = 2
SADB_ADD, SADB_DELETE, SADB_DUMP = 3, 4, 10
SADB_SATYPE_ESP = 3
SADB_EXT_SA, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST = 1, 5, 6
SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT = 8, 9
SADB_SASTATE_MATURE = 1
SADB_X_AALG_SHA2_256HMAC = 5
SADB_X_EALG_AESCBC = 12

MSG = struct.Struct("=BBBBHHII")  # sadb_msg: version type errno satype len reserved seq pid
SA = struct.Struct("=HHIBBBBI")  # sadb_sa: len exttype spi replay state auth encrypt flags


def pad8(b):
    return b + bytes(-len(b) % 8)


def ext(exttype, body):
    """An extension: sadb_ext (length in 64-bit words, type), body, padding."""
    data = pad8(bytes(4) + body)
    return struct.pack("=HH", len(data) // 8, exttype) + data[4:]


def ext_address(exttype, addr):
    sin = struct.pack("=H", socket.AF_INET) + struct.pack("!H", 0) + socket.inet_aton(addr) + bytes(8)
    return ext(exttype, struct.pack("=BBH", 0, 32, 0) + sin)  # proto any, prefixlen 32


def ext_key(exttype, key):
    return ext(exttype, struct.pack("=HH", len(key) * 8, 0) + key)


def ext_sa(spi, auth=0, encrypt=0):
    return SA.pack(2, SADB_EXT_SA, socket.htonl(spi), 0, SADB_SASTATE_MATURE, auth, encrypt, 0)


def message(mtype, seq, exts=b""):
    return MSG.pack(PF_KEY_V2, mtype, 0, SADB_SATYPE_ESP, (MSG.size + len(exts)) // 8, 0, seq, os.getpid()) + exts


def extensions(buf):
    """Yield (exttype, bytes) for each extension after the sadb_msg header."""
    off = MSG.size
    while off + 4 <= len(buf):
        length, exttype = struct.unpack_from("=HH", buf, off)
        if length == 0:
            raise ValueError("zero-length extension")
        yield exttype, buf[off:off + length * 8]
        off += length * 8


def request(sock, mtype, exts=b""):
    """Send one message and return the kernel's answers to it (a dump's series)."""
    seq = 1
    sock.send(message(mtype, seq, exts))
    answers = []
    while True:
        buf = sock.recv(65536)
        version, rtype, errno, _, _, _, rseq, pid = MSG.unpack_from(buf)
        if rtype != mtype or pid != os.getpid():
            continue  # another socket's traffic, broadcast to us
        if errno:
            return errno, answers
        answers.append(buf)
        # A dump ends with the message numbered 0; other requests get one answer.
        if mtype != SADB_DUMP or rseq == 0:
            return 0, answers


def main(argv):
    sock = socket.socket(socket.AF_KEY, socket.SOCK_RAW, PF_KEY_V2)
    if argv[1] == "dump":
        errno, answers = request(sock, SADB_DUMP)
        if errno and errno != 2:  # ENOENT: no SA at all
            print("SADB_DUMP: %s" % os.strerror(errno))
            return 1
        for buf in answers:
            for exttype, ext in extensions(buf):
                if exttype == SADB_EXT_SA:
                    _, _, spi, _, state, auth, encrypt, _ = SA.unpack(ext[:SA.size])
                    print("spi=0x%08x state=%d auth=%d encrypt=%d" % (socket.ntohl(spi), state, auth, encrypt))
        return 0
    src, dst, spi = argv[2], argv[3], int(argv[4], 0)
    exts = ext_address(SADB_EXT_ADDRESS_SRC, src) + ext_address(SADB_EXT_ADDRESS_DST, dst)
    if argv[1] == "add":
        exts = ext_sa(spi, SADB_X_AALG_SHA2_256HMAC, SADB_X_EALG_AESCBC) + exts
        exts += ext_key(SADB_EXT_KEY_AUTH, bytes.fromhex(argv[6]))
        exts += ext_key(SADB_EXT_KEY_ENCRYPT, bytes.fromhex(argv[5]))
        mtype = SADB_ADD
    elif argv[1] == "delete":
        exts = ext_sa(spi) + exts
        mtype = SADB_DELETE
    else:
        print(__doc__)
        return 2
    errno, _ = request(sock, mtype, exts)
    if errno:
        print("%s: %s" % (argv[1], os.strerror(errno)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
