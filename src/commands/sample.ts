import { identifyProcess } from '../target/identify.ts';
import { join, relative } from 'node:path';
import { ExitCode, UsageError } from '../errors.ts';
import { startClock } from '../load/clock.ts';
import { parseSampleArgs, recordedSampleOptions, type SampleOptions } from '../options/sample-options.ts';
import { LIVE_HELP } from '../options/live-options.ts';
import { renderReport } from '../report/render.ts';
import { RunRecorder, runDirName } from '../rundir/recorder.ts';
import { FILES, SCHEMA, type RunEvent, type RunFile, type Sample } from '../rundir/schema.ts';
import type { PhaseDetection } from '../analyse/phase-detect.ts';
import { findWatchedPhases, watchProgressLine, type WatchedPhaseInputs } from '../run/watched-phases.ts';
import { toolVersions } from '../rundir/versions.ts';
import { readCgroupMemory } from '../sample/cgroup.ts';
import { collectPrometheus } from '../sample/prometheus-source.ts';
import { Sampler } from '../sample/sampler.ts';
import type { CommandContext } from './context.ts';
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
Phases (when the load ran; see docs/watching-phases.md): found from, most trusted first,
  --phases "rest:0-10s,load:10-40s,rest:40-"   the user's own (times since the start)
  leakbench mark burst-start|burst-end|rest     marks written from another shell during the run
  --load-output FILE      the load tool's output, read at the end: autocannon --json,
                          hey -o csv, vegeta encode
  else the target's request counter (--metrics-url), CPU time and connections (--pid)
Flags:
  --sample-interval 1s   --label NAME (the target's name in the report)   --out reports   --name NAME
${LIVE_HELP}`;

/** `leakbench sample` (npm run sample): the sampler on its own, until a signal or --duration. */
export async function sampleCommand(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseSampleArgs(args);
  if (o === 'help') {
    ctx.out(SAMPLE_HELP);
    return ExitCode.ok;
  }
  const cgroupSource = await checkCgroupSource(o);
  // --live: listen before the run directory exists, so a busy port costs nothing.
  const liveView = o.live ? await LiveServer.start(o.live) : undefined;

  const clock = startClock();
  const recorder = RunRecorder.create(
    o.outDir,
    o.name ?? runDirName(o.label === 'sample' ? ['sample'] : ['sample', o.label]),
    {
      schema: SCHEMA.run,
      scenario: 'sample',
      status: 'running',
      startedAt: new Date(clock.startedAtMs).toISOString(),
      startedAtMs: clock.startedAtMs,
      options: recordedSampleOptions(o),
      target: {
        kind: 'attach',
        label: o.label,
        url: '',
        ...(o.pid !== undefined && { pid: o.pid, identity: identifyProcess(o.pid) }),
        ...(o.metricsUrl && { metricsUrl: o.metricsUrl.href }),
      },
      versions: toolVersions(),
      phases: [],
    },
  );
  const { dir, run } = recorder;
  // The live view (when asked for) sees every record as it is written.
  const events = tee(recorder.series('events'), liveView && ((e) => liveView.onEvent(e)));
  // Kept in memory too: the phases are found from them, so far (progress) and at the end.
  const taken: Sample[] = [];
  const samples = tee(
    tee(recorder.series('samples'), (x) => taken.push(x)),
    liveView && ((x) => liveView.onSample(x)),
  );
  // No load here: an empty series says so, where a missing file would read as lost data.
  recorder.writeSeries('load', []);
  const event = (e: Omit<RunEvent, 't'>) => events.write({ t: Math.round(clock.now() * 1000) / 1000, ...e });
  liveView?.attach({
    run,
    dir: relative(process.cwd(), dir) || dir,
    now: clock.now,
    ...(o.durationMs !== undefined && { plannedS: o.durationMs / 1000 }),
  });
  if (liveView) ctx.err(`live view: ${liveView.url} (until the sampling ends)`);
  event({ type: 'run-start', message: `sampling ${describeSources(o)} every ${o.intervalMs} ms` });
  ctx.err(
    `sampling ${describeSources(o)} into ${relative(process.cwd(), dir) || dir}; ${o.durationMs === undefined ? 'Ctrl-C (or SIGTERM) stops it' : `for ${o.durationMs / 1000}s`}`,
  );

  const warn = (message: string) => {
    event({ type: 'warning', message });
    ctx.err(`warning: ${message}`);
  };
  // With only --prometheus-url there is nothing to sample live: the server is asked at the end.
  const live = o.pid !== undefined || o.metricsUrl !== undefined || cgroupSource !== undefined;
  const sampler = !live
    ? undefined
    : new Sampler({
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
  const phaseInputs = (): WatchedPhaseInputs => ({
    dir,
    startedAtMs: clock.startedAtMs,
    samples: taken,
    ...(o.phases && { override: o.phases }),
    ...(o.loadOutput !== undefined && { loadOutput: o.loadOutput }),
    warn,
  });
  const progress = setInterval(() => {
    ctx.err(watchProgressLine(clock.now(), taken, findWatchedPhases({ ...phaseInputs(), loadOutput: undefined })));
  }, PROGRESS_EVERY_MS);
  const reason = await waitForEnd(ctx.signal, o.durationMs);
  clearInterval(progress);
  await sampler?.stop();
  recordPhases(run, findWatchedPhases(phaseInputs()), (message) => event({ type: 'info', message }));
  if (o.prometheus) {
    const figures = await collectPrometheus(
      o.prometheus,
      { startedAtMs: clock.startedAtMs, endMs: Date.now() },
      warn,
      (l) => ctx.err(l),
    );
    if (figures) recorder.writeSeries('prometheus', figures);
  }

  // With --until-signal the signal is how it is meant to end; with --duration it cuts it short.
  const interrupted = reason === 'signal' && o.durationMs !== undefined;
  run.status = interrupted ? 'interrupted' : 'completed';
  if (reason === 'signal') run.endReason = `stopped by ${String(ctx.signal.reason)}`;
  run.endedAt = new Date().toISOString();
  event({ type: 'run-end', message: run.endReason ?? `${o.durationMs! / 1000}s done` });
  recorder.saveRun();
  recorder.close();

  const { summary, warnings } = await renderReport(dir);
  // The live page shows how it ended, then its port closes.
  await liveView?.finish({
    status: run.status,
    ...(run.endReason && { endReason: run.endReason }),
    report: join(relative(process.cwd(), dir) || dir, FILES.html),
    headline: summary.headline,
  });
  for (const w of warnings) ctx.err(`warning: ${w}`);
  ctx.out(
    `${sampler?.count ?? 0} samples: ${summary.headline}\n  report: ${relative(process.cwd(), dir) || dir}/index.html\n  join it with a k6 run: npm run report -- --k6 <k6 output> --samples ${relative(process.cwd(), dir) || dir}`,
  );
  if (!interrupted) return ExitCode.ok;
  return ctx.signal.reason === 'SIGTERM' ? 143 : ExitCode.interrupted;
}

/** A progress line this often: enough to see the phases found, few enough for a log. */
const PROGRESS_EVERY_MS = 5000;

/** The phases found go into run.json like a driven run's; how they were found into the events. */
function recordPhases(run: RunFile, d: PhaseDetection, info: (message: string) => void): void {
  run.phases = d.phases;
  if (d.finding) {
    const spans = d.phases.map((p) => `${p.name} ${p.startT}-${p.endT} s`).join(', ');
    info(`phases found from ${d.finding.how} (${d.finding.confidence} confidence): ${spans}; ${d.finding.detail}`);
  } else info(`phases unknown: ${d.unknown ?? 'no source told them'}`);
}

/** A --cgroup file or --query that does not work now is a mistake to report before starting. */
async function checkCgroupSource(
  o: SampleOptions,
): Promise<{ label: string; read: () => Promise<number> } | undefined> {
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
  ]
    .filter(Boolean)
    .join(', ');
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
