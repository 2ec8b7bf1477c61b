#!/usr/bin/env python3
"""Deterministic benchmark captures built from the real handshakes in captures/.

Each generated TCP connection is one corpus capture (one connection each) replayed with new addresses, ports,
TCP sequence numbers and times; the expected outcome and causes of each template come from
captures/manifest.json, so the generator knows what the analyzer must answer for the whole file.

  gen.py --seed 1 --out DIR [--bulk-bytes N] [--busy-connections N]

writes DIR/bulk.pcap, DIR/bulk.pcapng, DIR/busy.pcap, DIR/busy.pcapng and DIR/expected.json.
All templates are judged against captures/truststores/root.pem (the bench passes that truststore).
"""
import argparse
import heapq
import json
import os
import random
import struct
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CAPTURES = os.path.join(REPO, "captures")

# Scenarios whose expected verdict holds with the root.pem truststore whatever the addresses are
# (ip-literal is left out: its host is the server's IP, which the generator rewrites).
GOOD = ["ok", "cn-only"]
BAD = ["leaf-only", "wrong-host", "cn-only-other", "expired", "not-yet-valid", "mtls-no-client-cert",
       "mtls-untrusted-client-cert", "server-rejects-hello"]

ETH = 14
MSS = 1448
# Spacing of the packets of one connection, and of the starts of successive connections (microseconds).
PACKET_GAP_US = 40
# A busy proxy: 1,000 new connections a second (100,000 in 100 s of capture time). Much faster and the
# flow layer keeps every closed connection for its 5 s grace period at once.
BUSY_START_GAP_US = 1000
BULK_PACKET_GAP_US = 2


def read_pcap(path):
    """(ts_us, frame) for each packet of a microsecond little-endian Ethernet pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack_from("<I", data, 0)
    if magic != 0xA1B2C3D4:
        raise SystemExit(f"{path}: not a little-endian microsecond pcap")
    link, = struct.unpack_from("<I", data, 20)
    if link != 1:
        raise SystemExit(f"{path}: link type {link}, expected Ethernet")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        out.append((sec * 1_000_000 + usec, data[off + 16: off + 16 + incl]))
        off += 16 + incl
    return out


class Template:
    """One corpus connection, split into packets with its client/server orientation and TCP offsets."""

    def __init__(self, entry):
        self.file = entry["file"]
        # The bench gives no key log: TLS 1.3 chains are encrypted, so the verdict is the one without keys.
        judged = entry["expectedWithoutKeys"] or entry["expected"]
        self.outcome = judged["outcome"]
        self.causes = judged["causes"]
        packets = read_pcap(os.path.join(CAPTURES, self.file))
        ch, cp = entry["clientEndpoint"].rsplit(":", 1)
        self.client_port = int(cp)
        self.t0 = packets[0][0]
        self.packets = []  # (from_client, frame bytearray, tcp_offset, payload_len, flags)
        for ts, frame in packets:
            if struct.unpack_from(">H", frame, 12)[0] != 0x0800:
                continue
            ihl = (frame[ETH] & 0x0F) * 4
            if frame[ETH + 9] != 6:
                continue
            tcp = ETH + ihl
            sport, = struct.unpack_from(">H", frame, tcp)
            doff = (frame[tcp + 12] >> 4) * 4
            total, = struct.unpack_from(">H", frame, ETH + 2)
            payload = total - ihl - doff
            self.packets.append((sport == self.client_port, bytes(frame), tcp, payload, frame[tcp + 13]))
        # Initial sequence numbers of each side, to rewrite seq/ack as offsets.
        self.isn = [None, None]
        for from_client, frame, tcp, _, _ in self.packets:
            side = 0 if from_client else 1
            if self.isn[side] is None:
                self.isn[side] = struct.unpack_from(">I", frame, tcp + 4)[0]
        # Where bulk data goes: before the first FIN or RST.
        self.close_index = next((i for i, p in enumerate(self.packets) if p[4] & 0x05), len(self.packets))


def ip_checksum(hdr):
    s = sum(struct.unpack(">10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Writer:
    """Writes the same packets to a pcap and a pcapng file."""

    def __init__(self, base):
        self.pcap = open(base + ".pcap", "wb", buffering=8 << 20)
        self.ng = open(base + ".pcapng", "wb", buffering=8 << 20)
        self.pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        # Section Header Block, then one Interface Description Block (Ethernet, snaplen 262144, microseconds).
        self.ng.write(struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28))
        self.ng.write(struct.pack("<IIHHII", 1, 20, 1, 0, 262144, 20))
        self.packets = 0
        self.bytes = 0

    def write(self, ts_us, frame):
        n = len(frame)
        self.pcap.write(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, n, n))
        self.pcap.write(frame)
        pad = (-n) & 3
        blen = 32 + n + pad
        self.ng.write(struct.pack("<IIIIIII", 6, blen, 0, ts_us >> 32, ts_us & 0xFFFFFFFF, n, n))
        self.ng.write(frame)
        if pad:
            self.ng.write(b"\0" * pad)
        self.ng.write(struct.pack("<I", blen))
        self.packets += 1
        self.bytes += n

    def close(self):
        self.pcap.close()
        self.ng.close()


def connection(t, index, start_us, rng, bulk_bytes=0, data_pattern=None):
    """Yields (ts_us, frame) for template t replayed as connection number index."""
    client_ip = struct.pack(">BBBB", 10, (index >> 16) & 0xFF, (index >> 8) & 0xFF, index & 0xFF)
    server_ip = struct.pack(">BBBB", 172, 16, 0, 1 + index % 16)
    client_port = 1024 + rng.randrange(64000)
    server_port = 443
    new_isn = [rng.randrange(1 << 32), rng.randrange(1 << 32)]
    delta = [(new_isn[s] - t.isn[s]) & 0xFFFFFFFF for s in (0, 1)]
    ts = start_us
    inserted = 0

    def rewrite(from_client, frame, tcp):
        f = bytearray(frame)
        side = 0 if from_client else 1
        if from_client:
            f[ETH + 12:ETH + 16] = client_ip
            f[ETH + 16:ETH + 20] = server_ip
            struct.pack_into(">HH", f, tcp, client_port, server_port)
        else:
            f[ETH + 12:ETH + 16] = server_ip
            f[ETH + 16:ETH + 20] = client_ip
            struct.pack_into(">HH", f, tcp, server_port, client_port)
        seq, ack = struct.unpack_from(">II", f, tcp + 4)
        seq = (seq + delta[side] + (inserted if side == 1 else 0)) & 0xFFFFFFFF
        if f[tcp + 13] & 0x10:
            ack = (ack + delta[1 - side] + (inserted if side == 0 else 0)) & 0xFFFFFFFF
        struct.pack_into(">II", f, tcp + 4, seq, ack)
        struct.pack_into(">H", f, ETH + 10, 0)
        struct.pack_into(">H", f, ETH + 10, ip_checksum(bytes(f[ETH:ETH + 20])))
        return f

    for i, (from_client, frame, tcp, payload, flags) in enumerate(t.packets):
        if i == t.close_index and bulk_bytes:
            # Server -> client application data (TLS records of 16 KiB + 17 spanning MSS-sized segments),
            # with a client ACK every second segment, as a download looks.
            srv_next = None
            cli_next = None
            # The sequence numbers right after the last packet before the close.
            for fc, fr, tc, pl, fl in t.packets[:i]:
                s = struct.unpack_from(">I", fr, tc + 4)[0]
                nxt = (s + pl + (1 if fl & 0x03 else 0)) & 0xFFFFFFFF
                if fc:
                    cli_next = nxt
                else:
                    srv_next = nxt
            srv_frame = rewrite(False, t.packets[1][1][:t.packets[1][2] + 20], t.packets[1][2])
            # Data segment header: server's SYN-ACK headers cut to a 20-byte TCP header, ACK|PSH.
            srv_tcp = t.packets[1][2]
            srv_frame[srv_tcp + 12] = 5 << 4
            srv_frame[srv_tcp + 13] = 0x18
            ack_frame = rewrite(True, t.packets[0][1][:t.packets[0][2] + 20], t.packets[0][2])
            cli_tcp = t.packets[0][2]
            ack_frame[cli_tcp + 12] = 5 << 4
            ack_frame[cli_tcp + 13] = 0x10
            struct.pack_into(">H", ack_frame, ETH + 2, 40)
            struct.pack_into(">H", ack_frame, ETH + 10, 0)
            struct.pack_into(">H", ack_frame, ETH + 10, ip_checksum(bytes(ack_frame[ETH:ETH + 20])))
            cli_seq = (cli_next + delta[0]) & 0xFFFFFFFF
            base_seq = (srv_next + delta[1]) & 0xFFFFFFFF
            struct.pack_into(">I", ack_frame, cli_tcp + 4, cli_seq)
            struct.pack_into(">I", srv_frame, srv_tcp + 8, cli_seq)
            plen = len(data_pattern) // 2
            off = 0
            segments = 0
            while off < bulk_bytes:
                n = min(MSS, bulk_bytes - off)
                seg = bytearray(srv_frame)
                struct.pack_into(">H", seg, ETH + 2, 40 + n)
                struct.pack_into(">H", seg, ETH + 10, 0)
                struct.pack_into(">H", seg, ETH + 10, ip_checksum(bytes(seg[ETH:ETH + 20])))
                struct.pack_into(">I", seg, srv_tcp + 4, (base_seq + off) & 0xFFFFFFFF)
                p = off % plen
                seg += data_pattern[p:p + n]
                ts += BULK_PACKET_GAP_US
                yield ts, seg
                off += n
                segments += 1
                if segments % 2 == 0 or off >= bulk_bytes:
                    a = bytearray(ack_frame)
                    struct.pack_into(">I", a, cli_tcp + 8, (base_seq + off) & 0xFFFFFFFF)
                    ts += BULK_PACKET_GAP_US
                    yield ts, a
            inserted = bulk_bytes
        ts += PACKET_GAP_US
        yield ts, rewrite(from_client, frame, tcp)


def app_data_pattern(rng, records=64):
    """TLS 1.2/1.3 application-data records (content bytes random), doubled so any slice up to its length fits."""
    out = bytearray()
    for _ in range(records):
        body = 16384 + 17
        out += struct.pack(">BHH", 23, 0x0303, body)
        out += rng.randbytes(body)
    # The pattern must restart on a record boundary: the stream is the pattern repeated.
    return bytes(out + out)


def merge(starts, make):
    """Merges per-connection packet streams by time (ties: connection order). Connection k starts at starts[k]
    (non-decreasing) and make(k) builds its stream only then, so only the open connections are in memory."""
    heap = []
    k = 0
    n = len(starts)
    while heap or k < n:
        while k < n and (not heap or starts[k] <= heap[0][0]):
            s = make(k)
            first = next(s, None)
            if first is not None:
                heapq.heappush(heap, (first[0], k, first[1], s))
            k += 1
        ts, j, frame, s = heap[0]
        yield ts, frame
        nxt = next(s, None)
        if nxt is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (nxt[0], j, nxt[1], s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bulk-bytes", type=int, default=2_000_000_000)
    ap.add_argument("--bulk-connections", type=int, default=300)
    ap.add_argument("--busy-connections", type=int, default=100_000)
    ap.add_argument("--only", choices=["bulk", "busy"], default=None)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    manifest = json.load(open(os.path.join(CAPTURES, "manifest.json")))
    by_scenario = {}
    for e in manifest["captures"]:
        if e["variant"] != "base" or e["truststore"] is None or e["truststore"]["pem"] != "truststores/root.pem":
            continue
        if e["scenario"] in GOOD + BAD:
            by_scenario.setdefault(e["scenario"], []).append(Template(e))
    good = [t for s in GOOD for t in by_scenario[s]]
    bad = [t for s in BAD for t in by_scenario[s]]
    expected_path = os.path.join(args.out, "expected.json")
    expected = json.load(open(expected_path)) if os.path.exists(expected_path) else {}

    def record(name, chosen, writer):
        causes = {}
        outcomes = {}
        for t in chosen:
            outcomes[t.outcome] = outcomes.get(t.outcome, 0) + 1
            for c in t.causes:
                causes[c] = causes.get(c, 0) + 1
        expected[name] = {"seed": args.seed, "handshakes": len(chosen), "outcomes": outcomes, "causes": causes,
                          "packets": writer.packets, "frameBytes": writer.bytes,
                          "files": [name + ".pcap", name + ".pcapng"],
                          "truststore": "captures/truststores/root.pem"}

    if args.only in (None, "busy"):
        rng = random.Random(args.seed)
        n = args.busy_connections
        chosen = [rng.choice(good) if i % 2 == 0 else rng.choice(bad) for i in range(n)]
        w = Writer(os.path.join(args.out, "busy"))
        rngs = [random.Random(args.seed * 1_000_003 + i) for i in range(n)]
        base = min(t.t0 for t in chosen)

        starts = [base + i * BUSY_START_GAP_US for i in range(n)]
        for ts, frame in merge(starts, lambda i: connection(chosen[i], i, starts[i], rngs[i])):
            w.write(ts, frame)
        w.close()
        record("busy", chosen, w)
        print(f"busy: {n} connections, {w.packets} packets, {w.bytes} frame bytes", file=sys.stderr)

    if args.only in (None, "bulk"):
        rng = random.Random(args.seed + 7)
        pattern = app_data_pattern(rng)
        n = args.bulk_connections
        ok = by_scenario["ok"]
        chosen = [ok[i % len(ok)] for i in range(n)]
        per = args.bulk_bytes // n
        per -= per % MSS
        w = Writer(os.path.join(args.out, "bulk"))
        base = min(t.t0 for t in chosen)
        # Eight downloads at a time: connection i starts when i/8 of the earlier ones are done.
        conn_us = (per // MSS) * BULK_PACKET_GAP_US * 3 // 2
        rngs = [random.Random(args.seed * 7_000_003 + i) for i in range(n)]
        starts = [base + (i * conn_us) // 8 for i in range(n)]
        for ts, frame in merge(starts, lambda i: connection(chosen[i], i, starts[i], rngs[i], per, pattern)):
            w.write(ts, frame)
        w.close()
        record("bulk", chosen, w)
        print(f"bulk: {n} connections, {w.packets} packets, {w.bytes} frame bytes", file=sys.stderr)

    with open(expected_path, "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
