"""${{ values.name }}: an HTTP service built on the standard library only."""

import json
import logging
import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE_NAME = "${{ values.name }}"


class Handler(BaseHTTPRequestHandler):
    """Routes requests. Kubernetes probes /healthz, so it touches no dependency."""

    def do_GET(self):  # noqa: N802 (the name is fixed by BaseHTTPRequestHandler)
        if self.path == "/healthz":
            self._send_json(200, {"status": "ok"})
        elif self.path == "/":
            self._send_json(200, {"service": SERVICE_NAME, "message": "hello"})
        else:
            self._send_json(404, {"error": "not found"})

    def _send_json(self, status, body):
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        logging.info("%s %s", self.address_string(), format % args)


def create_server(port):
    return ThreadingHTTPServer(("", port), Handler)


def main():
    logging.basicConfig(level=logging.INFO)
    server = create_server(int(os.environ.get("PORT", "8080")))

    # Kubernetes sends SIGTERM before it kills a pod: stop accepting requests
    # and let the ones in flight finish.
    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    logging.info("%s listening on :%d", SERVICE_NAME, server.server_address[1])
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
