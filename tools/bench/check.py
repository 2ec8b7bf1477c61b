#!/usr/bin/env python3
"""Checks pcaptls analyze's JSON answer against what the generator put in the capture.

  check.py EXPECTED.json NAME ANSWER.json   -> exit 0 when the handshake, outcome and cause counts all match
"""
import collections
import json
import sys

expected = json.load(open(sys.argv[1]))[sys.argv[2]]
answer = json.load(open(sys.argv[3]))
hs = answer["handshakes"]
outcomes = collections.Counter(h["outcome"] for h in hs)
causes = collections.Counter(c["code"] for h in hs for c in h["causes"])
problems = []
if len(hs) != expected["handshakes"]:
    problems.append(f"handshakes {len(hs)} != expected {expected['handshakes']}")
if dict(outcomes) != expected["outcomes"]:
    problems.append(f"outcomes {dict(outcomes)} != expected {expected['outcomes']}")
if dict(causes) != expected["causes"]:
    problems.append(f"causes {dict(causes)} != expected {expected['causes']}")
if answer["capture"]["packets"] != expected["packets"]:
    problems.append(f"packets {answer['capture']['packets']} != expected {expected['packets']}")
if problems:
    print(f"{sys.argv[3]}: WRONG: " + "; ".join(problems))
    sys.exit(1)
print(f"{sys.argv[3]}: answer OK ({len(hs)} handshakes, {dict(causes)})")
