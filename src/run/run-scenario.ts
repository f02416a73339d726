import { join, relative } from 'node:path';
import type { ProgressLine } from '../console/progress.ts';
import { ExitCode, LeakbenchError, type ExitCodeValue } from '../errors.ts';
import { startClock } from '../load/clock.ts';
import type { RunOptions } from '../options/run-options.ts';
import { renderReport } from '../report/render.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';
import { RunRecorder, runDirName } from '../rundir/recorder.ts';
import { FILES, type RunFile } from '../rundir/schema.ts';
import { collectPrometheus } from '../sample/prometheus-source.ts';
import { identifyProcess } from '../target/identify.ts';
import { failOnReason } from './fail-on.ts';
import { round3, RunJournal } from './journal.ts';
import { buildPhases, loadScenario } from './load-scenario.ts';
import { describePhase, runPhase } from './phase-runner.ts';
import { buildIfBundled, checkAttach, targetLabel } from './prepare-target.ts';
import { startingRunFile } from './run-record.ts';
import { Snapshots } from './snapshots.ts';
import { RunStop, WriteFailed } from './stop.ts';
import { TargetSession } from './target-session.ts';
import { atRestEnd } from './runtime-sources.ts';
import { plannedSeconds } from '../options/live-options.ts';
import { LiveServer } from '../live/live-server.ts';
import { tee, watchProgress } from '../live/observer.ts';

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
}

/**
 * The collect step: options → target → run directory, with the sampler and the load phases
 * writing as they go. Whatever happens, the target we started is stopped, every file is
 * closed, run.json records how it ended, and the report is rendered from what is on disk.
 */
export async function runScenario(options: RunOptions, io: RunIo): Promise<RunOutcome> {
  // Everything that can be refused is refused before the run directory exists.
  const def = await loadScenario(options.scenario, options.scenarioFile);
  const phases = buildPhases(def, options);
  await checkAttach(options.target);
  const binary = await buildIfBundled(options.target, io.log);
  // --live: listen before the run directory exists, so a busy port costs nothing.
  const live = options.live ? await LiveServer.start(options.live) : undefined;

  const clock = startClock();
  const stop = new RunStop(io.signal);
  const name = options.name ?? runDirName([def.name, targetLabel(options.target)]);
  const recorder = RunRecorder.create(options.outDir, name, startingRunFile(def, options, phases, clock, binary), {
    // A full or read-only disk ends the run cleanly: the load and the target stop, what was written stays.
    onWriteFailure: (err) => {
      io.progress.log(`leakbench: ${err.message}; stopping the load and the target (what was written stays readable)`);
      stop.abort(new WriteFailed(err.message));
    },
  });
  const { dir, run } = recorder;
  // The live view (when asked for) sees every record as it is written.
  const journal = new RunJournal(tee(recorder.series('events'), live && ((e) => live.onEvent(e))), clock, (l) =>
    io.progress.log(l),
  );
  const load = tee(recorder.series('load'), live && ((l) => live.onLoadSecond(l)));
  const probes = phases.some((p) => p.kind === 'idle') ? recorder.series('probes') : undefined;
  const target = new TargetSession(
    options,
    journal,
    tee(recorder.series('samples'), live && ((x) => live.onSample(x))),
    clock,
    stop,
    { log: io.log, progressLog: (l) => io.progress.log(l) },
  );
  const snapshots = new Snapshots(recorder, clock, (m) => journal.warn(m));
  live?.attach({
    run,
    dir: relative(process.cwd(), dir) || dir,
    now: clock.now,
    plannedS: plannedSeconds(phases, options.settleMs),
  });
  const unwatchProgress = watchProgress(io.progress, live);
  journal.event({ type: 'run-start', message: `${def.name}: ${def.description}` });
  io.log(`run directory: ${relative(process.cwd(), dir) || dir}`);
  if (live) io.log(`live view: ${live.url} (until the run ends)`);

  let failure: unknown;
  try {
    const plan = await target.start(binary, recorder.path(FILES.targetLog));
    if (plan.pid !== undefined) plan.info.identity = identifyProcess(plan.pid);
    run.target = plan.info;
    recorder.saveRun();
    journal.event({
      type: 'target-ready',
      ...(plan.pid !== undefined && { pid: plan.pid }),
      message: `${plan.info.url} answers${plan.pid ? `, pid ${plan.pid}` : ''}`,
    });
    io.log(
      `target ready: ${plan.info.url}${plan.pid ? ` (pid ${plan.pid})` : ''}${plan.metricsUrl ? `, metrics ${plan.metricsUrl.href}` : ''}`,
    );
    target.startSampling();
    await snapshots.take('start', target.currentPid(), plan.baseUrl);

    for (const [i, phase] of phases.entries()) {
      if (stop.signal.aborted) break;
      const record = run.phases[i]!;
      const url = new URL(phase.path, plan.baseUrl);
      const startT = (record.startT = round3(clock.now()));
      recorder.saveRun();
      journal.event({ type: 'phase-start', phase: phase.name, message: describePhase(phase, url) });
      io.log(`phase ${phase.name}: ${describePhase(phase, url)}`);
      const result = await runPhase(phase, url, {
        clock,
        signal: stop.signal,
        engine: options.engine,
        load,
        probes,
        progress: io.progress,
        rss: () => target.latestRss(),
        warn: (m) => journal.warn(m),
      });
      io.progress.done();
      // The engine may notice the end a moment late (autocannon's 1 s tick): end at the last answer.
      record.endT = round3(Math.min(clock.now(), startT + result.durationS));
      record.result = result;
      recorder.saveRun();
      journal.event({
        type: 'phase-end',
        phase: phase.name,
        message: `${result.completed} responses, ${result.errors} errors, ${result.non2xx} non-2xx in ${result.durationS.toFixed(1)} s`,
      });
      if (!stop.signal.aborted && atRestEnd(phases, i)) await target.collectAtRest(phase.name);
      if (!stop.signal.aborted) await snapshots.take(`after-${phase.name}`, target.currentPid(), undefined);
    }
    if (!stop.signal.aborted && options.settleMs > 0) {
      io.log(`settling: sampling ${options.settleMs / 1000}s more without load`);
      await sleep(options.settleMs, stop.signal);
    }
    if (!stop.targetGone) await snapshots.take('end', target.currentPid(), plan.baseUrl);
  } catch (err) {
    failure = err;
  } finally {
    io.progress.done();
    stop.detach();
    const samplerError = await target.end();
    failure ??= samplerError;
  }

  // --prometheus-url: one range query over the whole run once it is over, so the server's view
  // lands beside the pack's own; an unreachable server is a warning, never a failed run.
  if (options.prometheus) {
    const figures = await collectPrometheus(
      options.prometheus,
      { startedAtMs: clock.startedAtMs, endMs: Date.now() },
      (m) => journal.warn(m),
      io.log,
    );
    if (figures) recorder.writeSeries('prometheus', figures);
  }

  const ending = stop.ending(failure);
  run.status = ending.status;
  if (ending.endReason !== undefined) run.endReason = ending.endReason;
  run.endedAt = new Date().toISOString();
  journal.event({ type: 'run-end', message: run.endReason ?? run.status });
  recorder.saveRun();
  recorder.close();

  let exitCode = ending.exitCode;
  let summary: SummaryFile | undefined;
  try {
    summary = (await renderReport(dir)).summary;
  } catch (err) {
    io.log(
      `could not render the report: ${(err as Error).message} (the measurements are in ${dir}; retry with npm run report -- ${dir})`,
    );
    if (exitCode === ExitCode.ok) exitCode = ExitCode.failure;
  }
  // The live page shows how it ended, then its port closes.
  unwatchProgress();
  await live?.finish({
    status: run.status,
    ...(run.endReason && { endReason: run.endReason }),
    ...(summary && { report: join(relative(process.cwd(), dir) || dir, FILES.html), headline: summary.headline }),
  });
  if (failure && !(failure instanceof LeakbenchError)) throw failure;
  const gate =
    exitCode === ExitCode.ok && options.failOn && summary ? failOnReason(options.failOn, summary) : undefined;
  if (gate) {
    io.log(`failing (exit 4): ${gate}`);
    exitCode = ExitCode.memoryGrowth;
  }
  return {
    dir,
    status: run.status,
    exitCode,
    ...(summary && { summary }),
    ...(run.endReason && { endReason: run.endReason }),
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
