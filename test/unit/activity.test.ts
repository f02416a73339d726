import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  ActivitySource,
  ownTcpSockets,
  parseCpuSeconds,
  parseTcpTable,
  requestCount,
  socketInodes,
} from '../../src/sample/activity.ts';

test('parseCpuSeconds: utime + stime after the last parenthesis, in clock ticks', () => {
  // A command name with a space and a ')' in it must not shift the fields.
  const stat = '4242 (my ) server) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 130 0 0 20 0 8 0 123 1000 200';
  assert.equal(parseCpuSeconds(stat, 100), 3.8);
  assert.equal(parseCpuSeconds('garbage', 100), undefined);
});

test('parseTcpTable: inode and state 01; TIME_WAIT sockets (inode 0) left out', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 5002 1 0000000000000000 20 4 30 10 -1',
    '   2: 0100007F:1F90 0100007F:C351 06 00000000:00000000 03:00000F8C 00000000     0        0 0 3 0000000000000000',
  ].join('\n');
  assert.deepEqual(parseTcpTable(table), [
    { inode: 5001, established: false },
    { inode: 5002, established: true },
  ]);
  const owned = socketInodes(['/dev/null', 'socket:[5002]', 'pipe:[77]', 'socket:[9999]']);
  assert.deepEqual(ownTcpSockets(owned, parseTcpTable(table)), [{ inode: 5002, established: true }]);
});

test('requestCount: the known names first, summed over labels; promhttp scrapes are not requests', () => {
  const text = [
    '# TYPE promhttp_metric_handler_requests_total counter',
    'promhttp_metric_handler_requests_total{code="200"} 900',
    '# TYPE http_server_requests_seconds_count counter',
    'http_server_requests_seconds_count{method="GET",status="200",uri="/"} 120',
    'http_server_requests_seconds_count{method="GET",status="404",uri="/x"} 5',
  ].join('\n');
  assert.deepEqual(requestCount(text), { name: 'http_server_requests_seconds_count', value: 125 });
  assert.equal(requestCount('promhttp_metric_handler_requests_total{code="200"} 3\n'), undefined);
  assert.deepEqual(requestCount('myapp_http_requests_total{code="200"} 7\nmyapp_http_requests_in_flight 2\n'), {
    name: 'myapp_http_requests_total',
    value: 7,
  });
});

test('ActivitySource: this process, its real connections counted and the new ones as opened', async () => {
  const server = createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const source = new ActivitySource(process.pid);
  const before = source.read();
  assert.ok(before.cpuSeconds! > 0, `cpu ${before.cpuSeconds}`);
  assert.equal(before.connOpened, undefined, 'nothing to compare the first sample with');
  const clients: Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const c = connect(port, '127.0.0.1');
    await once(c, 'connect');
    clients.push(c);
  }
  // Both ends are this process's: 3 clients and 3 accepted sockets.
  const after = source.read();
  assert.equal(after.connEstablished! - before.connEstablished!, 6);
  assert.ok(after.connOpened! >= 6, `opened ${after.connOpened}`);
  for (const c of clients) c.destroy();
  server.close();
});
