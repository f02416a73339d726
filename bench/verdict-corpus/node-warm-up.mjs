// what: Node.js node:http server that memoises a 1 KiB rendering per key, for keys drawn at
// random from 150,000: the first burst fills about three quarters of it, the second most of
// the rest, then nothing more (a warm-up: each burst retains less than the one before).
// behaviour: warm-up
// expect: bounded
// accept: bounded, stable, cannot-tell
import { createServer } from 'node:http';

const KEYS = 150_000;
const memo = new Map();
createServer((req, res) => {
  const key = Math.floor(Math.random() * KEYS);
  let page = memo.get(key);
  if (page === undefined) {
    page = Buffer.alloc(1024, 97 + (key % 26)).toString('latin1');
    memo.set(key, page);
  }
  res.end(`ok ${page.length}\n`);
}).listen(Number(process.argv[2]), '127.0.0.1');
