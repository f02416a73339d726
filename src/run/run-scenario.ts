import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ExitCode, LeakbenchError, type ExitCodeValue } from '../errors.ts';
import type { ProgressLine } from '../console/progress.ts';
import { runBurstWith } from '../load/burst-engines.ts';
import { startClock, type RunClock } from '../load/clock.ts';
import { runIdle } from '../load/idle.ts';
import type { PhaseSpec } from '../load/phases.ts';
import type { RunOptions } from '../options/run-options.ts';
import { writeJsonAtomic } from '../rundir/json.ts';
import { NdjsonWriter } from '../rundir/ndjson.ts';
import { FILES, SCHEMA, type LoadSecond, type PhaseLoadSummary, type Probe, type RunEvent, type RunFile, type Sample, type SummaryFile } from '../rundir/schema.ts';
import { renderReport } from '../report/render.ts';
import { captureHeapProfile } from '../sample/pprof.ts';
import { Sampler } from '../sample/sampler.ts';
import { collectPrometheus } from '../sample/prometheus-source.ts';
import { captureSmaps } from '../sample/smaps-snapshot.ts';
import { describeExit } from '../target/launch.ts';
import { createMemoryCgroup, type MemoryCgroupHandle } from '../target/memory-cgroup.ts';
import { buildPhases, loadScenario } from './load-scenario.ts';
import { buildIfBundled, checkAttach, detectMetrics, planTarget, targetLabel, type TargetPlan } from './prepare-target.ts';
import { createRunDir, timestamp } from './run-dir.ts';
import { TargetSupervisor } from './supervisor.ts';
import { isGrowthVerdict } from './fail-on.ts';
import { plannedSeconds } from '../live/live-flags.ts';
import { LiveServer } from '../live/live-server.ts';
import { tee, watchProgress } from '../live/observer.ts';
import { toolVersions } from './versions.ts';

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

class TargetGone extends Error {}
class WriteFailed extends Error {}

/**
 * A full or read-only disk must end the run cleanly (stop the load and the target, keep what
 * was written), not throw from inside a timer callback: the first failed write aborts the run
 * and later writes are dropped.
 */
class GuardedWriter<T> {
  constructor(
    private readonly inner: NdjsonWriter<T>,
    private readonly onFail: (err: unknown) => void,
    private readonly failed: () => boolean,
  ) {}

  write(record: T): void {
    if (this.failed()) return;
    try {
      this.inner.write(record);
    } catch (err) {
      this.onFail(err);
    }
  }

  close(): void {
    try {
      this.inner.close();
    } catch {
      // closing a file on a full disk can fail too; the data already written is what it is
    }
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

const round3 = (x: number) => Math.round(x * 1000) / 1000;

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
  // ── --live hook 1/4: listen before the run directory exists, so a busy port costs nothing ──
  const live = options.live ? await LiveServer.start(options.live) : undefined;

  const dir = createRunDir(options.outDir, options.name ?? `${def.name}-${targetLabel(options.target)}-${timestamp()}`);
  const clock = startClock();
  const header = (schema: (typeof SCHEMA)[keyof typeof SCHEMA]) => ({ schema, startedAtMs: clock.startedAtMs });
  // One controller for every reason to stop early: the user's signal, the target dying, or
  // the run directory becoming unwritable.
  const stop = new AbortController();
  const onWriteFailure = (err: unknown) => {
    if (stop.signal.reason instanceof WriteFailed) return;
    const message = (err as Error).message;
    io.progress.log(`leakbench: ${message}; stopping the load and the target (what was written stays readable)`);
    stop.abort(new WriteFailed(message));
  };
  const guarded = <T>(w: NdjsonWriter<T>) => new GuardedWriter(w, onWriteFailure, () => stop.signal.reason instanceof WriteFailed);
  // ── --live hook 2/4: the live view sees every record as it is written ──
  const events = tee(guarded(new NdjsonWriter<RunEvent>(join(dir, FILES.events), header(SCHEMA.events))), live && ((e) => live.onEvent(e)));
  const samples = tee(guarded(new NdjsonWriter<Sample>(join(dir, FILES.samples), header(SCHEMA.samples))), live && ((s) => live.onSample(s)));
  const load = tee(guarded(new NdjsonWriter<LoadSecond>(join(dir, FILES.load), header(SCHEMA.load))), live && ((l) => live.onLoadSecond(l)));
  const probes = phases.some((p) => p.kind === 'idle') ? guarded(new NdjsonWriter<Probe>(join(dir, FILES.probes), header(SCHEMA.probes))) : undefined;
  const event = (e: Omit<RunEvent, 't'>) => events.write({ t: round3(clock.now()), ...e });
  const warn = (message: string) => {
    event({ type: 'warning', message });
    io.progress.log(`warning: ${message}`);
  };

  const run: RunFile = {
    schema: SCHEMA.run,
    scenario: def.name,
    status: 'running',
    startedAt: new Date(clock.startedAtMs).toISOString(),
    startedAtMs: clock.startedAtMs,
    options: serialisableOptions(options),
    target: { kind: options.target.kind, label: targetLabel(options.target), url: 'url' in options.target ? options.target.url.href : '' },
    versions: toolVersions(binary?.goVersion),
    phases: phases.map((p) => ({ name: p.name, kind: p.kind, params: phaseParams(p) })),
  };
  const saveRun = () => {
    try {
      writeJsonAtomic(join(dir, FILES.run), run);
    } catch (err) {
      onWriteFailure(err);
    }
  };
  saveRun();
  // ── --live hook 3/4: show this run (run.json's object, read as it changes), and its progress line ──
  live?.attach({ run, dir: relative(process.cwd(), dir) || dir, now: clock.now, plannedS: plannedSeconds(phases, options.settleMs) });
  const unwatchProgress = watchProgress(io.progress, live);
  event({ type: 'run-start', message: `${def.name}: ${def.description}` });
  io.log(`run directory: ${relative(process.cwd(), dir) || dir}`);
  if (live) io.log(`live view: ${live.url} (until the run ends)`);

  const onUserAbort = () => stop.abort(io.signal.reason);
  io.signal.addEventListener('abort', onUserAbort, { once: true });
  if (io.signal.aborted) stop.abort(io.signal.reason);

  let plan: TargetPlan | undefined;
  let supervisor: TargetSupervisor | undefined;
  let cgroup: MemoryCgroupHandle | undefined;
  let sampler: Sampler | undefined;
  let failure: unknown;
  let finishing = false;
  const snapshots = new Snapshots(dir, run, clock, warn, saveRun);

  const newSampler = (pid: number | undefined, metricsUrl: URL | undefined) =>
    new Sampler({
      ...(pid !== undefined && { pid }),
      ...(metricsUrl && { metricsUrl: metricsUrl.href }),
      intervalMs: options.sampleIntervalMs,
      writer: samples,
      now: clock.now,
      onWarning: (_source: string, message: string) => warn(message),
      onInfo: (message: string) => event({ type: 'info', message }),
    });

  try {
    plan = await planTarget(options, binary, dir);
    if (options.memoryLimitBytes !== undefined && plan.launch) {
      cgroup = await createMemoryCgroup(`leakbench-${process.pid}-${Date.now()}`, options.memoryLimitBytes);
      event({ type: 'info', message: `target runs in cgroup v${cgroup.version} ${cgroup.dir} with a ${(options.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB limit` });
      io.log(`memory limit: ${(options.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB (cgroup ${cgroup.dir})`);
    }
    if (plan.launch) {
      if (options.target.kind === 'command') io.log(`starting: ${options.target.command}`);
      const launch = plan.launch;
      supervisor = new TargetSupervisor({
        launch,
        ...(cgroup && { cgroup }),
        restart: options.restart,
        maxRestarts: options.maxRestarts,
        onExit: (r) => {
          event({ type: 'target-exit', code: r.exit.code, signal: r.exit.signal, oomKill: r.oomKill, pid: r.pid, message: r.message });
          io.progress.log(r.message);
        },
        onRestarted: (next, n) => {
          event({ type: 'target-start', pid: next.pid, message: `restart ${n}: pid ${next.pid} answers again` });
          io.progress.log(`target restarted (pid ${next.pid})`);
          // The new process is another pid: a new sampler, same samples file.
          const old = sampler;
          const fresh = newSampler(next.pid, plan?.metricsUrl);
          sampler = fresh;
          void (old?.stop() ?? Promise.resolve()).then(() => {
            if (!finishing) fresh.start();
          });
        },
        onGone: (reason) => stop.abort(new TargetGone(reason.message)),
      });
      const launched = await supervisor.start();
      plan.pid = launched.pid;
      plan.info.pid = launched.pid;
      if (options.target.kind === 'command' && !plan.metricsUrl) {
        const found = await detectMetrics(plan.baseUrl, io.log);
        if (found) {
          plan.metricsUrl = found;
          plan.info.metricsUrl = found.href;
        }
      }
    }
    run.target = plan.info;
    saveRun();
    event({ type: 'target-ready', ...(plan.pid !== undefined && { pid: plan.pid }), message: `${plan.info.url} answers${plan.pid ? `, pid ${plan.pid}` : ''}` });
    io.log(`target ready: ${plan.info.url}${plan.pid ? ` (pid ${plan.pid})` : ''}${plan.metricsUrl ? `, metrics ${plan.metricsUrl.href}` : ''}`);

    sampler = newSampler(plan.pid, plan.metricsUrl);
    sampler.start();
    const currentPid = () => supervisor?.target?.pid ?? plan?.pid;
    await snapshots.take('start', currentPid(), plan.baseUrl);

    for (const [i, phase] of phases.entries()) {
      if (stop.signal.aborted) break;
      const url = new URL(phase.path, plan.baseUrl);
      run.phases[i]!.startT = round3(clock.now());
      saveRun();
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
        result = await runBurstWith(
          options.engine,
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
      run.phases[i]!.endT = round3(Math.min(clock.now(), run.phases[i]!.startT! + result.durationS));
      run.phases[i]!.result = result;
      saveRun();
      event({ type: 'phase-end', phase: phase.name, message: `${result.completed} responses, ${result.errors} errors, ${result.non2xx} non-2xx in ${result.durationS.toFixed(1)} s` });
      if (!stop.signal.aborted) await snapshots.take(`after-${phase.name}`, currentPid(), undefined);
    }
    if (!stop.signal.aborted && options.settleMs > 0) {
      io.log(`settling: sampling ${options.settleMs / 1000}s more without load`);
      await sleep(options.settleMs, stop.signal);
    }
    if (!(stop.signal.reason instanceof TargetGone)) await snapshots.take('end', currentPid(), plan.baseUrl);
  } catch (err) {
    failure = err;
  } finally {
    io.progress.done();
    io.signal.removeEventListener('abort', onUserAbort);
    finishing = true;
    try {
      await sampler?.stop();
    } catch (err) {
      failure ??= err;
    }
    const stopped = await supervisor?.stop(options.stopGraceMs);
    if (stopped) event({ type: 'target-stop', code: stopped.exit.code, signal: stopped.exit.signal, pid: stopped.pid, message: `stopped by the pack (${describeExit(stopped.exit)})` });
    cgroup?.remove();
  }

  // ── --prometheus-url (src/sample/prometheus-source.ts) ──
  // One range query over the whole run once it is over, so the server's view of the same run
  // lands beside the pack's own; an unreachable server is a warning, never a failed run.
  if (options.prometheus) await collectPrometheus(options.prometheus, { dir, startedAtMs: clock.startedAtMs, endMs: Date.now() }, warn, io.log);
  // ── end --prometheus-url ──

  const reason = stop.signal.reason as unknown;
  let exitCode: ExitCodeValue = ExitCode.ok;
  if (failure) {
    run.status = 'failed';
    run.endReason = (failure as Error).message;
    exitCode = failure instanceof LeakbenchError ? failure.exitCode : ExitCode.failure;
  } else if (reason instanceof TargetGone || reason instanceof WriteFailed) {
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
  saveRun();
  for (const w of [events, samples, load, probes]) w?.close();

  let summary: SummaryFile | undefined;
  try {
    summary = (await renderReport(dir)).summary;
  } catch (err) {
    io.log(`could not render the report: ${(err as Error).message} (the measurements are in ${dir}; retry with npm run report -- ${dir})`);
    if (exitCode === ExitCode.ok) exitCode = ExitCode.failure;
  }
  // ── --live hook 4/4: the page shows how it ended, then the port closes ──
  unwatchProgress();
  await live?.finish({ status: run.status, ...(run.endReason && { endReason: run.endReason }), ...(summary && { report: join(relative(process.cwd(), dir) || dir, FILES.html), headline: summary.headline }) });
  if (failure && !(failure instanceof LeakbenchError)) throw failure;
  if (exitCode === ExitCode.ok && options.failOn === 'growth' && summary && isGrowthVerdict(summary)) exitCode = ExitCode.memoryGrowth;
  return { dir, status: run.status, exitCode, ...(summary && { summary }), ...(run.endReason && { endReason: run.endReason }) };
}

/**
 * smaps snapshots (start, after each phase, end) and heap profiles (start, end), for "where
 * did it grow" and the pprof diff. Best effort: a failure is a warning, never the run's end.
 */
class Snapshots {
  private n = 0;
  constructor(
    private readonly dir: string,
    private readonly run: RunFile,
    private readonly clock: RunClock,
    private readonly warn: (m: string) => void,
    private readonly save: () => void,
  ) {}

  async take(label: string, pid: number | undefined, profileFrom: URL | undefined): Promise<void> {
    const t = round3(this.clock.now());
    const seq = String(++this.n).padStart(2, '0');
    if (pid !== undefined) {
      const file = join('smaps', `${seq}-${label}.txt`);
      try {
        mkdirSync(join(this.dir, 'smaps'), { recursive: true });
        await captureSmaps(pid, join(this.dir, file));
        (this.run.smapsSnapshots ??= []).push({ label, t, file });
      } catch (err) {
        this.warn(`smaps snapshot ${label}: ${(err as Error).message}`);
      }
    }
    if (profileFrom) {
      const file = join('pprof', `heap-${label}.pb.gz`);
      try {
        mkdirSync(join(this.dir, 'pprof'), { recursive: true });
        if (await captureHeapProfile(profileFrom, join(this.dir, file), 5000)) (this.run.heapProfiles ??= []).push({ label, t, file });
      } catch (err) {
        this.warn(`heap profile ${label}: ${(err as Error).message}`);
      }
    }
    this.save();
  }
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
