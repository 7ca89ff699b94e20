#!/usr/bin/env python3
"""The sandbox under a large job: time per event as the incidents pile up, and the time the
state dump (GET /_sandbox/state) takes, at each size.

Starts `pdstep sandbox`, lifts its rate limits, sends trigger events with distinct dedup keys
over one kept-alive connection, and prints, per block of events, the milliseconds per event and
the state dump's seconds and size, and the sandbox's peak memory so far.

Usage: python3 bench/sandbox-scale.py [--events 20000] [--step 5000] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import http.client
import json
import time
import urllib.parse

from common import LocalSandbox, add_binary_argument


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--step", type=int, default=5000)
    add_binary_argument(parser)
    args = parser.parse_args()
    with LocalSandbox(args.binary) as sandbox:
        host = urllib.parse.urlparse(sandbox.url)
        conn = http.client.HTTPConnection(host.hostname, host.port)
        conn.request("POST", "/_sandbox/limits", json.dumps({"events": 1000000000, "rest": 1000000000}), {"Content-Type": "application/json"})
        conn.getresponse().read()
        print(f"{'incidents':>10}{'ms/event':>10}{'state s':>10}{'state MB':>10}{'peak RSS MB':>12}")
        sent = 0
        while sent < args.events:
            start = time.perf_counter()
            for i in range(sent, sent + args.step):
                body = json.dumps({"routing_key": sandbox.key, "event_action": "trigger", "dedup_key": f"k{i}",
                                   "payload": {"summary": f"event {i}", "source": "bench", "severity": "error"}})
                conn.request("POST", "/v2/enqueue", body, {"Content-Type": "application/json"})
                conn.getresponse().read()
            per_event = (time.perf_counter() - start) * 1000 / args.step
            sent += args.step
            start = time.perf_counter()
            conn.request("GET", "/_sandbox/state")
            state = conn.getresponse().read()
            elapsed = time.perf_counter() - start
            peak = 0
            with open(f"/proc/{sandbox.process.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = int(line.split()[1]) / 1024
            print(f"{sent:>10}{per_event:>10.3f}{elapsed:>10.2f}{len(state) / 1e6:>10.1f}{peak:>12.0f}")


if __name__ == "__main__":
    main()
