#!/usr/bin/env python3
"""Sends an SSLv2-format ClientHello offering TLS 1.2 (RFC 5246 appendix E.2) and reads the answer for 2 s.

Usage: sslv2_hello_client.py PORT
"""
import socket
import sys
import time

specs = bytes.fromhex(
    "00002f"  # TLS_RSA_WITH_AES_128_CBC_SHA
    "000035"  # TLS_RSA_WITH_AES_256_CBC_SHA
    "00000a"  # TLS_RSA_WITH_3DES_EDE_CBC_SHA
    "010080"  # SSL_CK_RC4_128_WITH_MD5
    "0700c0"  # SSL_CK_DES_192_EDE3_CBC_WITH_MD5
)
challenge = bytes(range(0x10, 0x30))  # 32 bytes, so ClientHello.random equals it
body = bytes([1, 0x03, 0x03]) + len(specs).to_bytes(2, "big") + (0).to_bytes(2, "big") + len(challenge).to_bytes(2, "big")
body += specs + challenge
record = (0x8000 | len(body)).to_bytes(2, "big") + body
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(record)
s.settimeout(2)
end = time.time() + 2
try:
    while time.time() < end:
        if not s.recv(65536):
            break
except socket.timeout:
    pass
s.close()
