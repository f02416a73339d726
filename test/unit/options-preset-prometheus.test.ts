import { test } from 'node:test';
import { opts, rejects } from '../helpers/run-args.ts';
import assert from 'node:assert/strict';
import { RUN_HELP } from '../../src/options/run-options.ts';

test('--preset ci sets the smaller defaults and records itself', () => {
  const o = opts('soak', '--preset', 'ci');
  assert.equal(o.preset, 'ci');
  assert.equal(o.requests, 200_000);
  assert.equal(o.connections, 100);
  assert.equal(o.durationMs, 40_000);
  assert.equal(o.rate, 2);
  assert.equal(o.idleBeforeMs, 10_000);
  assert.equal(o.idleAfterMs, 40_000);
  assert.equal(o.sampleIntervalMs, 500);
  assert.equal(opts('burst').preset, undefined);
});

test('flags given beside --preset win, wherever they stand', () => {
  const o = opts('burst', '--requests', '5000', '--preset', 'ci', '--sample-interval', '1s');
  assert.equal(o.requests, 5000);
  assert.equal(o.sampleIntervalMs, 1000);
  assert.equal(o.rate, 2);
  // Checks across flags see the preset's values as if typed.
  rejects(['burst', '--preset', 'ci', '--requests', '50'], /^--connections: 100 connections cannot share 50 requests/);
  rejects(['burst', '--preset', 'nightly'], /^--preset: expected one of ci, got "nightly"$/);
});

test('--prometheus-url with --pod: the documented default queries', () => {
  const o = opts(
    'idle',
    '--prometheus-url',
    'http://prometheus.monitoring:9090',
    '--pod',
    'shop/gin-7d9f-x2',
    '--url',
    'http://10.0.0.5:8080/health',
    '--metrics-url',
    'http://10.0.0.5:8080/metrics',
  );
  assert.equal(o.prometheus?.url.href, 'http://prometheus.monitoring:9090/');
  assert.equal(o.prometheus?.stepMs, 1000, 'the sample interval');
  assert.deepEqual(o.prometheus?.queries, {
    cgroupMemory:
      'sum(container_memory_working_set_bytes{namespace="shop",pod="gin-7d9f-x2",container!="",container!="POD"})',
    processRss: 'process_resident_memory_bytes{namespace="shop",pod="gin-7d9f-x2"}',
    heapInuse: 'go_memstats_heap_inuse_bytes{namespace="shop",pod="gin-7d9f-x2"}',
    stackInuse: 'go_memstats_stack_inuse_bytes{namespace="shop",pod="gin-7d9f-x2"}',
    goSys: 'go_memstats_sys_bytes{namespace="shop",pod="gin-7d9f-x2"}',
    heapReleased: 'go_memstats_heap_released_bytes{namespace="shop",pod="gin-7d9f-x2"}',
    goroutines: 'go_goroutines{namespace="shop",pod="gin-7d9f-x2"}',
    cpuSeconds:
      'sum(container_cpu_usage_seconds_total{namespace="shop",pod="gin-7d9f-x2",container!="",container!="POD"}) or sum(process_cpu_seconds_total{namespace="shop",pod="gin-7d9f-x2"})',
    requestsServed:
      'sum(http_server_requests_seconds_count{namespace="shop",pod="gin-7d9f-x2"}) or sum(http_server_request_duration_seconds_count{namespace="shop",pod="gin-7d9f-x2"}) or sum(http_requests_total{namespace="shop",pod="gin-7d9f-x2"})',
  });
  // The activity a watched run's phases are found from: read if the server has it, no warning if not.
  assert.deepEqual(o.prometheus?.optional, ['cpuSeconds', 'requestsServed']);
});

test('--prometheus-selector replaces the pod matcher for the Go series; --prometheus-query overrides one figure', () => {
  const o = opts(
    'burst',
    '--prometheus-url',
    'http://127.0.0.1:9090',
    '--prometheus-selector',
    'job="gin",instance="127.0.0.1:8080"',
    '--prometheus-query',
    'goroutines=sum(go_goroutines{job="gin"})',
    '--prometheus-query',
    'vmRss=process_resident_memory_bytes{job="gin"}',
    '--prometheus-step',
    '2s',
  );
  const q = o.prometheus!.queries;
  assert.equal(q.cgroupMemory, undefined, 'no pod, so no cadvisor query');
  assert.equal(q.heapInuse, 'go_memstats_heap_inuse_bytes{job="gin",instance="127.0.0.1:8080"}');
  assert.equal(q.goroutines, 'sum(go_goroutines{job="gin"})');
  assert.equal(q.vmRss, 'process_resident_memory_bytes{job="gin"}');
  assert.equal(o.prometheus!.stepMs, 2000);
  // The pod's cadvisor series stays pod-based when both are given.
  const both = opts(
    'burst',
    '--prometheus-url',
    'http://127.0.0.1:9090',
    '--pod',
    'gin-0',
    '--prometheus-selector',
    'job="gin"',
  ).prometheus!.queries;
  assert.match(both.cgroupMemory!, /\{pod="gin-0",container!=""/);
  assert.equal(both.goSys, 'go_memstats_sys_bytes{job="gin"}');
});

test('prometheus flags: one-line errors naming the flag', () => {
  rejects(['burst', '--pod', 'gin-0'], /^--pod: only with --prometheus-url/);
  rejects(['burst', '--prometheus-query', 'goroutines=up'], /^--prometheus-query: only with --prometheus-url/);
  rejects(
    ['burst', '--prometheus-url', 'http://127.0.0.1:9090'],
    /^--prometheus-url: also say which series to read: --pod NAME/,
  );
  rejects(['burst', '--prometheus-url', 'ftp://x'], /^--prometheus-url: expected an http:\/\/ or https:\/\/ URL/);
  rejects(
    ['burst', '--prometheus-url', 'http://p:9090', '--pod', 'Gin_0'],
    /^--pod: expected a pod name or NAMESPACE\/NAME/,
  );
  rejects(['burst', '--prometheus-url', 'http://p:9090', '--pod', 'a/b/c'], /^--pod: /);
  rejects(
    ['burst', '--prometheus-url', 'http://p:9090', '--prometheus-selector', '{job="x"}'],
    /^--prometheus-selector: expected label matchers without braces/,
  );
  rejects(
    ['burst', '--prometheus-url', 'http://p:9090', '--prometheus-query', 'rss=up'],
    /^--prometheus-query: expected figure=PROMQL with a figure among vmRss, /,
  );
  rejects(
    ['burst', '--prometheus-url', 'http://p:9090', '--prometheus-query', 'goroutines='],
    /^--prometheus-query: goroutines= has no query$/,
  );
  rejects(
    [
      'burst',
      '--prometheus-url',
      'http://p:9090',
      '--prometheus-query',
      'goroutines=a',
      '--prometheus-query',
      'goroutines=b',
    ],
    /^--prometheus-query: goroutines is given twice$/,
  );
  rejects(
    ['burst', '--prometheus-url', 'http://p:9090', '--pod', 'x', '--prometheus-step', '10'],
    /^--prometheus-step: expected a duration with a unit/,
  );
});

test('RUN_HELP documents the new flags', () => {
  for (const flag of [
    '--preset ci',
    '--prometheus-url',
    '--pod',
    '--prometheus-selector',
    '--prometheus-query',
    '--prometheus-step',
  ])
    assert.ok(RUN_HELP.includes(flag), flag);
});
