# what: Python http.server (threading, keep-alive) that parses and renders a small JSON
# document per request and keeps nothing.
# behaviour: stable
# expect: stable
# accept: stable, bounded
# quick: yes
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        doc = json.loads('{"status": "ok", "checks": [1, 2, 3]}')
        body = (json.dumps(doc) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
