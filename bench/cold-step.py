#!/usr/bin/env python3
"""Cold step: the cost of one event sent from a fresh process.

Starts `pdstep sandbox` as the local server, then sends the same trigger event N times each way,
one new process per send:
- `pdstep send-event` (release build; reads framework.properties and key storage like a real run);
- `curl` posting the same JSON body;
- PagerDuty's official Python client (`pip install pagerduty`), EventsApiV2Client.trigger.
Prints the medians and the ratios. Targets: pdstep within 1.3x of curl, 10x faster than Python.

Then the same over https (when the openssl command is there): a local TLS server with a
self-signed certificate, pdstep trusting it through pagerduty.tls.ca_bundle and curl through
--cacert. This is the path real PagerDuty traffic takes: pdstep loads libcurl for it.

Usage: python3 bench/cold-step.py [--runs N] [--binary PATH]
Build first: bash bench/build-release.sh
"""
import argparse
import http.server
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import threading
import time

from common import LocalSandbox, add_binary_argument, work_folder, write_settings

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


class Accept(http.server.BaseHTTPRequestHandler):
    """Answers every event as PagerDuty's Events API does."""
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle's algorithm the body waited for the
    # client's delayed ACK (40 ms on Linux), which hid every client's own cost.
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"status":"success","message":"Event processed","dedup_key":"x"}'
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def tls_server(work):
    """A local https server with a fresh self-signed certificate: (url, certificate path)."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"https://localhost:{server.server_address[1]}", cert


def print_table(title, rows):
    curl = statistics.median(rows["curl"])
    print(title)
    print(f"{'sender':<26}{'median ms':>10}{'vs curl':>9}")
    for name, values in rows.items():
        if not values:
            print(f"{name:<26}{'(not installed: pip install pagerduty)':>20}")
            continue
        median = statistics.median(values)
        print(f"{name:<26}{median:>10.1f}{median / curl:>8.2f}x")


def send_rows(binary, work, url, key, runs, curl_options=()):
    """Milliseconds per fresh-process send, pdstep (configured by work's framework.properties)
    and curl (posting the same event to url), interleaved."""
    rows = {"pdstep send-event": [], "curl": []}
    for i in range(runs):
        rows["pdstep send-event"].append(timed([binary, "send-event", "--summary", "disk full on web1", "--source", "web1", "--severity", "critical", "--dedup-key", f"p{i}"], cwd=work))
        body = json.dumps({"routing_key": key, "event_action": "trigger", "dedup_key": f"c{i}", "payload": {"summary": "disk full on web1", "source": "web1", "severity": "critical"}})
        rows["curl"].append(timed(["curl", "-s", "-f", *curl_options, "-X", "POST", "-H", "Content-Type: application/json", "-d", body, url + "/v2/enqueue"]))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    add_binary_argument(parser)
    args = parser.parse_args()
    with LocalSandbox(args.binary) as sandbox:
        url, key = sandbox.url, sandbox.key
        # Raise the sandbox's per-key limit so the benchmark measures sending, not throttling.
        sandbox.call("POST", "/_sandbox/limits", {"events": 100000})
        work = work_folder(args.binary, key)
        write_settings(work, url)
        rows = send_rows(args.binary, work, url, key, args.runs)
        rows["python pagerduty client"] = []
        if subprocess.run([sys.executable, "-c", "import pagerduty"], stderr=subprocess.DEVNULL).returncode == 0:
            rows["python pagerduty client"] = [timed([sys.executable, "-c", PY_CLIENT, key, url, f"y{i}"]) for i in range(args.runs)]
        print_table(f"one trigger event from a fresh process, median of {args.runs} runs, local sandbox server (http)", rows)
        if rows["python pagerduty client"]:
            print(f"python client / pdstep: {statistics.median(rows['python pagerduty client']) / statistics.median(rows['pdstep send-event']):.1f}x")
        if shutil.which("openssl"):
            https_url, cert = tls_server(work)
            write_settings(work, https_url, **{"pagerduty.tls.ca_bundle": cert})
            tls_rows = send_rows(args.binary, work, https_url, key, args.runs, curl_options=("--cacert", cert))
            print()
            print_table(f"the same over https, median of {args.runs} runs, local TLS server (self-signed, trusted)", tls_rows)


if __name__ == "__main__":
    main()
