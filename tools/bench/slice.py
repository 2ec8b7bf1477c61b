#!/usr/bin/env python3
"""Copies the first packets of a classic pcap, up to about N bytes, cut on a packet boundary: slice.py IN OUT N"""
import struct
import sys

src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, "rb") as f:
    header = f.read(24)
    off = 24
    while off < limit:
        f.seek(off + 8)
        incl, = struct.unpack("<I", f.read(4))
        off += 16 + incl
    f.seek(0)
    with open(dst, "wb") as o:
        left = off
        while left:
            chunk = f.read(min(left, 8 << 20))
            o.write(chunk)
            left -= len(chunk)
