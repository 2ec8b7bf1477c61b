#!/usr/bin/env python3
"""Writes captures/manifest.json from what tools/make-captures recorded in its scratch folder.

Usage: manifest.py SCRATCH CAPTURES TOOLS_JSON

The expectations (outcome and cause codes) are declared here, per scenario and client, not derived from the
run: regenerating the corpus must not change what the tests expect. The run's real results (exit codes,
messages, alerts) are recorded beside them, and any disagreement between the two is printed and fails the run.
"""
import json
import os
import re
import sys

scratch, captures, tools_json = sys.argv[1], sys.argv[2], sys.argv[3]
PASSWORD = "changeit"
VARIANTS = ["pcapng", "nanosecond", "sll2", "sll", "ipv6", "gzip", "snaplen96"]

# Scenario -> the cause a failure is explained by (None: the handshake is expected to complete).
CAUSE = {
    "ok": None,
    "untrusted-root": "truststore-missing-anchor",
    "impostor-root": "truststore-missing-anchor",
    "leaf-only": "incomplete-chain",
    "wrong-host": "hostname-mismatch",
    "cn-only": None,
    "cn-only-other": "hostname-mismatch",
    "ip-literal": "hostname-mismatch",
    "expired": "certificate-expired",
    "not-yet-valid": "certificate-not-yet-valid",
    "intermediate-only": None,
    "empty-truststore": "truststore-empty",
    "mtls-no-client-cert": "client-certificate-missing",
    "mtls-untrusted-client-cert": "client-certificate-rejected",
    "server-rejects-hello": "server-rejected-hello",
    "plain-http": "not-tls",
}

# Failures decided on a certificate: in TLS 1.3 the server's chain, the CertificateRequest and the client's
# Certificate are encrypted, so without keys the certificate cannot be seen (certificate-not-visible).
CLIENT_REJECTS_CHAIN = {"truststore-missing-anchor", "incomplete-chain", "hostname-mismatch",
                        "certificate-expired", "certificate-not-yet-valid", "truststore-empty"}

SCENARIO_NOTES = {
    "ok": "Full chain (leaf + intermediate) from the server; the truststore holds the root.",
    "untrusted-root": "The truststore holds only an unrelated root (CN=PcapTls Unrelated Root CA).",
    "impostor-root": "The truststore holds a root with exactly the real root's subject but a different key: "
                     "the names chain, the signature does not.",
    "leaf-only": "The server sends only its leaf (no intermediate); the truststore holds the root.",
    "wrong-host": "The server's leaf is for other.pcaptls.test (SAN DNS:other.pcaptls.test); the client asks for "
                  "backend.pcaptls.test.",
    "cn-only": "The leaf has no subjectAltName, only CN=backend.pcaptls.test. Java 17, OpenSSL 3.0 and curl 7.88 "
               "all fall back to the CN when there is no DNS SAN, so all accept it.",
    "cn-only-other": "The leaf has no subjectAltName and CN=other.pcaptls.test; the client asks for "
                     "backend.pcaptls.test.",
    "ip-literal": "The client uses the IP literal 127.0.0.1 as the host (no SNI is sent); the certificate has only "
                  "a DNS SAN.",
    "expired": "The leaf was valid 2020-01-01 .. 2021-01-01.",
    "not-yet-valid": "The leaf is valid 2040-01-01 .. 2041-01-01.",
    "intermediate-only": "The truststore holds only the intermediate CA.",
    "empty-truststore": "The truststore holds no certificate.",
    "mtls-no-client-cert": "The server requires a client certificate (s_server -Verify 1, CAfile = client CA); the "
                           "client has none.",
    "mtls-untrusted-client-cert": "The server requires a client certificate issued by the client CA; the client "
                                  "presents one from an untrusted client CA (the Java client uses a fixed-alias key "
                                  "manager, --key-alias, because JSSE offers no certificate whose issuer the server "
                                  "did not name).",
    "plain-http": "A plain HTTP server listens where the client expects TLS; it answers the ClientHello with "
                  "HTTP/1.1 400.",
}

# (scenario, client, version or None) -> extra notes or overrides.
COMBO_NOTES = {
    ("intermediate-only", "java", None): "Java accepts: any trusted certificate is an anchor, the root is not "
                                         "needed.",
    ("intermediate-only", "openssl", None): "OpenSSL rejects: without X509_V_FLAG_PARTIAL_CHAIN the chain must end "
                                            "in a self-signed trusted root.",
    ("intermediate-only", "curl", None): "curl sets X509_V_FLAG_PARTIAL_CHAIN, so the trusted intermediate is "
                                         "enough and it accepts.",
    ("empty-truststore", "openssl", None): "s_client cannot load a CA file without certificates (it stops before "
                                           "connecting: 'X509_load_cert_crl_file_ex:no certificate or crl found'), "
                                           "so it runs with -no-CAfile -no-CApath -no-CAstore (trusts nothing), the "
                                           "same situation.",
    ("mtls-no-client-cert", "java", None): "Java writes its whole flight before it reads: when the server's alert "
                                           "and FIN come first it may report 'Broken pipe' instead of 'Received "
                                           "fatal alert: ...' (timing); the server's alert is in the capture either way.",
    ("mtls-untrusted-client-cert", "java", None): "Java writes its whole flight before it reads: when the server's "
                                                  "alert and FIN come first it may report 'Broken pipe' instead of "
                                                  "'Received fatal alert: ...' (timing); the server's alert is in the "
                                                  "capture either way.",
    ("wrong-host", "curl", None): "curl completes the handshake, checks the name afterwards and closes with "
                                  "close_notify (no fatal alert); the expectation follows curl's verdict.",
    ("cn-only-other", "curl", None): "curl completes the handshake, checks the name afterwards and closes with "
                                     "close_notify (no fatal alert); the expectation follows curl's verdict.",
    ("ip-literal", "curl", None): "curl completes the handshake, checks the name afterwards and closes with "
                                  "close_notify (no fatal alert); the expectation follows curl's verdict.",
}

# curl checks the host name only after the handshake completed (closes with close_notify).
CURL_LATE_NAME_CHECK = {"wrong-host", "cn-only-other", "ip-literal"}


def expected_for(scenario, client):
    cause = CAUSE[scenario]
    if scenario == "intermediate-only" and client == "openssl":
        cause = "truststore-missing-anchor"
    if cause is None:
        return {"outcome": "completed", "causes": []}
    if cause == "not-tls":
        return {"outcome": "not-tls", "causes": ["not-tls"]}
    return {"outcome": "failed", "causes": [cause]}


def expected_without_keys(scenario, client, expected):
    """What a TLS 1.3 capture shows without a key log."""
    causes = expected["causes"]
    if expected["outcome"] != "failed":
        return expected
    if client == "curl" and scenario in CURL_LATE_NAME_CHECK:
        # Handshake completed on the wire, then the client closes first (encrypted close_notify, FIN/RST) without
        # sending any data. Without keys that is a completed handshake (RFC 8446: complete once the client's
        # Finished is sent), whose chain is not visible; only a key log shows curl's late name check.
        return {"outcome": "completed", "causes": ["certificate-not-visible"]}
    if causes and causes[0] in CLIENT_REJECTS_CHAIN:
        return {"outcome": "failed", "causes": ["certificate-not-visible"]}
    if causes and causes[0] in ("client-certificate-missing", "client-certificate-rejected"):
        # The CertificateRequest, the client's Certificate and the server's alert are all encrypted: the server
        # aborts right after the client's flight, and only a key log shows why.
        return {"outcome": "failed", "causes": ["certificate-not-visible"]}
    return expected  # server-rejected-hello: the server's alert precedes encryption.


def read(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return default


def openssl_error_line(text):
    """The first OpenSSL error-queue line, without the thread-id prefix that changes per run."""
    for line in text.splitlines():
        m = re.match(r"^[0-9A-F]+:(error:.*)$", line.strip())
        if m:
            return m.group(1)
    return None


def client_message(client, text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if client == "java":
        return lines[0] if lines else None
    if client == "openssl":
        for l in lines:
            if l.startswith("verify error:"):
                return l
        err = openssl_error_line(text)
        if err:
            return err
        for l in lines:
            if l.startswith("Verify return code:"):
                return l
        return lines[-1] if lines else None
    if client == "curl":
        for l in lines:
            if l.startswith("curl: ("):
                return l
        return lines[-1] if lines else None
    raise ValueError(client)


def server_message(text):
    err = openssl_error_line(text)
    if err:
        return err
    for l in text.splitlines():
        if l.startswith("plain HTTP server:"):
            return l.strip()
    return None


def load_alerts():
    """(srcport, dstport) -> [alert description, ...] in capture order."""
    alerts = {}
    for line in read(os.path.join(scratch, "alerts.tsv")).splitlines():
        parts = line.split("\t")
        if len(parts) < 4 or not parts[0]:
            continue
        src, dst = int(parts[0]), int(parts[1])
        descs = [int(d) for d in parts[3].split(",") if d != ""]
        alerts.setdefault((src, dst), []).extend(descs)
    return alerts


def first_fatal(descs):
    for d in descs:
        if d != 0:  # close_notify is the only non-error alert these stacks send
            return d
    return None


def write_results_table(base_entries):
    """captures/RESULTS.md: what each real client printed and which alerts went on the wire, per scenario."""
    alert_names = {0: "close_notify", 40: "handshake_failure", 42: "bad_certificate", 45: "certificate_expired",
                   46: "certificate_unknown", 48: "unknown_ca", 50: "decode_error", 70: "protocol_version",
                   80: "internal_error", 116: "certificate_required"}

    def alerts(values):
        return ", ".join(f"{v} {alert_names.get(v, '')}".strip() for v in values) or "-"

    def cell(text):
        return (text or "").replace("|", "\\|")

    lines = ["# What the real clients did (generated by tools/make-captures; do not edit)", "",
             "One row per base capture: the client's exit status and the line it printed (Java: the exception "
             "message; openssl s_client: the verify error, else the first error-queue line, else the Verify "
             "return code; curl: its error line, or the HTTP status it got), the alerts each side sent as read "
             "from the capture with the server's key log, and the expected outcome.", "",
             "| TLS | scenario | client | exit | client printed | client alerts | server alerts | expected |",
             "|---|---|---|---|---|---|---|---|"]
    for e in base_entries:
        exp = e["expected"]["outcome"] + (" " + ",".join(e["expected"]["causes"]) if e["expected"]["causes"] else "")
        lines.append(f"| {e['tlsVersion']} | {e['scenario']} | {e['client']} | {e['clientResult']['exitCode']} | "
                     f"{cell(e['clientResult']['message'])} | {alerts(e['clientResult']['alertsSent'])} | "
                     f"{alerts(e['serverResult']['alertsSent'])} | {exp} |")
    with open(os.path.join(captures, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    tools = json.loads(tools_json)
    alerts = load_alerts()
    combos = [line.split("\t") for line in read(os.path.join(scratch, "combos.tsv")).splitlines() if line]
    exclusions = [line.split("\t") for line in read(os.path.join(scratch, "exclusions.tsv")).splitlines() if line]
    by_id = {}
    entries = []
    problems = []

    for idx, cid, version, scenario, client, variant, family in combos:
        idx = int(idx)
        run = os.path.join(scratch, "run", str(idx))
        params = dict(l.split("=", 1) for l in read(os.path.join(run, "params")).splitlines() if "=" in l)
        sport, cport = 20000 + idx, 21000 + idx
        addr = "[::1]" if family == "6" else "127.0.0.1"
        client_alerts = alerts.get((cport, sport), [])
        server_alerts = alerts.get((sport, cport), [])
        exit_code = int(read(os.path.join(run, "client.rc"), "-1").strip() or -1)
        tls = "1.2" if version == "12" else "1.3"
        expected = expected_for(scenario, client)
        trust = params.get("trust")
        cert = {"wrong-host": "other", "cn-only": "cn-only", "cn-only-other": "cn-only-other",
                "expired": "expired", "not-yet-valid": "not-yet-valid"}.get(scenario, "backend")
        chain = [] if scenario == "plain-http" else (
            [f"pki/{cert}.pem"] + ([] if scenario == "leaf-only" else ["pki/intermediate.pem"]))
        notes = [SCENARIO_NOTES.get(scenario, "")]
        if scenario == "server-rejects-hello":
            notes = ["The client offers only TLS 1.2; the server accepts only TLS 1.3."] if tls == "1.2" else \
                ["Client and server speak TLS 1.3 but share no cipher suite (client TLS_AES_128_GCM_SHA256, "
                 "server TLS_AES_256_GCM_SHA384)."]
        extra = COMBO_NOTES.get((scenario, client, None)) or COMBO_NOTES.get((scenario, client, tls))
        if extra:
            notes.append(extra)

        base = {
            "file": cid + ".pcap",
            "scenario": scenario,
            "client": client,
            "tlsVersion": tls,
            "variant": "ipv6" if variant == "ipv6" else "base",
            "format": "pcap",
            "linkType": "ethernet",
            "host": params.get("host"),
            "server": f"{addr}:{sport}",
            "clientEndpoint": f"{addr}:{cport}",
            "serverChain": chain,
            "clientCertificate": f"pki/{params['clientCert']}.pem" if params.get("clientCert") else None,
            "truststore": None if not trust else {
                "pem": f"truststores/{trust}.pem", "jks": f"truststores/{trust}.jks",
                "pkcs12": f"truststores/{trust}.p12", "password": PASSWORD},
            "keylog": cid + ".pcap.keys" if os.path.exists(os.path.join(captures, cid + ".pcap.keys")) else None,
            "keylogSide": None,
            "clientKeylog": cid + ".pcap.client.keys"
            if os.path.exists(os.path.join(captures, cid + ".pcap.client.keys")) else None,
            "clientResult": {
                "exitCode": exit_code,
                "message": client_message(client, read(os.path.join(run, "client.out"))),
                "alertSent": first_fatal(client_alerts),
                "alertsSent": client_alerts,
            },
            "serverResult": {
                "message": server_message(read(os.path.join(run, "server.out"))),
                "alertSent": first_fatal(server_alerts),
                "alertsSent": server_alerts,
            },
            "expected": expected,
            "expectedWithoutKeys": expected_without_keys(scenario, client, expected) if tls == "1.3" else None,
            "notes": " ".join(n for n in notes if n),
        }
        if base["keylog"]:
            base["keylogSide"] = "server"

        # Sanity: the real run must agree with the declared expectation.
        ok = exit_code == 0
        if expected["outcome"] == "completed" and not ok:
            problems.append(f"{cid}: expected completed, client exit {exit_code}: {base['clientResult']['message']}")
        if expected["outcome"] in ("failed", "not-tls") and ok:
            problems.append(f"{cid}: expected {expected['outcome']}, but the client succeeded")
        entries.append(base)
        by_id[cid] = base

    # Variants derived from a base capture (same connection, other format or link type).
    variant_entries = []
    for cid in [c[1] for c in combos if c[5] == "base"]:
        for v in VARIANTS:
            if v == "ipv6":
                src = by_id.get("variants/ipv6/" + cid)
                if src:
                    variant_entries.append(src)
                continue
            ext = {"pcapng": ".pcapng", "gzip": ".pcap.gz"}.get(v, ".pcap")
            rel = f"variants/{v}/{cid}{ext}"
            if not os.path.exists(os.path.join(captures, rel)):
                continue
            e = json.loads(json.dumps(by_id[cid]))
            e["file"] = rel
            e["variant"] = v
            e["format"] = {"pcapng": "pcapng", "nanosecond": "pcap-ns", "gzip": "pcap.gz"}.get(v, "pcap")
            e["linkType"] = {"sll2": "linux_sll2", "sll": "linux_sll"}.get(v, "ethernet")
            e["keylog"] = rel + ".keys" if e["keylog"] else None
            e["clientKeylog"] = rel + ".client.keys" if e["clientKeylog"] else None
            if v == "snaplen96":
                e["expected"] = {"outcome": "incomplete", "causes": ["capture-incomplete"]}
                if e["expectedWithoutKeys"] is not None:
                    e["expectedWithoutKeys"] = e["expected"]
                e["notes"] += " Every packet is cut to 96 bytes (editcap -s 96): records and certificates cannot " \
                              "be read."
            elif v in ("sll2", "sll"):
                e["notes"] += f" The same connection as {cid}.pcap, recorded at the same time by tcpdump -i any" + \
                              (" -y LINUX_SLL." if v == "sll" else " (LINUX_SLL2).")
            else:
                e["notes"] += f" The same connection as {cid}.pcap, converted."
            variant_entries.append(e)

    base_entries = [e for e in entries if e["variant"] == "base"]
    manifest = {
        "version": 1,
        "generatedBy": "tools/make-captures",
        "tools": tools,
        "exclusions": [{"tlsVersion": "1.2" if v == "12" else "1.3", "scenario": s, "client": c, "reason": r}
                       for v, s, c, r in exclusions],
        "notes": "Combinations left out: " + "; ".join(
            sorted({f"{c} x {s}: {r}" for v, s, c, r in exclusions})) if exclusions else "",
        "captures": base_entries + variant_entries,
    }
    with open(os.path.join(captures, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")

    write_results_table(base_entries)

    # A compact summary for the person running the generator.
    with open(os.path.join(scratch, "summary.tsv"), "w", encoding="utf-8") as f:
        for e in base_entries:
            f.write("\t".join(str(x) for x in [
                e["tlsVersion"], e["scenario"], e["client"], e["clientResult"]["exitCode"],
                e["clientResult"]["alertSent"], e["serverResult"]["alertSent"], e["clientResult"]["message"],
                e["serverResult"]["message"]]) + "\n")
    print(f"manifest: {len(base_entries)} base captures, {len(variant_entries)} variants")
    for p in problems:
        print("MISMATCH " + p, file=sys.stderr)
    if problems:
        sys.exit(6)


main()
