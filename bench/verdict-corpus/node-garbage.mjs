// what: Node.js node:http server that builds and serialises a 32 KiB object per request and
// keeps nothing: V8 heap used swings with every scavenge, nothing is retained.
// behaviour: garbage
// expect: stable
// accept: stable, bounded
// quick: yes
import { createServer } from 'node:http';

createServer((req, res) => {
  const rows = Array.from({ length: 512 }, (_, i) => ({ id: i, name: `row-${i}`, tags: ['a', 'b'] }));
  const body = JSON.stringify(rows);
  res.end(`ok ${body.length}\n`);
}).listen(Number(process.argv[2]), '127.0.0.1');
