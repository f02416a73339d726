import { atRestEnd } from './runtime-sources.ts';
import { workSampler } from './work-samples.ts';
import { join, relative } from 'node:path';
import type { ProgressLine } from '../console/progress.ts';
import { ExitCode, LeakbenchError, type ExitCodeValue } from '../errors.ts';
import { startClock, type RunClock } from '../load/clock.ts';
import type { BurstEngineName } from '../load/burst-engines.ts';
import type { PhaseSpec } from '../load/phases.ts';
import { plannedSeconds, type LiveOptions } from '../options/live-options.ts';
import type { PrometheusOptions } from '../options/prometheus-options.ts';
import type { FailOn } from '../options/run-options.ts';
import { describePhase } from '../phases/describe.ts';
import { phaseKindOf } from '../phases/kinds.ts';
import { phaseRunnerOf } from '../phases/runners.ts';
import { renderReport } from '../report/render.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { RunRecorder, type SeriesAppender } from '../rundir/recorder.ts';
import { FILES, type LoadSecond, type Probe, type RunFile, type Sample, type TargetInfo } from '../rundir/schema.ts';
import { collectPrometheus } from '../sample/prometheus-source.ts';
import { identifyProcess } from '../target/identify.ts';
import { LiveServer } from '../live/live-server.ts';
import { tee, watchProgress } from '../live/observer.ts';
import { failOnReason } from './fail-on.ts';
import { round3, RunJournal } from './journal.ts';
import { Snapshots } from './snapshots.ts';
import { SitesRecording, type SitesSink } from './sites-recording.ts';
import { RunStop, WriteFailed } from './stop.ts';

export interface RunIo {
  log(line: string): void;
  progress: ProgressLine;
  /** Aborted by the entry point on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface RunOutcome {
  dir: string;
  status: RunFile['status'];
  exitCode: ExitCodeValue;
  summary?: SummaryFile;
  endReason?: string;
  /** Samples the pack's own sampler took. */
  samples: number;
}

/** Where the target is once it answers (a driven run) or is found (a watched one). */
export interface SessionTargetPlan {
  info: TargetInfo;
  /** Where driven phases send their requests; absent when the pack only watches. */
  baseUrl?: URL;
  pid?: number;
  /** The line that says the target is there, for the console and events.ndjson. */
  ready: string;
}

/**
 * The target and the sources that sample it for the length of a run: a target the pack starts
 * or attaches to and loads (TargetSession), or a process, cgroup or metrics endpoint it only
 * watches (WatchedTarget).
 */
export interface SessionTarget {
  start(logFile: string): Promise<SessionTargetPlan>;
  startSampling(): void;
  currentPid(): number | undefined;
  latestRss(): { rssBytes?: number };
  sampleCount(): number;
  /** One sample now unless one is in flight (a burst's progress asks); returns whether it took one. */
  sampleSoon?(): boolean;
  /** Asks the runtime for a full collection at rest and samples after it (src/run/runtime-sources.ts). */
  collectAtRest?(phase: string): Promise<void>;
  /**
   * A watched run's last word from the runtime: a collection once the watch is over (its phases
   * are found only afterwards, so this is its one sure moment at rest), and a sample after it.
   */
  collectAtEnd?(): Promise<void>;
  /** Stops sampling and what the pack started; returns the sampler's error, if any. */
  end(): Promise<unknown>;
}

/** What a target is made with: the run's journal, its samples file, its clock and its stop. */
export interface SessionParts {
  journal: RunJournal;
  samples: SeriesAppender<Sample>;
  clock: RunClock;
  stop: RunStop;
  io: { log(line: string): void; progressLog(line: string): void };
  /** Where allocation-site profiles taken at rest go (sites.ndjson and sites/). */
  sites: SitesSink;
}

/** Phases added to a run as it goes, and why, in words. */
export interface MorePhases {
  specs: PhaseSpec[];
  records: RunFile['phases'];
  why?: string;
}

/** One run, driven or watched: everything that differs between `run` and `sample` is in here. */
export interface SessionSpec {
  outDir: string;
  name: string;
  /** run.json as the run starts, phases included. */
  runFile(clock: RunClock): RunFile;
  /** events.ndjson's run-start line. */
  title: string;
  phases: readonly PhaseSpec[];
  target(parts: SessionParts): SessionTarget;
  engine: BurstEngineName;
  /** --burst-threads; absent, the engine chooses. */
  burstThreads?: number;
  settleMs: number;
  prometheus?: PrometheusOptions;
  live?: LiveOptions;
  failOn?: FailOn;
  /** The user's signal is the planned end (sample --until-signal): the run is completed, not interrupted. */
  signalIsTheEnd?: boolean;
  /**
   * Phases to run after the planned ones, asked once they are done and again after each answer:
   * a soak whose bursts left memory the figures cannot decide on runs its burst again
   * (src/run/more-bursts.ts). Empty: the run goes on to its end.
   */
  morePhases?(dir: string, done: readonly PhaseSpec[]): MorePhases;
  /**
   * A watched run's phases as found so far from its directory, asked every few seconds while a
   * phase that sends nothing runs: the progress line ends with `note`, and the live view draws
   * `phases`. run.json keeps its planned phase until beforeEnd.
   */
  phasesSoFar?(dir: string): FoundSoFar;
  /** Last word on run.json before it is closed (a watched run's phases, found from what was sampled). */
  beforeEnd?(run: RunFile, dir: string, info: (message: string) => void): void;
}

/** What phasesSoFar answers. */
export interface FoundSoFar {
  phases: RunFile['phases'];
  note: string;
}

/**
 * Seconds between two looks for phases while watching. Each look reads every sample so far, so
 * a long watch looks at most a hundred times over its length.
 */
const FOUND_EVERY_S = 5;

interface Session {
  spec: SessionSpec;
  io: RunIo;
  clock: RunClock;
  stop: RunStop;
  recorder: RunRecorder;
  journal: RunJournal;
  load: SeriesAppender<LoadSecond>;
  probes: SeriesAppender<Probe> | undefined;
  target: SessionTarget;
  snapshots: Snapshots;
  live: LiveServer | undefined;
  shownDir: string;
  /** The phases so far: the planned ones, then any morePhases added. */
  phases: PhaseSpec[];
}

/**
 * The collect step shared by a driven run and a watched one: the run directory, the target and
 * its sources, smaps snapshots, the phases in turn, then the report rendered from what is on
 * disk. Whatever happens, the target we started is stopped, every file is closed, and run.json
 * records how it ended.
 */
export async function runSession(spec: SessionSpec, io: RunIo): Promise<RunOutcome> {
  // --live: listen before the run directory exists, so a busy port costs nothing.
  const live = spec.live ? await LiveServer.start(spec.live) : undefined;
  const s = openSession(spec, io, live);
  const unwatchProgress = watchProgress(io.progress, live);
  let failure: unknown;
  try {
    await collect(s);
  } catch (err) {
    failure = err;
  } finally {
    io.progress.done();
    s.stop.detach();
    const samplerError = await s.target.end();
    failure ??= samplerError;
  }
  await readPrometheusBack(s);
  const ending = endRun(s, failure);
  const outcome = await report(s, ending);
  unwatchProgress();
  await live?.finish({
    status: s.recorder.run.status,
    ...(s.recorder.run.endReason && { endReason: s.recorder.run.endReason }),
    ...(outcome.summary && { report: join(s.shownDir, FILES.html), headline: outcome.summary.headline }),
  });
  if (failure && !(failure instanceof LeakbenchError)) throw failure;
  return outcome;
}

/** The run directory, its series, the target and the live view, wired together. */
function openSession(spec: SessionSpec, io: RunIo, live: LiveServer | undefined): Session {
  const clock = startClock();
  const stop = new RunStop(io.signal);
  const recorder = RunRecorder.create(spec.outDir, spec.name, spec.runFile(clock), {
    // A full or read-only disk ends the run cleanly: the load and the target stop, what was written stays.
    onWriteFailure: (err) => {
      io.progress.log(`leakbench: ${err.message}; stopping the load and the target (what was written stays readable)`);
      stop.abort(new WriteFailed(err.message));
    },
  });
  // The live view (when asked for) sees every record as it is written.
  const journal = new RunJournal(tee(recorder.series('events'), live && ((e) => live.onEvent(e))), clock, (l) =>
    io.progress.log(l),
  );
  const load = tee(recorder.series('load'), live && ((l) => live.onLoadSecond(l)));
  const probes = spec.phases.some((p) => phaseKindOf(p).recordsProbes) ? recorder.series('probes') : undefined;
  const samples = tee(recorder.series('samples'), live && ((x) => live.onSample(x)));
  const target = spec.target({
    journal,
    samples,
    clock,
    stop,
    io: { log: io.log, progressLog: (l) => io.progress.log(l) },
    sites: new SitesRecording(recorder, clock, journal),
  });
  const snapshots = new Snapshots(recorder, clock, (m) => journal.warn(m));
  const shownDir = relative(process.cwd(), recorder.dir) || recorder.dir;
  const planned = plannedSeconds(
    spec.phases.map((p) => phaseKindOf(p).plannedMs(p)),
    spec.settleMs,
  );
  live?.attach({ run: recorder.run, dir: shownDir, now: clock.now, plannedS: planned });
  journal.event({ type: 'run-start', message: spec.title });
  io.log(`run directory: ${shownDir}`);
  if (live) io.log(`live view: ${live.url} (until the run ends)`);
  const phases = [...spec.phases];
  return { spec, io, clock, stop, recorder, journal, load, probes, target, snapshots, live, shownDir, phases };
}

/** The target, the start snapshot, each phase with its snapshot, the settle time, the end snapshot. */
async function collect(s: Session): Promise<void> {
  const { recorder, journal, target, snapshots, stop, io } = s;
  const plan = await target.start(recorder.path(FILES.targetLog));
  // What the target is (e.g. Go build info with -race) is read from its executable, driven or watched.
  if (plan.pid !== undefined) plan.info.identity = identifyProcess(plan.pid);
  recorder.run.target = plan.info;
  recorder.saveRun();
  journal.event({ type: 'target-ready', ...(plan.pid !== undefined && { pid: plan.pid }), message: plan.ready });
  io.log(plan.ready);
  target.startSampling();
  await snapshots.take('start', target.currentPid(), plan.baseUrl);
  for (let i = 0; i < s.phases.length && !stop.signal.aborted; i++) {
    await runOnePhase(s, s.phases[i]!, i, plan.baseUrl);
    if (i === s.phases.length - 1 && !stop.signal.aborted && s.spec.morePhases) addPhases(s);
  }
  if (!stop.signal.aborted && s.spec.settleMs > 0) {
    io.log(`settling: sampling ${s.spec.settleMs / 1000}s more without load`);
    await sleep(s.spec.settleMs, stop.signal);
  }
  if (!stop.targetGone) {
    await target.collectAtEnd?.();
    await snapshots.take('end', target.currentPid(), plan.baseUrl);
  }
}

/** One phase: its record's times and result in run.json, its events, its runner, its snapshot after. */
/** Appends what morePhases asks for to the run and to run.json. */
function addPhases(s: Session): void {
  const more = s.spec.morePhases!(s.recorder.dir, s.phases);
  if (more.specs.length === 0) return;
  if (more.why) {
    s.journal.event({ type: 'info', message: more.why });
    s.io.log(more.why);
  }
  s.phases.push(...more.specs);
  s.recorder.run.phases.push(...more.records);
  s.recorder.saveRun();
}

async function runOnePhase(s: Session, phase: PhaseSpec, i: number, baseUrl: URL | undefined): Promise<void> {
  const { recorder, journal, clock, io, target } = s;
  const record = recorder.run.phases[i]!;
  const startT = (record.startT = round3(clock.now()));
  recorder.saveRun();
  const line = describePhase(phase, baseUrl);
  journal.event({ type: 'phase-start', phase: phase.name, message: line });
  io.log(`phase ${phase.name}: ${line}`);
  const found = phaseKindOf(phase).drivesLoad ? undefined : watchFound(s);
  const result = await phaseRunnerOf(phase)(phase, {
    baseUrl,
    clock,
    signal: s.stop.signal,
    engine: s.spec.engine,
    ...(s.spec.burstThreads !== undefined && { burstThreads: s.spec.burstThreads }),
    load: s.load,
    probes: s.probes,
    progress: io.progress,
    rss: () => target.latestRss(),
    samples: () => target.sampleCount(),
    ...(found && { note: found.note }),
    ...(target.sampleSoon && {
      onWork: workSampler(
        () => target.sampleSoon?.() ?? false,
        () => performance.now(),
      ),
    }),
    warn: (m) => journal.warn(m),
  }).finally(() => found?.stop());
  io.progress.done();
  // The engine may notice the end a moment late (autocannon's 1 s tick): end at the last answer.
  record.endT = round3(Math.min(clock.now(), startT + (result?.durationS ?? Infinity)));
  if (result) record.result = result;
  recorder.saveRun();
  journal.event({
    type: 'phase-end',
    phase: phase.name,
    message: result
      ? `${result.completed} responses, ${result.errors} errors, ${result.non2xx} non-2xx in ${result.durationS.toFixed(1)} s`
      : `${(record.endT - startT).toFixed(1)} s, ${target.sampleCount()} samples`,
  });
  if (!s.stop.signal.aborted && target.collectAtRest && atRestEnd(s.phases, i)) await target.collectAtRest(phase.name);
  if (!s.stop.signal.aborted && phaseKindOf(phase).snapshotAfter)
    await s.snapshots.take(`after-${phase.name}`, target.currentPid(), undefined);
}

/** The phases found so far in a watched phase (spec.phasesSoFar), looked for while it runs. */
function watchFound(s: Session): { note: () => string | undefined; stop: () => void } | undefined {
  const find = s.spec.phasesSoFar;
  if (!find) return undefined;
  let note: string | undefined;
  let lastT = Number.NEGATIVE_INFINITY;
  const timer = setInterval(() => {
    const t = s.clock.now();
    if (t - lastT < Math.max(FOUND_EVERY_S, t / 100)) return;
    lastT = t;
    try {
      const found = find(s.recorder.dir);
      note = found.note;
      s.live?.showFoundPhases(found.phases);
    } catch (err) {
      // The look is a courtesy while the run goes on: the phases that count are found at its end.
      note = `phases: ${(err as Error).message}`;
    }
  }, 1000).unref();
  return { note: () => note, stop: () => clearInterval(timer) };
}

/**
 * --prometheus-url: one range query over the whole run once it is over, so the server's view
 * lands beside the pack's own; an unreachable server is a warning, never a failed run.
 */
async function readPrometheusBack(s: Session): Promise<void> {
  if (!s.spec.prometheus) return;
  const figures = await collectPrometheus(
    s.spec.prometheus,
    { startedAtMs: s.clock.startedAtMs, endMs: Date.now() },
    (m) => s.journal.warn(m),
    s.io.log,
  );
  if (figures) s.recorder.writeSeries('prometheus', figures);
}

/** How the run ended, into run.json and events.ndjson; closes the run directory's files. */
function endRun(s: Session, failure: unknown): { exitCode: ExitCodeValue } {
  const { run } = s.recorder;
  let ending = s.stop.ending(failure);
  // With sample --until-signal the signal is how the watch is meant to end.
  if (ending.status === 'interrupted' && s.spec.signalIsTheEnd)
    ending = { status: 'completed', endReason: `stopped by ${String(s.io.signal.reason)}`, exitCode: ExitCode.ok };
  run.status = ending.status;
  if (ending.endReason !== undefined) run.endReason = ending.endReason;
  run.endedAt = new Date().toISOString();
  s.spec.beforeEnd?.(run, s.recorder.dir, (message) => s.journal.event({ type: 'info', message }));
  s.journal.event({ type: 'run-end', message: run.endReason ?? run.status });
  s.recorder.saveRun();
  s.recorder.close();
  return { exitCode: ending.exitCode };
}

/** The report from what is on disk, and the exit code with --fail-on. */
async function report(s: Session, ending: { exitCode: ExitCodeValue }): Promise<RunOutcome> {
  const { dir, run } = s.recorder;
  let exitCode = ending.exitCode;
  let summary: SummaryFile | undefined;
  try {
    const rendered = await renderReport(dir);
    summary = rendered.summary;
    for (const w of rendered.warnings) s.io.log(`warning: ${w}`);
  } catch (err) {
    s.io.log(
      `could not render the report: ${(err as Error).message} (the measurements are in ${dir}; retry with npm run report -- ${dir})`,
    );
    if (exitCode === ExitCode.ok) exitCode = ExitCode.failure;
  }
  const gate = exitCode === ExitCode.ok && s.spec.failOn && summary ? failOnReason(s.spec.failOn, summary) : undefined;
  if (gate) {
    s.io.log(`failing (exit 4): ${gate}`);
    exitCode = ExitCode.memoryGrowth;
  }
  return {
    dir,
    status: run.status,
    exitCode,
    ...(summary && { summary }),
    ...(run.endReason && { endReason: run.endReason }),
    samples: s.target.sampleCount(),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
