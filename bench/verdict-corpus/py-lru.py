# what: Python http.server (threading, keep-alive) with functools.lru_cache(maxsize=5000) on a
# 2 KiB rendering keyed by request number: full after 5,000 requests, evicting from then on.
# behaviour: cache early
# expect: bounded
# accept: bounded, stable
import functools
import itertools
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counter = itertools.count()


@functools.lru_cache(maxsize=5000)
def render(n):
    return bytes([n & 0xFF]) * 2048


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        page = render(next(counter))
        body = b"ok %d\n" % len(page)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
