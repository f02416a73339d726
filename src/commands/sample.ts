import { join, relative } from 'node:path';
import type { PhaseDetection } from '../analyse/phase-detect.ts';
import { readNdjson } from '../rundir/ndjson.ts';
import { findWatchedPhases, phaseSoFarNote } from '../run/watched-phases.ts';
import { ProgressLine } from '../console/progress.ts';
import { ExitCode, UsageError } from '../errors.ts';
import type { RunClock } from '../load/clock.ts';
import type { PhaseSpec } from '../load/phases.ts';
import { DEFAULTS } from '../options/defaults.ts';
import { LIVE_HELP } from '../options/live-options.ts';
import { parseSampleArgs, recordedSampleOptions, type SampleOptions } from '../options/sample-options.ts';
import { watchedPhase } from '../phases/watched.ts';
import { runDirName } from '../rundir/recorder.ts';
import { FILES, SCHEMA, type RunFile, type Sample } from '../rundir/schema.ts';
import { toolVersions } from '../rundir/versions.ts';
import { phaseRecords } from '../run/run-record.ts';
import { runSession } from '../run/session.ts';
import { describeSources, WatchedTarget, type CgroupSource } from '../run/watched-target.ts';
import { readCgroupMemory } from '../sample/cgroup.ts';
import { cgroupProcesses } from '../run/cgroup-processes.ts';
import { describeCgroupProcesses } from '../report/cgroup-processes.ts';
import type { CommandContext } from './context.ts';

export const SAMPLE_HELP = `npm run sample -- [sources] (--duration 10m | --until-signal) [flags]

Records a process's memory while something else (k6, a CI job, production traffic) drives the
load: a run directory with samples.ndjson, events.ndjson and run.json, and its report. Join it
with a k6 run: npm run report -- --k6 <k6 output> --samples <this run directory>.

Sources (at least one):
  --pid N                 /proc/N/status and smaps_rollup (and N's cgroup, unless --cgroup/--query),
                          and the runtime's own figures that need no restart: a JVM's hsperfdata,
                          /metrics and /debug/pprof on the ports N listens on
  --no-collect            never ask the runtime for a full collection (by default one is asked for
                          once the watch ends, so the heap figure at the end is live memory)
  --inspect-attach        with --pid of a Node.js process: open its inspector (SIGUSR1; it opens a
                          debugging port on 127.0.0.1 in that process) for V8 heap figures
  --metrics-url URL       the target's Prometheus /metrics (Go heap, stack, goroutines, RSS);
                          with --pid, found on its ports when not given
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
Phases (the load's windows; found from the process's CPU and connections when not given):
  --load-output FILE      the load tool's output: autocannon --json, hey -o csv, vegeta encode
  --phases SPEC           the phases yourself, e.g. rest:0-10s,load:10-40s,rest:40- (wins over
                          any found); from another shell, npx tsx scripts/leakbench.ts mark
                          burst-start (burst-end, rest) marks them as they happen
Flags:
  --sample-interval 1s   --label NAME (the target's name in the report)   --out reports   --name NAME
  --progress auto|on|off  a line with elapsed time, samples, RSS now and the phase found so far
                          (looked for every 5 s; auto: only on a terminal)
${LIVE_HELP}`;

/**
 * `leakbench sample` (npm run sample): a watched run. The same session as a driven run (sources,
 * smaps snapshots, identity, phase records, analysis, report), with one watched phase in place
 * of the load phases: the pack sends nothing.
 */
export async function sampleCommand(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseSampleArgs(args);
  if (o === 'help') {
    ctx.out(SAMPLE_HELP);
    return ExitCode.ok;
  }
  const cgroup = await checkCgroupSource(o);
  // --cgroup alone: the process holding most of its memory is watched as with --pid.
  if (o.pid === undefined && cgroup?.processes?.[0]) o.pid = cgroup.processes[0].pid;
  const phases = [watchedPhase('watched', o.durationMs)];
  const progress = new ProgressLine(o.progress);
  let startedAtMs = Date.now();
  const outcome = await runSession(
    {
      outDir: o.outDir,
      name: o.name ?? runDirName(o.label === 'sample' ? ['sample'] : ['sample', o.label]),
      runFile: (clock) => {
        startedAtMs = clock.startedAtMs;
        return watchedRunFile(o, phases, clock);
      },
      title: `sampling ${describeSources(o)} every ${o.intervalMs} ms`,
      phases,
      target: (parts) => new WatchedTarget(o, cgroup, parts),
      engine: DEFAULTS.engine,
      settleMs: 0,
      ...(o.prometheus && { prometheus: o.prometheus }),
      ...(o.live && { live: o.live }),
      signalIsTheEnd: o.durationMs === undefined,
      // While it runs, the phases found so far go to the progress line and the live view.
      phasesSoFar: (dir) => {
        const samples = readSamples(dir);
        const found = findPhases(o, dir, startedAtMs, samples, () => {});
        return { phases: found.phases, note: phaseSoFarNote(found, samples.at(-1)?.t ?? 0) };
      },
      // The one watched phase gives way to the phases found in what was sampled (run/watched-phases.ts).
      beforeEnd: (run, dir, info) => {
        recordPhases(
          run,
          findPhases(o, dir, run.startedAtMs, readSamples(dir), (m) => info(`warning: ${m}`)),
          info,
        );
      },
    },
    { log: (l) => progress.log(l), progress, signal: ctx.signal },
  );
  if (outcome.status === 'failed' && outcome.endReason) ctx.err(`leakbench: ${outcome.endReason}`);
  const shown = relative(process.cwd(), outcome.dir) || outcome.dir;
  ctx.out(
    `${outcome.samples} samples: ${outcome.summary?.headline ?? 'no report'}\n  report: ${shown}/index.html\n  join it with a k6 run: npm run report -- --k6 <k6 output> --samples ${shown}`,
  );
  if (outcome.exitCode === ExitCode.interrupted && ctx.signal.reason === 'SIGTERM') return 143;
  return outcome.exitCode;
}

const readSamples = (dir: string) => readNdjson<Sample>(join(dir, FILES.samples), SCHEMA.samples).records;

/** The phases of a watched run from its directory as it stands. */
function findPhases(
  o: SampleOptions,
  dir: string,
  startedAtMs: number,
  samples: readonly Sample[],
  warn: (m: string) => void,
): PhaseDetection {
  return findWatchedPhases({
    dir,
    startedAtMs,
    samples,
    ...(o.phases && { override: o.phases }),
    ...(o.loadOutput !== undefined && { loadOutput: o.loadOutput }),
    warn,
  });
}

/** run.json as a watched run starts: scenario "sample", the sample options, one watched phase. */
function watchedRunFile(o: SampleOptions, phases: readonly PhaseSpec[], clock: RunClock): RunFile {
  return {
    schema: SCHEMA.run,
    scenario: 'sample',
    status: 'running',
    startedAt: new Date(clock.startedAtMs).toISOString(),
    startedAtMs: clock.startedAtMs,
    options: recordedSampleOptions(o),
    target: { kind: 'attach', label: o.label, url: '', ...(o.pid !== undefined && { pid: o.pid }) },
    versions: toolVersions(),
    phases: phaseRecords(phases, []),
  };
}

/** A --cgroup file or --query that does not work now is a mistake to report before starting. */
async function checkCgroupSource(o: SampleOptions): Promise<CgroupSource | undefined> {
  if (o.cgroupFile !== undefined) {
    const file = o.cgroupFile;
    try {
      await readCgroupMemory(file);
    } catch (err) {
      throw new UsageError(`--cgroup: ${(err as Error).message}`);
    }
    const found = cgroupProcesses(file, o.pid);
    const processes = 'reason' in found ? undefined : found.processes;
    const said =
      'reason' in found
        ? `its processes are unknown: ${found.reason}`
        : found.processes.length === 0
          ? 'no process in it yet'
          : `its processes: ${describeCgroupProcesses(found.processes, found.more)}${o.pid === undefined ? ` (as with --pid ${found.processes[0]!.pid})` : ''}`;
    return {
      label: `cgroup ${file}`,
      read: () => readCgroupMemory(file),
      ...(processes && { processes }),
      found: `cgroup ${file}: ${said}`,
    };
  }
  return undefined;
}

/** The phases found go into run.json like a driven run's; how they were found into the events. */
function recordPhases(run: RunFile, d: PhaseDetection, info: (message: string) => void): void {
  if (d.phases.length === 0) {
    info(`phases unknown: ${d.unknown ?? 'no source told them'}`);
    return;
  }
  run.phases = d.phases;
  if (d.finding) {
    const spans = d.phases.map((p) => `${p.name} ${p.startT}-${p.endT} s`).join(', ');
    info(`phases found from ${d.finding.how} (${d.finding.confidence} confidence): ${spans}; ${d.finding.detail}`);
  } else info(`phases unknown: ${d.unknown ?? 'no source told them'}`);
}
