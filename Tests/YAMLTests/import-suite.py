#!/usr/bin/env python3
"""Imports the single-document cases of the official YAML test suite (yaml/yaml-test-suite, its
`data` branch, MIT-licensed) into Suite/, with PyYAML's reading of each as the oracle.

For each case with one document: Suite/ID/in.yaml (the input), Suite/ID/error when the suite
says the input is invalid, and Suite/ID/pyyaml.json (what yaml.safe_load reads, timestamps kept
as strings, as in pdstep) or Suite/ID/pyyaml-error (PyYAML refuses it).

Usage: python3 Tests/YAMLTests/import-suite.py DATA_DIR
  (DATA_DIR: a checkout of the suite's `data` branch, e.g. `git archive data | tar -x -C DIR`)
Re-running with the same DATA_DIR gives the same files.
"""
import json
import os
import shutil
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module

golden = import_module("regenerate-golden")


def cases(data):
    for root, dirs, files in os.walk(data):
        if "in.yaml" in files:
            yield os.path.relpath(root, data), root


def documents(events_path):
    if not os.path.exists(events_path):
        return 0
    with open(events_path, encoding="utf-8") as f:
        return sum(1 for line in f if line.startswith("+DOC"))


def main():
    data = sys.argv[1]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Suite")
    shutil.rmtree(here, ignore_errors=True)
    os.makedirs(here)
    kept = 0
    for name, root in sorted(cases(data)):
        if documents(os.path.join(root, "test.event")) > 1:
            continue
        target = os.path.join(here, name.replace(os.sep, "-"))
        os.makedirs(target)
        shutil.copy(os.path.join(root, "in.yaml"), os.path.join(target, "in.yaml"))
        if os.path.exists(os.path.join(root, "error")):
            open(os.path.join(target, "error"), "w").close()
        with open(os.path.join(root, "==="), encoding="utf-8") as f:
            title = f.read().strip()
        with open(os.path.join(target, "title"), "w", encoding="utf-8") as f:
            f.write(title + "\n")
        try:
            with open(os.path.join(root, "in.yaml"), "rb") as f:
                value = yaml.load(f, Loader=golden.Loader)
            text = json.dumps(golden.plain(value), ensure_ascii=False, indent=1, default=str)
            with open(os.path.join(target, "pyyaml.json"), "w", encoding="utf-8") as out:
                out.write(text + "\n")
        except Exception as error:  # PyYAML refuses it (or reads something JSON cannot hold)
            with open(os.path.join(target, "pyyaml-error"), "w", encoding="utf-8") as out:
                out.write(type(error).__name__ + "\n")
        kept += 1
    print(f"{kept} single-document cases in {here}")


if __name__ == "__main__":
    main()
