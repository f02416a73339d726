import type { RuntimeName } from '../rundir/schema.ts';

/**
 * Every verdict kind, declared once: its class, its title (and a runtime's own title where it
 * has one), and what it means and what to do, in the words docs/verdicts.md shows. How each
 * output draws a kind (HTML tone, JUnit outcome, step summary mark, compare.md's words, the
 * `--fail-on growth` gate) follows from its class, in KIND_CLASSES below. A new kind is one
 * entry here plus the decision that returns it (src/analyse/verdict-decide.ts).
 */

/** What a verdict says about memory, whatever the runtime. */
export type KindClass = 'growth' | 'bounded' | 'stable' | 'cannot-tell';

export interface KindClassDef {
  /** In words, for docs/verdicts.md and compare.md: "growth", "bounded, not a leak". */
  words: string;
  /** `--fail-on growth` exits 4 (and the Action's gate fails the step). */
  failsGrowthGate: boolean;
  /** index.html's verdict section: the CSS class of its border (html.ts styles each). */
  htmlTone: 'verdict-growth' | 'verdict-bounded' | 'verdict-ok' | 'verdict-unknown';
  /** junit.xml's verdict case. */
  junit: 'failure' | 'skipped' | 'passed';
  /** The mark before the verdict in the GitHub step summary. */
  stepMark: string;
}

export const KIND_CLASSES: Record<KindClass, KindClassDef> = {
  growth: { words: 'growth', failsGrowthGate: true, htmlTone: 'verdict-growth', junit: 'failure', stepMark: '❌' },
  bounded: {
    words: 'bounded, not a leak',
    failsGrowthGate: false,
    htmlTone: 'verdict-bounded',
    junit: 'passed',
    stepMark: '☑️',
  },
  stable: { words: 'stable', failsGrowthGate: false, htmlTone: 'verdict-ok', junit: 'passed', stepMark: '✅' },
  // Not a pass: the run could not tell, and a CI page should say so rather than show it green.
  'cannot-tell': {
    words: 'cannot tell',
    failsGrowthGate: false,
    htmlTone: 'verdict-unknown',
    junit: 'skipped',
    stepMark: '⚠️',
  },
};

export interface VerdictKindDef {
  class: KindClass;
  /** The report's heading: "growth outside the Go runtime". */
  title: string;
  /** A runtime's own words for the title, where they differ. */
  runtimeTitles?: Partial<Record<RuntimeName, string>>;
  /** For docs/verdicts.md: what the verdict means, one or two sentences. */
  meaning: string;
  /** For docs/verdicts.md: what to do next (the report's next steps name the runtime's tools). */
  next: string;
}

const TABLE = {
  stable: {
    class: 'stable',
    title: 'stable',
    meaning: 'No memory figure grows beyond noise, and nothing high is held at the end.',
    next: 'Nothing. A longer soak, or the load your service really sees, makes the answer stronger.',
  },
  'growth-outside-go-runtime': {
    class: 'growth',
    title: 'growth outside the Go runtime',
    meaning:
      "RSS grows while the Go heap, stacks and Go sys stay flat: memory the Go runtime does not account for (a -race build's records, golang/go#63276; cgo or C allocations; memory mapped by native code).",
    next: 'Check the build for -race (go version -m BINARY), then native libraries for unfreed malloc (heaptrack); the smaps table names the mappings that grew.',
  },
  'go-heap-growth': {
    class: 'growth',
    title: 'Go heap growth',
    meaning: 'RSS grows and the Go heap in use carries it: the program keeps references to objects it no longer needs.',
    next: 'Diff two heap profiles taken some time apart (go tool pprof -diff_base); the report prints the command.',
  },
  'goroutine-growth': {
    class: 'growth',
    title: 'goroutine growth',
    meaning:
      'The goroutine count keeps growing: goroutines that never exit, each holding a stack and what it references.',
    next: 'See where they wait: /debug/pprof/goroutine?debug=1 groups live goroutines by stack; the largest group is the leak.',
  },
  'heap-growth': {
    class: 'growth',
    title: 'heap growth',
    runtimeTitles: { node: 'V8 heap or Buffer growth', jvm: 'Java heap growth' },
    meaning: "RSS grows and the runtime's managed heap carries it (V8 heap or Buffers, the Java heap).",
    next: "Compare two heap snapshots taken some time apart with the runtime's own tool (Chrome DevTools through the inspector for Node.js, jcmd GC.class_histogram for a JVM, tracemalloc for Python).",
  },
  'growth-outside-runtime': {
    class: 'growth',
    title: 'growth outside the runtime',
    runtimeTitles: { node: 'growth outside the V8 heap and Buffers', jvm: 'growth outside the Java heap' },
    meaning:
      'RSS grows beyond what the runtime reports holding: native code, addons, JNI libraries, malloc, or direct buffers.',
    next: 'For a JVM, Native Memory Tracking (jcmd PID VM.native_memory); otherwise heaptrack or valgrind --tool=massif on the native libraries.',
  },
  'thread-growth': {
    class: 'growth',
    title: 'thread growth',
    runtimeTitles: { python: 'Python thread growth', jvm: 'JVM thread growth' },
    meaning: 'The OS thread count keeps growing: threads that never end, each holding a stack.',
    next: "Take a thread dump with the runtime's tool (jcmd PID Thread.print for a JVM, py-spy dump for Python) and find the threads that never end.",
  },
  plateau: {
    class: 'bounded',
    title: 'plateau (bounded, not a leak)',
    meaning:
      'Memory grew under load, stopped growing while the load went on, and stays flat at rest: a cache or pool filling to its size.',
    next: 'If the held memory matters, budget it in CI with --fail-on held>SIZE; bound the cache by bytes if it should be smaller.',
  },
  'rss-growth': {
    class: 'growth',
    title: 'RSS growth (cause not measured)',
    meaning: 'RSS grows, but without runtime metrics or smaps snapshots the pack cannot say where.',
    next: "Expose the runtime's metrics (--metrics-url) or let the pack take smaps snapshots (--pid), and run again.",
  },
  'high-water-held': {
    class: 'bounded',
    title: 'high-water mark held (not a leak)',
    meaning:
      'RSS rose under load and stays up without growing at rest: the runtime or allocator keeps freed memory for reuse.',
    next: "If the held memory matters, cap the runtime's heap (GOMEMLIMIT, --max-old-space-size, -Xmx); --fail-on held>SIZE budgets it.",
  },
  'not-enough-data': {
    class: 'cannot-tell',
    title: 'not enough data',
    meaning: 'Too few samples, or windows too short, to tell a trend from noise.',
    next: 'Sample for longer: every phase needs enough samples at rest and enough requests under load; the report says how many.',
  },
  'cannot-tell': {
    class: 'cannot-tell',
    title: 'cannot tell (no heap figure)',
    meaning:
      'RSS rose under load and levelled off on a runtime whose heap is collected (Go, V8, Java), but no heap figure was sampled: a leak that fills heap the runtime has already committed looks the same as a cache filling up.',
    next: "Give the pack the runtime's heap figure (its metrics on --metrics-url) and run again: a flat live heap after the load is a plateau, a rising one is heap growth.",
  },
} as const satisfies Record<string, VerdictKindDef>;

export type VerdictKind = keyof typeof TABLE;

export const VERDICT_KINDS: Readonly<Record<VerdictKind, VerdictKindDef>> = TABLE;

/** Every kind, in the table's order. */
export const ALL_VERDICT_KINDS = Object.keys(TABLE) as VerdictKind[];

export function isVerdictKind(kind: string): kind is VerdictKind {
  return Object.hasOwn(TABLE, kind);
}

/** The class of a kind; undefined for a string that is no kind (`none`, `n/a`, a newer pack's kind). */
export function classOf(kind: string): KindClassDef | undefined {
  return isVerdictKind(kind) ? KIND_CLASSES[TABLE[kind].class] : undefined;
}

/** The report's heading for a kind, in the runtime's words where it has its own. */
export function kindTitle(kind: VerdictKind, runtime: RuntimeName | 'unknown' | undefined): string {
  const def: VerdictKindDef = TABLE[kind];
  return (runtime !== undefined && runtime !== 'unknown' && def.runtimeTitles?.[runtime]) || def.title;
}
