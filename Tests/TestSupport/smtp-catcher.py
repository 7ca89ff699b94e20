#!/usr/bin/env python3
"""An SMTP server for the email notification tests: it accepts what it is sent and records it,
so a test can see exactly what pdstep's mail client (libcurl) did on the wire.

Usage: smtp-catcher.py LOG_FILE [--tls CERT KEY] [--smtps] [--password SECRET] [--reject-rcpt ADDRESS]

--tls          offer STARTTLS with this certificate (--smtps: TLS from the first byte instead)
--password     require AUTH (PLAIN or LOGIN) with this password; a wrong one is refused (535)
--reject-rcpt  refuse this recipient (550)

It prints its port on stdout, then appends one JSON object per message it accepted to LOG_FILE:
{"from", "to": [...], "data", "tls": bool, "user"}; and {"event": "auth-failed"} for a refused
login. It exits when its stdin closes (the test process ended) or after 60 seconds.
"""
import base64
import json
import os
import socket
import ssl
import sys
import threading


def exit_when_orphaned():
    sys.stdin.read()
    os._exit(0)


class Session:
    def __init__(self, conn, options, log):
        self.conn = conn
        self.options = options
        self.log = log
        self.tls = False
        self.reader = conn.makefile("rb")

    def send(self, line):
        self.conn.sendall((line + "\r\n").encode())

    def readline(self):
        line = self.reader.readline(65536)
        if not line:
            raise EOFError
        return line.decode("utf-8", "replace").rstrip("\r\n")

    def start_tls(self, context):
        self.conn = context.wrap_socket(self.conn, server_side=True)
        self.reader = self.conn.makefile("rb")
        self.tls = True

    def run(self, context):
        if self.options.get("smtps"):
            self.start_tls(context)
        self.send("220 catcher ESMTP")
        sender, recipients, user = None, [], None
        while True:
            line = self.readline()
            verb = line.split(" ", 1)[0].upper()
            argument = line[len(verb) + 1:]
            if verb in ("EHLO", "HELO"):
                extensions = ["250-catcher"]
                if context and not self.tls:
                    extensions.append("250-STARTTLS")
                if self.options.get("password") and (self.tls or not context):
                    extensions.append("250-AUTH PLAIN LOGIN")
                extensions.append("250 8BITMIME")
                for extension in extensions:
                    self.send(extension)
            elif verb == "STARTTLS" and context and not self.tls:
                self.send("220 go ahead")
                self.start_tls(context)
            elif verb == "AUTH":
                parts = argument.split(" ")
                if parts[0].upper() == "PLAIN":
                    token = parts[1] if len(parts) > 1 else (self.send("334 ") or self.readline())
                    _, name, password = base64.b64decode(token).decode().split("\0")
                else:
                    self.send("334 VXNlcm5hbWU6")
                    name = base64.b64decode(self.readline()).decode()
                    self.send("334 UGFzc3dvcmQ6")
                    password = base64.b64decode(self.readline()).decode()
                if password == self.options.get("password"):
                    user = name
                    self.send("235 ok")
                else:
                    self.log.write(json.dumps({"event": "auth-failed"}) + "\n")
                    self.send("535 authentication failed")
            elif verb == "MAIL":
                if self.options.get("password") and user is None:
                    self.send("530 authentication required")
                    continue
                sender, recipients = argument.split(":", 1)[1].strip(), []
                self.send("250 ok")
            elif verb == "RCPT":
                recipient = argument.split(":", 1)[1].strip()
                if recipient.strip("<>") == self.options.get("reject"):
                    self.send("550 no such user")
                else:
                    recipients.append(recipient)
                    self.send("250 ok")
            elif verb == "DATA":
                self.send("354 end with .")
                lines = []
                while True:
                    data_line = self.readline()
                    if data_line == ".":
                        break
                    lines.append(data_line[1:] if data_line.startswith(".") else data_line)
                self.log.write(json.dumps({"from": sender, "to": recipients, "data": "\r\n".join(lines), "tls": self.tls, "user": user}) + "\n")
                self.send("250 queued")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.send("250 ok")
            else:
                self.send("502 not implemented")


def main():
    threading.Thread(target=exit_when_orphaned, daemon=True).start()
    threading.Timer(60, lambda: os._exit(1)).start()
    args = sys.argv[1:]
    log = open(args[0], "a", buffering=1)
    options = {}
    context = None
    if "--tls" in args:
        index = args.index("--tls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args[index + 1], args[index + 2])
    options["smtps"] = "--smtps" in args
    if "--password" in args:
        options["password"] = args[args.index("--password") + 1]
    if "--reject-rcpt" in args:
        options["reject"] = args[args.index("--reject-rcpt") + 1]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(listener.getsockname()[1], flush=True)

    def serve(conn):
        try:
            Session(conn, options, log).run(context)
        except (EOFError, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            conn.close()

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
