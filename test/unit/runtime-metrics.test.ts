/**
 * The Prometheus names the sampler reads for Node.js come from the real client: prom-client's
 * default metrics, collected in this process and parsed as a target's /metrics would be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { NODE_METRICS, parseGoMetrics } from '../../src/sample/metrics.ts';

test("prom-client's default metrics give the V8 heap, external memory, handles and RSS", async () => {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const text = await register.metrics();
  for (const name of Object.keys(NODE_METRICS))
    assert.match(text, new RegExp(`^${name} `, 'm'), `${name} is not in prom-client's output`);
  const s = parseGoMetrics(text);
  const usage = process.memoryUsage();
  assert.ok(s.v8HeapUsed! > 0 && s.v8HeapUsed! <= s.v8HeapTotal!, JSON.stringify(s));
  assert.ok(Math.abs(s.v8HeapTotal! - usage.heapTotal) < 64 * 2 ** 20, `${s.v8HeapTotal} vs ${usage.heapTotal}`);
  assert.ok(s.nodeExternal! > 0);
  assert.ok(s.processRss! > 0);
  assert.ok(s.nodeHandles !== undefined);
  assert.ok(s.v8MajorGcs !== undefined && s.v8MajorGcs >= 0);
  assert.equal(s.heapInuse, undefined, 'no Go figure from a Node.js exposition');
});

test('the count of major collections comes from the kind="major" series of the GC histogram', () => {
  const text = [
    'nodejs_heap_size_used_bytes 1000',
    '# TYPE nodejs_gc_duration_seconds histogram',
    'nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 40',
    'nodejs_gc_duration_seconds_sum{kind="minor"} 0.1',
    'nodejs_gc_duration_seconds_count{kind="minor"} 40',
    'nodejs_gc_duration_seconds_bucket{le="+Inf",kind="major"} 3',
    'nodejs_gc_duration_seconds_sum{kind="major"} 0.05',
    'nodejs_gc_duration_seconds_count{kind="major"} 3',
    '',
  ].join('\n');
  assert.equal(parseGoMetrics(text).v8MajorGcs, 3);
  assert.equal(parseGoMetrics('nodejs_heap_size_used_bytes 1000\n').v8MajorGcs, 0);
});
