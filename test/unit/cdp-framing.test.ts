/**
 * The inspector client's framing (CDP over a WebSocket): requests, answers, errors and events;
 * one exchange against a real `ws` server standing in for a Node.js inspector (the real one is in
 * test/integration/runtime-node-jvm.test.ts); and the /proc/net/tcp rows that tie a port to a pid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer } from 'ws';
import { CdpClient, CdpError, decodeCdpMessage, encodeCdpRequest } from '../../src/sample/runtime/cdp-client.ts';
import { parseListeningLoopback } from '../../src/sample/runtime/loopback-listeners.ts';
import { inspFigures } from '../../src/sample/runtime/node-inspector.ts';

test('requests: id and method, params only when given', () => {
  assert.equal(
    encodeCdpRequest({ id: 1, method: 'HeapProfiler.collectGarbage' }),
    '{"id":1,"method":"HeapProfiler.collectGarbage"}',
  );
  assert.equal(
    encodeCdpRequest({ id: 2, method: 'Runtime.evaluate', params: { expression: '1', returnByValue: true } }),
    '{"id":2,"method":"Runtime.evaluate","params":{"expression":"1","returnByValue":true}}',
  );
});

test('answers, errors and events told apart; junk is an error that quotes it', () => {
  assert.deepEqual(decodeCdpMessage('{"id":3,"result":{}}'), { kind: 'result', id: 3, result: {} });
  assert.deepEqual(decodeCdpMessage('{"id":4,"error":{"code":-32601,"message":"\'Nope.x\' wasn\'t found"}}'), {
    kind: 'error',
    id: 4,
    message: "'Nope.x' wasn't found (-32601)",
  });
  assert.deepEqual(decodeCdpMessage('{"method":"NodeRuntime.waitingForDisconnect","params":{}}'), {
    kind: 'event',
    method: 'NodeRuntime.waitingForDisconnect',
    params: {},
  });
  assert.throws(() => decodeCdpMessage('not json'), CdpError);
  assert.throws(() => decodeCdpMessage('{"x":1}'), /neither id nor method/);
});

test('a session: answers matched by id, errors rejected, events delivered', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) =>
    ws.on('message', (d: Buffer) => {
      const req = JSON.parse(d.toString()) as { id: number; method: string };
      if (req.method === 'Bad.method') ws.send(JSON.stringify({ id: req.id, error: { code: -32601, message: 'no' } }));
      else {
        ws.send(JSON.stringify({ method: 'Some.event', params: { n: 1 } }));
        ws.send(JSON.stringify({ id: req.id, result: { result: { type: 'object', value: { heapUsed: 5 } } } }));
      }
    }),
  );
  const { port } = wss.address() as { port: number };
  const client = await CdpClient.connect(`ws://127.0.0.1:${port}/x`);
  const events: unknown[] = [];
  client.on('Some.event', (p) => events.push(p));
  try {
    assert.deepEqual(await client.send('Runtime.evaluate', { expression: 'x' }), {
      result: { type: 'object', value: { heapUsed: 5 } },
    });
    await assert.rejects(client.send('Bad.method'), /no \(-32601\)/);
    // Each answer follows its event on the same socket: both arrived.
    assert.deepEqual(events, [{ n: 1 }]);
  } finally {
    await client.close();
    wss.close();
  }
  await assert.rejects(client.send('Runtime.evaluate'), /closed/);
});

test('memoryUsage() to samples/3 figures; arrayBuffers absent on old Node stays absent', () => {
  assert.deepEqual(inspFigures({ heapUsed: 1, heapTotal: 2, external: 3, arrayBuffers: 4 }), {
    inspHeapUsed: 1,
    inspHeapTotal: 2,
    inspExternal: 3,
    inspArrayBuffers: 4,
  });
  assert.deepEqual(inspFigures({ heapUsed: 1, heapTotal: 2, external: 3 }), {
    inspHeapUsed: 1,
    inspHeapTotal: 2,
    inspExternal: 3,
  });
});

test('/proc/net/tcp: loopback listeners of this pid only', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:8E65 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 114047 1 0 100 0 0 10 0',
    '   1: 0100007F:4845 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 114048 1 0 100 0 0 10 0',
    '   2: 0100007F:AF8D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 112090 1 0 100 0 0 10 0',
    '   3: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1181 1 0 100 0 0 10 0',
    '   4: 0100007F:4845 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 114099 1 0 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(parseListeningLoopback(table, new Set(['114047', '114048', '1181', '114099'])), [36453, 18501]);
});
