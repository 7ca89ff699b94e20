#!/usr/bin/env python3
"""A scripted HTTP server for the transport tests. It answers each request it reads with the next
raw answer of its script, so a test can produce framings and failures that real servers rarely
do, and see exactly what the client sent.

Usage: scripted-server.py SCRIPT_JSON LOG_FILE [--tls CERT KEY] [--ipv6]

SCRIPT_JSON is a list of connections, served one after the other; each is a list of actions:
  {"answer": "raw text"}   read one request, write the text as it is
  {"close": true}          read one request, close the connection without answering
  {"hang": seconds}        read one request, wait, then close
  {"flood": true}          read one request, then send header lines without end
A connection is closed after its last action. Connections are served at the same time, each by
the script entry of its number (in the order they were accepted). The server prints its port on stdout, then appends
"<connection number> <request line> <body>" to LOG_FILE for each request it reads. It exits when
its script is done, when its stdin closes (the test process ended) or after 60 seconds.
"""
import json
import os
import socket
import ssl
import sys
import threading
import time


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return lines[0], body.decode("utf-8", "replace")


def exit_when_orphaned():
    sys.stdin.read()
    os._exit(0)


def main():
    threading.Thread(target=exit_when_orphaned, daemon=True).start()
    threading.Timer(60, lambda: os._exit(1)).start()
    script = json.loads(sys.argv[1])
    log = open(sys.argv[2], "a", buffering=1)
    ipv6 = "--ipv6" in sys.argv
    listener = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("::1" if ipv6 else "127.0.0.1", 0))
    listener.listen(16)
    context = None
    if "--tls" in sys.argv:
        at = sys.argv.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[at + 1], sys.argv[at + 2])
    print(listener.getsockname()[1], flush=True)

    def serve(number, conn, actions):
        if context is not None:
            try:
                conn = context.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as error:
                log.write(f"{number} TLS handshake failed: {error}\n")
                conn.close()
                return
        try:
            for action in actions:
                request = read_request(conn)
                if request is None:
                    break
                log.write(f"{number} {request[0]} {request[1]}\n")
                if "answer" in action:
                    conn.sendall(action["answer"].encode("utf-8"))
                elif "hang" in action:
                    time.sleep(action["hang"])
                    break
                elif "flood" in action:
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    line = b"X-Flood: " + b"a" * 1000 + b"\r\n"
                    while True:
                        conn.sendall(line * 64)
                else:
                    break
        except OSError:
            pass
        conn.close()

    threads = []
    for number, actions in enumerate(script, start=1):
        conn, _ = listener.accept()
        thread = threading.Thread(target=serve, args=(number, conn, actions), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    os._exit(0)


if __name__ == "__main__":
    main()
