#!/usr/bin/env python3
"""A small HTTP server for the download tests, on 127.0.0.1 only.

Serves the files of one folder, with the behaviours a model download meets
in the wild, chosen per request by query parameters:

  Range: bytes=N-   honoured (206) unless ?no_range=1
  ?drop_after=N     send the headers of the whole answer, then close the
                    connection after N body bytes (an interrupted transfer);
                    a file FOLDER/.drop_after holding N does the same for
                    every request while it exists
  ?etag=HEX         send X-Linked-Etag: "HEX" (as Hugging Face does)
  /ORG/REPO/resolve/main/FILE   the same as /FILE (the hf:// mapping)

Usage: http_server.py FOLDER PORTFILE  (writes the chosen port to PORTFILE;
exits by itself after --lifetime seconds, default 300, so a test that dies
leaves nothing running for long).
"""
import http.server
import os
import re
import sys
import threading
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    root = "."
    log = None

    def log_message(self, fmt, *args):
        if Handler.log:
            Handler.log.write("%s\n" % (fmt % args))
            Handler.log.flush()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = urllib.parse.unquote(url.path)
        m = re.match(r"^/[^/]+/[^/]+/resolve/main/(.+)$", path)
        if m:
            path = "/" + m.group(1)
        name = os.path.basename(path)
        full = os.path.join(Handler.root, name)
        if not name or not os.path.isfile(full):
            self.send_error(404)
            return
        size = os.path.getsize(full)
        start = 0
        rng = self.headers.get("Range")
        if rng and "no_range" not in query:
            m = re.match(r"bytes=(\d+)-$", rng)
            if not m:
                self.send_error(400)
                return
            start = int(m.group(1))
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        if "etag" in query:
            self.send_header("X-Linked-Etag", '"%s"' % query["etag"][0])
        self.end_headers()
        limit = int(query["drop_after"][0]) if "drop_after" in query else None
        control = os.path.join(Handler.root, ".drop_after")
        if limit is None and os.path.exists(control):
            with open(control) as f:
                limit = int(f.read().strip())
        sent = 0
        with open(full, "rb") as f:
            f.seek(start)
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                if limit is not None and sent + len(chunk) > limit:
                    chunk = chunk[: limit - sent]
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(chunk)
                sent += len(chunk)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    lifetime = 300
    for a in sys.argv[1:]:
        if a.startswith("--lifetime="):
            lifetime = int(a.split("=", 1)[1])
    Handler.root = args[0]
    Handler.log = sys.stderr
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args[1] + ".tmp", args[1])
    threading.Timer(lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
