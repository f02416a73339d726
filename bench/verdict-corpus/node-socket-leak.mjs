// what: Node.js node:http server that keeps a 64 KiB buffer for every connection in a Map
// that is never pruned when the socket closes: the soak's probes, one connection each, leak
// it at rest too.
// behaviour: per connection
// expect: growth
// accept: growth
// quick: yes
// leak: 64 KiB per connection
import { createServer } from 'node:http';

const sessions = new Map();
let opened = 0;
const server = createServer((req, res) => res.end('ok\n'));
server.on('connection', () => {
  opened++;
  sessions.set(opened, Buffer.alloc(64 * 1024, opened % 256));
});
server.listen(Number(process.argv[2]), '127.0.0.1');
