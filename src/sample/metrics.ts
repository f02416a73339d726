import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { Agent as HttpsAgent, get as httpsGet } from 'node:https';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { LeakbenchError } from '../errors.ts';
import { DEFAULT_GOGC, type Sample, type SampleFigure } from '../rundir/schema.ts';
import { requestCount } from './activity.ts';

/** Prometheus names (client_golang's Go and process collectors) of the figures we keep. */
export const GO_METRICS = {
  process_resident_memory_bytes: 'processRss',
  go_memstats_heap_inuse_bytes: 'heapInuse',
  go_memstats_stack_inuse_bytes: 'stackInuse',
  go_memstats_sys_bytes: 'goSys',
  go_memstats_heap_released_bytes: 'heapReleased',
  go_goroutines: 'goroutines',
} as const satisfies Record<string, SampleFigure>;

/**
 * Node.js: prom-client's default metrics (collectDefaultMetrics), names as prom-client 15
 * prints them. Python's prometheus_client has no heap figure (its process collector gives
 * process_resident_memory_bytes, its gc collector only counts), so it adds no name here.
 */
export const NODE_METRICS = {
  nodejs_heap_size_used_bytes: 'v8HeapUsed',
  nodejs_heap_size_total_bytes: 'v8HeapTotal',
  nodejs_external_memory_bytes: 'nodeExternal',
  nodejs_active_handles_total: 'nodeHandles',
} as const satisfies Record<string, SampleFigure>;

/**
 * Go's live heap and where the rest of its memory sits. go_memstats_next_gc_bytes is in every
 * client_golang; the others are runtime/metrics names that client_golang 1.16+ prints by
 * default (go_gc_gogc_percent) or with collectors.WithGoCollectorRuntimeMetrics (the rest),
 * as captured in test/fixtures/go-metrics-client-golang-1.23-*.txt.
 */
export const GO_LIVE_METRICS = {
  go_memstats_next_gc_bytes: 'goHeapGoal',
  go_gc_gogc_percent: 'goGcPercent',
  go_gc_heap_live_bytes: 'goHeapLive',
  go_memory_classes_heap_objects_bytes: 'goHeapObjects',
  go_memory_classes_heap_unused_bytes: 'goHeapUnused',
  go_memory_classes_heap_free_bytes: 'goHeapFree',
  go_memory_classes_os_stacks_bytes: 'goOsStacks',
  go_memory_classes_other_bytes: 'goOtherRuntime',
} as const satisfies Record<string, SampleFigure>;

/**
 * The heap the last GC marked live. go_gc_heap_live_bytes says it directly (0 until the first
 * GC: then unknown). Otherwise the goal: the GC sets it to live × (1 + GOGC/100), so live is
 * goal ÷ (1 + GOGC/100), with GOGC from go_gc_gogc_percent or Go's default. It is an upper
 * bound while the goal sits at its floor (4 MiB × GOGC/100) and reads low when GOMEMLIMIT
 * pulls the goal down; with GOGC=off (-1) there is no goal to read it from.
 */
export function liveHeapOf(f: Pick<Sample, 'goHeapLive' | 'goHeapGoal' | 'goGcPercent'>): number | undefined {
  if (f.goHeapLive !== undefined && f.goHeapLive > 0) return f.goHeapLive;
  const gogc = f.goGcPercent ?? DEFAULT_GOGC;
  if (f.goHeapGoal === undefined || !(f.goHeapGoal > 0) || gogc < 0) return undefined;
  return f.goHeapGoal / (1 + gogc / 100);
}

/** prom-client's GC histogram; its `kind="major"` count tells when V8 heap used can fall. */
const V8_MAJOR_GCS = /^nodejs_gc_duration_seconds_count\{[^}]*kind="major"[^}]*\}\s+(\d+(?:\.\d+)?(?:e[+-]?\d+)?)/m;

/** Every Prometheus name the sampler keeps, and the sample field it goes to. */
export const RUNTIME_METRICS: Readonly<Record<string, SampleFigure>> = {
  ...GO_METRICS,
  ...GO_LIVE_METRICS,
  ...NODE_METRICS,
};

function isKnownMetric(name: string): boolean {
  return Object.hasOwn(RUNTIME_METRICS, name);
}

/** One labelled series family that gives a JVM figure: the sum of its series whose labels match. */
interface JvmSeries {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * JVM figures, by the names the clients print (read from their real /metrics output, recorded
 * in test/fixtures/jvm-metrics-*.txt): simpleclient_hotspot 0.16 first, then client_java 1.x
 * (prometheus-metrics-instrumentation-jvm 1.7, one series per area) and Micrometer 1.17
 * (registry-prometheus), which share the second names; Micrometer splits heap and non-heap per
 * memory pool (label `id`), so the pools are summed. The first name present wins.
 */
export const JVM_METRICS: Readonly<Partial<Record<SampleFigure, readonly JvmSeries[]>>> = {
  jvmHeapUsed: [
    { name: 'jvm_memory_bytes_used', labels: { area: 'heap' } },
    { name: 'jvm_memory_used_bytes', labels: { area: 'heap' } },
  ],
  jvmHeapCommitted: [
    { name: 'jvm_memory_bytes_committed', labels: { area: 'heap' } },
    { name: 'jvm_memory_committed_bytes', labels: { area: 'heap' } },
  ],
  jvmNonHeapUsed: [
    { name: 'jvm_memory_bytes_used', labels: { area: 'nonheap' } },
    { name: 'jvm_memory_used_bytes', labels: { area: 'nonheap' } },
  ],
  jvmNonHeapCommitted: [
    { name: 'jvm_memory_bytes_committed', labels: { area: 'nonheap' } },
    { name: 'jvm_memory_committed_bytes', labels: { area: 'nonheap' } },
  ],
  jvmDirect: [
    { name: 'jvm_buffer_pool_used_bytes', labels: { pool: 'direct' } },
    { name: 'jvm_buffer_memory_used_bytes', labels: { id: 'direct' } },
  ],
  jvmThreads: [
    { name: 'jvm_threads_current', labels: {} },
    { name: 'jvm_threads_live_threads', labels: {} },
  ],
};

const JVM_NAMES = new Set(Object.values(JVM_METRICS).flatMap((list) => list.map((s) => s.name)));

/**
 * Collections so far, every collector summed, read from the text (the parser keeps no labels of
 * a summary's count): simpleclient_hotspot and client_java 1.x print
 * jvm_gc_collection_seconds_count{gc}, Micrometer jvm_gc_pause_seconds_count{action,cause,gc}
 * from its first pause on (absent: none yet).
 */
export function jvmCollections(text: string): number {
  for (const name of ['jvm_gc_collection_seconds_count', 'jvm_gc_pause_seconds_count']) {
    const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'gm'))]
      .map((m) => Number(m[1]))
      .filter(Number.isFinite);
    if (values.length > 0) return values.reduce((a, b) => a + b, 0);
  }
  return 0;
}

/** The JVM figures of the parsed families; pure. */
export function jvmFigures(families: readonly PromFamily[]): Partial<Sample> {
  const byName = new Map(families.filter((f) => JVM_NAMES.has(f.name)).map((f) => [f.name, f]));
  const out: Partial<Sample> = {};
  for (const [key, list] of Object.entries(JVM_METRICS) as [SampleFigure, readonly JvmSeries[]][]) {
    for (const { name, labels } of list) {
      const family = byName.get(name);
      if (!family) continue;
      const values = family.metrics
        .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
        .map((m) => Number(m.value))
        .filter((v) => Number.isFinite(v) && v >= 0);
      if (values.length === 0) continue;
      out[key] = values.reduce((a, b) => a + b, 0);
      break;
    }
  }
  return out;
}

/**
 * The runtime figures (Go, Node.js, JVM, the process collector) in a Prometheus text exposition. A figure missing from the text (or
 * NaN) is left out. Text without any of them (an HTML page, another exporter, garbage) is an
 * error, because a sampler that silently collects nothing looks like a target that uses nothing.
 */
export function parseGoMetrics(text: string, url?: string): Partial<Sample> {
  const figures = goFigures(text);
  if (Object.keys(figures).length === 0) throw new LeakbenchError(`${url ?? 'the response'} ${notGoMetrics(text)}`);
  return figures;
}

function goFigures(text: string): Partial<Sample> {
  let families: PromFamily[];
  try {
    families = parsePrometheusTextFormat(text);
  } catch {
    return {};
  }
  const out: Partial<Sample> = jvmFigures(families);
  for (const family of families) {
    if (!isKnownMetric(family.name)) continue;
    // These are unlabelled gauges; prefer the unlabelled series should an exporter add others.
    const series = family.metrics.find((m) => !m.labels || Object.keys(m.labels).length === 0) ?? family.metrics[0];
    const value = Number(series?.value);
    if (series?.value !== undefined && Number.isFinite(value)) out[RUNTIME_METRICS[family.name]!] = value;
  }
  if (out.jvmHeapUsed !== undefined) out.jvmGcs = jvmCollections(text);
  // parse-prometheus-text-format drops a histogram's labels other than `le`, so the one
  // series needed is read from the text. prom-client shows a GC kind's series from its first
  // collection on: absent means none yet.
  if (out.v8HeapUsed !== undefined) {
    const major = V8_MAJOR_GCS.exec(text);
    out.v8MajorGcs = major ? Number(major[1]) : 0;
  }
  if (out.goHeapLive === 0) delete out.goHeapLive;
  const live = liveHeapOf(out);
  if (live !== undefined) out.liveHeap = live;
  return out;
}

function notGoMetrics(text: string): string {
  const got = /^\s*</.test(text) ? ' (it looks like an HTML page)' : text.trim() === '' ? ' (the body is empty)' : '';
  return `did not return Prometheus metrics with runtime figures${got}: none of ${[...Object.keys(RUNTIME_METRICS), ...JVM_NAMES].join(', ')} found`;
}

/** Timeout for one /metrics scrape, so a slow target delays sampling by at most this. */
export function metricsTimeoutMs(intervalMs: number): number {
  return Math.min(Math.max(intervalMs, 1000), 5000);
}

/**
 * Fetches and parses a /metrics page. Errors are LeakbenchErrors whose message starts with
 * "metrics <url>:" and names the cause (status, refused connection, timeout).
 *
 * The connection is kept alive between scrapes, which matters here: against a -race build
 * every new connection leaves a goroutine record behind, so scraping with a new connection
 * each time would itself add to the leak being measured.
 */
export async function fetchMetrics(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
  onRequestCounter?: (name: string) => void,
): Promise<Partial<Sample>> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([timeout, signal]) : timeout;
  const fail = (reason: string): LeakbenchError => new LeakbenchError(`metrics ${url}: ${reason}`);
  let text: string;
  try {
    text = await getText(url, combined, fail);
  } catch (err) {
    if (err instanceof LeakbenchError) throw err;
    if (!isStaleConnection(err) || combined.aborted) throw fail(describeFetchError(err, timeoutMs));
    // A kept-alive connection the target closed (it restarted, or idled it out) fails once
    // before the pool notices; a second try on a new connection gives the real answer.
    try {
      text = await getText(url, combined, fail);
    } catch (again) {
      if (again instanceof LeakbenchError) throw again;
      throw fail(describeFetchError(again, timeoutMs));
    }
  }
  const figures = goFigures(text);
  if (Object.keys(figures).length === 0) throw fail(notGoMetrics(text));
  // Requests answered, where the target counts them: how a watched run's load is found.
  const served = requestCount(text);
  if (served) {
    figures.requestsServed = served.value;
    onRequestCounter?.(served.name);
  }
  return figures;
}

/**
 * One keep-alive connection per scheme for every scrape. node:http rather than fetch: a scrape
 * with fetch (undici) costs about 1.2 ms of CPU, with node:http about 0.2 ms, and at a 100 ms
 * interval during a burst that CPU is taken from the load and the target (bench/results).
 * Idle sockets are unref'd by the agent, so they never keep the process alive.
 */
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 1 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }),
};

function getText(url: string, signal: AbortSignal, fail: (reason: string) => LeakbenchError): Promise<string> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const get = target.protocol === 'https:' ? httpsGet : httpGet;
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    // Ask for the text format: promhttp would otherwise negotiate protobuf or OpenMetrics.
    const req = get(target, { agent, signal, headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        reject(fail(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
        return;
      }
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function isStaleConnection(err: unknown): boolean {
  // node:http says ECONNRESET ("socket hang up" included) on the error itself; fetch puts it in `cause`.
  const own = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  const cause = err instanceof Error ? err.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  return own === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** undici wraps the useful part ("connect ECONNREFUSED 127.0.0.1:9") in `cause`. */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  // fetch rejects with the signal's TimeoutError; node:http with an AbortError caused by it.
  if (
    err.name === 'TimeoutError' ||
    (err.name === 'AbortError' && err.cause instanceof Error && err.cause.name === 'TimeoutError')
  )
    return `no answer within ${timeoutMs} ms`;
  if (err.name === 'AbortError') return 'aborted';
  const cause: unknown = err.cause;
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return [...new Set(cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))))].join('; ');
  }
  if (cause instanceof Error && cause.message) return cause.message;
  return err.message;
}
