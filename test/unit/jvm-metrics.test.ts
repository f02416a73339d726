/**
 * JVM figures from the /metrics text of the real clients, recorded from the fixture server
 * (test/fixtures/jvm-servers, --mode flat after 50 requests): simpleclient_hotspot 0.16.0, client_java
 * 1.7.0 (prometheus-metrics-instrumentation-jvm) and Micrometer 1.17.2, which splits heap and
 * non-heap per memory pool.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';
import { parseGoMetrics } from '../../src/sample/metrics.ts';

const fixture = (name: string): string => readFileSync(join(REPO_ROOT, 'test', 'fixtures', name), 'utf8');

test('simpleclient_hotspot: heap and non-heap by area, the direct buffer pool, live threads', () => {
  assert.deepEqual(parseGoMetrics(fixture('jvm-metrics-hotspot.txt')), {
    jvmHeapUsed: 12505088,
    jvmHeapCommitted: 406847488,
    jvmNonHeapUsed: 5936048,
    jvmNonHeapCommitted: 11468800,
    jvmDirect: 32768,
    jvmThreads: 12,
    jvmGcs: 0,
    processRss: 58646528,
  });
});

test('client_java 1.x: jvm_memory_used_bytes by area (another name than simpleclient_hotspot), the direct pool, threads', () => {
  assert.deepEqual(parseGoMetrics(fixture('jvm-metrics-client-java.txt')), {
    jvmHeapUsed: 16699392,
    jvmHeapCommitted: 406847488,
    jvmNonHeapUsed: 9368680,
    jvmNonHeapCommitted: 14352384,
    jvmDirect: 32768,
    jvmThreads: 12,
    jvmGcs: 0,
    processRss: 66781184,
  });
});

test('Micrometer: the memory pools of each area summed, direct buffers by id, live threads', () => {
  const s = parseGoMetrics(fixture('jvm-metrics-micrometer.txt'));
  // G1 Eden 12582912 + Old Gen 4116480 + Survivor 0.
  assert.equal(s.jvmHeapUsed, 12582912 + 4116480);
  assert.equal(s.jvmHeapCommitted, 20971520 + 385875968);
  assert.equal(s.jvmNonHeapUsed, 1186432 + 311424 + 1386496 + 478880 + 4137784);
  assert.equal(s.jvmDirect, 32768);
  assert.equal(s.jvmThreads, 12);
  assert.equal(s.heapInuse, undefined, 'no Go figure from a JVM exposition');
  assert.equal(s.v8HeapUsed, undefined);
});

test('collections: every collector summed; Micrometer prints its pause timer only from the first pause on', () => {
  assert.equal(parseGoMetrics(fixture('jvm-metrics-micrometer.txt')).jvmGcs, 0);
  // Recorded after 300 requests of 512 KiB garbage each under -Xmx64m.
  assert.equal(parseGoMetrics(fixture('jvm-metrics-micrometer-after-gc.txt')).jvmGcs, 11);
  const hotspot =
    'jvm_memory_bytes_used{area="heap",} 1.0E7\njvm_gc_collection_seconds_count{gc="G1 Young Generation",} 7.0\njvm_gc_collection_seconds_count{gc="G1 Old Generation",} 1.0\n';
  assert.equal(parseGoMetrics(hotspot).jvmGcs, 8);
});
