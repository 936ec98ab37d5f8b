"""A stdlib web service for the service-container tests.

GET /health  200 as soon as it listens
GET /ready   503 for the first second after start, then 200
GET /info    JSON: the service's name, pid, uid and uptime
anything else 404. Usage: server.py [port] (default 8080).
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()
WARM_UP = 1.0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        uptime = time.monotonic() - STARTED
        if self.path == "/health":
            self.reply(200, "text/plain", b"ok\n")
        elif self.path == "/ready":
            if uptime < WARM_UP:
                self.reply(503, "text/plain", b"warming up\n")
            else:
                self.reply(200, "text/plain", b"ready\n")
        elif self.path == "/info":
            info = {"service": "webservice", "pid": os.getpid(), "uid": os.getuid(), "uptime": uptime}
            self.reply(200, "application/json", json.dumps(info).encode())
        else:
            self.reply(404, "text/plain", b"not found\n")

    def reply(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print("webservice: listening on port %d" % port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
