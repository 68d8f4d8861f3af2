#!/usr/bin/env python3
"""HTTP fixture server for lab.http's specs and benchmark (loopback only).

Prints one line when ready:
    http=PORT https=PORT ca=CERTFILE pid=PID
and exits when its parent does (so a failed spec leaves nothing behind).

Routes (GET unless said):
    /status/CODE[?body=TEXT]      that status, with a body
    /delay/MS                     200 after MS milliseconds
    /stall                        headers and half the body, then silence (60 s)
    /huge/BYTES[?chunked=1]       BYTES bytes of "x" (Content-Length, or chunked)
    /redirect/N                   302 to /redirect/N-1; /redirect/0 is 200
    /loop                         302 to itself
    /redirect-to?url=URL[&status=CODE&delay=MS]
                                  CODE (302) to URL, any method, after MS (0) ms
    /drip/N                       N bytes announced, then one byte a second
    /echo   (any method)          JSON: method, path, query, headers, body
    /flaky/KEY/K[?status=S&retry_after=SECONDS]
                                  status S (503) the first K times per KEY, then 200
                                  JSON {"attempts": n}
    /json                         a JSON document
The https port serves the same routes with a self-signed certificate for
127.0.0.1 and localhost, made with the openssl CLI at start.
"""
import json
import select
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

attempts = {}
attempts_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None, content_type="text/plain"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        parts = [p for p in url.path.split("/") if p]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        head = parts[0] if parts else ""

        if head == "status":
            code = int(parts[1])
            text = query.get("body", ["status %d body\nsecond line" % code])[0]
            self.reply(code, text)
        elif head == "delay":
            time.sleep(int(parts[1]) / 1000)
            self.reply(200, "delayed %s ms" % parts[1])
        elif head == "stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 500)
            self.wfile.flush()
            time.sleep(60)
        elif head == "huge":
            n = int(parts[1])
            chunk = b"x" * 65536
            self.send_response(200)
            if query.get("chunked"):
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                while n > 0:
                    piece = chunk[: min(n, len(chunk))]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    n -= len(piece)
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(n))
                self.end_headers()
                while n > 0:
                    piece = chunk[: min(n, len(chunk))]
                    self.wfile.write(piece)
                    n -= len(piece)
        elif head == "redirect":
            n = int(parts[1])
            if n > 0:
                self.reply(302, "", {"Location": "/redirect/%d" % (n - 1)})
            else:
                self.reply(200, "redirected")
        elif head == "loop":
            self.reply(302, "", {"Location": "/loop"})
        elif head == "redirect-to":
            time.sleep(int(query.get("delay", ["0"])[0]) / 1000)
            self.reply(int(query.get("status", ["302"])[0]), "", {"Location": query["url"][0]})
        elif head == "drip":
            n = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            for _ in range(n):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(1)
        elif head == "echo":
            doc = {
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            self.reply(200, json.dumps(doc, sort_keys=True), content_type="application/json")
        elif head == "flaky":
            key, k = parts[1], int(parts[2])
            with attempts_lock:
                attempts[key] = attempts.get(key, 0) + 1
                n = attempts[key]
            if n <= k:
                headers = {}
                if "retry_after" in query:
                    headers["Retry-After"] = query["retry_after"][0]
                self.reply(int(query.get("status", ["503"])[0]), "try again", headers)
            else:
                self.reply(200, json.dumps({"attempts": n}), content_type="application/json")
        elif head == "json":
            self.reply(200, '{"name": "pve1", "cores": [4, 6], "up": true}', content_type="application/json")
        else:
            self.reply(404, "no route %s" % url.path)

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # clients that hang up (timeouts, caps) are what the tests do


def self_signed(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def watch_parent(parent, directory):
    """Exits when the process that started this one is gone, or has closed
    the pipe it reads our first line from (io.popen's close, which then
    waits for us: without this, a spec that closes before it kills, or a
    labsh that exits with the pipe open, would wait forever)."""
    reader = select.poll()
    reader.register(sys.stdout.fileno(), 0)  # POLLERR/POLLHUP are always reported
    while True:
        if os.getppid() != parent or reader.poll(500):
            shutil.rmtree(directory, ignore_errors=True)
            os._exit(0)


def main():
    parent = os.getppid()
    http = Server(("127.0.0.1", 0), Handler)
    directory = tempfile.mkdtemp(prefix="labsh-http-")
    cert, key = self_signed(directory)
    https = Server(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    https.socket = context.wrap_socket(https.socket, server_side=True)
    for server in (http, https):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=watch_parent, args=(parent, directory), daemon=True).start()
    print("http=%d https=%d ca=%s pid=%d" % (http.server_address[1], https.server_address[1], cert, os.getpid()),
          flush=True)
    def stop(*_):
        shutil.rmtree(directory, ignore_errors=True)
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Event().wait()


if __name__ == "__main__":
    main()
