#!/usr/bin/env python3
"""Cold step: the cost of one event sent from a fresh process.

Starts `pdstep sandbox` as the local server, then sends the same trigger event N times each way,
one new process per send:
- `pdstep send-event` (release build; reads framework.properties and key storage like a real run);
- `curl` posting the same JSON body;
- PagerDuty's official Python client (`pip install pagerduty`), EventsApiV2Client.trigger.
Prints the medians and the ratios. Targets: pdstep within 1.3x of curl, 10x faster than Python.

Usage: python3 bench/cold-step.py [--runs N] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY_CLIENT = """
import sys, pagerduty
client = pagerduty.EventsApiV2Client(sys.argv[1])
# The client insists on https; the local server is plain http, so set the URL past the check.
client._url = sys.argv[2]
client.base_url = sys.argv[2]
client.trigger("disk full on web1", "web1", dedup_key=sys.argv[3], severity="critical")
"""


def timed(command, env=None, cwd=None):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--binary", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".build", "release", "pdstep")))
    args = parser.parse_args()
    sandbox = subprocess.Popen([args.binary, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(sandbox.stdout.readline())
        url, key = info["url"], info["routing_key"]
        # Raise the sandbox's per-key limit so the benchmark measures sending, not throttling.
        subprocess.run(["curl", "-s", "-X", "POST", "-d", '{"events": 100000}', url + "/_sandbox/limits"], check=True)
        work = tempfile.mkdtemp()
        with open(os.path.join(work, "framework.properties"), "w") as f:
            f.write(f"framework.pagerduty.service.url={url}\npagerduty.routing_key_path=keys/pd/routing_key\n")
        subprocess.run([args.binary, "keys", "put", "keys/pd/routing_key", "--password-stdin"], input=key, text=True, cwd=work, check=True, stderr=subprocess.DEVNULL)
        have_python_client = subprocess.run([sys.executable, "-c", "import pagerduty"], stderr=subprocess.DEVNULL).returncode == 0
        rows = {"pdstep send-event": [], "curl": [], "python pagerduty client": []}
        for i in range(args.runs):
            rows["pdstep send-event"].append(timed([args.binary, "send-event", "--summary", "disk full on web1", "--source", "web1", "--severity", "critical", "--dedup-key", f"p{i}"], cwd=work))
            body = json.dumps({"routing_key": key, "event_action": "trigger", "dedup_key": f"c{i}", "payload": {"summary": "disk full on web1", "source": "web1", "severity": "critical"}})
            rows["curl"].append(timed(["curl", "-s", "-f", "-X", "POST", "-H", "Content-Type: application/json", "-d", body, url + "/v2/enqueue"]))
            if have_python_client:
                rows["python pagerduty client"].append(timed([sys.executable, "-c", PY_CLIENT, key, url, f"y{i}"]))
        curl = statistics.median(rows["curl"])
        print(f"one trigger event from a fresh process, median of {args.runs} runs, local sandbox server")
        print(f"{'sender':<26}{'median ms':>10}{'vs curl':>9}")
        for name, values in rows.items():
            if not values:
                print(f"{name:<26}{'(not installed: pip install pagerduty)':>20}")
                continue
            median = statistics.median(values)
            print(f"{name:<26}{median:>10.1f}{median / curl:>8.2f}x")
        if rows["python pagerduty client"]:
            print(f"python client / pdstep: {statistics.median(rows['python pagerduty client']) / statistics.median(rows['pdstep send-event']):.1f}x")
    finally:
        sandbox.terminate()


if __name__ == "__main__":
    main()
