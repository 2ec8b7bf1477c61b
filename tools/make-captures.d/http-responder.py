#!/usr/bin/env python3
"""A one-connection plain HTTP server for the plain-http scenario: a TLS client talks to a port that speaks HTTP.

Usage: http-responder.py HOST PORT. Accepts one connection, reads what the client sends (a ClientHello), answers
the way an HTTP server answers garbage (400) and closes. Prints one line describing what it did.
"""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
with socket.socket(family, socket.SOCK_STREAM) as listener:
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(1)
    listener.settimeout(30)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        data = conn.recv(65536)
        body = b"Bad Request\n"
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        print(f"plain HTTP server: got bytes starting {data[:3].hex()}, answered 400 Bad Request")
