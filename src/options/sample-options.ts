import { UsageError } from '../errors.ts';
import type { PhaseSpan } from '../rundir/schema.ts';
import { parsePhasesOption } from './phases-option.ts';
import { resolveCgroupArg } from '../sample/explicit-cgroup.ts';
import { validatePid } from '../sample/sampler.ts';
import { DEFAULTS } from './defaults.ts';
import { parseFlags } from './parse-flags.ts';
import type { RecordedSampleOptions } from '../rundir/schema.ts';
import { parsePrometheusFlags, recordedPrometheusOptions, type PrometheusOptions } from './prometheus-options.ts';
import { LIMITS } from './rules.ts';
import { sampleIntervalMs } from './sample-interval.ts';
import { durationMs, httpUrl, oneOf, positiveInt, runName } from './values.ts';
import type { ProgressMode } from './run-options.ts';
import { LIVE_FLAGS, normaliseLiveFlag, parseLiveOptions, type LiveOptions } from './live-options.ts';

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
  phases: { type: 'string' },
  'load-output': { type: 'string' },
  'inspect-attach': { type: 'boolean' },
  'no-collect': { type: 'boolean' },
  progress: { type: 'string' },
  ...LIVE_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** `leakbench sample`'s flags, checked. */
export interface SampleOptions {
  pid?: number;
  metricsUrl?: URL;
  cgroupFile?: string;
  prometheus?: PrometheusOptions;
  durationMs?: number;
  intervalMs: number;
  label: string;
  outDir: string;
  name?: string;
  /** --progress: the line with elapsed time, samples, RSS and the phase found so far. */
  progress: ProgressMode;
  live?: LiveOptions;
  /** --phases: the user's own phases, which win over any found. */
  phases?: PhaseSpan[];
  /** --load-output: a load tool's output file, read when the sampling ends. */
  loadOutput?: string;
  /** --inspect-attach: open the inspector of a Node.js --pid (SIGUSR1 opens a debugging port in it). */
  inspectAttach?: boolean;
  /** --no-collect: never ask the watched runtime for a collection (the end of the watch is the one time it would). */
  noCollect?: boolean;
}

export function parseSampleArgs(args: string[]): SampleOptions | 'help' {
  const { values: v, positionals } = parseFlags(normaliseLiveFlag(args), FLAGS, 'sample');
  if (v.help) return 'help';
  if (positionals.length > 0)
    throw new UsageError(`sample: unexpected argument ${JSON.stringify(positionals[0])} (flags start with --)`);
  const o: SampleOptions = {
    intervalMs: sampleIntervalMs(v['sample-interval']),
    label: v.label === undefined ? 'sample' : runName('label', v.label),
    outDir: v.out ?? DEFAULTS.outDir,
    ...(v.name !== undefined && { name: runName('name', v.name) }),
    progress:
      v.progress === undefined ? DEFAULTS.progress : oneOf('progress', v.progress, ['auto', 'on', 'off'] as const),
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
    throw new UsageError(
      'sample: give at least one source: --pid, --metrics-url, --cgroup or --prometheus-url (see --help)',
    );
  }
  if (v.duration !== undefined && v['until-signal'])
    throw new UsageError('--duration: not with --until-signal (pick one way to stop)');
  if (v.duration === undefined && !v['until-signal'])
    throw new UsageError('sample: give --duration (e.g. 10m) or --until-signal (stop with Ctrl-C or SIGTERM)');
  if (v.duration !== undefined) o.durationMs = durationMs('duration', v.duration, LIMITS.durationMs);
  const live = parseLiveOptions(v);
  if (live) o.live = live;
  if (v.phases !== undefined) o.phases = parsePhasesOption(v.phases);
  if (v['load-output'] !== undefined) o.loadOutput = v['load-output'];
  if (v['inspect-attach']) {
    if (o.pid === undefined)
      throw new UsageError('--inspect-attach: only with --pid (the Node.js process whose inspector to open)');
    o.inspectAttach = true;
  }
  if (v['no-collect']) o.noCollect = true;
  return o;
}

/** What run.json keeps of them. */
export function recordedSampleOptions(o: SampleOptions): RecordedSampleOptions {
  return {
    ...(o.pid !== undefined && { pid: o.pid }),
    ...(o.metricsUrl && { metricsUrl: o.metricsUrl.href }),
    ...(o.cgroupFile !== undefined && { cgroup: o.cgroupFile }),
    ...(o.prometheus && { prometheus: recordedPrometheusOptions(o.prometheus) }),
    ...(o.durationMs !== undefined && { durationMs: o.durationMs }),
    untilSignal: o.durationMs === undefined,
    sampleIntervalMs: o.intervalMs,
  };
}
