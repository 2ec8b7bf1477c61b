#!/usr/bin/env python3
"""A minimal server for `openssl s_client -starttls PROTO`: plays the plaintext part, then switches to TLS.

Usage: starttls_server.py PORT PROTO CHAIN_PEM KEY_PEM   (PROTO: smtp pop3 imap ftp xmpp irc ldap postgres)
"""
import socket
import ssl
import sys

port, proto, chain, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(1)
srv.settimeout(30)
print("ready", flush=True)
conn, _ = srv.accept()
conn.settimeout(10)
buf = b""


def read_until(marker):
    global buf
    while marker not in buf:
        chunk = conn.recv(4096)
        if not chunk:
            raise SystemExit("client closed")
        buf += chunk
    i = buf.index(marker) + len(marker)
    out, buf = buf[:i], buf[i:]
    return out


def send(text):
    conn.sendall(text.encode() if isinstance(text, str) else text)


if proto == "smtp":
    send("220 mail.example.test ESMTP ready\r\n")
    read_until(b"\r\n")
    send("250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
    read_until(b"\r\n")
    send("220 2.0.0 Ready to start TLS\r\n")
elif proto == "pop3":
    send("+OK POP3 ready\r\n")
    read_until(b"\r\n")
    send("+OK Begin TLS negotiation\r\n")
elif proto == "imap":
    send("* OK IMAP4rev1 ready\r\n")
    line = read_until(b"\r\n")
    tag = line.split(b" ")[0].decode()
    send(f"* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK CAPABILITY completed\r\n")
    line = read_until(b"\r\n")
    tag = line.split(b" ")[0].decode()
    send(f"{tag} OK Begin TLS negotiation now\r\n")
elif proto == "ftp":
    send("220 FTP server ready\r\n")
    read_until(b"\r\n")
    send("234 AUTH TLS successful\r\n")
elif proto == "xmpp":
    read_until(b">")
    send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
         "id='1' from='example.test' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
         "<required/></starttls></stream:features>")
    read_until(b"/>")
    send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
elif proto == "irc":
    read_until(b"STARTTLS\r\n")
    send(":irc.example.test 670 * :STARTTLS successful, proceed with TLS handshake\r\n")
elif proto == "ldap":
    head = conn.recv(2)
    body = b""
    while len(body) < head[1]:
        body += conn.recv(head[1] - len(body))
    # LDAPMessage { messageID 1, extendedResp { resultCode success, matchedDN "", diagnosticMessage "" } }
    send(bytes.fromhex("300c02010178070a010004000400"))
elif proto == "postgres":
    conn.recv(8)
    send(b"S")
else:
    raise SystemExit("unknown protocol " + proto)

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
tls = ctx.wrap_socket(conn, server_side=True)
try:
    tls.recv(100)
except (ssl.SSLError, OSError):
    pass
tls.close()
