import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcState, parseProcStatus } from '../../src/sample/proc-status.ts';
import { parseSmapsRollup } from '../../src/sample/smaps-rollup.ts';
import {
  parseCgroupMounts,
  parseProcCgroup,
  readCgroupMemory,
  resolveCgroupMemoryFile,
} from '../../src/sample/cgroup.ts';
import { fetchMetrics, liveHeapOf, metricsTimeoutMs, parseGoMetrics } from '../../src/sample/metrics.ts';
import { LeakbenchError } from '../../src/errors.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

test('/proc/PID/status of the race build: sizes in bytes (kB = KiB), threads as a count', () => {
  assert.deepEqual(parseProcStatus(fixture('proc-status-race.txt')), {
    vmRss: 49440 * 1024,
    rssAnon: 33572 * 1024,
    rssFile: 15868 * 1024,
    vmHwm: 49440 * 1024,
    threads: 5,
  });
  assert.equal(parseProcState(fixture('proc-status-race.txt')), 'S');
});

test('status lines that are missing stay absent (a zombie has no Vm lines)', () => {
  const zombie = 'Name:\thc-race\nState:\tZ (zombie)\nThreads:\t1\n';
  assert.deepEqual(parseProcStatus(zombie), { threads: 1 });
  assert.equal(parseProcState(zombie), 'Z');
  assert.deepEqual(parseProcStatus(''), {});
});

test('/proc/PID/smaps_rollup of the race build: Pss and Anonymous in bytes', () => {
  assert.deepEqual(parseSmapsRollup(fixture('smaps-rollup-race.txt')), { pss: 48213 * 1024, anonymous: 33572 * 1024 });
  assert.equal(parseSmapsRollup(fixture('smaps-rollup-race.txt')).pss, 49370112);
});

test('/metrics of the plain and race builds: the six Go figures and the heap goal, exponent notation parsed', () => {
  // client_golang 1.17 prints no go_gc_gogc_percent: the live heap is the goal ÷ 2 (GOGC=100).
  assert.deepEqual(parseGoMetrics(fixture('gin-metrics-plain.txt')), {
    processRss: 17821696,
    heapInuse: 3670016,
    stackInuse: 491520,
    goSys: 13138184,
    heapReleased: 3596288,
    goroutines: 6,
    goHeapGoal: 4194304,
    liveHeap: 2097152,
  });
  assert.deepEqual(parseGoMetrics(fixture('gin-metrics-race.txt')), {
    processRss: 50851840,
    heapInuse: 4825088,
    stackInuse: 589824,
    goSys: 13146376,
    heapReleased: 2965504,
    goroutines: 6,
    goHeapGoal: 4194304,
    liveHeap: 2097152,
  });
});

test('/metrics of client_golang 1.23 with runtime metrics: live heap as exposed, memory classes read', () => {
  // Captured from a server built with client_golang v1.23.2 and
  // collectors.WithGoCollectorRuntimeMetrics(all), after a runtime.GC() with 8 MiB kept.
  const f = parseGoMetrics(fixture('go-metrics-client-golang-1.23-runtime-metrics.txt'));
  assert.equal(f.goHeapLive, 8474264);
  assert.equal(f.liveHeap, 8474264);
  assert.equal(f.goGcPercent, 100);
  assert.equal(f.goHeapGoal, 17195402);
  assert.deepEqual(
    [f.goHeapObjects, f.goHeapUnused, f.goHeapFree, f.goOsStacks, f.goOtherRuntime],
    [8656792, 1124456, 8192, 0, 595400],
  );
});

test('/metrics of client_golang 1.23 by default: GOGC read, live heap from the goal', () => {
  const f = parseGoMetrics(fixture('go-metrics-client-golang-1.23-default.txt'));
  assert.equal(f.goGcPercent, 100);
  assert.equal(f.goHeapLive, undefined);
  assert.equal(f.goHeapObjects, undefined);
  assert.equal(f.liveHeap, 17195306 / 2);
});

test('live heap: go_gc_heap_live_bytes first (0 before a first GC is unknown), else the goal by GOGC; GOGC=off gives none', () => {
  assert.equal(liveHeapOf({ goHeapLive: 5e6, goHeapGoal: 3e7, goGcPercent: 50 }), 5e6);
  assert.equal(liveHeapOf({ goHeapLive: 0, goHeapGoal: 3e7, goGcPercent: 50 }), 2e7);
  assert.equal(liveHeapOf({ goHeapGoal: 3e7 }), 1.5e7);
  assert.equal(liveHeapOf({ goHeapGoal: 3e7, goGcPercent: 200 }), 1e7);
  assert.equal(liveHeapOf({ goHeapGoal: 3e7, goGcPercent: -1 }), undefined);
  assert.equal(liveHeapOf({}), undefined);
  assert.equal(
    parseGoMetrics('go_gc_heap_live_bytes 0\ngo_memstats_next_gc_bytes 4.194304e+06\n').goHeapLive,
    undefined,
  );
});

test('/metrics: a figure not present (or NaN) is absent, and an unlabelled series wins', () => {
  const text =
    '# TYPE go_goroutines gauge\ngo_goroutines{shard="a"} 99\ngo_goroutines 7\ngo_memstats_sys_bytes NaN\nother_metric 1\n';
  assert.deepEqual(parseGoMetrics(text), { goroutines: 7 });
});

test('/metrics: garbage, an HTML page or another exporter is an error naming the URL', () => {
  const url = 'http://127.0.0.1:8080/metrics';
  for (const text of [
    'garbage here',
    '<!doctype html><html><body>Hello</body></html>',
    '',
    'node_exporter_build_info 1\n',
  ]) {
    assert.throws(
      () => parseGoMetrics(text, url),
      (e: unknown) =>
        e instanceof LeakbenchError &&
        e.message.startsWith(`${url} did not return Prometheus metrics with runtime figures`),
    );
  }
  assert.throws(() => parseGoMetrics('<html></html>'), /HTML page/);
});

test('metrics timeout follows the interval within 1..5 s', () => {
  assert.equal(metricsTimeoutMs(100), 1000);
  assert.equal(metricsTimeoutMs(2000), 2000);
  assert.equal(metricsTimeoutMs(60_000), 5000);
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
}

test('fetchMetrics: parses a good page, names the status of a bad one, times out', async () => {
  let mode: 'ok' | '500' | 'html' | 'slow' = 'ok';
  const { server, url } = await serve((_req, res) => {
    if (mode === 'ok') res.end(fixture('gin-metrics-race.txt'));
    else if (mode === '500') res.writeHead(500).end('boom');
    else if (mode === 'html')
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>login</body></html>');
    else setTimeout(() => res.end(fixture('gin-metrics-race.txt')), 600);
  });
  try {
    assert.equal((await fetchMetrics(url, 1000)).heapInuse, 4825088);
    mode = '500';
    await assert.rejects(fetchMetrics(url, 1000), new RegExp(`^LeakbenchError: metrics ${url}: HTTP 500`));
    mode = 'html';
    await assert.rejects(
      fetchMetrics(url, 1000),
      /did not return Prometheus metrics with runtime figures \(it looks like an HTML page\)/,
    );
    mode = 'slow';
    await assert.rejects(fetchMetrics(url, 200), /no answer within 200 ms/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  await assert.rejects(fetchMetrics(url, 1000), /ECONNREFUSED/);
});

test('/proc/PID/cgroup v1 (hybrid host): the memory hierarchy wins over the v2 line', () => {
  assert.deepEqual(parseProcCgroup(fixture('proc-cgroup-v1.txt')), {
    version: 1,
    path: '/process_api/c2661da262a8a911a9f5f987bea37842',
    controllers: ['memory'],
  });
  assert.deepEqual(parseProcCgroup('5:cpu,memory:/a/b\n0::/\n'), {
    version: 1,
    path: '/a/b',
    controllers: ['cpu', 'memory'],
  });
});

test('/proc/PID/cgroup v2: the 0:: line; "/" is the root of the mounted hierarchy', () => {
  assert.deepEqual(parseProcCgroup(fixture('proc-cgroup-v2.txt')), {
    version: 2,
    path: '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5f1c2a7e_3b1d_4c2e_9a0f_1d2e3f4a5b6c.slice/cri-containerd-8d3f0c1b2a4e.scope',
  });
  assert.deepEqual(parseProcCgroup('0::/\n'), { version: 2, path: '/' });
  assert.deepEqual(parseProcCgroup('0::/gone (deleted)\n'), { version: 2, path: '/gone' });
  assert.equal(parseProcCgroup('3:cpu:/x\n'), undefined);
  assert.equal(parseProcCgroup(''), undefined);
});

test('mountinfo: cgroup mounts with their roots, octal escapes decoded', () => {
  const text = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  assert.deepEqual(parseCgroupMounts(text), [
    { root: '/docker/abc', mountPoint: '/sys/fs/cgroup/memory', version: 1, superOptions: ['rw', 'memory'] },
    { root: '/', mountPoint: '/sys/fs/cgroup/uni fied', version: 2, superOptions: ['rw'] },
  ]);
});

// Builds a fake cgroup tree for this process's real /proc/self/cgroup entry.
function fakeCgroupRoot(layout: 'direct' | 'mounted-at-own-cgroup'): { root: string; mountinfo: string; file: string } {
  const root = mkdtempSync(join(tmpdir(), 'leakbench-cgroup-'));
  const cg = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
  assert.ok(cg, 'this machine has a memory cgroup');
  const mountDir = cg.version === 1 ? join(root, 'memory') : root;
  const dir = layout === 'direct' ? join(mountDir, cg.path) : mountDir;
  const file = join(dir, cg.version === 1 ? 'memory.usage_in_bytes' : 'memory.current');
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, '123456789\n');
  const fsType = cg.version === 1 ? 'cgroup cgroup rw,memory' : 'cgroup2 cgroup2 rw';
  const mountRoot = layout === 'direct' ? '/' : cg.path;
  return { root, file, mountinfo: `35 31 0:32 ${mountRoot} ${mountDir} rw,relatime - ${fsType}\n` };
}

test('resolveCgroupMemoryFile: <root>/<path> of the memory hierarchy, then read as bytes', async () => {
  const fake = fakeCgroupRoot('direct');
  const r = await resolveCgroupMemoryFile(process.pid, { root: fake.root, mountinfo: '' });
  assert.ok('file' in r, JSON.stringify(r));
  assert.equal(r.file, fake.file);
  assert.equal(await readCgroupMemory(r.file), 123456789);
});

test('resolveCgroupMemoryFile: a container that mounts its own cgroup at the hierarchy root', async () => {
  const fake = fakeCgroupRoot('mounted-at-own-cgroup');
  const r = await resolveCgroupMemoryFile(process.pid, { root: fake.root, mountinfo: fake.mountinfo });
  assert.ok('file' in r, JSON.stringify(r));
  assert.equal(r.file, fake.file);
});

test('resolveCgroupMemoryFile: a reason when there is no file, or no process', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'leakbench-cgroup-'));
  const r = await resolveCgroupMemoryFile(process.pid, { root: empty, mountinfo: '' });
  assert.ok('reason' in r);
  assert.match(r.reason, /memory\.(usage_in_bytes|current)/);
  assert.match(r.reason, new RegExp(`tried ${empty}`));
  const none = await resolveCgroupMemoryFile(2 ** 22 + 1);
  assert.ok('reason' in none);
  assert.match(none.reason, /cannot read \/proc\/4194305\/cgroup/);
});

test('readCgroupMemory refuses a file that is not a byte count', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-cgroup-'));
  writeFileSync(join(dir, 'memory.current'), 'max\n');
  await assert.rejects(readCgroupMemory(join(dir, 'memory.current')), /expected a byte count, found "max"/);
});
