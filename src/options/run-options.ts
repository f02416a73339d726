import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { DEFAULTS } from './defaults.ts';
import { parseFlags } from './parse-flags.ts';
import { BURST_ENGINES, type BurstEngineName } from '../load/burst-engines.ts';
import { PRESET_NAMES, PRESETS, type PresetName } from './presets.ts';
import type { RecordedRunOptions } from '../rundir/schema.ts';
import { parsePrometheusFlags, recordedPrometheusOptions, type PrometheusOptions } from './prometheus-options.ts';
import { connectionsExceedRequests, LIMITS } from './rules.ts';
import { sampleIntervalMs } from './sample-interval.ts';
import { LIVE_FLAGS, LIVE_HELP, normaliseLiveFlag, parseLiveOptions, type LiveOptions } from './live-options.ts';
import { redactForRecord } from './secrets.ts';
import { parseRequestFlags, REQUEST_FLAGS, REQUEST_HELP, type RequestOptions } from './request-options.ts';
import { parseSteadyFlags, STEADY_FLAGS, STEADY_HELP, type SteadyOptions } from './steady-options.ts';
import { durationMs, httpUrl, oneOf, positiveInt, positiveNumber, runName, sizeBytes, urlPath } from './values.ts';

export const SCENARIOS = ['idle', 'burst', 'soak', 'steady'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export const VARIANTS = ['plain', 'race'] as const;
export type Variant = (typeof VARIANTS)[number];
export type ProgressMode = 'auto' | 'on' | 'off';

export type TargetChoice =
  | { kind: 'bundled'; variant: Variant }
  | { kind: 'command'; command: string; url: URL; metricsUrl?: URL }
  | { kind: 'attach'; url: URL; pid?: number; metricsUrl?: URL };

export interface RunOptions extends RequestOptions, SteadyOptions {
  /** A built-in scenario's name, or the name a scenario file gives itself (known once loaded). */
  scenario: string;
  /** Absolute path of a user's scenario file (`npm run scenario -- ./my-scenario.ts`). */
  scenarioFile?: string;
  target: TargetChoice;
  /** Request path for both scenarios; taken from --path, else from a --url with a path. */
  path: string;
  sampleIntervalMs: number;
  // idle
  durationMs: number;
  rate: number;
  probeTimeoutMs: number;
  // burst
  requests: number;
  connections: number;
  requestTimeoutMs: number;
  engine: BurstEngineName;
  /** --burst-threads: the net engine's threads; absent, it chooses from the cores (load/burst.ts). */
  burstThreads?: number;
  // soak
  idleBeforeMs: number;
  idleAfterMs: number;
  /** soak: how many times the burst runs, each followed by a rest of idleAfterMs (1 or more). */
  bursts: number;
  /**
   * soak: when what the bursts retained cannot decide (less each time but beyond noise, or
   * uneven), the burst runs again, up to this many bursts in all (equal to bursts: never).
   */
  maxBursts: number;
  // run
  settleMs: number;
  readyTimeoutMs: number;
  stopGraceMs: number;
  outDir: string;
  name?: string;
  progress: ProgressMode;
  /** Pod-style memory limit for a target the pack starts: its own cgroup with this limit. */
  memoryLimitBytes?: number;
  /** Start the target again when it exits (as a kubelet would), up to maxRestarts times. */
  restart: boolean;
  maxRestarts: number;
  /**
   * Exit with ExitCode.memoryGrowth when the verdict is a kind of growth (`growth`), or when
   * RSS holds more than `heldBytes` above its baseline at the end (`held>SIZE`).
   */
  failOn?: FailOn;
  /** --preset: the set of smaller defaults in use (explicit flags still won). */
  preset?: PresetName;
  /** --prometheus-url: read these figures back from a Prometheus server at the end of the run. */
  prometheus?: PrometheusOptions;
  /** --live [port] / --live-host: serve the run as it goes on a local page. */
  live?: LiveOptions;
  /**
   * --inspect-attach: open the inspector of an attached Node.js process (--pid) with SIGUSR1,
   * which opens a debugging port on it (127.0.0.1:9229 unless it was started with --inspect-port).
   */
  inspectAttach?: boolean;
  /**
   * --sites: where the retained memory was allocated. Absent or `on`: from every profiler within
   * reach, Python's tracemalloc included (its traced heap is also the Python heap figure the
   * verdict reads; it cannot sample, and costs a Python target about 2.5 times its CPU per
   * request, the others under 5%: docs/allocation-sites.md); `off`: none, and neither
   * tracemalloc nor V8's sampling heap profiler is started.
   */
  sites?: 'on' | 'off';
}

export { DEFAULTS } from './defaults.ts';

const FLAGS = {
  variant: { type: 'string' },
  cmd: { type: 'string' },
  url: { type: 'string' },
  pid: { type: 'string' },
  'metrics-url': { type: 'string' },
  path: { type: 'string' },
  'sample-interval': { type: 'string' },
  duration: { type: 'string' },
  rate: { type: 'string' },
  'probe-timeout': { type: 'string' },
  requests: { type: 'string' },
  connections: { type: 'string' },
  'request-timeout': { type: 'string' },
  engine: { type: 'string' },
  'burst-threads': { type: 'string' },
  settle: { type: 'string' },
  'idle-before': { type: 'string' },
  'idle-after': { type: 'string' },
  bursts: { type: 'string' },
  'max-bursts': { type: 'string' },
  'ready-timeout': { type: 'string' },
  'stop-grace': { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  progress: { type: 'string' },
  'memory-limit': { type: 'string' },
  restart: { type: 'boolean' },
  'max-restarts': { type: 'string' },
  'fail-on': { type: 'string' },
  preset: { type: 'string' },
  'prometheus-url': { type: 'string' },
  'prometheus-query': { type: 'string', multiple: true },
  'prometheus-selector': { type: 'string' },
  'prometheus-step': { type: 'string' },
  pod: { type: 'string' },
  'inspect-attach': { type: 'boolean' },
  sites: { type: 'string' },
  ...LIVE_FLAGS,
  ...REQUEST_FLAGS,
  ...STEADY_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

export type ParsedRun = { help: true } | { help: false; options: RunOptions };

type RunFlagValues = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

export function parseRunArgs(args: string[]): ParsedRun {
  const { values: v, positionals } = parseFlags(normaliseLiveFlag(args), FLAGS);
  if (v.help) return { help: true };
  // --preset fills only the flags not given, as if typed, so they go through the same checks below.
  const preset = v.preset === undefined ? undefined : oneOf('preset', v.preset, PRESET_NAMES);
  if (preset !== undefined)
    for (const [flag, value] of Object.entries(PRESETS[preset]) as [keyof typeof PRESETS.ci, string][])
      v[flag] ??= value;
  if (positionals.length === 0)
    throw new UsageError(`scenario: expected one of ${SCENARIOS.join(', ')} or a scenario file (./my-scenario.ts)`);
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])} (flags start with --)`);
  const { scenario, scenarioFile } = scenarioArg(positionals[0]!);

  const url = v.url === undefined ? undefined : httpUrl('url', v.url);
  const target = targetChoice(v, url);

  let path: string = DEFAULTS.path;
  if (v.path !== undefined) path = urlPath('path', v.path);
  else if (url !== undefined && url.pathname !== '/') path = url.pathname + url.search;

  const interval = sampleIntervalMs(v['sample-interval']);

  const options: RunOptions = {
    scenario,
    ...(scenarioFile && { scenarioFile }),
    target,
    path,
    sampleIntervalMs: interval,
    ...loadAndRunValues(v),
  };
  diagnosisFlags(v, options);
  if (v.bursts !== undefined && scenario !== 'soak' && scenarioFile === undefined)
    throw new UsageError(`--bursts: only for the soak scenario (or a scenario file that reads it), not ${scenario}`);
  if (options.bursts > 1 && options.idleAfterMs === 0)
    throw new UsageError(
      '--bursts: each burst needs a rest after it to measure what it left behind; give --idle-after more than 0s',
    );
  options.maxBursts = maxBursts(v['max-bursts'], options.bursts, scenario, scenarioFile);
  const tooMany = connectionsExceedRequests(options.connections, options.requests);
  if (tooMany) throw new UsageError(`--connections: ${tooMany} (each connection needs at least one)`);
  checkBurstThreads(options);
  if (preset !== undefined) options.preset = preset;
  const prometheus = parsePrometheusFlags(v, interval);
  if (prometheus) options.prometheus = prometheus;
  const live = parseLiveOptions(v);
  if (live) options.live = live;
  Object.assign(options, parseRequestFlags(v, path), parseSteadyFlags(v, options.rate));
  return { help: false, options };
}

/** The bundled server, a command the pack starts (--cmd), or a running server (--url with --pid / --metrics-url). */
function targetChoice(v: RunFlagValues, url: URL | undefined): TargetChoice {
  const metricsUrl = v['metrics-url'] === undefined ? undefined : httpUrl('metrics-url', v['metrics-url']);
  const pid = v.pid === undefined ? undefined : positiveInt('pid', v.pid, { max: 2 ** 22 });
  if (v.cmd !== undefined) {
    if (v.cmd.trim() === '')
      throw new UsageError('--cmd: expected a command line that starts your server, got an empty string');
    if (url === undefined)
      throw new UsageError(
        '--cmd: also give --url, the address your server answers on (e.g. --url http://127.0.0.1:8080)',
      );
    if (pid !== undefined) throw new UsageError('--pid: not with --cmd (the pack samples the process it starts)');
    if (v.variant !== undefined) throw new UsageError('--variant: applies to the bundled target only, not with --cmd');
    return { kind: 'command', command: v.cmd, url, ...(metricsUrl && { metricsUrl }) };
  }
  if (url !== undefined) {
    if (v.variant !== undefined) throw new UsageError('--variant: applies to the bundled target only, not with --url');
    if (pid === undefined && metricsUrl === undefined) {
      throw new UsageError(
        '--url: attaching to a running server needs --pid and/or --metrics-url (what to sample), or --cmd to start it',
      );
    }
    return { kind: 'attach', url, ...(pid !== undefined && { pid }), ...(metricsUrl && { metricsUrl }) };
  }
  if (pid !== undefined) throw new UsageError('--pid: also give --url, the address of the server with that pid');
  if (metricsUrl !== undefined)
    throw new UsageError('--metrics-url: also give --url (and --cmd or --pid) for your own server');
  return {
    kind: 'bundled',
    variant: v.variant === undefined ? DEFAULTS.variant : oneOf('variant', v.variant, VARIANTS),
  };
}

/**
 * The scenarios' numbers and the run's settings, each from its flag or its default, in the order
 * run.json records them (and checked in that order, so the first bad flag is the one named).
 */
function loadAndRunValues(
  v: RunFlagValues,
): Omit<RunOptions, 'scenario' | 'scenarioFile' | 'target' | 'path' | 'sampleIntervalMs'> {
  return {
    durationMs: v.duration === undefined ? DEFAULTS.durationMs : durationMs('duration', v.duration, LIMITS.durationMs),
    rate:
      v.rate === undefined
        ? DEFAULTS.rate
        : positiveNumber('rate', v.rate, { max: LIMITS.rate.max, unit: 'per second' }),
    probeTimeoutMs:
      v['probe-timeout'] === undefined
        ? DEFAULTS.probeTimeoutMs
        : durationMs('probe-timeout', v['probe-timeout'], LIMITS.probeTimeoutMs),
    requests: v.requests === undefined ? DEFAULTS.requests : positiveInt('requests', v.requests, LIMITS.requests),
    connections:
      v.connections === undefined
        ? DEFAULTS.connections
        : positiveInt('connections', v.connections, LIMITS.connections),
    requestTimeoutMs:
      v['request-timeout'] === undefined
        ? DEFAULTS.requestTimeoutMs
        : durationMs('request-timeout', v['request-timeout'], LIMITS.requestTimeoutMs),
    steadyRate: DEFAULTS.steadyRate,
    engine: v.engine === undefined ? DEFAULTS.engine : oneOf('engine', v.engine, BURST_ENGINES),
    ...(v['burst-threads'] !== undefined && {
      burstThreads: positiveInt('burst-threads', v['burst-threads'], LIMITS.burstThreads),
    }),
    idleBeforeMs:
      v['idle-before'] === undefined
        ? DEFAULTS.idleBeforeMs
        : durationMs('idle-before', v['idle-before'], LIMITS.idleBeforeMs),
    idleAfterMs:
      v['idle-after'] === undefined
        ? DEFAULTS.idleAfterMs
        : durationMs('idle-after', v['idle-after'], LIMITS.idleAfterMs),
    bursts: v.bursts === undefined ? DEFAULTS.bursts : positiveInt('bursts', v.bursts, LIMITS.bursts),
    maxBursts: 0,
    settleMs: v.settle === undefined ? DEFAULTS.settleMs : durationMs('settle', v.settle, { min: 0 }),
    readyTimeoutMs:
      v['ready-timeout'] === undefined
        ? DEFAULTS.readyTimeoutMs
        : durationMs('ready-timeout', v['ready-timeout'], { min: 100 }),
    stopGraceMs:
      v['stop-grace'] === undefined
        ? DEFAULTS.stopGraceMs
        : durationMs('stop-grace', v['stop-grace'], { min: 0, max: 600_000 }),
    outDir: v.out === undefined ? DEFAULTS.outDir : nonEmpty('out', v.out),
    ...(v.name !== undefined && { name: runName('name', v.name) }),
    progress:
      v.progress === undefined ? DEFAULTS.progress : oneOf('progress', v.progress, ['auto', 'on', 'off'] as const),
    restart: v.restart === true,
    maxRestarts: v['max-restarts'] === undefined ? 10 : positiveInt('max-restarts', v['max-restarts'], { max: 1000 }),
  };
}

/** --memory-limit, --restart, --fail-on, --inspect-attach, --sites: checked against the target, set on the options. */
function diagnosisFlags(v: RunFlagValues, options: RunOptions): void {
  const { target } = options;
  if (v['memory-limit'] !== undefined) {
    if (target.kind === 'attach')
      throw new UsageError(
        '--memory-limit: only for a target the pack starts (the bundled one or --cmd), not with --url/--pid',
      );
    options.memoryLimitBytes = sizeBytes('memory-limit', v['memory-limit'], { min: 4 * 2 ** 20 });
  }
  if (v.restart && target.kind === 'attach')
    throw new UsageError('--restart: only for a target the pack starts (the bundled one or --cmd)');
  if (v['max-restarts'] !== undefined && !v.restart) throw new UsageError('--max-restarts: only with --restart');
  if (v['fail-on'] !== undefined) options.failOn = parseFailOn(v['fail-on']);
  if (v['inspect-attach']) {
    if (target.kind !== 'attach' || target.pid === undefined)
      throw new UsageError(
        '--inspect-attach: only with --pid (a Node.js process the pack did not start); a target started with --cmd gets the inspector without it',
      );
    options.inspectAttach = true;
  }
  if (v.sites !== undefined) options.sites = oneOf('sites', v.sites, ['on', 'off'] as const);
}

/** A built-in name, or a path to a scenario file (anything with a slash or a .ts/.js/.mjs ending). */
function scenarioArg(raw: string): { scenario: string; scenarioFile?: string } {
  if ((SCENARIOS as readonly string[]).includes(raw)) return { scenario: raw };
  if (raw.includes('/') || /\.(ts|js|mjs)$/.test(raw)) {
    const file = resolve(raw);
    if (!/\.(ts|js|mjs)$/.test(file))
      throw new UsageError(`scenario: a scenario file must end in .ts, .js or .mjs, got ${JSON.stringify(raw)}`);
    if (!existsSync(file)) throw new UsageError(`scenario: file ${JSON.stringify(raw)} does not exist`);
    return { scenario: basename(file).replace(/\.(ts|js|mjs)$/, ''), scenarioFile: file };
  }
  throw new UsageError(
    `--scenario: expected one of ${SCENARIOS.join(', ')} or a scenario file (./my-scenario.ts), got ${JSON.stringify(raw)}`,
  );
}

function nonEmpty(flag: string, raw: string): string {
  if (raw.trim() === '') throw new UsageError(`--${flag}: expected a folder path, got an empty string`);
  return raw;
}

export const RUN_HELP = `Usage: npm run scenario:<idle|burst|soak|steady> -- [flags]
       npm run scenario -- ./my-scenario.ts [flags]
       (or: tsx scripts/leakbench.ts run <idle|burst|soak|steady|file> [flags])

Target (default: the bundled Gin server from gin-gonic/gin#3789, built with -race):
  --variant plain|race     which build of the bundled server (default race)
  --cmd "<command line>"   start your own server (needs --url); stopped at the end
  --url URL                where the server answers, e.g. http://127.0.0.1:8080
  --pid N                  with --url and no --cmd: sample this running process
  --metrics-url URL        the server's Prometheus /metrics (Go client_golang or Node prom-client figures)
  --inspect-attach         with --pid on a Node.js process: open its inspector with SIGUSR1 for V8 heap
                           figures and collections at rest (this opens a debugging port, 127.0.0.1:9229
                           unless it runs with --inspect-port, on a process the pack does not own)

Traffic:
  --path /p                request path (default /health_check)
  idle:  --duration 10m    how long to probe (default 10m; the report ran 90m)
         --rate 1          probes per second (default 1, like a kubelet)
         --probe-timeout 1s
  burst: --requests 1000000  --connections 100  --request-timeout 10s
         --engine net|autocannon  (default net, the pack's node:net client: exact against every server
                                  in the HTTP/1.1 conformance suite, and the fastest: wrk's rate at
                                  0.93 of its CPU per request, autocannon's at 0.76 of its rate
                                  (a quiet 2-core machine, docs/engines.md);
                                  autocannon miscounts some answers (1xx, resets, server closes)
                                  and its runs say so)
         --burst-threads N  threads of the net engine (default: one per core left once the
                                  target has one, 1 on a 2-core machine; at most 8)
  soak:  --idle-before 60s, then --bursts 2 times the burst each followed by --idle-after 120s
         of probes at --rate (the same burst again tells a filled cache from a leak)
         --max-bursts N  when what the bursts left behind cannot decide (less each time but
                         beyond noise, or uneven), run the burst again, up to N in all
                         (default --bursts + 2; --max-bursts equal to --bursts: never)
${STEADY_HELP}

${REQUEST_HELP}

Sampling and output:
  --sample-interval 1s     memory sample period, 100ms or more (default 1s)
  --settle 5s              keep sampling this long after the load ends
  --ready-timeout 30s      how long to wait for a started server to answer
  --stop-grace 5s          SIGTERM to SIGKILL grace when stopping a started server
  --out reports            where run directories go
  --name NAME              run directory name (default <scenario>-<target>-<timestamp>)
  --progress auto|on|off   progress line (auto: only on a terminal)
  --preset ci              smaller defaults for CI (burst 200k requests, idle 40s at 2/s, soak idle
                           10s before / 40s after, samples every 500ms); flags given still win

Memory from a Prometheus server (a target in Kubernetes), read back at the end of the run:
  --prometheus-url URL     the server, e.g. http://prometheus.monitoring:9090
  --pod [NAMESPACE/]NAME   the default queries: the pod's container_memory_working_set_bytes
                           (summed over its containers) and its go_memstats_* series
  --prometheus-selector 'job="gin",instance="10.0.0.5:8080"'
                           label matchers for the Go series instead of pod="NAME"
  --prometheus-query figure=PROMQL   override or add one figure's query (repeatable),
                           e.g. cgroupMemory='sum(container_memory_rss{pod="x"})'
  --prometheus-step 1s     range-query step (default: the sample interval)

${LIVE_HELP}

Diagnosis:
  --memory-limit 256Mi     run a started target in its own cgroup with this limit (OOM-killed like a pod)
                           and project the time to reach it at the measured idle growth
  --restart                start the target again after it exits, as a kubelet would (--max-restarts 10)
  --fail-on growth         exit 4 when the verdict is a kind of memory growth (for CI gates)
  --fail-on held>200Mi     exit 4 when RSS holds more than 200Mi above its baseline at the end
                           (a plateau or high-water mark is not growth; this budgets it); both: growth,held>200Mi
  --sites on|off           where the retained memory was allocated, by site, between rests (default on):
                           Go's heap profile when pprof is mounted, V8's sampling heap profiler (a sample
                           per 128 KiB), a JVM's class histogram at rest, each measured under 5% of the
                           target's CPU per request; the exception is Python's tracemalloc (also the
                           Python heap figure), which traces every allocation and cannot sample: +151%
                           CPU per request on http.server. off: no sites, and no profiler started (a
                           Python target runs untraced)

Exit codes: 0 done, 1 run failed (target died or unreachable), 2 bad flags, 3 unreadable run directory,
4 memory growth or held memory over budget with --fail-on, 130/143 interrupted.`;

/** What run.json keeps of them: the same fields, URLs as strings. */
export function recordedRunOptions(o: RunOptions): RecordedRunOptions {
  const t = o.target;
  const target: RecordedRunOptions['target'] =
    t.kind === 'bundled'
      ? { kind: t.kind, variant: t.variant }
      : t.kind === 'command'
        ? { kind: t.kind, command: t.command, url: t.url.href, ...(t.metricsUrl && { metricsUrl: t.metricsUrl.href }) }
        : {
            kind: t.kind,
            url: t.url.href,
            ...(t.pid !== undefined && { pid: t.pid }),
            ...(t.metricsUrl && { metricsUrl: t.metricsUrl.href }),
          };
  // Literal values of secret headers are [redacted] (src/options/secrets.ts).
  const { prometheus, ...rest } = redactForRecord(o, o.secretHeaders);
  // Spread first so the keys keep RunOptions' order in run.json (prometheus is the last).
  return { ...rest, target, ...(prometheus && { prometheus: recordedPrometheusOptions(prometheus) }) };
}

export interface FailOn {
  growth: boolean;
  heldBytes?: number;
}

/** `growth`, `held>SIZE`, or both separated by a comma. */
export function parseFailOn(raw: string): FailOn {
  const out: FailOn = { growth: false };
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (part === 'growth') out.growth = true;
    else if (/^held\s*>/.test(part)) out.heldBytes = sizeBytes('fail-on', part.replace(/^held\s*>/, ''), { min: 1 });
    else
      throw new UsageError(
        `--fail-on: expected growth, held>SIZE (e.g. held>200Mi) or both separated by a comma, got ${JSON.stringify(raw)}`,
      );
  }
  return out;
}

/** --burst-threads is the net engine's, and each thread needs a connection of its own. */
function checkBurstThreads(o: Pick<RunOptions, 'burstThreads' | 'engine' | 'connections'>): void {
  if (o.burstThreads === undefined) return;
  if (o.engine !== 'net')
    throw new UsageError(
      `--burst-threads: only for --engine net (the default); --engine ${o.engine} runs on one thread`,
    );
  if (o.burstThreads > o.connections)
    throw new UsageError(
      `--burst-threads: ${o.burstThreads} threads for ${o.connections} connections; expected at most one thread per connection`,
    );
}

/** --max-bursts: at least --bursts; the soak's default is two more than --bursts, other scenarios never add any. */
function maxBursts(
  given: string | undefined,
  bursts: number,
  scenario: string,
  scenarioFile: string | undefined,
): number {
  if (given === undefined) return scenario === 'soak' && scenarioFile === undefined ? bursts + 2 : bursts;
  if (scenario !== 'soak' || scenarioFile !== undefined)
    throw new UsageError(`--max-bursts: only for the soak scenario, not ${scenarioFile ?? scenario}`);
  const n = positiveInt('max-bursts', given, LIMITS.bursts);
  if (n < bursts) throw new UsageError(`--max-bursts: expected at least --bursts (${bursts}), got ${n}`);
  return n;
}
