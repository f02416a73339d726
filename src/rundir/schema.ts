/**
 * The run directory's file formats. Every file carries a schema id with a version; readers
 * check it, so a report from an older or newer pack fails with a clear message instead of
 * drawing nonsense. NDJSON files start with a header line `{"schema": ...}`.
 *
 * Memory figures are bytes, times are seconds since the run started (`t`), unless named
 * otherwise. A figure that a source could not give is absent, never 0.
 */

export const SCHEMA = {
  run: 'leakbench.run/1',
  // 2: Go's live heap and heap goal (liveHeap, goHeapGoal, ...); a /1 file reads as a /2
  // file without them (READABLE below).
  samples: 'leakbench.samples/3',
  load: 'leakbench.load/1',
  probes: 'leakbench.probes/1',
  events: 'leakbench.events/1',
  /** Marks of a watched run's load, written from another shell (`leakbench mark`). */
  marks: 'leakbench.marks/1',
  /** Allocation sites of live memory, one record per profile taken at a rest's end (SitesRecord). */
  sites: 'leakbench.sites/1',
} as const;
/**
 * A schema id: `leakbench.<kind>/<version>`. The collection files' ids are in SCHEMA; the
 * analysis and the report name their own (src/analyse/summary-file.ts, src/report/compare.ts).
 */
export type SchemaId = `leakbench.${string}/${number}`;

/** Older versions a reader of the current one still reads: their records are a subset of it. */
export const READABLE: Partial<Record<SchemaId, readonly SchemaId[]>> = {
  [SCHEMA.samples]: ['leakbench.samples/1', 'leakbench.samples/2'],
  // summary/2 added diagnosis.retained, /3 allocationSites; an older summary reads as a /3 without them.
  'leakbench.summary/3': ['leakbench.summary/1', 'leakbench.summary/2'],
  // compare/2 added the baseline gate, rounds and the answers' warnings.
  'leakbench.compare/2': ['leakbench.compare/1'],
};

export const FILES = {
  run: 'run.json',
  samples: 'samples.ndjson',
  load: 'load.ndjson',
  probes: 'probes.ndjson',
  events: 'events.ndjson',
  summary: 'summary.json',
  summaryMd: 'summary.md',
  html: 'index.html',
  memoryPng: 'memory.png',
  loadPng: 'load.png',
  /** One test case per load check and per verdict, for CI systems that show JUnit natively. */
  junit: 'junit.xml',
  /** Figures read back from a Prometheus server (--prometheus-url); samples.ndjson's format. */
  prometheus: 'prometheus.ndjson',
  /** The started target's stdout and stderr. */
  targetLog: 'target.log',
  /** The started target's stderr lines that a runtime source read (Go's gctrace), kept out of target.log. */
  runtimeLog: 'target-runtime.log',
  /** `leakbench mark` lines (MarkRecord): when a watched run's load started and ended. */
  marks: 'marks.ndjson',
  /** Allocation sites of live memory at each rest's end (SitesRecord); the raw profiles are in sites/. */
  sites: 'sites.ndjson',
} as const;

/** Header line of every NDJSON file. */
export interface NdjsonHeader {
  schema: SchemaId;
  /** Wall-clock time (epoch ms) of t = 0. */
  startedAtMs: number;
}

/** One memory sample. Every figure is optional: a failed source leaves its fields out. */
export interface Sample {
  /** Seconds since run start, when the sample was taken. */
  t: number;
  // /proc/PID/status
  vmRss?: number;
  rssAnon?: number;
  rssFile?: number;
  vmHwm?: number;
  threads?: number;
  // /proc/PID/smaps_rollup
  pss?: number;
  anonymous?: number;
  // cgroup of the target (v2 memory.current, v1 memory.usage_in_bytes)
  cgroupMemory?: number;
  // the target's Prometheus /metrics
  processRss?: number;
  heapInuse?: number;
  stackInuse?: number;
  goSys?: number;
  heapReleased?: number;
  goroutines?: number;
  // Node.js, prom-client's default metrics (added with runtime profiles; absent in older runs)
  v8HeapUsed?: number;
  v8HeapTotal?: number;
  nodeExternal?: number;
  nodeHandles?: number;
  /** Major (mark-compact) collections so far: V8 heap used only falls at one of these. */
  v8MajorGcs?: number;
  // Go's live heap (samples/2; absent in older runs). The GC sets its heap goal from the heap
  // it marked live, so the goal steps with live data and ignores the garbage between cycles.
  /** go_memstats_next_gc_bytes (or go_gc_heap_goal_bytes): the heap size that triggers the next GC. */
  goHeapGoal?: number;
  /** go_gc_gogc_percent, where the client exposes it (client_golang 1.16 and later). */
  goGcPercent?: number;
  /** go_gc_heap_live_bytes (runtime/metrics /gc/heap/live:bytes), where exposed and after a first GC. */
  goHeapLive?: number;
  /** Heap marked live at the last GC: goHeapLive, else goHeapGoal ÷ (1 + GOGC/100). See liveHeapOf. */
  liveHeap?: number;
  // runtime/metrics' memory classes (go_memory_classes_*), where a newer client exposes them.
  goHeapObjects?: number;
  goHeapUnused?: number;
  goHeapFree?: number;
  goOsStacks?: number;
  goOtherRuntime?: number;
  // JVM (simpleclient_hotspot, Micrometer; summed over memory pools where a client splits them)
  jvmHeapUsed?: number;
  jvmHeapCommitted?: number;
  jvmNonHeapUsed?: number;
  jvmNonHeapCommitted?: number;
  /** Direct ByteBuffers (ByteBuffer.allocateDirect): off-heap memory the JVM accounts for. */
  jvmDirect?: number;
  jvmThreads?: number;
  /** Collections so far, of every collector: Java heap used falls only at one of these. */
  jvmGcs?: number;
  // samples/3: the runtime's own account, read with no change to the target's code
  // (src/sample/runtime/). Kept apart from the /metrics figures above, so that both can be
  // compared; src/analyse decides which one a role (live heap, heap in use) is read from.
  /** Go GODEBUG=gctrace=1: heap marked live at the last collection. */
  gcTraceLive?: number;
  /** Go gctrace: the heap goal set by the last collection. */
  gcTraceGoal?: number;
  /** Go gctrace: collections so far (its gc # field). */
  gcTraceCycles?: number;
  /** Go /debug/pprof/heap: in-use bytes and objects of the last profile (as of the last GC). */
  pprofInuseBytes?: number;
  pprofInuseObjects?: number;
  /** Node.js inspector: process.memoryUsage() and v8.getHeapStatistics(). */
  inspHeapUsed?: number;
  inspHeapTotal?: number;
  inspExternal?: number;
  inspArrayBuffers?: number;
  /** HotSpot hsperfdata (jstat's counters): every generation's spaces summed. */
  hsHeapUsed?: number;
  hsHeapCommitted?: number;
  /** The old generation alone: what survives young collections. */
  hsOldUsed?: number;
  hsMetaspaceUsed?: number;
  /** Young and full collections so far. */
  hsGcs?: number;
  hsFullGcs?: number;
  hsThreads?: number;
  /** Python startup hook: tracemalloc's traced bytes, sys.getallocatedblocks(), gc collections. */
  pyTracedBytes?: number;
  pyAllocatedBlocks?: number;
  pyGcCollections?: number;
  // samples/3: how busy the target is, read from the target itself (src/sample/activity.ts), so
  // a watched run's phases can be found without the pack driving the load
  // (src/analyse/phase-detect.ts).
  /** /proc/PID/stat utime + stime: CPU seconds the process has used so far. */
  cpuSeconds?: number;
  /** TCP connections of the process in state ESTABLISHED (/proc/PID/fd ∩ /proc/PID/net/tcp{,6}). */
  connEstablished?: number;
  /** TCP sockets of the process not seen at the previous sample: connections opened since (absent on the first). */
  connOpened?: number;
  /** Requests answered so far, from a request counter in the target's /metrics (which one: an info event). */
  requestsServed?: number;
  /**
   * Set on a sample taken right after the pack asked the runtime for a full collection (only
   * at rest, never during a burst): its heap figures are live memory, not live plus garbage.
   */
  collectedBy?: RuntimeOrigin;
}

/** Where a runtime's own figures come from (src/sample/runtime/). */
export const RUNTIME_ORIGINS = ['gctrace', 'pprof', 'inspector', 'hsperfdata', 'python-hook'] as const;
export type RuntimeOrigin = (typeof RUNTIME_ORIGINS)[number];

/**
 * GOGC that liveHeap was derived with when the target's client does not expose
 * go_gc_gogc_percent: Go's default. Readers of liveHeap need it to size the heap live data needs.
 */
export const DEFAULT_GOGC = 100;

/** Keys of Sample that carry a figure (everything but `t`). */
export type SampleFigure = Exclude<keyof Sample, 't' | 'collectedBy'>;

export interface FigureInfo {
  key: SampleFigure;
  label: string;
  source: 'proc-status' | 'smaps-rollup' | 'cgroup' | 'metrics' | 'runtime';
  unit: 'bytes' | 'count';
}

/** Display order and labels; the report and summary walk this list. */
export const FIGURES: readonly FigureInfo[] = [
  { key: 'vmRss', label: 'RSS (VmRSS)', source: 'proc-status', unit: 'bytes' },
  { key: 'pss', label: 'PSS', source: 'smaps-rollup', unit: 'bytes' },
  { key: 'rssAnon', label: 'RSS anonymous', source: 'proc-status', unit: 'bytes' },
  { key: 'rssFile', label: 'RSS file-backed', source: 'proc-status', unit: 'bytes' },
  { key: 'anonymous', label: 'Anonymous (smaps)', source: 'smaps-rollup', unit: 'bytes' },
  { key: 'vmHwm', label: 'RSS high-water mark (VmHWM)', source: 'proc-status', unit: 'bytes' },
  { key: 'cgroupMemory', label: 'cgroup memory', source: 'cgroup', unit: 'bytes' },
  { key: 'processRss', label: 'process_resident_memory_bytes', source: 'metrics', unit: 'bytes' },
  { key: 'heapInuse', label: 'Go heap in use', source: 'metrics', unit: 'bytes' },
  { key: 'liveHeap', label: 'Go live heap (after GC)', source: 'metrics', unit: 'bytes' },
  { key: 'stackInuse', label: 'Go stack in use', source: 'metrics', unit: 'bytes' },
  { key: 'goSys', label: 'Go sys', source: 'metrics', unit: 'bytes' },
  { key: 'heapReleased', label: 'Go heap released', source: 'metrics', unit: 'bytes' },
  { key: 'goroutines', label: 'goroutines', source: 'metrics', unit: 'count' },
  { key: 'v8HeapUsed', label: 'V8 heap used', source: 'metrics', unit: 'bytes' },
  { key: 'v8HeapTotal', label: 'V8 heap total', source: 'metrics', unit: 'bytes' },
  { key: 'nodeExternal', label: 'Node external memory (Buffers)', source: 'metrics', unit: 'bytes' },
  { key: 'nodeHandles', label: 'Node active handles', source: 'metrics', unit: 'count' },
  { key: 'v8MajorGcs', label: 'V8 major GCs', source: 'metrics', unit: 'count' },
  { key: 'jvmHeapUsed', label: 'Java heap used', source: 'metrics', unit: 'bytes' },
  { key: 'jvmHeapCommitted', label: 'Java heap committed', source: 'metrics', unit: 'bytes' },
  { key: 'jvmNonHeapUsed', label: 'JVM non-heap used', source: 'metrics', unit: 'bytes' },
  { key: 'jvmNonHeapCommitted', label: 'JVM non-heap committed', source: 'metrics', unit: 'bytes' },
  { key: 'jvmDirect', label: 'direct buffers', source: 'metrics', unit: 'bytes' },
  { key: 'jvmThreads', label: 'Java threads', source: 'metrics', unit: 'count' },
  { key: 'jvmGcs', label: 'JVM collections', source: 'metrics', unit: 'count' },
  { key: 'threads', label: 'threads', source: 'proc-status', unit: 'count' },
  // samples/3: the runtime's own account (src/sample/runtime/), beside the /metrics figures above
  { key: 'gcTraceLive', label: 'Go live heap (gctrace)', source: 'runtime', unit: 'bytes' },
  { key: 'pprofInuseBytes', label: 'Go heap in use at the last GC (pprof)', source: 'runtime', unit: 'bytes' },
  { key: 'inspHeapUsed', label: 'V8 heap used (inspector)', source: 'runtime', unit: 'bytes' },
  { key: 'inspHeapTotal', label: 'V8 heap total (inspector)', source: 'runtime', unit: 'bytes' },
  { key: 'inspExternal', label: 'Node external memory (inspector)', source: 'runtime', unit: 'bytes' },
  { key: 'hsHeapUsed', label: 'Java heap used (hsperfdata)', source: 'runtime', unit: 'bytes' },
  { key: 'hsHeapCommitted', label: 'Java heap committed (hsperfdata)', source: 'runtime', unit: 'bytes' },
  { key: 'hsOldUsed', label: 'Java old generation used (hsperfdata)', source: 'runtime', unit: 'bytes' },
  { key: 'hsMetaspaceUsed', label: 'Java metaspace used (hsperfdata)', source: 'runtime', unit: 'bytes' },
  { key: 'hsGcs', label: 'JVM collections (hsperfdata)', source: 'runtime', unit: 'count' },
  { key: 'hsThreads', label: 'Java threads (hsperfdata)', source: 'runtime', unit: 'count' },
  { key: 'pyTracedBytes', label: 'Python traced heap (tracemalloc)', source: 'runtime', unit: 'bytes' },
  { key: 'pyAllocatedBlocks', label: 'Python allocated blocks', source: 'runtime', unit: 'count' },
  { key: 'pyGcCollections', label: 'Python gc collections', source: 'runtime', unit: 'count' },
];

/**
 * Figures recorded and read back but not tabled or charted on their own: the inputs of Go's
 * live heap (liveHeap, in FIGURES, is what the report shows) and its memory classes, which
 * the verdict's evidence quotes, and the target's activity (CPU, connections, requests).
 */
export const RECORDED_ONLY: readonly SampleFigure[] = [
  'goHeapGoal',
  'goGcPercent',
  'goHeapLive',
  'goHeapObjects',
  'goHeapUnused',
  'goHeapFree',
  'goOsStacks',
  'goOtherRuntime',
  'gcTraceGoal',
  'gcTraceCycles',
  'pprofInuseObjects',
  'inspArrayBuffers',
  'hsFullGcs',
  // How busy the target was: what a watched run's phases are found from.
  'cpuSeconds',
  'connEstablished',
  'connOpened',
  'requestsServed',
];

/** One second of one load phase. Latencies in milliseconds, of responses completed in it. */
export interface LoadSecond {
  phase: string;
  /** Seconds since run start at the end of this one-second bucket. */
  t: number;
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  p50?: number;
  p99?: number;
  max?: number;
}

/** One `leakbench mark`: `t` on the run's clock, `atMs` the wall clock it was written at. */
export interface MarkRecord {
  t: number;
  name: 'burst-start' | 'burst-end' | 'rest';
  atMs: number;
}

/** One idle probe, as a kubelet would send it. */
export interface Probe {
  phase: string;
  seq: number;
  /** When the schedule said to send it (seconds since run start). */
  scheduledT: number;
  /** When it was actually sent. */
  sentT: number;
  status?: number;
  /** Bytes of the response's body (absent in runs before it was recorded). */
  bytes?: number;
  latencyMs?: number;
  error?: string;
}

export type EventType =
  | 'run-start'
  | 'run-end'
  | 'phase-start'
  | 'phase-end'
  | 'target-start'
  | 'target-ready'
  | 'target-exit'
  /** The pack stopped a target it started, at the end of the run (not a death). */
  | 'target-stop'
  | 'warning'
  | 'info';

export interface RunEvent {
  t: number;
  type: EventType;
  phase?: string;
  message?: string;
  /** Target exit details for `target-exit`. */
  code?: number | null;
  signal?: string | null;
  /** `target-exit`: the kernel's OOM killer ended it (its cgroup's oom_kill count went up). */
  oomKill?: boolean;
  /** `target-start` / `target-ready` / `target-exit`: the process concerned. */
  pid?: number;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface TargetInfo {
  kind: 'bundled' | 'command' | 'attach';
  /** Short name used in the run directory name: the variant, or a name for the target. */
  label: string;
  url: string;
  metricsUrl?: string;
  pid?: number;
  variant?: 'plain' | 'race';
  command?: string;
  binary?: string;
  buildFlags?: string[];
  /**
   * What the sampled process is, read from /proc before the load (absent in runs from before
   * it was recorded, and where no process could be read: attached by URL only, k6 imports).
   */
  identity?: TargetIdentity;
  /**
   * The runtime's own sources tried for this target (src/sample/runtime/): which opened, and
   * for each that did not, which figure is missing and why (absent in older runs).
   */
  runtimeSources?: RuntimeSourceRecord[];
  /**
   * A watched cgroup's processes (sample --cgroup), largest RSS first, identified at the start;
   * the one marked `watched` is sampled as with --pid (absent in other runs).
   */
  cgroupProcesses?: CgroupProcess[];
}

export interface CgroupProcess {
  pid: number;
  /** Its cgroup below the one named, when it is in a child (a pod's container). */
  cgroup?: string;
  rssBytes: number;
  executable?: string;
  runtime: RuntimeName;
  runtimeVersion?: string;
  /** A Go binary built with -race (its build info says so). */
  race?: boolean;
  /** The process the pack watched as with --pid. */
  watched?: boolean;
}

export interface RuntimeSourceRecord {
  origin: RuntimeOrigin;
  opened: boolean;
  /** Why it did not open, or what it could not give (e.g. no gctrace line all run). */
  note?: string;
}

export type RuntimeName = 'go' | 'node' | 'python' | 'jvm' | 'other';

export interface TargetIdentity {
  pid: number;
  /** /proc/PID/exe. */
  executable?: string;
  /** /proc/PID/cmdline, one entry per argument. */
  cmdline?: string[];
  runtime: RuntimeName;
  /** e.g. "go1.26.8"; for interpreters only when their name or library says it. */
  runtimeVersion?: string;
  /** How the runtime was told, e.g. "Go build info in the executable", "executable node". */
  runtimeEvidence: string;
  /** What `go version -m` prints, read from the running executable. */
  goBuild?: GoBuildInfo;
  /** What could not be read, in words. */
  unknown?: string;
}

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  /** The module that replaced it (`=>` line), when there is one. */
  replacedBy?: { path: string; version: string };
}

export interface GoBuildInfo {
  /** e.g. "go1.26.8". */
  goVersion: string;
  /** The main package's import path (`path` line). */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines in order: -race, CGO_ENABLED, -ldflags, GOARCH, vcs.revision, ... (in run.json, empty ones are left out) */
  settings: { key: string; value: string }[];
}

export interface RunFile {
  schema: typeof SCHEMA.run;
  scenario: string;
  status: RunStatus;
  startedAt: string;
  startedAtMs: number;
  endedAt?: string;
  /** Why the run ended other than by completing, in words. */
  endReason?: string;
  /**
   * The recording command's options. Partial for a run: a stored run.json may come from an
   * older pack or a hand-made test run, so readers check each field they use.
   */
  options: Partial<RecordedRunOptions> | RecordedSampleOptions | RecordedK6ImportOptions;
  target: TargetInfo;
  versions: { leakbench: string; node: string; autocannon: string; go?: string; os: string };
  /** Phases in order, with their parameters as run. */
  phases: PhaseRecord[];
  /** /proc/PID/smaps snapshots taken at the start, phase boundaries and the end (files in the run dir). */
  smapsSnapshots?: Artifact[];
  /** Heap profiles from the target's /debug/pprof/heap at the start and end (files in the run dir). */
  heapProfiles?: Artifact[];
  /**
   * Allocation-site profiles as the runtime gave them (pprof, tracemalloc, V8 sampling heap
   * profile, class histogram), one per source at each rest's end (absent in older runs).
   */
  allocationProfiles?: SitesArtifact[];
  /** A run imported from k6 outputs (`npm run report -- --k6`): what was read and from which runners. */
  k6?: K6ImportRecord;
}

/**
 * run.json's `options` (RunFile.options): the checked options of the command that recorded the run, as JSON
 * (URLs as strings). Which command it was shows in the fields (a k6 import has `k6`, a
 * `npm run sample` run has `untilSignal`); src/options/ turns each command's options into these.
 */
/** `npm run scenario*` and each run of `npm run scenario:compare`. */
export interface RecordedRunOptions {
  scenario: string;
  scenarioFile?: string;
  target:
    | { kind: 'bundled'; variant: 'plain' | 'race' }
    | { kind: 'command'; command: string; url: string; metricsUrl?: string }
    | { kind: 'attach'; url: string; pid?: number; metricsUrl?: string };
  path: string;
  sampleIntervalMs: number;
  durationMs: number;
  rate: number;
  probeTimeoutMs: number;
  requests: number;
  connections: number;
  requestTimeoutMs: number;
  engine: 'autocannon' | 'net';
  idleBeforeMs: number;
  idleAfterMs: number;
  /** soak: bursts, each followed by a rest; absent in runs before it (one). */
  bursts?: number;
  settleMs: number;
  readyTimeoutMs: number;
  stopGraceMs: number;
  outDir: string;
  name?: string;
  progress: 'auto' | 'on' | 'off';
  memoryLimitBytes?: number;
  restart: boolean;
  maxRestarts: number;
  /** Runs before --fail-on held>SIZE recorded the string 'growth'. */
  failOn?: { growth: boolean; heldBytes?: number } | 'growth';
  preset?: string;
  prometheus?: RecordedPrometheusOptions;
  /** What each request is (-X/-H/--body/--requests-file), literal secret header values [redacted]; absent: GET --path. */
  mix?: RecordedRequestMix;
  /** --secret-header names. */
  secretHeaders?: string[];
  /** The steady phase's rate (per second) and --stages. */
  steadyRate?: number;
  stages?: { durationMs: number; rate: number }[];
  /** --inspect-attach: SIGUSR1 opened an attached Node.js process's inspector. */
  inspectAttach?: boolean;
  /** --sites on|off (absent: the default, on). */
  sites?: 'on' | 'off';
}

/** A request mix as recorded (src/load/phases.ts RequestMix, which run.json's readers need not import). */
export interface RecordedRequestMix {
  order: 'weighted' | 'sequence';
  requests: {
    name: string;
    method: string;
    path: string;
    headers: [string, string][];
    body?: string;
    weight: number;
    expectStatus?: number[];
  }[];
}

/** `npm run sample`. */
export interface RecordedSampleOptions {
  pid?: number;
  metricsUrl?: string;
  /** The cgroup memory file sampled (--cgroup, resolved). */
  cgroup?: string;
  prometheus?: RecordedPrometheusOptions;
  durationMs?: number;
  untilSignal: boolean;
  sampleIntervalMs: number;
}

/** `npm run report -- --k6`. */
export interface RecordedK6ImportOptions {
  /** The --k6 arguments as given. */
  k6: string[];
  samples?: string;
  /** From the summaries' leakbench metadata, when one was given. */
  k6Scenario?: string;
  maxDurationMs?: number;
}

export interface RecordedPrometheusOptions {
  url: string;
  queries: Partial<Record<SampleFigure, string>>;
  stepMs: number;
  /** Figures read only if the server has them (absent in older runs). */
  optional?: SampleFigure[];
}

/** Where an imported k6 run came from, so its totals can be traced back to each runner's output. */
export interface K6ImportRecord {
  files: {
    path: string;
    format: 'json' | 'csv' | 'summary';
    points: number;
    summaries: number;
    skippedLines: number;
  }[];
  /** One per k6 instance (k6-operator's instance_id tag), or per file for a plain `k6 run`. */
  runners: { id: string; file: string; requests: number; firstT: number; lastT: number }[];
  /** Totals from the end-of-test summaries, added over runners (absent when none was given). */
  summary?: {
    files: number;
    httpReqs?: number;
    failed?: number;
    checks?: { passes: number; fails: number };
    thresholdsCrossed: string[];
  };
  /** The samples.ndjson joined by wall-clock time (a `npm run sample` run), if any. */
  samplesFrom?: string;
}

/** A file the run wrote beside its NDJSON, e.g. smaps/01-start.txt. */
export interface Artifact {
  /** e.g. "start", "after-burst", "end". */
  label: string;
  t: number;
  /** Relative to the run directory. */
  file: string;
}

/** Which profiler gave a SitesProfile. */
export type SitesOrigin = 'pprof-heap' | 'inspector-sampling' | 'class-histogram' | 'tracemalloc';

/** One allocation site's live memory in a profile taken at rest. */
export interface AllocationSite {
  /**
   * The site as its runtime's tools name it: Go, Node.js and Python "function (file:line)" of
   * the innermost frame the user's code would recognise; the JVM a class name.
   */
  site: string;
  kind: 'function' | 'class';
  /** Live bytes allocated there (scaled to an estimate of the whole heap where the profiler samples). */
  bytes: number;
  /** Live objects (instances for the JVM), where the profiler counts them. */
  objects?: number;
  /**
   * Sampling profilers: how many sampled allocations `bytes` is estimated from. A site of one or
   * two samples is within the sampling's noise (the pack's V8 sampling: one 2 KiB string in 64).
   */
  samples?: number;
  /** Call stack, innermost first, where the profiler records one (at most a few frames kept). */
  stack?: string[];
}

/** A raw allocation-site profile (run.json allocationProfiles); its parsed sites are in sites.ndjson. */
export interface SitesArtifact extends Artifact {
  /** The profiler, e.g. 'pprof-heap', 'tracemalloc'. */
  origin: SitesOrigin;
  /** The command (the file's path goes last) or the tool that opens it. */
  openWith: string;
}

/**
 * One allocation-site profile read at a rest's end, right after a full collection, or why the
 * source could not give one. `label` is the phase it ended.
 */
export type SitesRecord = SitesTaken | SitesMissing;

export interface SitesTaken {
  t: number;
  label: string;
  source: RuntimeOrigin;
  origin: SitesOrigin;
  method: string;
  /** Live memory by allocation site, largest first (at most a few hundred kept). */
  sites: AllocationSite[];
  totalBytes?: number;
  totalObjects?: number;
  /** The raw profile in the run directory (run.json allocationProfiles), when it could be written. */
  file?: string;
}

export interface SitesMissing {
  t: number;
  label: string;
  source: RuntimeOrigin;
  /** Why no profile: no pprof mounted, a profile that does not parse, a hook that does not answer. */
  unavailable: string;
}

/**
 * A registered phase kind (src/phases: idle, burst, steady, ...). A string here: run.json is
 * checked against the registry when read (read-run.ts), and the file format needs no change
 * when a kind is added.
 */
export type PhaseKind = string;

export interface PhaseRecord {
  name: string;
  kind: PhaseKind;
  params: Record<string, unknown>;
  startT?: number;
  endT?: number;
  /** The phase's load result, written when the phase ends (absent if it never ended). */
  result?: PhaseLoadSummary;
}

export interface LatencySummary {
  /** Milliseconds. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  min: number;
}

export interface PhaseLoadSummary {
  phase: string;
  kind: PhaseKind;
  requested: number;
  sent: number;
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** Completed responses per second over the phase. */
  rate: number;
  latency?: LatencySummary;
  /** Idle only: |sent - scheduled| in ms. */
  pacing?: { p50: number; p99: number; max: number };
  /** A mix of several requests: how many of each were answered, by request name. */
  responsesByRequest?: Record<string, number>;
  /** Requests that name their expected statuses: answers with a status not in the list. */
  unexpectedStatus?: number;
  /** Steady phases: how well the schedule was kept (see src/load/steady.ts). */
  steady?: SteadyResult;
  /** HDR histogram of latencies (µs), base64-compressed, so runs can be merged later. */
  histogram?: string;
}

export interface SteadyResult {
  /** Requests the schedule asked for. */
  scheduled: number;
  /** Sent more than `lateAfterMs` after their scheduled time (waiting for a free connection, or a busy event loop). */
  late: number;
  lateAfterMs: number;
  /** Scheduled but not sent: every connection was busy until the phase ended (the in-flight cap). */
  notSent: number;
  /** How long after its scheduled time each request was written, ms. */
  sendLateness: { p50: number; p99: number; max: number };
  /** Most requests in flight at once (at most the connection cap). */
  peakInFlight: number;
  /** TCP connections opened over the phase: few means the keep-alive connections were reused. */
  connectionsOpened: number;
}

/** A mark written by `leakbench mark` (src/rundir/marks.ts). */
export interface Mark {
  t: number;
  name: MarkName;
}
export const MARK_NAMES = ['burst-start', 'burst-end', 'rest'] as const;
export type MarkName = (typeof MARK_NAMES)[number];

/** A phase the user named (--phases): its kind and span; endT absent: until the run's end. */
export interface PhaseSpan {
  kind: 'idle' | 'burst';
  startT: number;
  endT?: number;
}
