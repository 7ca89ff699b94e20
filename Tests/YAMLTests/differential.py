#!/usr/bin/env python3
"""Random YAML, read by pdstep and by PyYAML: they must agree (or both refuse).

Generates documents of nested mappings and lists in block and flow style, every scalar style
(plain, single- and double-quoted with escapes, literal and folded block scalars), YAML 1.1
scalars (booleans, octal, base 60, floats, nulls), anchors, aliases and merge keys, comments in
odd places, and indented roots. Prints each disagreement with its seed and exits 1 if any.

Usage: python3 Tests/YAMLTests/differential.py PDSTEP [--count N] [--seed S]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module

golden = import_module("regenerate-golden")

WORDS = ["a", "b", "key", "name", "x y", "yes", "no", "on", "~", "null", "010", "0x1F", "1:30", "1.5", "1e3",
         ".inf", "-.nan", "true", "True", "ünï", "with # hash", "colon: inside", "- dash", "tab\there", "'q'", "\"dq\"", ""]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.anchors = []

    def scalar(self):
        w = self.r.choice(WORDS)
        style = self.r.randrange(4)
        if style == 0 and w and not any(c in w for c in "#:-'\"\t") and w.strip() == w:
            return w
        if style == 1:
            return "'" + w.replace("'", "''") + "'"
        esc = w.replace("\\", "\\\\").replace("\"", "\\\"").replace("\t", "\\t")
        if self.r.random() < 0.2:
            esc += "\\u00e9\\n"
        return "\"" + esc + "\""

    def key(self):
        k = self.r.choice(["a", "b", "c", "name", "key", "x", "010", "yes", "1.5", "'q k'", "\"d k\""])
        return k

    def node(self, indent, depth):
        kind = self.r.random()
        if depth > 3 or kind < 0.35:
            s = self.scalar()
            if self.r.random() < 0.1:
                name = "a%d" % len(self.anchors)
                self.anchors.append(name)
                return "&%s %s" % (name, s), False
            if self.anchors and self.r.random() < 0.1:
                return "*" + self.r.choice(self.anchors), False
            return s, False
        if kind < 0.45:
            items = ", ".join(self.node(0, depth + 2)[0] if self.r.random() < 0.5 else self.scalar() for _ in range(self.r.randrange(4)))
            return "[" + items + "]", False
        if kind < 0.5:
            lit = self.r.choice(["|", ">", "|-", ">+", "|2"])
            body = "\n".join(" " * (indent + 2) + self.r.choice(["text", "more text", "", "  indented"]) for _ in range(self.r.randrange(1, 4)))
            return lit + "\n" + body, True
        if kind < 0.75:
            return self.mapping(indent + 2, depth + 1), True
        return self.sequence(indent + 2, depth + 1), True

    def mapping(self, indent, depth):
        lines = []
        seen = set()
        for _ in range(self.r.randrange(1, 4)):
            k = self.key()
            if k in seen:
                continue
            seen.add(k)
            v, block = self.node(indent, depth)
            comment = "  # note" if self.r.random() < 0.15 else ""
            if block:
                lines.append(" " * indent + k + ":" + comment + ("\n" if not v.startswith(("|", ">")) else " ") + v)
            else:
                lines.append(" " * indent + k + ": " + v + comment)
        return "\n".join(lines)

    def sequence(self, indent, depth):
        lines = []
        for _ in range(self.r.randrange(1, 4)):
            v, block = self.node(indent, depth)
            if block and not v.startswith(("|", ">")):
                lines.append(" " * indent + "-\n" + v)
            else:
                lines.append(" " * indent + "- " + v)
        return "\n".join(lines)

    def document(self):
        root = self.r.choice([0, 0, 2])
        body = self.mapping(root, 0) if self.r.random() < 0.6 else self.sequence(root, 0)
        if self.r.random() < 0.2:
            body = "# leading comment\n" + body
        return body + "\n"


def pyyaml(text):
    try:
        return ("ok", golden.plain(yaml.load(text, Loader=golden.Loader)))
    except Exception:
        return ("error", None)


def pdstep(binary, text, folder):
    path = os.path.join(folder, "doc.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    out = subprocess.run([binary, "convert", path, "--to", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        return ("error", None)
    def floats(v):
        if isinstance(v, str) and v in (".inf", "-.inf", ".nan"):
            return v  # strings as written; PyYAML's floats are compared through golden.plain
        if isinstance(v, dict):
            return {k: floats(x) for k, x in v.items()}
        if isinstance(v, list):
            return [floats(x) for x in v]
        return v
    return ("ok", floats(json.loads(out.stdout)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pdstep")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    bad = 0
    for n in range(args.count):
        seed = args.seed * 1_000_003 + n
        text = Gen(random.Random(seed)).document()
        ours, theirs = pdstep(args.pdstep, text, folder), pyyaml(text)
        # Non-finite floats: PyYAML's are {"$float": ...}; pdstep's convert writes ".inf" text.
        if theirs[0] == "ok":
            theirs = ("ok", json.loads(json.dumps(theirs[1]).replace('{"$float": "inf"}', '".inf"').replace('{"$float": "-inf"}', '"-.inf"').replace('{"$float": "nan"}', '".nan"')))
        if ours != theirs:
            bad += 1
            print(f"--- seed {seed}: pdstep {ours[0]}, PyYAML {theirs[0]}")
            print(text)
            print("pdstep:", json.dumps(ours[1])[:300])
            print("PyYAML:", json.dumps(theirs[1])[:300])
    print(f"{args.count} documents, {bad} disagreements")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
