#!/usr/bin/env python3
"""Relays one TCP connection (listen port -> target port on 127.0.0.1) and logs each chunk read per direction.

Output lines: "c <hex>" (client to server) or "s <hex>" (server to client), in the order the proxy read them,
so the TCP segmentation as seen by the proxy is kept (a chunk may hold several records or part of one).
Usage: record_proxy.py LISTEN_PORT TARGET_PORT OUT_FILE
"""
import select
import socket
import sys

listen_port, target_port, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen_port))
srv.listen(1)
srv.settimeout(30)
print("ready", flush=True)
client, _ = srv.accept()
server = socket.create_connection(("127.0.0.1", target_port))
peers = {client: (server, "c"), server: (client, "s")}
open_ends = {client, server}
with open(out_path, "w") as out:
    while open_ends:
        readable, _, _ = select.select(list(open_ends), [], [], 10)
        if not readable:
            break
        for sock in readable:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            other, tag = peers[sock]
            if not data:
                open_ends.discard(sock)
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            out.write(f"{tag} {data.hex()}\n")
            try:
                other.sendall(data)
            except OSError:
                pass
