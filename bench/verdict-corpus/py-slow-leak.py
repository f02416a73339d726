# what: Python http.server (threading, keep-alive) whose background thread appends 16 KiB to a
# history list every second, load or not: about 1 MiB a minute.
# behaviour: slow
# expect: growth
# accept: growth
# leak: 960 KiB per minute
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

history = []


def record():
    while True:
        history.append(bytes([len(history) & 0xFF]) * 16384)
        time.sleep(1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *_):
        pass


threading.Thread(target=record, daemon=True).start()
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
