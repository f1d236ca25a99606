"""${{ values.name }}: an HTTP service built on the standard library only."""

import json
import logging
import os
import signal
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SERVICE_NAME = "${{ values.name }}"


def database_from_url(url):
    """Where the PostgreSQL database the platform provisioned is, if any.

    The platform sets DATABASE_URL from the database's Secret. Only the host
    and database name come out: the credentials in the URL are never logged
    or served.
    """
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        # Not the URL itself: it carries the password.
        raise ValueError("DATABASE_URL is not a postgres:// URL")
    return {"host": parts.hostname, "name": parts.path.lstrip("/")}


class Handler(BaseHTTPRequestHandler):
    """Routes requests. Kubernetes probes /healthz, so it touches no dependency."""

    def __init__(self, *args, database=None, **kwargs):
        self.database = database
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 (the name is fixed by BaseHTTPRequestHandler)
        if self.path == "/healthz":
            self._send_json(200, {"status": "ok"})
        elif self.path == "/":
            body = {"service": SERVICE_NAME, "message": "hello"}
            if self.database:
                body["database"] = self.database
            self._send_json(200, body)
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


def create_server(port, database=None):
    return ThreadingHTTPServer(("", port), partial(Handler, database=database))


def main():
    logging.basicConfig(level=logging.INFO)
    database = database_from_url(os.environ.get("DATABASE_URL"))
    if database:
        logging.info("database %s on %s", database["name"], database["host"])
    server = create_server(int(os.environ.get("PORT", "8080")), database)

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
