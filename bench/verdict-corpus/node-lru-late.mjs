// what: Node.js node:http server with an LRU (a Map in insertion order) of 120,000 entries of
// 512-byte strings, keyed by request number: full after 120,000 requests, well into the first
// burst, and evicting the oldest from then on.
// behaviour: cache late
// expect: bounded
// accept: bounded
import { createServer } from 'node:http';

const CAPACITY = 120_000;
const lru = new Map();
let served = 0;
createServer((req, res) => {
  served++;
  lru.set(served, Buffer.alloc(512, 97 + (served % 26)).toString('latin1'));
  if (lru.size > CAPACITY) lru.delete(lru.keys().next().value);
  res.end('ok\n');
}).listen(Number(process.argv[2]), '127.0.0.1');
