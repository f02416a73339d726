/**
 * HotSpot attach protocol 1, framed by the pack: the request bytes jcmd sends, the answer's code
 * line, and one exchange over a real UNIX socket standing in for the JVM's listener (the real
 * JVM is in test/integration/runtime-node-jvm.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRefused,
  attachBlocker,
  decodeAttachAnswer,
  encodeAttachRequest,
  HotSpotAttach,
} from '../../src/sample/runtime/hotspot-attach.ts';

test('request: version 1, the command and exactly three NUL-terminated arguments', () => {
  assert.equal(encodeAttachRequest('jcmd', ['GC.run']).toString('latin1'), '1\0jcmd\0GC.run\0\0\0');
  assert.equal(encodeAttachRequest('inspectheap', ['-live']).toString('latin1'), '1\0inspectheap\0-live\0\0\0');
  assert.equal(encodeAttachRequest('properties').toString('latin1'), '1\0properties\0\0\0\0');
  assert.throws(() => encodeAttachRequest('jcmd', ['a', 'b', 'c', 'd']), /at most 3/);
  assert.throws(() => encodeAttachRequest('jcmd', ['GC.run\0x']), /NUL/);
});

test('answer: the code line, then the output; nothing at all is a refused peer', () => {
  assert.deepEqual(decodeAttachAnswer(Buffer.from('0\nClass histogram\n')), { code: 0, output: 'Class histogram\n' });
  assert.deepEqual(decodeAttachAnswer(Buffer.from('0\n')), { code: 0, output: '' });
  assert.deepEqual(decodeAttachAnswer(Buffer.from('1\nUnknown diagnostic command\n')), {
    code: 1,
    output: 'Unknown diagnostic command\n',
  });
  assert.throws(
    () => decodeAttachAnswer(Buffer.alloc(0)),
    (e: Error) => e instanceof AttachRefused && /own user/.test(e.message),
  );
  assert.throws(() => decodeAttachAnswer(Buffer.from('HTTP/1.1 400')), /does not start with a result code/);
});

function fakeProc(sigCgt: string, args: string[]): { root: string; socket: string } {
  const root = mkdtempSync(join(tmpdir(), 'lb-attach-'));
  mkdirSync(join(root, '4242', 'root', 'tmp'), { recursive: true });
  writeFileSync(join(root, '4242', 'status'), `Name:\tjava\nUid:\t0\t0\t0\t0\nNSpid:\t4242\t1\nSigCgt:\t${sigCgt}\n`);
  writeFileSync(join(root, '4242', 'cmdline'), args.join('\0') + '\0');
  return { root, socket: join(root, '4242', 'root', 'tmp', '.java_pid1') };
}

test('one exchange over the socket named by the pid inside the namespace', async () => {
  const { root, socket } = fakeProc('0000000000000004', ['java', 'Server']);
  const received: Buffer[] = [];
  const server = createServer((c) => {
    c.on('data', (d: Buffer) => {
      received.push(d);
      if (Buffer.concat(received).toString('latin1').endsWith('\0\0\0'))
        c.end('0\n4242:\nCommand executed successfully\n');
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  try {
    const attach = new HotSpotAttach(4242, root);
    assert.equal(attach.target.nsPid, 1);
    assert.equal(await attach.jcmd('GC.run'), '4242:\nCommand executed successfully\n');
    assert.equal(Buffer.concat(received).toString('latin1'), '1\0jcmd\0GC.run\0\0\0');
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('no SIGQUIT where it would stop or disturb the process: the reason instead', () => {
  const cases: [string, string[], RegExp][] = [
    ['0000000000000004', ['java', '-Xrs', 'Server'], /-Xrs/],
    ['0000000000000004', ['java', '-XX:+DisableAttachMechanism', 'Server'], /DisableAttachMechanism/],
    ['0000000000000000', ['java', 'Server'], /does not handle SIGQUIT/],
  ];
  for (const [sig, args, reason] of cases) {
    const { root } = fakeProc(sig, args);
    try {
      assert.match(attachBlocker(4242, root) ?? '', reason);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  const { root } = fakeProc('0000000181005ccf', ['java', 'Server']);
  try {
    assert.equal(attachBlocker(4242, root), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
