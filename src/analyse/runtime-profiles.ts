import type { RunData } from '../rundir/read-run.ts';
import type { RuntimeName, Sample, SampleFigure } from '../rundir/schema.ts';
import type { DiagnosedFigure, VerdictKind } from './diagnosis.ts';
import { pprofDiffCommand } from './pprof-command.ts';
import { kindTitle } from './verdict-kinds.ts';

/**
 * What the pack knows about each runtime, in one table: which sampled figures are its live
 * heap, what it got from the OS (so that memory outside it can be derived), what counts its
 * tasks, the names of its verdicts, and its own words for sentences. The decision
 * (verdict-decide.ts) works on the roles; the words (verdict-words.ts) come from here. A new
 * runtime is one more entry.
 */

/** What kind of growth, whatever the runtime: the decision's answer. */
export type VerdictClass =
  | 'stable'
  | 'heap-growth'
  | 'outside-growth'
  | 'task-growth'
  | 'rss-growth'
  | 'plateau'
  | 'high-water-held'
  | 'not-enough-data';

export interface RuntimeProfile {
  runtime: RuntimeName | 'unknown';
  /** "Go", "Node.js"; "the target" when the runtime is unknown. */
  name: string;
  /** "the Go runtime", "V8 and Node.js". */
  runtimeWords: string;
  /** Live managed-heap figures, main first (Node: V8 heap, then external memory). */
  heap: readonly SampleFigure[];
  /** "the Go heap", "the V8 heap"; undefined where no client exposes one. */
  heapWords?: string;
  /**
   * Figures of `heap` that the runtime accounts for outside its managed heap (the JVM's direct
   * buffers): their growth is called growth outside the runtime, naming the figure.
   */
  offHeap?: readonly SampleFigure[];
  /** Memory outside the runtime, derived from RSS less what the runtime holds from the OS. */
  outside?: OutsideDef;
  /**
   * What the heap holds after a collection (Go: liveHeap, from the GC's goal). The shape of
   * growth under load is judged on it where sampled: heap in use saws up to each goal.
   */
  live?: SampleFigure;
  /** The sampled figure of what the runtime took from the OS (Go sys, V8 heap total). */
  heldFigure?: SampleFigure;
  /**
   * A heap that can only fall at a full collection, and the count of those: growth of it in a
   * window without one is garbage not yet collected, not evidence.
   */
  cycles?: {
    heap: SampleFigure;
    count: SampleFigure;
    /**
     * What the heap holds after the load counts as live only after a collection since the load
     * ended: a JVM at rest may run none, and its used heap then still counts the load's garbage.
     */
    heldNeedsCollection?: boolean;
  };
  /** The figures that move with the runtime's view in a window where RSS grew. */
  side: readonly DiagnosedFigure[];
  /** Goroutines for Go; OS threads where the runtime has nothing finer. */
  tasks?: { key: SampleFigure; words: string };
  kinds: Record<'heap-growth' | 'outside-growth' | 'task-growth', VerdictKind>;
  /** smaps: Go's address layout (arenas, race shadow), or only anonymous vs file-backed. */
  smapsLayout: 'go' | 'other';
  /** The metrics to expose for a finer verdict. */
  metricsHint: string;
  /** How to see which objects the heap keeps, with the runtime's own tool; `base` is the target's origin. */
  heapTool: (base: string) => string;
  /** How to see what the growing tasks (goroutines, threads) do, with the runtime's own tool. */
  taskTool: (base: string) => string;
  /** What a high-water mark means for this runtime. */
  keepsFreed: string;
  releaseHint?: string;
}

export interface OutsideDef {
  key: 'outsideGo' | 'outsideRuntime';
  label: string;
  derivation: string;
  /** What the runtime holds from the OS, in bytes, or undefined when not sampled. */
  held: (s: Sample) => number | undefined;
  /**
   * The runtime gives memory back by uncommitting what may never have been resident (a JVM
   * shrinking its heap after a collection at rest): what it held is then its high-water mark
   * since the process started, so a shrink it gave back without RSS falling is not read as
   * memory moving outside it.
   */
  heldHighWater?: boolean;
}

const NEUTRAL_KINDS = {
  'heap-growth': 'heap-growth',
  'outside-growth': 'growth-outside-runtime',
  'task-growth': 'thread-growth',
} as const;

const THREADS = { key: 'threads', words: 'threads' } as const;

/** A runtime the pack has no profile for, or none it could identify: the OS figures only. */
const NO_PROFILE: Omit<RuntimeProfile, 'runtime'> = {
  name: 'the target',
  runtimeWords: 'its runtime',
  heap: [],
  side: [],
  tasks: THREADS,
  kinds: NEUTRAL_KINDS,
  smapsLayout: 'other',
  metricsHint: 'runtime metrics of a known client (Go, Node.js, JVM)',
  heapTool: () => "Use the runtime's heap profiler to compare two snapshots taken some time apart.",
  taskTool: () =>
    'See what the threads do: count them by name some time apart (cat /proc/PID/task/*/comm | sort | uniq -c) and dump their stacks (gdb -p PID -batch -ex "thread apply all bt") to find the ones that never end.',
  keepsFreed: 'Allocators keep freed memory for reuse and return it to the OS lazily.',
};

/**
 * The runtimes' managed heaps (Go, V8, Java), each collected in cycles: they rise between
 * collections and drop at each, so a short window of one at rest says nothing.
 */
export const MANAGED_HEAPS: readonly SampleFigure[] = ['heapInuse', 'v8HeapUsed', 'jvmHeapUsed'];

export const PROFILES: Record<RuntimeName | 'unknown', RuntimeProfile> = {
  go: {
    runtime: 'go',
    name: 'Go',
    runtimeWords: 'the Go runtime',
    heap: ['heapInuse'],
    heapWords: 'the Go heap',
    live: 'liveHeap',
    outside: {
      key: 'outsideGo',
      label: 'RSS outside the Go runtime',
      held: (s) => (s.goSys === undefined ? undefined : s.goSys - (s.heapReleased ?? 0)),
      derivation:
        'max(0, RssAnon (or RSS when RssAnon is not sampled) − (go_memstats_sys_bytes − go_memstats_heap_released_bytes)): resident memory beyond everything the Go runtime got from the OS, a lower bound of memory outside the Go runtime',
    },
    heldFigure: 'goSys',
    side: ['heapInuse', 'stackInuse', 'goSys', 'outsideGo'],
    tasks: { key: 'goroutines', words: 'goroutines' },
    kinds: {
      'heap-growth': 'go-heap-growth',
      'outside-growth': 'growth-outside-go-runtime',
      'task-growth': 'goroutine-growth',
    },
    smapsLayout: 'go',
    metricsHint: 'Go runtime metrics (a Prometheus /metrics with go_memstats_*, from prometheus/client_golang)',
    heapTool: (base) =>
      `Take two heap profiles some time apart and diff them: curl -so start.pb.gz '${base}/debug/pprof/heap?gc=1', later the same into end.pb.gz, then ${pprofDiffCommand('start.pb.gz', 'end.pb.gz')}`,
    taskTool: (base) =>
      `See where they wait: curl -s '${base}/debug/pprof/goroutine?debug=1' groups live goroutines by stack; the largest group is the leak (typically blocked on a channel, a lock or a connection without a deadline).`,
    keepsFreed:
      'The Go runtime keeps freed heap for reuse and returns it to the OS gradually (go_memstats_heap_released_bytes shows how much it has).',
    releaseHint:
      'If the held memory matters (a tight pod limit), set GOMEMLIMIT so the runtime returns memory sooner under pressure, or call debug.FreeOSMemory() after a known peak.',
  },
  node: {
    runtime: 'node',
    name: 'Node.js',
    runtimeWords: 'V8 and Node.js',
    heap: ['v8HeapUsed', 'nodeExternal'],
    heapWords: 'the V8 heap',
    outside: {
      key: 'outsideRuntime',
      label: 'RSS outside the V8 heap and Buffers',
      held: (s) => (s.v8HeapTotal === undefined ? undefined : s.v8HeapTotal + (s.nodeExternal ?? 0)),
      derivation:
        'max(0, RssAnon (or RSS) − (nodejs_heap_size_total_bytes + nodejs_external_memory_bytes)): resident memory beyond the V8 heap and the external memory (Buffers) V8 knows of; native addons and allocator overhead',
    },
    heldFigure: 'v8HeapTotal',
    cycles: { heap: 'v8HeapUsed', count: 'v8MajorGcs' },
    side: ['v8HeapUsed', 'v8HeapTotal', 'nodeExternal', 'outsideRuntime'],
    kinds: NEUTRAL_KINDS,
    smapsLayout: 'other',
    metricsHint:
      "Node.js metrics (prom-client's collectDefaultMetrics(): nodejs_heap_size_used_bytes, nodejs_external_memory_bytes)",
    heapTool: () =>
      'Take two heap snapshots some time apart through the inspector (start node with --inspect, open chrome://inspect, Memory, Heap snapshot; or node --heapsnapshot-signal=SIGUSR2, then kill -USR2 PID twice) and compare them in Chrome DevTools (Comparison view): the constructor whose count grows is what is kept.',
    taskTool: () =>
      "See which threads grow: count them by name some time apart (cat /proc/PID/task/*/comm | sort | uniq -c). Node.js runs JavaScript on one thread; a growing count is Worker threads never terminated (worker.terminate()) or a native addon's threads.",
    keepsFreed: 'V8 keeps the heap it grew to for reuse and shrinks it only after later collections.',
    releaseHint: 'If the held memory matters, cap the heap with --max-old-space-size so V8 collects sooner.',
  },
  python: {
    runtime: 'python',
    name: 'Python',
    runtimeWords: 'the Python interpreter',
    // tracemalloc's traced bytes, from the pack's startup hook (src/sample/runtime/python/).
    heap: ['pyTracedBytes'],
    heapWords: 'the Python heap',
    side: ['pyTracedBytes'],
    tasks: THREADS,
    kinds: NEUTRAL_KINDS,
    smapsLayout: 'other',
    metricsHint:
      'a heap figure, which prometheus_client does not expose (its process and gc collectors give RSS and collection counts only); tracemalloc can',
    taskTool: () =>
      "Dump every thread's stack some time apart (py-spy dump --pid PID) and compare them: the threads whose number grows, grouped by stack, are the ones that never end (threading.enumerate() lists them by name from inside).",
    heapTool: () =>
      'Compare two tracemalloc snapshots (tracemalloc.start(); ...; snapshot2.compare_to(snapshot1, "lineno")): the lines whose size grows are what is kept.',
    keepsFreed:
      "CPython's allocator keeps freed arenas while any object in them lives, and glibc malloc keeps freed memory for reuse.",
  },
  jvm: {
    runtime: 'jvm',
    name: 'JVM',
    runtimeWords: 'the JVM',
    heap: ['jvmHeapUsed', 'jvmDirect'],
    heapWords: 'the Java heap',
    offHeap: ['jvmDirect'],
    outside: {
      key: 'outsideRuntime',
      label: 'RSS outside the Java heap, non-heap and direct buffers',
      held: (s) =>
        s.jvmHeapCommitted === undefined
          ? undefined
          : s.jvmHeapCommitted + (s.jvmNonHeapCommitted ?? 0) + (s.jvmDirect ?? 0),
      // Measured: a bounded cache's JVM shrank its committed heap 388 -> 220 -> 96 MiB over three
      // rests while RSS rose 1.8 MiB a burst; RSS less the committed heap then "grew" 1.2 MiB per
      // 1,000 requests outside the JVM, and the cache was called growth-outside-runtime.
      heldHighWater: true,
      derivation:
        'max(0, RssAnon (or RSS) − (heap committed + non-heap committed + direct buffers used), the most the process has committed so far, from jvm_memory_*{area} (or hsperfdata) and the direct buffer pool): resident memory beyond what the JVM accounts for, a lower bound of native memory (JNI libraries, malloc arenas, thread stacks); the JVM commits its initial heap untouched and may uncommit heap that was never resident, so this stays at zero until native memory outgrows the most it committed',
    },
    heldFigure: 'jvmHeapCommitted',
    // Measured: a server that keeps nothing ended a 20,000-request burst with 136 MiB of
    // garbage in a full young generation, still counted as used 3 s later (no collection ran).
    cycles: { heap: 'jvmHeapUsed', count: 'jvmGcs', heldNeedsCollection: true },
    side: ['jvmHeapUsed', 'jvmHeapCommitted', 'jvmDirect', 'outsideRuntime'],
    tasks: THREADS,
    kinds: NEUTRAL_KINDS,
    smapsLayout: 'other',
    metricsHint:
      'JVM metrics (simpleclient_hotspot\'s DefaultExports: jvm_memory_bytes_used{area="heap"}, jvm_buffer_pool_used_bytes{pool="direct"}; or Micrometer\'s JvmMemoryMetrics)',
    taskTool: () =>
      'Take two thread dumps some time apart (jcmd PID Thread.print) and compare them: the threads whose number grows, grouped by name and stack, are the ones that never end (often a thread or executor started per request and never shut down).',
    heapTool: () =>
      'Take two heap histograms some time apart (jcmd PID GC.class_histogram) and compare them: the class whose instances grow is what is kept.',
    keepsFreed: 'The JVM keeps the heap it committed until a collection shrinks it (-XX:MaxHeapFreeRatio).',
    releaseHint:
      'If the held memory matters, cap the heap with -Xmx (and -XX:MaxDirectMemorySize for direct buffers) so the JVM collects sooner.',
  },
  other: { ...NO_PROFILE, runtime: 'other' },
  unknown: { ...NO_PROFILE, runtime: 'unknown' },
};

/**
 * The runtime of a run: what the target identification read, else what its metrics show
 * (runs from before identification), else unknown. The bundled target is Go.
 */
export function profileOf(data: RunData): { profile: RuntimeProfile; from: string } {
  const t = data.run.target;
  if (t.identity) return { profile: PROFILES[t.identity.runtime], from: t.identity.runtimeEvidence };
  if (t.kind === 'bundled') return { profile: PROFILES.go, from: 'the bundled Go server' };
  const has = (key: SampleFigure): boolean => data.samples.some((s) => s[key] !== undefined);
  if (has('heapInuse') || has('goSys') || has('goroutines'))
    return { profile: PROFILES.go, from: 'go_memstats_* in its /metrics' };
  if (has('v8HeapUsed') || has('v8HeapTotal')) return { profile: PROFILES.node, from: 'nodejs_* in its /metrics' };
  if (has('jvmHeapUsed')) return { profile: PROFILES.jvm, from: 'jvm_memory_* in its /metrics' };
  return { profile: PROFILES.unknown, from: 'no process was identified and no runtime metrics were sampled' };
}

/** True when a sample carries any of the profile's runtime figures. */
export function hasRuntimeMetrics(profile: RuntimeProfile, samples: readonly Sample[]): boolean {
  const keys: SampleFigure[] = [...profile.heap];
  if (profile.live) keys.push(profile.live);
  if (profile.runtime === 'go') keys.push('goSys');
  return samples.some((s) => keys.some((k) => s[k] !== undefined));
}

/**
 * For the decision (issue 21 item 3): an RSS plateau on a runtime whose heap is collected, with
 * no heap figure sampled, must not be called a plateau: a leak filling heap the runtime already
 * committed looks the same. The verdict is then `cannot-tell`, in `cannotTellWords`.
 */
export function plateauCannotTell(profile: RuntimeProfile, samples: readonly Sample[]): boolean {
  return profile.heap.some((k) => MANAGED_HEAPS.includes(k)) && !hasRuntimeMetrics(profile, samples);
}

/** The `cannot-tell` verdict's words: why the plateau cannot be told from a leak, and what would tell. */
export function cannotTellWords(profile: RuntimeProfile, base: string): { summary: string; suggestions: string[] } {
  return {
    summary: `RSS rose under load and levelled off, but no heap figure of ${profile.runtimeWords} was sampled. ${profile.name} collects its heap, so a leak that fills heap it has already committed looks the same as a cache filling up: the pack cannot tell which.`,
    suggestions: [
      `Sample the heap and run again: ${profile.metricsHint}. A live heap flat after the load is a plateau; a rising one is ${kindTitle(profile.kinds['heap-growth'], profile.runtime)}.`,
      profile.heapTool(base),
    ],
  };
}
