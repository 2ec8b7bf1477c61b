#!/bin/sh
# Regenerates the *.hex handshake fixtures from real OpenSSL handshakes on 127.0.0.1 (ports 20410-20499).
# KEEP=1 keeps the work folder (PKI, s_server/s_client logs) for debugging.
# Each run makes a fresh PKI and fresh randoms, so the bytes change; the tests assert only what is stable
# (versions, SNI, ALPN, cipher, certificate count and subjects, alerts). Needs openssl and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'if [ -n "${KEEP:-}" ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi' EXIT
cd "$work"

# PKI: root -> intermediate -> leaf (www.example.test), P-256 keys to keep the fixtures small.
cat > ext.cnf <<'CNF'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
[leaf]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:www.example.test
CNF
openssl ecparam -name prime256v1 -genkey -noout -out root.key
openssl req -x509 -new -key root.key -subj "/CN=PcapTls Test Root" -days 3650 -set_serial 1 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out root.pem
openssl ecparam -name prime256v1 -genkey -noout -out inter.key
openssl req -new -key inter.key -subj "/CN=PcapTls Test Intermediate" -out inter.csr
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 2 -days 3650 -extfile ext.cnf -extensions ca -out inter.pem
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
openssl req -new -key leaf.key -subj "/CN=www.example.test" -out leaf.csr
openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -set_serial 3 -days 3650 -extfile ext.cnf -extensions leaf -out leaf.pem

port=20410
# The proxy prints "ready" once it listens; starting the client earlier makes it fail and the proxy wait forever.
wait_ready() {
  i=0
  while ! grep -q ready "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || { echo "proxy did not start" >&2; exit 1; }
    sleep 0.1
  done
}
# run NAME "SERVER ARGS" "CLIENT ARGS": s_server on port+1, the proxy on port, s_client through the proxy.
run() {
  name=$1; sargs=$2; cargs=$3
  port=$((port + 2))
  openssl s_server -accept $((port + 1)) -naccept 1 -cert leaf.pem -key leaf.key -cert_chain inter.pem -rev $sargs > "$name.server.log" 2>&1 < /dev/null &
  spid=$!
  sleep 0.5
  python3 "$here/record_proxy.py" $port $((port + 1)) "$here/$name.hex" > "$name.proxy.log" 2>&1 &
  ppid=$!
  wait_ready "$name.proxy.log"
  (echo "hello"; sleep 1) | openssl s_client -connect 127.0.0.1:$port -servername www.example.test $cargs > "$name.client.log" 2>&1 || true
  sleep 0.5
  kill $spid 2>/dev/null || true
  wait $ppid 2>/dev/null || true
  wait $spid 2>/dev/null || true
}

run tls12-ok "-tls1_2 -alpn http/1.1" "-tls1_2 -alpn h2,http/1.1 -CAfile root.pem -verify_return_error"
run tls13-ok "-tls1_3" "-tls1_3 -CAfile root.pem -verify_return_error -keylogfile $here/tls13-ok.keylog"
run tls12-unknown-ca "-tls1_2" "-tls1_2 -CAfile leaf.pem -verify_return_error"
run tls13-unknown-ca "-tls1_3" "-tls1_3 -CAfile leaf.pem -verify_return_error -keylogfile $here/tls13-unknown-ca.keylog"
run tls12-client-auth "-tls1_2 -Verify 1 -CAfile root.pem" "-tls1_2 -CAfile root.pem"
run tls13-hrr "-tls1_3 -groups P-256" "-tls1_3 -groups X25519:P-256 -CAfile root.pem -keylogfile $here/tls13-hrr.keylog"

# SSLv2-format ClientHello (as very old clients send) to a TLS 1.2 server with an RSA key: the server answers
# in TLS. The client then gives up (it cannot continue), so the capture ends after the server's first flight.
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -subj "/CN=www.example.test" -days 3650 -set_serial 4 -out rsa.pem
port=$((port + 2))
openssl s_server -accept $((port + 1)) -naccept 1 -cert rsa.pem -key rsa.key -rev -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0' > sslv2.server.log 2>&1 < /dev/null &
spid=$!
sleep 0.5
python3 "$here/record_proxy.py" $port $((port + 1)) "$here/sslv2-hello.hex" > sslv2.proxy.log 2>&1 &
ppid=$!
wait_ready sslv2.proxy.log
python3 "$here/sslv2_hello_client.py" $port || true
sleep 0.5
kill $spid 2>/dev/null || true
wait $ppid 2>/dev/null || true
wait $spid 2>/dev/null || true

# STARTTLS: openssl s_client -starttls PROTO against starttls_server.py (plaintext dialogue, then TLS).
cat leaf.pem inter.pem > chain.pem
for proto in smtp pop3 imap ftp xmpp irc ldap postgres; do
  port=$((port + 2))
  python3 "$here/starttls_server.py" $((port + 1)) $proto chain.pem leaf.key > "$proto.server.log" 2>&1 &
  spid=$!
  wait_ready "$proto.server.log"
  python3 "$here/record_proxy.py" $port $((port + 1)) "$here/starttls-$proto.hex" > "$proto.proxy.log" 2>&1 &
  ppid=$!
  wait_ready "$proto.proxy.log"
  (echo "hello"; sleep 1) | openssl s_client -connect 127.0.0.1:$port -starttls $proto -name example.test -servername www.example.test -CAfile root.pem > "$proto.client.log" 2>&1 || true
  wait $ppid 2>/dev/null || true
  kill $spid 2>/dev/null || true
  wait $spid 2>/dev/null || true
done
