#!/usr/bin/env python3
"""A local HTTPS server for the install tests and benches/setup.sh: serves the files under
ROOT with a certificate of a private CA made by the caller.

  /good/<path>       the file as is
  /corrupt/<path>    one byte flipped in the middle
  /truncated/<path>  the full Content-Length announced, half the body sent, then the connection
                     drops
  anything else      404

Prints the port it listens on (127.0.0.1) on its first line of stdout; appends one line per
request to ROOT/../hits.log.

Usage: https_server.py ROOT CERT KEY
"""

import http.server
import ssl
import sys
import threading
import time
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve()
HITS = ROOT.parent / "hits.log"
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        with LOCK, open(HITS, "a") as hits:
            hits.write(self.path + "\n")
        kind, _, rest = self.path.lstrip("/").partition("/")
        file = (ROOT / rest).resolve()
        if kind not in ("good", "corrupt", "truncated") or ROOT not in file.parents or not file.is_file():
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return
        data = bytearray(file.read_bytes())
        if kind == "corrupt" and data:
            data[len(data) // 2] ^= 0xFF
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if kind == "truncated":
            self.wfile.write(bytes(data[: len(data) // 4]))
            self.wfile.flush()
            time.sleep(0.5)
            self.wfile.write(bytes(data[len(data) // 4 : len(data) // 2]))
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(bytes(data))


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
