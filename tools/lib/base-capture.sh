# Sourced by tools/live-load-test and tools/soak: records the base capture their replays loop over.
#
# record_base_capture SCRATCH PKI_DIR TRUSTSTORE_DIR HOST
#   Starts openssl s_server on 127.0.0.2 (TLS 1.2 on 27902, TLS 1.3 on 27903, full chain) and records, with
#   tcpdump on lo, 20 real handshakes: 5 rounds of {openssl s_client TLS 1.2, 1.3} x {trusting the root (completes),
#   trusting an unrelated root (the client aborts with unknown_ca)}. The server is on 127.0.0.2 and the client
#   comes from 127.0.0.1: tcpreplay --unique-ip shifts the lower and the higher address in opposite directions,
#   which would split a connection in two if both ends had the same address.
#   Writes SCRATCH/base.pcap; sets BASE_HANDSHAKES and BASE_PACKETS. The servers and tcpdump are stopped before it returns.
record_base_capture() {
  local scratch="$1" pki="$2" ts="$3" host="$4" v i trust round p servers=() dump
  for v in 2 3; do
    openssl s_server -accept "127.0.0.2:2790$v" "-tls1_$v" -cert "$pki/backend.pem" -key "$pki/keys/backend.key" \
      -cert_chain "$pki/intermediate-chain.pem" -www -quiet < /dev/null > /dev/null 2>&1 &
    servers+=($!)
  done
  for v in 2 3; do
    for i in $(seq 1 100); do [ -n "$(ss -Hltn "sport = :2790$v")" ] && break; sleep 0.1; done
    [ -n "$(ss -Hltn "sport = :2790$v")" ] || { echo "base capture: openssl s_server did not start on 127.0.0.2:2790$v (port in use?)" >&2; return 4; }
  done
  tcpdump -i lo -s 0 -U --immediate-mode -w "$scratch/base.pcap" 'tcp portrange 27900-27999' 2> "$scratch/tcpdump.log" &
  dump=$!
  for i in $(seq 1 600); do grep -q "listening on" "$scratch/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
  BASE_HANDSHAKES=0
  for round in 1 2 3 4 5; do
    for v in 2 3; do
      for trust in root unrelated-root; do
        printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$host" | timeout 10 openssl s_client -connect "127.0.0.2:2790$v" \
          "-tls1_$v" -servername "$host" -verify_return_error -CAfile "$ts/$trust.pem" -no-CApath -no-CAstore -ign_eof \
          > /dev/null 2>&1 || true
        BASE_HANDSHAKES=$((BASE_HANDSHAKES + 1))
      done
    done
  done
  # tcpdump writes what it has seen when interrupted; the last FINs are already on lo.
  sleep 1
  kill -INT "$dump"; wait "$dump" 2>/dev/null || true
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  BASE_PACKETS=$(tcpdump -r "$scratch/base.pcap" 2>/dev/null | wc -l)
}
