#!/usr/bin/env bash
# Builds the fixed test PKI in captures/pki/: RSA keys are committed (created only when missing), certificates
# are issued with `openssl ca` using fixed serials and fixed validity windows. RSA PKCS#1 v1.5 signatures are
# deterministic, so every certificate is byte-identical on each run.
# Usage: pki.sh <captures dir> <scratch dir>
set -euo pipefail
captures="$1"; scratch="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pki="$captures/pki"; keys="$pki/keys"
mkdir -p "$keys"
# ca.cnf reads these; every command loads it, so they always need a value.
export PKI_DB="$scratch" PKI_SAN=none

# Wide windows: captures made any time between 2024 and 2045 validate at capture time.
VALID_FROM=20240101000000Z; VALID_TO=20450101000000Z

key() { # name
  [ -f "$keys/$1.key" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/$1.key" 2>/dev/null
}

# issue <name> <serial hex> <subject> <issuer name|self> <extensions> <from> <to> [SAN DNS name]
issue() {
  local name="$1" serial="$2" subj="$3" issuer="$4" ext="$5" from="$6" to="$7" san="${8:-none}"
  local db="$scratch/ca-$name"
  rm -rf "$db"; mkdir -p "$db/new"; : > "$db/index.txt"; echo "$serial" > "$db/serial"
  key "$name"
  openssl req -config "$here/ca.cnf" -new -key "$keys/$name.key" -subj "$subj" -out "$db/req.csr" 2>/dev/null
  local signer=()
  if [ "$issuer" = self ]; then
    signer=(-selfsign -keyfile "$keys/$name.key")
  else
    signer=(-cert "$pki/$issuer.pem" -keyfile "$keys/$issuer.key")
  fi
  PKI_DB="$db" PKI_SAN="$san" openssl ca -batch -notext -preserveDN -config "$here/ca.cnf" -md sha256 \
    "${signer[@]}" -subj "$subj" -startdate "$from" -enddate "$to" \
    -extfile "$here/ca.cnf" -extensions "$ext" -in "$db/req.csr" -out "$pki/$name.pem" 2>"$db/log" \
    || { cat "$db/log" >&2; return 1; }
}

R='/O=PcapTls Test/CN=PcapTls Test Root CA'
I='/O=PcapTls Test/CN=PcapTls Test Intermediate CA'
issue root                1001 "$R" self v3_root "$VALID_FROM" "$VALID_TO"
issue intermediate        1002 "$I" root v3_intermediate "$VALID_FROM" "$VALID_TO"
issue backend             2001 '/CN=backend.pcaptls.test' intermediate v3_server "$VALID_FROM" "$VALID_TO" backend.pcaptls.test
issue other               2002 '/CN=other.pcaptls.test' intermediate v3_server "$VALID_FROM" "$VALID_TO" other.pcaptls.test
issue cn-only             2003 '/CN=backend.pcaptls.test' intermediate v3_server_nosan "$VALID_FROM" "$VALID_TO"
issue cn-only-other       2004 '/CN=other.pcaptls.test' intermediate v3_server_nosan "$VALID_FROM" "$VALID_TO"
issue expired             2005 '/CN=backend.pcaptls.test' intermediate v3_server 20200101000000Z 20210101000000Z backend.pcaptls.test
issue not-yet-valid       2006 '/CN=backend.pcaptls.test' intermediate v3_server 20400101000000Z 20410101000000Z backend.pcaptls.test
issue unrelated-root      1003 '/CN=PcapTls Unrelated Root CA' self v3_root "$VALID_FROM" "$VALID_TO"
# Same subject as the real root and intermediate, different keys: a name match that is not a trust match.
issue impostor-root       1004 "$R" self v3_root "$VALID_FROM" "$VALID_TO"
issue impostor-intermediate 1005 "$I" impostor-root v3_intermediate "$VALID_FROM" "$VALID_TO"
issue client-ca           3001 '/O=PcapTls Test/CN=PcapTls Test Client CA' self v3_root "$VALID_FROM" "$VALID_TO"
issue client              3002 '/O=PcapTls Test/CN=client.pcaptls.test' client-ca v3_client "$VALID_FROM" "$VALID_TO"
issue untrusted-client-ca 3003 '/O=PcapTls Test/CN=PcapTls Untrusted Client CA' self v3_root "$VALID_FROM" "$VALID_TO"
issue untrusted-client    3004 '/O=PcapTls Test/CN=untrusted-client.pcaptls.test' untrusted-client-ca v3_client "$VALID_FROM" "$VALID_TO"

# What s_server sends: the leaf plus the intermediate (never the root).
cat "$pki/intermediate.pem" > "$pki/intermediate-chain.pem"
# Client keystores for mTLS (Java); the bytes differ per run because PKCS#12 uses a random salt.
# Kept when it still holds the same certificate, so that regenerating leaves git clean.
for c in client untrusted-client; do
  if [ -n "${FORCE:-}" ] || [ ! -f "$pki/$c.p12" ] \
     || ! openssl pkcs12 -in "$pki/$c.p12" -nokeys -clcerts -passin pass:changeit 2>/dev/null | openssl x509 2>/dev/null \
          | cmp -s - "$pki/$c.pem"; then
    openssl pkcs12 -export -in "$pki/$c.pem" -inkey "$keys/$c.key" -name "$c" -passout pass:changeit \
      -out "$pki/$c.p12" 2>/dev/null
  fi
done
