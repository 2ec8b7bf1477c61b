#!/usr/bin/env bash
# Builds captures/truststores/: each truststore as PEM, JKS and PKCS12 (keytool, password changeit).
# JKS and PKCS#12 files carry random salts and timestamps, so a store is rebuilt only when its PEM content
# changed or a file is missing (or FORCE=1): regenerating the corpus then leaves git clean.
# Usage: truststores.sh <captures dir>
set -euo pipefail
captures="$1"
pki="$captures/pki"; out="$captures/truststores"
mkdir -p "$out"
PASS=changeit

# store <name> <pem files...>: writes <name>.pem (concatenation) and keytool-made <name>.jks / <name>.p12.
store() {
  local name="$1"; shift
  local f pem
  pem="$(for f in "$@"; do cat "$pki/$f.pem"; done)"
  if [ -z "${FORCE:-}" ] && [ -f "$out/$name.jks" ] && [ -f "$out/$name.p12" ] && [ -f "$out/$name.pem" ] \
     && [ "$pem" = "$(cat "$out/$name.pem")" ]; then
    return 0
  fi
  rm -f "$out/$name.pem" "$out/$name.jks" "$out/$name.p12"
  : > "$out/$name.pem"
  for f in "$@"; do cat "$pki/$f.pem" >> "$out/$name.pem"; done
  local type ext
  for type in JKS PKCS12; do
    ext=jks; [ "$type" = PKCS12 ] && ext=p12
    if [ $# -eq 0 ]; then
      # keytool cannot create an empty store directly: add one entry, then delete it.
      keytool -J-XX:TieredStopAtLevel=1 -importcert -noprompt -alias placeholder -file "$pki/root.pem" -keystore "$out/$name.$ext" \
        -storetype "$type" -storepass "$PASS" >/dev/null 2>&1
      keytool -J-XX:TieredStopAtLevel=1 -delete -alias placeholder -keystore "$out/$name.$ext" -storetype "$type" -storepass "$PASS" >/dev/null 2>&1
    fi
    for f in "$@"; do
      keytool -J-XX:TieredStopAtLevel=1 -importcert -noprompt -alias "$f" -file "$pki/$f.pem" -keystore "$out/$name.$ext" \
        -storetype "$type" -storepass "$PASS" >/dev/null 2>&1
    done
  done
}

store root root &
store unrelated-root unrelated-root &
store impostor-root impostor-root &
store intermediate-only intermediate &
store empty &
store client-ca client-ca &
wait
# A PKCS#12 written by openssl without keys has no trusted-cert attribute: Java and BouncyCastle see 0 entries
# although the file holds the root certificate.
nokeys="$out/root-openssl-nokeys.p12"
if [ -n "${FORCE:-}" ] || [ ! -f "$nokeys" ] \
   || ! openssl pkcs12 -in "$nokeys" -nokeys -passin pass:$PASS 2>/dev/null | openssl x509 2>/dev/null | cmp -s - "$pki/root.pem"; then
  openssl pkcs12 -export -nokeys -in "$pki/root.pem" -passout pass:$PASS -out "$nokeys" 2>/dev/null
fi
