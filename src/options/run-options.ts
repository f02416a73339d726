import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { durationMs, httpUrl, oneOf, positiveInt, positiveNumber, runName, urlPath } from './values.ts';

export const SCENARIOS = ['idle', 'burst'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export const VARIANTS = ['plain', 'race'] as const;
export type Variant = (typeof VARIANTS)[number];
export type ProgressMode = 'auto' | 'on' | 'off';

export type TargetChoice =
  | { kind: 'bundled'; variant: Variant }
  | { kind: 'command'; command: string; url: URL; metricsUrl?: URL }
  | { kind: 'attach'; url: URL; pid?: number; metricsUrl?: URL };

export interface RunOptions {
  scenario: ScenarioName;
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
  // run
  settleMs: number;
  readyTimeoutMs: number;
  stopGraceMs: number;
  outDir: string;
  name?: string;
  progress: ProgressMode;
}

/** The report's numbers: kubelet probes at 1/s with a 1 s timeout; 1M requests over 100 connections. */
export const DEFAULTS = Object.freeze({
  variant: 'race' as Variant,
  path: '/health_check',
  sampleIntervalMs: 1000,
  durationMs: 10 * 60_000,
  rate: 1,
  probeTimeoutMs: 1000,
  requests: 1_000_000,
  connections: 100,
  requestTimeoutMs: 10_000,
  settleMs: 5000,
  readyTimeoutMs: 30_000,
  stopGraceMs: 5000,
  outDir: 'reports',
  progress: 'auto' as ProgressMode,
});

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
  settle: { type: 'string' },
  'ready-timeout': { type: 'string' },
  'stop-grace': { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  progress: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ParsedRun = { help: true } | { help: false; options: RunOptions };

/** Turns node's parseArgs errors (which name the flag) into one-line usage errors. */
function parseStrict(args: string[]) {
  try {
    return parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) throw new UsageError(`${unknown[1]}: unknown flag (see --help)`);
    const needsValue = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
    if (needsValue) throw new UsageError(`${needsValue[1]}: expected a value`);
    const ambiguous = /Option '(?:-\w, )?(--[\w-]+)(?: <value>)?' argument is ambiguous/.exec(message);
    const given = ambiguous ? args[args.indexOf(ambiguous[1]!) + 1] : undefined;
    if (ambiguous) throw new UsageError(`${ambiguous[1]}: expected a value; a value starting with a dash is written ${ambiguous[1]}=${given ?? '-…'}`);
    throw new UsageError(message);
  }
}

export function parseRunArgs(args: string[]): ParsedRun {
  const { values: v, positionals } = parseStrict(args);
  if (v.help) return { help: true };
  if (positionals.length === 0) throw new UsageError(`scenario: expected one of ${SCENARIOS.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])} (flags start with --)`);
  const scenario = oneOf('scenario', positionals[0]!, SCENARIOS);

  const url = v.url === undefined ? undefined : httpUrl('url', v.url);
  const metricsUrl = v['metrics-url'] === undefined ? undefined : httpUrl('metrics-url', v['metrics-url']);
  const pid = v.pid === undefined ? undefined : positiveInt('pid', v.pid, { max: 2 ** 22 });

  let target: TargetChoice;
  if (v.cmd !== undefined) {
    if (v.cmd.trim() === '') throw new UsageError('--cmd: expected a command line that starts your server, got an empty string');
    if (url === undefined) throw new UsageError('--cmd: also give --url, the address your server answers on (e.g. --url http://127.0.0.1:8080)');
    if (pid !== undefined) throw new UsageError('--pid: not with --cmd (the pack samples the process it starts)');
    if (v.variant !== undefined) throw new UsageError('--variant: applies to the bundled target only, not with --cmd');
    target = { kind: 'command', command: v.cmd, url, ...(metricsUrl && { metricsUrl }) };
  } else if (url !== undefined) {
    if (v.variant !== undefined) throw new UsageError('--variant: applies to the bundled target only, not with --url');
    if (pid === undefined && metricsUrl === undefined) {
      throw new UsageError('--url: attaching to a running server needs --pid and/or --metrics-url (what to sample), or --cmd to start it');
    }
    target = { kind: 'attach', url, ...(pid !== undefined && { pid }), ...(metricsUrl && { metricsUrl }) };
  } else {
    if (pid !== undefined) throw new UsageError('--pid: also give --url, the address of the server with that pid');
    if (metricsUrl !== undefined) throw new UsageError('--metrics-url: also give --url (and --cmd or --pid) for your own server');
    target = { kind: 'bundled', variant: v.variant === undefined ? DEFAULTS.variant : oneOf('variant', v.variant, VARIANTS) };
  }

  let path: string = DEFAULTS.path;
  if (v.path !== undefined) path = urlPath('path', v.path);
  else if (url !== undefined && url.pathname !== '/') path = url.pathname + url.search;

  const sampleIntervalMs = v['sample-interval'] === undefined
    ? DEFAULTS.sampleIntervalMs
    : durationMs('sample-interval', v['sample-interval'], { min: 100, max: 60_000 });

  const options: RunOptions = {
    scenario,
    target,
    path,
    sampleIntervalMs,
    durationMs: v.duration === undefined ? DEFAULTS.durationMs : durationMs('duration', v.duration, { min: 1000 }),
    rate: v.rate === undefined ? DEFAULTS.rate : positiveNumber('rate', v.rate, { max: 1000 }),
    probeTimeoutMs: v['probe-timeout'] === undefined ? DEFAULTS.probeTimeoutMs : durationMs('probe-timeout', v['probe-timeout'], { min: 10, max: 60_000 }),
    requests: v.requests === undefined ? DEFAULTS.requests : positiveInt('requests', v.requests, { max: 1e9 }),
    connections: v.connections === undefined ? DEFAULTS.connections : positiveInt('connections', v.connections, { max: 10_000 }),
    requestTimeoutMs: v['request-timeout'] === undefined ? DEFAULTS.requestTimeoutMs : durationMs('request-timeout', v['request-timeout'], { min: 1000, max: 600_000 }),
    settleMs: v.settle === undefined ? DEFAULTS.settleMs : durationMs('settle', v.settle, { min: 0 }),
    readyTimeoutMs: v['ready-timeout'] === undefined ? DEFAULTS.readyTimeoutMs : durationMs('ready-timeout', v['ready-timeout'], { min: 100 }),
    stopGraceMs: v['stop-grace'] === undefined ? DEFAULTS.stopGraceMs : durationMs('stop-grace', v['stop-grace'], { min: 0, max: 600_000 }),
    outDir: v.out === undefined ? DEFAULTS.outDir : nonEmpty('out', v.out),
    ...(v.name !== undefined && { name: runName('name', v.name) }),
    progress: v.progress === undefined ? DEFAULTS.progress : oneOf('progress', v.progress, ['auto', 'on', 'off'] as const),
  };
  if (options.connections > options.requests) {
    throw new UsageError(`--connections: ${options.connections} connections cannot share ${options.requests} requests (each connection needs at least one)`);
  }
  return { help: false, options };
}

function nonEmpty(flag: string, raw: string): string {
  if (raw.trim() === '') throw new UsageError(`--${flag}: expected a folder path, got an empty string`);
  return raw;
}

export const RUN_HELP = `Usage: npm run scenario:<idle|burst> -- [flags]
       (or: tsx scripts/leakbench.ts run <idle|burst> [flags])

Target (default: the bundled Gin server from gin-gonic/gin#3789, built with -race):
  --variant plain|race     which build of the bundled server (default race)
  --cmd "<command line>"   start your own server (needs --url); stopped at the end
  --url URL                where the server answers, e.g. http://127.0.0.1:8080
  --pid N                  with --url and no --cmd: sample this running process
  --metrics-url URL        the server's Prometheus /metrics (Go heap, stack, goroutines)

Traffic:
  --path /p                request path (default /health_check)
  idle:  --duration 10m    how long to probe (default 10m; the report ran 90m)
         --rate 1          probes per second (default 1, like a kubelet)
         --probe-timeout 1s
  burst: --requests 1000000  --connections 100  --request-timeout 10s

Sampling and output:
  --sample-interval 1s     memory sample period, 100ms or more (default 1s)
  --settle 5s              keep sampling this long after the load ends
  --ready-timeout 30s      how long to wait for a started server to answer
  --stop-grace 5s          SIGTERM to SIGKILL grace when stopping a started server
  --out reports            where run directories go
  --name NAME              run directory name (default <scenario>-<target>-<timestamp>)
  --progress auto|on|off   progress line (auto: only on a terminal)

Exit codes: 0 done, 1 run failed (target died or unreachable), 2 bad flags, 130/143 interrupted.`;
