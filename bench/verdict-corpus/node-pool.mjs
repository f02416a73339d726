// what: Node.js node:http server with a pool of 64 KiB work buffers: a request takes one (or
// makes one when the pool is empty) and gives it back when done, so the pool grows to the
// most requests ever in flight (the burst's connections) and no further.
// behaviour: pool
// expect: bounded
// accept: bounded, stable
import { createServer } from 'node:http';

const pool = [];
createServer((req, res) => {
  const buf = pool.pop() ?? Buffer.alloc(64 * 1024);
  buf.fill(req.url.length);
  // Handed back on the next turn, so concurrent requests each hold one.
  setImmediate(() => {
    pool.push(buf);
    res.end('ok\n');
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
