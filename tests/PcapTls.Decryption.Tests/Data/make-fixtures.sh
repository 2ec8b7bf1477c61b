#!/bin/sh
# Regenerates the real TLS 1.3 handshakes used by RealHandshakeTests (OpenSSL 3.0 on loopback; needs root for
# tcpdump). Each <suite>.txt holds the cipher suite, the ClientHello random and both directions' TCP payload
# as hex; <suite>.keys is the server's key log (s_server -keylogfile). The certificate is made fresh each time.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem \
  -days 3650 -subj /CN=fixture.pcaptls.test -addext subjectAltName=DNS:fixture.pcaptls.test 2>/dev/null
port=39443  # outside 20000-21999, where the capture corpus scripts listen and bind
for pair in aes128gcm:TLS_AES_128_GCM_SHA256 aes256gcm:TLS_AES_256_GCM_SHA384 \
            chacha20:TLS_CHACHA20_POLY1305_SHA256 aes128ccm:TLS_AES_128_CCM_SHA256 aes128ccm8:TLS_AES_128_CCM_8_SHA256; do
  name=${pair%%:*}; suite=${pair#*:}; port=$((port + 1))
  rm -f keys.log cap.pcap
  tcpdump -i lo -s 0 -U --immediate-mode -w cap.pcap "tcp port $port" 2>/dev/null & dump=$!
  openssl s_server -accept "$port" -cert cert.pem -key key.pem -tls1_3 -ciphersuites "$suite" \
    -keylogfile keys.log -naccept 1 -quiet >/dev/null 2>&1 & server=$!
  sleep 1
  # stdin at EOF: the client finishes the handshake and closes with an encrypted close_notify alert.
  openssl s_client -connect "127.0.0.1:$port" -tls1_3 -ciphersuites "$suite" \
    -servername fixture.pcaptls.test </dev/null >/dev/null 2>&1 || true
  sleep 1
  kill "$server" 2>/dev/null || true
  kill "$dump"; wait "$dump" 2>/dev/null || true
  {
    echo "# $suite: openssl s_server/s_client $(openssl version | cut -d' ' -f2) on loopback, made by make-fixtures.sh"
    echo "cipher_suite $(tshark -r cap.pcap -Y 'tls.handshake.type == 2' -T fields -e tls.handshake.ciphersuite | head -1)"
    echo "client_random $(tshark -r cap.pcap -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.random | head -1)"
    tshark -r cap.pcap -q -z follow,tcp,raw,0 | awk '
      /^=+$/ || /^Follow:/ || /^Filter:/ || /^Node [01]:/ { next }
      /^\t/ { sub(/^\t/, ""); server = server $0; next }
      { client = client $0 }
      END { print "client_stream " client; print "server_stream " server }'
  } > "$out/$name.txt"
  cp keys.log "$out/$name.keys"
done
