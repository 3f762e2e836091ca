#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for Cloud Hypervisor's API socket, for tests.

Cloud Hypervisor needs KVM and is not packaged in Debian 12, so the tests
drive icmquota's CH code against this server: HTTP/1.1 on a Unix socket,
replaying answers shaped as CH's OpenAPI file describes them.

    ch-api-server.py --socket PATH --mode MODE [--body FILE] [--delay S]
                     [--lifetime S]

Modes (GET /api/v1/vm.info):
  created, running, shutdown  200, application/json: the --body VmInfo with
                              its "state" set to Created/Running/Shutdown
  novm        404: no VM created yet
  error       500 with a one-line text answer
  slow        --delay seconds of silence, then 200 with the --body VmInfo
  malformed   200, application/json, the --body VmInfo cut in half
  nothttp     reads the request, answers bytes that are not HTTP, closes
  raw         200, application/json, the --body file's bytes unchanged

Any other path answers 404. Prints "ready" once listening; exits after
--lifetime seconds (default 30) or on SIGTERM/SIGINT, removing the socket.
Python 3 standard library only.
"""
import argparse
import http.server
import json
import os
import signal
import socketserver
import sys
import threading
import time

INFO_PATH = "/api/v1/vm.info"
STATES = {"created": "Created", "running": "Running", "shutdown": "Shutdown"}
NO_VM_BODY = b"VM is not created\n"
MINIMAL_VMINFO = {
    "config": {
        "payload": {"kernel": "/var/lib/ch/vmlinux"},
        "memory": {"size": 1073741824},
    },
    "state": "Running",
}


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True  # a slow answer never holds the exit
    block_on_close = False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloud-hypervisor-sim"

    def setup(self):
        super().setup()
        # AF_UNIX peers have no address; BaseHTTPRequestHandler wants one.
        self.client_address = ("unix", 0)

    def log_message(self, fmt, *args):
        pass  # tests read stdout for "ready" only

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        cfg = self.server.cfg
        try:
            if self.path != INFO_PATH:
                self.answer(404, b"", "text/plain")
            elif cfg.mode == "novm":
                self.answer(404, NO_VM_BODY, "text/plain")
            elif cfg.mode == "error":
                self.answer(500, b"Error from API: VmInfo failed\nsecond\n",
                            "text/plain")
            elif cfg.mode == "malformed":
                self.answer(200, cfg.body[: len(cfg.body) // 2])
            else:
                if cfg.mode == "slow":
                    time.sleep(cfg.delay)
                self.answer(200, cfg.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (slow mode): nothing to answer


class NotHttpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        # Read the request first: closing a Unix socket with unread data
        # makes the peer see ECONNRESET instead of the garbage.
        try:
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            self.wfile.write(b"\x00\x01garbage, not HTTP at all\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


def load_body(args):
    if args.body:
        with open(args.body, "rb") as f:
            raw = f.read()
    else:
        raw = json.dumps(MINIMAL_VMINFO).encode()
    if args.mode in STATES:
        info = json.loads(raw)
        info["state"] = STATES[args.mode]
        raw = json.dumps(info, indent=2).encode()
    return raw


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--mode", required=True,
                        choices=sorted(list(STATES) + ["novm", "error", "slow",
                                                       "malformed", "nothttp",
                                                       "raw"]))
    parser.add_argument("--body", help="a VmInfo JSON file")
    parser.add_argument("--delay", type=float, default=7.0)
    parser.add_argument("--lifetime", type=float, default=30.0)
    args = parser.parse_args()
    args.body = load_body(args)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    handler = NotHttpHandler if args.mode == "nothttp" else Handler
    server = Server(args.socket, handler)
    server.cfg = args
    # A short poll interval: tests stop a server per case.
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    print("ready", flush=True)
    try:
        stop.wait(args.lifetime)
    finally:
        server.shutdown()
        server.server_close()
        try:
            os.unlink(args.socket)
        except FileNotFoundError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
