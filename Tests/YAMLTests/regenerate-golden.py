#!/usr/bin/env python3
"""Regenerates the golden answers for the YAML corpus with PyYAML, the oracle.

For each Corpus/valid/NAME.yaml it writes Corpus/valid/NAME.json: what yaml.safe_load reads,
as JSON. Timestamps stay strings (as in pdstep), so the timestamp resolver is removed. Non-finite
floats, which JSON cannot hold, are written as {"$float": "inf" | "-inf" | "nan"}.
Every file under Corpus/invalid/ must be rejected by PyYAML; the script fails if one is not.

Run from anywhere:  python3 Tests/YAMLTests/regenerate-golden.py
"""
import json
import math
import os
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, dict):
        return {k if isinstance(k, str) else key_text(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def key_text(k):
    # json.dumps writes True as true, None as null, 1.5 as 1.5: the same text pdstep gives keys.
    return json.dumps(k)


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")
    failures = 0
    for name in sorted(os.listdir(os.path.join(here, "valid"))):
        if not name.endswith(".yaml"):
            continue
        path = os.path.join(here, "valid", name)
        with open(path, "rb") as f:
            value = yaml.load(f, Loader=Loader)
        with open(path[:-5] + ".json", "w", encoding="utf-8") as out:
            json.dump(plain(value), out, ensure_ascii=False, indent=1)
            out.write("\n")
    for name in sorted(os.listdir(os.path.join(here, "invalid"))):
        path = os.path.join(here, "invalid", name)
        try:
            with open(path, "rb") as f:
                yaml.load(f, Loader=Loader)
            print(f"PyYAML accepts {name}, which is in invalid/", file=sys.stderr)
            failures += 1
        except yaml.YAMLError:
            pass
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
