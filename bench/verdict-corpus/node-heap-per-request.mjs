// what: Node.js node:http server that keeps a 1 KiB string per request in an array, forever.
// behaviour: heap per request
// expect: growth
// accept: growth
// leak: 1 KiB per request
import { createServer } from 'node:http';

const kept = [];
let served = 0;
createServer((req, res) => {
  served++;
  // Buffer#toString gives a flat string of 1,024 one-byte characters, not a cons of parts.
  kept.push(Buffer.alloc(1024, 97 + (served % 26)).toString('latin1'));
  res.end('ok\n');
}).listen(Number(process.argv[2]), '127.0.0.1');
