// what: Node.js node:http server that keeps a 2 KiB Buffer per request (memory outside the V8
// heap, counted as external), forever.
// behaviour: native
// expect: growth
// accept: growth
// leak: 2 KiB per request
import { createServer } from 'node:http';

const kept = [];
let served = 0;
createServer((req, res) => {
  served++;
  // allocUnsafeSlow: a buffer of its own, not a slice of the shared 8 KiB pool.
  const b = Buffer.allocUnsafeSlow(2048);
  b.fill(served % 256);
  kept.push(b);
  res.end('ok\n');
}).listen(Number(process.argv[2]), '127.0.0.1');
