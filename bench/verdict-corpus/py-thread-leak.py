# what: Python http.server (threading, keep-alive) that starts a thread every 50th request
# which waits forever on an event nobody sets (a forgotten background job).
# behaviour: tasks
# expect: growth
# accept: growth
# leak: 1 thread per 50 requests
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

never = threading.Event()
served = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        global served
        with lock:
            served += 1
            start = served % 50 == 0
        if start:
            threading.Thread(target=never.wait, daemon=True).start()
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *_):
        pass


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
