#!/usr/bin/env python3
"""YAML and XML reading speed: pdstep's readers beside PyYAML's CLoader (libyaml) and Python's
expat (xml.etree.ElementTree) on the same jobs.

Generates a multi-MB job file (many Rundeck jobs with options, scripts and plugin steps), then
times `pdstep convert FILE --to json` (parse + JSON output, process start included) and
PyYAML's `yaml.load(..., Loader=CLoader)` in this process; then the same jobs as Rundeck's XML
(written by `pdstep convert --to xml`), read by pdstep and by expat. Prints MB/s for each.

Usage: python3 bench/yaml-throughput.py [--jobs N] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ElementTree

import yaml

from common import add_binary_argument

JOB = """- name: job {i}
  group: bench/group{g}
  description: |-
    Job number {i}, generated for the YAML benchmark.

    It has *markdown* and "quotes".
  uuid: 00000000-0000-4000-8000-{i:012d}
  loglevel: INFO
  options:
  - {{name: host, value: web{i}, required: true}}
  - name: severity
    enforced: true
    values: [critical, error, warning, info]
    value: critical
  retry: {{retry: '2', delay: 10s}}
  sequence:
    keepgoing: false
    strategy: node-first
    commands:
    - exec: echo "checking ${{option.host}}" && test -n '${{option.severity}}'
    - script: |
        #!/bin/sh
        echo "RUNDECK:DATA:count={i}"
        for n in 1 2 3; do echo "line $n"; done
      plugins:
        LogFilter:
        - type: key-value-data
          config: {{logData: 'true', regex: '^RUNDECK:DATA:\\s*([^\\s]+?)\\s*=\\s*(.+)$'}}
    - type: pagerduty-send-event
      nodeStep: false
      configuration:
        summary: ${{option.host}} is down (job {i})
        severity: ${{option.severity}}
        custom_details: '{{"count": ${{data.count}}, "ratio": 0.{i}}}'
      errorhandler:
        type: flow-control
        configuration: {{halt: 'true', fail: 'false', status: "could not page"}}
        keepgoingOnSuccess: true
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    add_binary_argument(parser)
    args = parser.parse_args()
    path = os.path.join(tempfile.mkdtemp(), "big.yaml")
    with open(path, "w") as f:
        for i in range(args.jobs):
            f.write(JOB.format(i=i, g=i % 17))
    size_mb = os.path.getsize(path) / 1e6
    ours = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run([args.binary, "convert", path, "--to", "json"], stdout=subprocess.DEVNULL, check=True)
        ours.append(time.perf_counter() - start)
    theirs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        with open(path, "rb") as f:
            yaml.load(f, Loader=yaml.CLoader)
        theirs.append(time.perf_counter() - start)
    print(f"file: {size_mb:.1f} MB, {args.jobs} jobs; medians of {args.repeats} runs")
    print(f"{'reader':<52}{'seconds':>10}{'MB/s':>10}")
    for name, times in (("pdstep convert --to json (process, parse, write)", ours), ("PyYAML CLoader (libyaml), load only", theirs)):
        t = statistics.median(times)
        print(f"{name:<52}{t:>10.3f}{size_mb / t:>10.1f}")
    xml_path = path[:-5] + ".xml"
    with open(xml_path, "w") as f:
        subprocess.run([args.binary, "convert", path, "--to", "xml"], stdout=f, stderr=subprocess.DEVNULL, check=True)
    xml_mb = os.path.getsize(xml_path) / 1e6
    ours, theirs = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run([args.binary, "convert", xml_path, "--to", "json"], stdout=subprocess.DEVNULL, check=True)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        ElementTree.parse(xml_path)
        theirs.append(time.perf_counter() - start)
    print(f"the same jobs as XML: {xml_mb:.1f} MB")
    for name, times in (("pdstep convert --to json (process, parse, map, write)", ours), ("expat (ElementTree), parse only", theirs)):
        t = statistics.median(times)
        print(f"{name:<52}{t:>10.3f}{xml_mb / t:>10.1f}")


if __name__ == "__main__":
    main()
