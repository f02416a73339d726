import { join, relative } from 'node:path';
import { ExitCode, LeakbenchError, type ExitCodeValue } from '../errors.ts';
import type { ProgressLine } from '../console/progress.ts';
import { runBurst } from '../load/burst.ts';
import { startClock } from '../load/clock.ts';
import { runIdle } from '../load/idle.ts';
import type { PhaseSpec } from '../load/phases.ts';
import type { RunOptions } from '../options/run-options.ts';
import { writeJsonAtomic } from '../rundir/json.ts';
import { NdjsonWriter } from '../rundir/ndjson.ts';
import { FILES, SCHEMA, type LoadSecond, type PhaseLoadSummary, type Probe, type RunEvent, type RunFile, type Sample, type SummaryFile } from '../rundir/schema.ts';
import { renderReport } from '../report/render.ts';
import { Sampler } from '../sample/sampler.ts';
import { describeExit, type TargetExit } from '../target/launch.ts';
import { createRunDir, timestamp } from './run-dir.ts';
import { buildIfBundled, checkAttach, startTarget, targetLabel, type PreparedTarget } from './prepare-target.ts';
import { toolVersions } from './versions.ts';
import { buildPhases, loadScenario } from './load-scenario.ts';

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

class TargetDied extends Error {
  constructor(readonly exit: TargetExit) {
    super(`the target ${describeExit(exit)} during the run`);
  }
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

/**
 * The collect step: options → target → run directory, with the sampler and the load phases
 * writing as they go. Whatever happens, the target we started is stopped, every file is
 * closed, run.json records how it ended, and the report is rendered from what is on disk.
 */
export async function runScenario(options: RunOptions, io: RunIo): Promise<RunOutcome> {
  const def = await loadScenario(options.scenario, options.scenarioFile);
  const phases: PhaseSpec[] = buildPhases(def, options);
  await checkAttach(options.target);
  const binary = await buildIfBundled(options.target, io.log);

  const dir = createRunDir(options.outDir, options.name ?? `${options.scenario}-${targetLabel(options.target)}-${timestamp()}`);
  const clock = startClock();
  const header = (schema: (typeof SCHEMA)[keyof typeof SCHEMA]) => ({ schema, startedAtMs: clock.startedAtMs });
  const events = new NdjsonWriter<RunEvent>(join(dir, FILES.events), header(SCHEMA.events));
  const samples = new NdjsonWriter<Sample>(join(dir, FILES.samples), header(SCHEMA.samples));
  const load = new NdjsonWriter<LoadSecond>(join(dir, FILES.load), header(SCHEMA.load));
  const probes = phases.some((p) => p.kind === 'idle') ? new NdjsonWriter<Probe>(join(dir, FILES.probes), header(SCHEMA.probes)) : undefined;
  const event = (e: Omit<RunEvent, 't'>) => events.write({ t: Math.round(clock.now() * 1000) / 1000, ...e });
  const warn = (message: string) => {
    event({ type: 'warning', message });
    io.progress.log(`warning: ${message}`);
  };

  const run: RunFile = {
    schema: SCHEMA.run,
    scenario: options.scenario,
    status: 'running',
    startedAt: new Date(clock.startedAtMs).toISOString(),
    startedAtMs: clock.startedAtMs,
    options: serialisableOptions(options),
    target: { kind: options.target.kind, label: targetLabel(options.target), url: 'url' in options.target ? options.target.url.href : '' },
    versions: toolVersions(binary?.goVersion),
    phases: phases.map((p) => ({ name: p.name, kind: p.kind, params: phaseParams(p) })),
  };
  writeJsonAtomic(join(dir, FILES.run), run);
  event({ type: 'run-start', message: `${options.scenario}: ${def.description}` });
  io.log(`run directory: ${relative(process.cwd(), dir) || dir}`);

  // One controller for every reason to stop early: the user's signal or the target dying.
  const stop = new AbortController();
  const onUserAbort = () => stop.abort(io.signal.reason);
  io.signal.addEventListener('abort', onUserAbort, { once: true });
  if (io.signal.aborted) stop.abort(io.signal.reason);

  let target: PreparedTarget | undefined;
  let sampler: Sampler | undefined;
  let stoppingTarget = false;
  let failure: unknown;
  try {
    target = await startTarget(options, binary, dir, io.log);
    run.target = target.info;
    writeJsonAtomic(join(dir, FILES.run), run);
    event({ type: 'target-ready', message: `${target.info.url} answers${target.pid ? `, pid ${target.pid}` : ''}` });
    io.log(`target ready: ${target.info.url}${target.pid ? ` (pid ${target.pid})` : ''}${target.metricsUrl ? `, metrics ${target.metricsUrl.href}` : ''}`);
    target.launched?.exited.then((exit) => {
      if (stoppingTarget) return;
      event({ type: 'target-exit', code: exit.code, signal: exit.signal, message: `the target ${describeExit(exit)}` });
      stop.abort(new TargetDied(exit));
    });

    sampler = new Sampler({
      ...(target.pid !== undefined && { pid: target.pid }),
      ...(target.metricsUrl && { metricsUrl: target.metricsUrl.href }),
      intervalMs: options.sampleIntervalMs,
      writer: samples,
      now: clock.now,
      onWarning: (_source: string, message: string) => warn(message),
      onInfo: (message: string) => event({ type: 'info', message }),
    });
    sampler.start();

    for (const [i, phase] of phases.entries()) {
      if (stop.signal.aborted) break;
      const url = new URL(phase.path, target.baseUrl);
      run.phases[i]!.startT = clock.now();
      event({ type: 'phase-start', phase: phase.name, message: describePhase(phase, url) });
      io.log(`phase ${phase.name}: ${describePhase(phase, url)}`);
      let result: PhaseLoadSummary;
      if (phase.kind === 'idle') {
        const progressTimer = setInterval(() => {
          io.progress.update({ phase: phase.name, value: Math.min(Math.round(clock.now() - run.phases[i]!.startT!), phase.durationMs / 1000), total: phase.durationMs / 1000, unit: 's', ...rss(sampler) });
        }, 1000);
        try {
          result = await runIdle(
            { name: phase.name, url, rate: phase.rate, durationMs: phase.durationMs, timeoutMs: phase.timeoutMs },
            { clock, signal: stop.signal, onProbe: (p) => probes?.write(p), onSecond: (s) => load.write(s) },
          );
        } finally {
          clearInterval(progressTimer);
        }
      } else {
        let lastDraw = 0;
        result = await runBurst(
          { name: phase.name, url, requests: phase.requests, connections: phase.connections, timeoutMs: phase.timeoutMs },
          {
            clock,
            signal: stop.signal,
            onSecond: (s) => load.write(s),
            onWarning: warn,
            onProgress: (done, total) => {
              // Redrawing per response would cost more than the request; a few times a second is plenty.
              if (done !== total && (done & 1023) !== 0) return;
              const now = Date.now();
              if (done !== total && now - lastDraw < 200) return;
              lastDraw = now;
              io.progress.update({ phase: phase.name, value: done, total, unit: 'req', ...rss(sampler) });
            },
          },
        );
      }
      io.progress.done();
      // The engine may notice the end a moment late (autocannon's 1 s tick): end at the last answer.
      run.phases[i]!.endT = Math.min(clock.now(), run.phases[i]!.startT! + result.durationS);
      run.phases[i]!.result = result;
      writeJsonAtomic(join(dir, FILES.run), run);
      event({ type: 'phase-end', phase: phase.name, message: `${result.completed} responses, ${result.errors} errors, ${result.non2xx} non-2xx in ${result.durationS.toFixed(1)} s` });
    }
    if (!stop.signal.aborted && options.settleMs > 0) {
      io.log(`settling: sampling ${options.settleMs / 1000}s more without load`);
      await sleep(options.settleMs, stop.signal);
    }
  } catch (err) {
    failure = err;
  } finally {
    io.progress.done();
    io.signal.removeEventListener('abort', onUserAbort);
    try {
      await sampler?.stop();
    } catch (err) {
      failure ??= err;
    }
    if (target?.launched) {
      stoppingTarget = !target.launched.exit;
      const exit = await target.launched.stop(options.stopGraceMs);
      if (stoppingTarget) event({ type: 'target-stop', code: exit.code, signal: exit.signal, message: `stopped by the pack (${describeExit(exit)})` });
    }
  }

  const reason = stop.signal.reason as unknown;
  let exitCode: ExitCodeValue = ExitCode.ok;
  if (failure) {
    run.status = 'failed';
    run.endReason = (failure as Error).message;
    exitCode = failure instanceof LeakbenchError ? failure.exitCode : ExitCode.failure;
  } else if (reason instanceof TargetDied) {
    run.status = 'failed';
    run.endReason = reason.message;
    exitCode = ExitCode.failure;
  } else if (io.signal.aborted) {
    run.status = 'interrupted';
    run.endReason = `interrupted by ${String(io.signal.reason)}`;
    exitCode = ExitCode.interrupted;
  } else {
    run.status = 'completed';
  }
  run.endedAt = new Date().toISOString();
  event({ type: 'run-end', message: run.endReason ?? run.status });
  writeJsonAtomic(join(dir, FILES.run), run);
  for (const w of [events, samples, load, probes]) w?.close();

  let summary: SummaryFile | undefined;
  try {
    summary = (await renderReport(dir)).summary;
  } catch (err) {
    io.log(`could not render the report: ${(err as Error).message} (the measurements are in ${dir}; retry with npm run report -- ${dir})`);
    if (exitCode === ExitCode.ok) exitCode = ExitCode.failure;
  }
  if (failure && !(failure instanceof LeakbenchError)) throw failure;
  return { dir, status: run.status, exitCode, ...(summary && { summary }), ...(run.endReason && { endReason: run.endReason }) };
}

function rss(sampler: Sampler | undefined): { rssBytes?: number } {
  const v = sampler?.latest()?.vmRss ?? sampler?.latest()?.processRss;
  return v === undefined ? {} : { rssBytes: v };
}

function describePhase(p: PhaseSpec, url: URL): string {
  return p.kind === 'idle'
    ? `GET ${url.href} at ${p.rate}/s for ${p.durationMs / 1000}s, a new connection per probe, ${p.timeoutMs} ms timeout`
    : `GET ${url.href} x ${p.requests.toLocaleString('en-US')} over ${p.connections} keep-alive connections`;
}

function phaseParams(p: PhaseSpec): Record<string, unknown> {
  const { name: _name, kind: _kind, ...params } = p;
  return params;
}

function serialisableOptions(o: RunOptions): Record<string, unknown> {
  const t = o.target;
  const target = t.kind === 'bundled'
    ? { kind: t.kind, variant: t.variant }
    : t.kind === 'command'
      ? { kind: t.kind, command: t.command, url: t.url.href, metricsUrl: t.metricsUrl?.href }
      : { kind: t.kind, url: t.url.href, pid: t.pid, metricsUrl: t.metricsUrl?.href };
  return { ...o, target };
}
