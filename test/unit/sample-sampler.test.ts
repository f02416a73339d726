import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Sampler, validatePid, type SamplerOptions } from '../../src/sample/sampler.ts';
import type { Sample } from '../../src/rundir/schema.ts';

const raceMetrics = readFileSync(new URL('../fixtures/gin-metrics-race.txt', import.meta.url), 'utf8');
const METRIC_KEYS = ['processRss', 'heapInuse', 'stackInuse', 'goSys', 'heapReleased', 'goroutines'] as const;

interface Harness {
  sampler: Sampler;
  written: Sample[];
  warnings: { source: string; message: string }[];
}

function harness(options: Partial<SamplerOptions>): Harness {
  const written: Sample[] = [];
  const warnings: Harness['warnings'] = [];
  const t0 = performance.now();
  const sampler = new Sampler({
    intervalMs: 100,
    now: () => (performance.now() - t0) / 1000,
    writer: { write: (s) => written.push(s) },
    onWarning: (source, message) => warnings.push({ source, message }),
    ...options,
  });
  return { sampler, written, warnings };
}

async function serve(handler: RequestListener): Promise<{ server: Server; url: string; close: () => void }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  return {
    server,
    url,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

test('samples this process on the clock: /proc figures present, t increasing about one interval apart', async () => {
  const h = harness({ pid: process.pid });
  h.sampler.start();
  await sleep(450);
  await h.sampler.stop();
  assert.ok(h.written.length >= 4 && h.written.length <= 6, `samples: ${h.written.length}`);
  assert.equal(h.sampler.count, h.written.length);
  assert.deepEqual(h.sampler.latest(), h.written.at(-1));
  for (const s of h.written) {
    assert.ok(s.vmRss! > 0 && s.rssAnon! > 0 && s.vmHwm! >= s.vmRss! && s.threads! >= 1, JSON.stringify(s));
    assert.ok(s.pss! > 0 && s.anonymous! > 0, JSON.stringify(s));
    for (const k of METRIC_KEYS) assert.equal(k in s, false);
  }
  const gaps = h.written.slice(1).map((s, i) => s.t - h.written[i]!.t);
  for (const gap of gaps) assert.ok(gap > 0.05 && gap < 0.2, `gap ${gap}`);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(mean - 0.1) < 0.02, `mean gap ${mean}`);
  // Whether a cgroup figure is available depends on the host; nothing else may warn.
  assert.deepEqual(
    h.warnings.filter((w) => w.source !== 'cgroup'),
    [],
  );
});

test('a metrics URL that starts failing: one warning, metrics fields absent (not 0), /proc goes on; recovery reported', async () => {
  let requests = 0;
  const srv = await serve((_req, res) => {
    requests++;
    if (requests <= 2 || requests >= 6) res.end(raceMetrics);
    else if (requests === 4) res.end('<html>garbage</html>');
    else res.writeHead(500).end('internal error');
  });
  const h = harness({ pid: process.pid, metricsUrl: srv.url });
  try {
    for (let i = 0; i < 7; i++) await h.sampler.sampleOnce();
  } finally {
    srv.close();
  }
  const [a, b, c, d, e, f, g] = h.written;
  for (const s of [a, b, f, g]) assert.equal(s!.heapInuse, 4825088);
  for (const s of [c, d, e]) {
    for (const k of METRIC_KEYS) assert.equal(k in s!, false, `${k} in ${JSON.stringify(s)}`);
    assert.ok(s!.vmRss! > 0);
  }
  const metricWarnings = h.warnings.filter((w) => w.source === 'metrics');
  assert.equal(metricWarnings.length, 2, JSON.stringify(metricWarnings));
  assert.match(
    metricWarnings[0]!.message,
    new RegExp(`^metrics ${srv.url}: HTTP 500 Internal Server Error; its figures are left out`),
  );
  assert.match(metricWarnings[1]!.message, /recovered/);
  assert.equal(h.warnings.filter((w) => w.source === 'proc-status' || w.source === 'smaps-rollup').length, 0);
});

test('an unreachable metrics URL: one warning naming the refused connection', async () => {
  const srv = await serve((_req, res) => res.end(raceMetrics));
  const url = srv.url;
  srv.close();
  await once(srv.server, 'close');
  const h = harness({ metricsUrl: url });
  for (let i = 0; i < 3; i++) await h.sampler.sampleOnce();
  assert.deepEqual(
    h.written.map((s) => Object.keys(s)),
    [['t'], ['t'], ['t']],
  );
  assert.equal(h.warnings.length, 1);
  assert.match(h.warnings[0]!.message, /^metrics http:\/\/127\.0\.0\.1:\d+\/metrics: connect ECONNREFUSED/);
});

test('a pid that exits mid-run: one warning, and its /proc figures stop', async () => {
  const child = spawn('sleep', ['10'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const h = harness({ pid: child.pid! });
  h.sampler.start();
  await sleep(250);
  child.kill('SIGKILL');
  await once(child, 'exit');
  const before = h.written.length;
  await sleep(350);
  await h.sampler.stop();
  assert.ok(before >= 2 && h.written[0]!.vmRss! > 0);
  const gone = h.warnings.filter((w) => /gone/.test(w.message));
  assert.equal(gone.length, 1, JSON.stringify(h.warnings));
  assert.match(gone[0]!.message, new RegExp(`^process ${child.pid} is gone`));
  assert.equal(h.warnings.filter((w) => w.source === 'smaps-rollup').length, 0, JSON.stringify(h.warnings));
  assert.equal(h.sampler.processGone, true);
  const after = h.written.slice(before + 1);
  assert.ok(after.length >= 2);
  for (const s of after) assert.deepEqual(Object.keys(s), ['t']);
  assert.match(validatePid(child.pid!) ?? '', /no process with pid/);
});

test('stop() waits for the sample in flight, then nothing more is written', async () => {
  const srv = await serve((_req, res) => setTimeout(() => res.end(raceMetrics), 200));
  const h = harness({ metricsUrl: srv.url, intervalMs: 100 });
  try {
    h.sampler.start();
    await sleep(20);
    const began = performance.now();
    await h.sampler.stop();
    assert.ok(performance.now() - began > 100, 'stop() returned before the sample in flight finished');
    assert.equal(h.written.length, 1);
    assert.equal(h.written[0]!.goroutines, 6);
    await sleep(250);
    assert.equal(h.written.length, 1);
    await assert.rejects(h.sampler.sampleOnce(), /stopped/);
  } finally {
    srv.close();
  }
});

test('a sample slower than the interval: missed ticks are skipped, never two in flight, one warning', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const srv = await serve((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      res.end(raceMetrics);
    }, 250);
  });
  const h = harness({ metricsUrl: srv.url, intervalMs: 100 });
  try {
    h.sampler.start();
    await sleep(1000);
    await h.sampler.stop();
  } finally {
    srv.close();
  }
  assert.equal(maxInFlight, 1);
  // Ticks at 0, 0.3, 0.6, 0.9 s: each sample takes 0.25 s and lands just past the next two ticks.
  assert.ok(h.written.length >= 3 && h.written.length <= 4, `samples: ${h.written.length}`);
  for (const [i, s] of h.written.slice(1).entries()) {
    const gap = s.t - h.written[i]!.t;
    assert.ok(gap > 0.25 && gap < 0.4, `gap ${gap}`);
  }
  const slow = h.warnings.filter((w) => w.source === 'sampler');
  assert.equal(slow.length, 1);
  assert.match(slow[0]!.message, /longer than the 100 ms interval; missed ticks are skipped/);
});

test('a writer that throws is reported once and sampling goes on', async () => {
  const warnings: string[] = [];
  const sampler = new Sampler({
    pid: process.pid,
    intervalMs: 100,
    now: () => 0,
    writer: {
      write: () => {
        throw new Error('ENOSPC: no space left on device');
      },
    },
    onWarning: (source, message) => warnings.push(`${source}: ${message}`),
  });
  await sampler.sampleOnce();
  await sampler.sampleOnce();
  assert.equal(sampler.count, 2);
  assert.deepEqual(
    warnings.filter((w) => w.startsWith('sampler')),
    ['sampler: cannot write a sample: ENOSPC: no space left on device'],
  );
});

test('bad options are refused; validatePid names the problem', () => {
  const base = { now: () => 0, onWarning: () => undefined };
  assert.throws(() => new Sampler({ ...base, pid: process.pid, intervalMs: 50 }), RangeError);
  assert.throws(() => new Sampler({ ...base, intervalMs: 1000 }), /needs a pid or a metrics URL/);
  assert.match(validatePid(process.pid)!, /is leakbench itself/);
  assert.match(validatePid(2)!, /kernel thread/);
  assert.match(validatePid(0)!, /positive integer/);
  assert.match(validatePid(4194305)!, /no process with pid 4194305/);
});

test('the sampler timer alone does not keep Node running', async () => {
  const code = `
    import { Sampler } from ${JSON.stringify(new URL('../../src/sample/sampler.ts', import.meta.url).href)};
    new Sampler({ pid: process.pid, intervalMs: 100, now: () => 0, onWarning: () => {} }).start();
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 2500);
  const [exitCode, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, null, 'the child had to be killed: the timer kept it alive');
  assert.equal(exitCode, 0);
});
