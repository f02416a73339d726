import { join, relative } from 'node:path';
import { ExitCode, UsageError } from '../errors.ts';
import { startClock } from '../load/clock.ts';
import { DEFAULTS } from '../options/defaults.ts';
import { durationMs, httpUrl, positiveInt, runName } from '../options/values.ts';
import { renderReport } from '../report/render.ts';
import { writeJsonAtomic } from '../rundir/json.ts';
import { NdjsonWriter } from '../rundir/ndjson.ts';
import { FILES, SCHEMA, type LoadSecond, type RunEvent, type RunFile, type Sample, type SchemaId } from '../rundir/schema.ts';
import { createRunDir, timestamp } from '../run/run-dir.ts';
import { toolVersions } from '../run/versions.ts';
import { readCgroupMemory } from '../sample/cgroup.ts';
import { resolveCgroupArg } from '../sample/explicit-cgroup.ts';
import { parsePrometheusFlags } from '../options/prometheus-options.ts';
import { collectPrometheus, type PrometheusOptions } from '../sample/prometheus-source.ts';
import { Sampler, validatePid } from '../sample/sampler.ts';
import type { CommandContext } from './context.ts';
import { parseFlags } from '../options/parse-flags.ts';
import { LIVE_FLAGS, LIVE_HELP, normaliseLiveFlag, parseLiveOptions, type LiveOptions } from '../live/live-flags.ts';
import { LiveServer } from '../live/live-server.ts';
import { tee } from '../live/observer.ts';

export const SAMPLE_HELP = `npm run sample -- [sources] (--duration 10m | --until-signal) [flags]

Records a process's memory while something else (k6, a CI job, production traffic) drives the
load: a run directory with samples.ndjson, events.ndjson and run.json, and its report. Join it
with a k6 run: npm run report -- --k6 <k6 output> --samples <this run directory>.

Sources (at least one):
  --pid N                 /proc/N/status and smaps_rollup (and N's cgroup, unless --cgroup/--query)
  --metrics-url URL       the target's Prometheus /metrics (Go heap, stack, goroutines, RSS)
  --cgroup PATH           a cgroup's memory: its memory.current / memory.usage_in_bytes file,
                          its directory, or its path under /sys/fs/cgroup
  --prometheus-url URL --pod [NAMESPACE/]NAME
                          a Prometheus server, read back over the whole time range when the
                          sampling ends (the pod's working set, and its Go figures if scraped);
                          --prometheus-selector, --prometheus-query figure=PROMQL and
                          --prometheus-step as for npm run scenario (see its --help)
Stop:
  --duration 10m          sample for this long (Ctrl-C ends it early, marked interrupted)
  --until-signal          sample until SIGINT/SIGTERM (Ctrl-C), which ends it normally
Flags:
  --sample-interval 1s   --label NAME (the target's name in the report)   --out reports   --name NAME
${LIVE_HELP}`;

const FLAGS = {
  pid: { type: 'string' },
  'metrics-url': { type: 'string' },
  cgroup: { type: 'string' },
  'prometheus-url': { type: 'string' },
  'prometheus-query': { type: 'string', multiple: true },
  'prometheus-selector': { type: 'string' },
  'prometheus-step': { type: 'string' },
  pod: { type: 'string' },
  duration: { type: 'string' },
  'until-signal': { type: 'boolean' },
  'sample-interval': { type: 'string' },
  label: { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  ...LIVE_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

interface SampleOptions {
  pid?: number;
  metricsUrl?: URL;
  cgroupFile?: string;
  prometheus?: PrometheusOptions;
  durationMs?: number;
  intervalMs: number;
  label: string;
  outDir: string;
  name?: string;
  live?: LiveOptions;
}

export function parseSampleArgs(args: string[]): SampleOptions | 'help' {
  const { values: v, positionals } = parseFlags(normaliseLiveFlag(args), FLAGS, 'sample');
  if (v.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`sample: unexpected argument ${JSON.stringify(positionals[0])} (flags start with --)`);
  const o: SampleOptions = {
    intervalMs: v['sample-interval'] === undefined ? DEFAULTS.sampleIntervalMs : durationMs('sample-interval', v['sample-interval'], { min: 100, max: 60_000 }),
    label: v.label === undefined ? 'sample' : runName('label', v.label),
    outDir: v.out ?? DEFAULTS.outDir,
    ...(v.name !== undefined && { name: runName('name', v.name) }),
  };
  if (v.pid !== undefined) {
    o.pid = positiveInt('pid', v.pid, { max: 2 ** 22 });
    const why = validatePid(o.pid);
    if (why) throw new UsageError(`--pid: ${why}`);
  }
  if (v['metrics-url'] !== undefined) o.metricsUrl = httpUrl('metrics-url', v['metrics-url']);
  if (v.cgroup !== undefined) {
    const r = resolveCgroupArg(v.cgroup);
    if ('reason' in r) throw new UsageError(`--cgroup: ${r.reason}`);
    o.cgroupFile = r.file;
  }
  const prometheus = parsePrometheusFlags(v, o.intervalMs);
  if (prometheus) o.prometheus = prometheus;
  if (o.pid === undefined && o.metricsUrl === undefined && o.cgroupFile === undefined && o.prometheus === undefined) {
    throw new UsageError('sample: give at least one source: --pid, --metrics-url, --cgroup or --prometheus-url (see --help)');
  }
  if (v.duration !== undefined && v['until-signal']) throw new UsageError('--duration: not with --until-signal (pick one way to stop)');
  if (v.duration === undefined && !v['until-signal']) throw new UsageError('sample: give --duration (e.g. 10m) or --until-signal (stop with Ctrl-C or SIGTERM)');
  if (v.duration !== undefined) o.durationMs = durationMs('duration', v.duration, { min: 1000 });
  const live = parseLiveOptions(v);
  if (live) o.live = live;
  return o;
}

/** `leakbench sample` (npm run sample): the sampler on its own, until a signal or --duration. */
export async function sampleCommand(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseSampleArgs(args);
  if (o === 'help') {
    ctx.out(SAMPLE_HELP);
    return ExitCode.ok;
  }
  const cgroupSource = await checkCgroupSource(o);
  // ── --live hook 1/4 (as in run-scenario.ts) ──
  const liveView = o.live ? await LiveServer.start(o.live) : undefined;

  const dir = createRunDir(o.outDir, o.name ?? `sample-${o.label === 'sample' ? '' : `${o.label}-`}${timestamp()}`);
  const clock = startClock();
  const header = (schema: SchemaId) => ({ schema, startedAtMs: clock.startedAtMs });
  // ── --live hook 2/4 ──
  const events = tee(new NdjsonWriter<RunEvent>(join(dir, FILES.events), header(SCHEMA.events)), liveView && ((e) => liveView.onEvent(e)));
  const samples = tee(new NdjsonWriter<Sample>(join(dir, FILES.samples), header(SCHEMA.samples)), liveView && ((s) => liveView.onSample(s)));
  // No load here: an empty series says so, where a missing file would read as lost data.
  new NdjsonWriter<LoadSecond>(join(dir, FILES.load), header(SCHEMA.load)).close();
  const event = (e: Omit<RunEvent, 't'>) => events.write({ t: Math.round(clock.now() * 1000) / 1000, ...e });

  const run: RunFile = {
    schema: SCHEMA.run,
    scenario: 'sample',
    status: 'running',
    startedAt: new Date(clock.startedAtMs).toISOString(),
    startedAtMs: clock.startedAtMs,
    options: {
      pid: o.pid,
      metricsUrl: o.metricsUrl?.href,
      cgroup: o.cgroupFile,
      prometheus: o.prometheus && { url: o.prometheus.url.href, queries: o.prometheus.queries, stepMs: o.prometheus.stepMs },
      durationMs: o.durationMs,
      untilSignal: o.durationMs === undefined,
      sampleIntervalMs: o.intervalMs,
    },
    target: {
      kind: 'attach',
      label: o.label,
      url: '',
      ...(o.pid !== undefined && { pid: o.pid }),
      ...(o.metricsUrl && { metricsUrl: o.metricsUrl.href }),
    },
    versions: toolVersions(),
    phases: [],
  };
  writeJsonAtomic(join(dir, FILES.run), run);
  // ── --live hook 3/4 ──
  liveView?.attach({ run, dir: relative(process.cwd(), dir) || dir, now: clock.now, ...(o.durationMs !== undefined && { plannedS: o.durationMs / 1000 }) });
  if (liveView) ctx.err(`live view: ${liveView.url} (until the sampling ends)`);
  event({ type: 'run-start', message: `sampling ${describeSources(o)} every ${o.intervalMs} ms` });
  ctx.err(`sampling ${describeSources(o)} into ${relative(process.cwd(), dir) || dir}; ${o.durationMs === undefined ? 'Ctrl-C (or SIGTERM) stops it' : `for ${o.durationMs / 1000}s`}`);

  const warn = (message: string) => {
    event({ type: 'warning', message });
    ctx.err(`warning: ${message}`);
  };
  // With only --prometheus-url there is nothing to sample live: the server is asked at the end.
  const live = o.pid !== undefined || o.metricsUrl !== undefined || cgroupSource !== undefined;
  const sampler = !live ? undefined : new Sampler({
    ...(o.pid !== undefined && { pid: o.pid }),
    ...(o.metricsUrl && { metricsUrl: o.metricsUrl.href }),
    ...(cgroupSource && { cgroupSource }),
    intervalMs: o.intervalMs,
    writer: samples,
    now: clock.now,
    onWarning: (_source, message) => warn(message),
    onInfo: (message) => event({ type: 'info', message }),
  });
  sampler?.start();
  const reason = await waitForEnd(ctx.signal, o.durationMs);
  await sampler?.stop();
  if (o.prometheus) await collectPrometheus(o.prometheus, { dir, startedAtMs: clock.startedAtMs, endMs: Date.now() }, warn, (l) => ctx.err(l));

  // With --until-signal the signal is how it is meant to end; with --duration it cuts it short.
  const interrupted = reason === 'signal' && o.durationMs !== undefined;
  run.status = interrupted ? 'interrupted' : 'completed';
  if (reason === 'signal') run.endReason = `stopped by ${String(ctx.signal.reason)}`;
  run.endedAt = new Date().toISOString();
  event({ type: 'run-end', message: run.endReason ?? `${o.durationMs! / 1000}s done` });
  writeJsonAtomic(join(dir, FILES.run), run);
  events.close();
  samples.close();

  const { summary, warnings } = await renderReport(dir);
  // ── --live hook 4/4 ──
  await liveView?.finish({ status: run.status, ...(run.endReason && { endReason: run.endReason }), report: join(relative(process.cwd(), dir) || dir, FILES.html), headline: summary.headline });
  for (const w of warnings) ctx.err(`warning: ${w}`);
  ctx.out(`${sampler?.count ?? 0} samples: ${summary.headline}\n  report: ${relative(process.cwd(), dir) || dir}/index.html\n  join it with a k6 run: npm run report -- --k6 <k6 output> --samples ${relative(process.cwd(), dir) || dir}`);
  if (!interrupted) return ExitCode.ok;
  return ctx.signal.reason === 'SIGTERM' ? 143 : ExitCode.interrupted;
}

/** A --cgroup file or --query that does not work now is a mistake to report before starting. */
async function checkCgroupSource(o: SampleOptions): Promise<{ label: string; read: () => Promise<number> } | undefined> {
  if (o.cgroupFile !== undefined) {
    const file = o.cgroupFile;
    try {
      await readCgroupMemory(file);
    } catch (err) {
      throw new UsageError(`--cgroup: ${(err as Error).message}`);
    }
    return { label: `cgroup ${file}`, read: () => readCgroupMemory(file) };
  }
  return undefined;
}

function describeSources(o: SampleOptions): string {
  return [
    o.pid !== undefined && `pid ${o.pid}`,
    o.metricsUrl && o.metricsUrl.href,
    o.cgroupFile,
    o.prometheus && `${o.prometheus.url.origin} (read back at the end)`,
  ].filter(Boolean).join(', ');
}

function waitForEnd(signal: AbortSignal, durationMs: number | undefined): Promise<'signal' | 'duration'> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('signal');
    const timer = durationMs === undefined ? undefined : setTimeout(() => done('duration'), durationMs);
    // The sampler's timer is unref'd and a pending promise holds nothing open: without this,
    // --until-signal would end the process at once.
    const keepAlive = setInterval(() => {}, 60_000);
    const onAbort = () => done('signal');
    function done(why: 'signal' | 'duration') {
      if (timer) clearTimeout(timer);
      clearInterval(keepAlive);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
