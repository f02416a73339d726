# what: Python http.server (threading, keep-alive) that keeps 1 KiB of bytes per request in a
# list, forever.
# behaviour: heap per request
# expect: growth
# accept: growth
# leak: 1 KiB per request
# quick: yes
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

kept = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        kept.append(bytes([len(kept) & 0xFF]) * 1024)
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *_):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
