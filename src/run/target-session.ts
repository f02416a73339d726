import { runtimeProbes } from '../sample/runtime/index.ts';
import type { RunClock } from '../load/clock.ts';
import type { RunOptions } from '../options/run-options.ts';
import type { SeriesAppender } from '../rundir/recorder.ts';
import type { Sample } from '../rundir/schema.ts';
import type { StderrTap } from '../sample/runtime/source.ts';
import { Sampler } from '../sample/sampler.ts';
import type { BundledBinary } from '../target/bundled-build.ts';
import { describeExit } from '../target/launch.ts';
import { createMemoryCgroup, type MemoryCgroupHandle } from '../target/memory-cgroup.ts';
import type { RunJournal } from './journal.ts';
import { detectMetrics, planTarget, type TargetPlan } from './prepare-target.ts';
import { TargetGone, type RunStop } from './stop.ts';
import { TargetSupervisor } from '../target/supervisor.ts';
import { endRuntimeLaunch, RuntimeSources } from './runtime-sources.ts';
import type { SitesSink } from './sites-recording.ts';

export interface TargetSessionIo {
  log(line: string): void;
  /** Logs above the progress line. */
  progressLog(line: string): void;
}

/**
 * The target for the length of a run and the sampler that watches it: starts it (in its own
 * memory cgroup with --memory-limit, restarted by the supervisor with --restart) or attaches to
 * it, samples whichever process is current, and stops what the pack started.
 */
export class TargetSession {
  private plan: TargetPlan | undefined;
  private supervisor: TargetSupervisor | undefined;
  private cgroup: MemoryCgroupHandle | undefined;
  private sampler: Sampler | undefined;
  private finishing = false;
  private runtime: RuntimeSources | undefined;

  constructor(
    private readonly options: RunOptions,
    private readonly journal: RunJournal,
    private readonly samples: SeriesAppender<Sample>,
    private readonly clock: RunClock,
    private readonly stop: RunStop,
    private readonly io: TargetSessionIo,
    private readonly sites?: SitesSink,
  ) {}

  /** Starts or attaches to the target and waits until it answers; returns where it is. */
  async start(binary: BundledBinary | undefined, logFile: string): Promise<TargetPlan> {
    const { options, journal, io } = this;
    const plan = (this.plan = await planTarget(options, binary, logFile));
    if (options.memoryLimitBytes !== undefined && plan.launch) {
      const cgroup = (this.cgroup = await createMemoryCgroup(
        `leakbench-${process.pid}-${Date.now()}`,
        options.memoryLimitBytes,
      ));
      journal.event({
        type: 'info',
        message: `target runs in cgroup v${cgroup.version} ${cgroup.dir} with a ${(options.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB limit`,
      });
      io.log(`memory limit: ${(options.memoryLimitBytes / 2 ** 20).toFixed(0)} MiB (cgroup ${cgroup.dir})`);
    }
    if (plan.launch) {
      if (options.target.kind === 'command') io.log(`starting: ${options.target.command}`);
      this.supervisor = new TargetSupervisor({
        launch: plan.launch,
        ...(this.cgroup && { cgroup: this.cgroup }),
        restart: options.restart,
        maxRestarts: options.maxRestarts,
        onExit: (r) => {
          journal.event({
            type: 'target-exit',
            code: r.exit.code,
            signal: r.exit.signal,
            oomKill: r.oomKill,
            pid: r.pid,
            message: r.message,
          });
          io.progressLog(r.message);
        },
        onRestarted: (next, n) => {
          journal.event({
            type: 'target-start',
            pid: next.pid,
            message: `restart ${n}: pid ${next.pid} answers again`,
          });
          io.progressLog(`target restarted (pid ${next.pid})`);
          // The new process is another pid: a new sampler, same samples file.
          const old = this.sampler;
          void (old?.stop() ?? Promise.resolve())
            .then(() => this.runtime && this.openRuntime(next.pid, true, next.stderrLines))
            .then(() => {
              if (this.finishing) return;
              this.sampler = this.newSampler(next.pid);
              this.sampler.start();
            });
        },
        onGone: (reason) => this.stop.abort(new TargetGone(reason.message)),
      });
      const launched = await this.supervisor.start();
      plan.pid = launched.pid;
      plan.info.pid = launched.pid;
      if (options.target.kind === 'command' && !plan.metricsUrl) {
        const found = await detectMetrics(plan.baseUrl, io.log);
        if (found) {
          plan.metricsUrl = found;
          plan.info.metricsUrl = found.href;
        }
      }
      // The bundled Gin server is read from its /metrics as before (the gin#3789 reproduction).
      if (options.target.kind === 'command') await this.openRuntime(launched.pid, true, launched.stderrLines);
    } else if (plan.pid !== undefined) {
      await this.openRuntime(plan.pid, false, undefined);
    }
    return plan;
  }

  startSampling(): void {
    this.sampler = this.newSampler(this.plan?.pid);
    this.sampler.start();
  }

  /**
   * At rest only: asks each runtime source that can for a full collection, then writes a
   * sample flagged `collectedBy`, so the heap figure at rest is live memory; then the live
   * memory by allocation site, from each source that can tell (src/run/sites-recording.ts).
   */
  async collectAtRest(phase: string): Promise<void> {
    const { runtime, sampler } = this;
    if (!runtime || !sampler) return;
    if (runtime.sources.some((s) => s.collect)) {
      const { fields, by } = await runtime.collect();
      if (by.length > 0) {
        // gctrace's line about the forced cycle comes through the stderr pipe a moment later.
        await new Promise((r) => setTimeout(r, 100));
        const sample = await sampler.sampleOnce(fields).catch(() => undefined);
        this.journal.event({
          type: 'info',
          phase,
          message: `asked the runtime for a full collection at rest (${by.join(', ')})${sample ? `; sample at t=${sample.t} s is live memory` : ''}`,
        });
      }
    }
    if (this.sites && this.options.sites !== 'off')
      for (const s of await runtime.sites()) this.sites.save(phase, s.source, s.profile);
  }

  private async openRuntime(pid: number, launched: boolean, stderrLines: StderrTap | undefined): Promise<void> {
    if (!this.plan) return;
    await this.runtime?.close();
    this.runtime = await RuntimeSources.open(
      { pid, launched, baseUrl: this.plan.baseUrl, ...(stderrLines && { stderrLines }) },
      { info: (message) => this.journal.event({ type: 'info', message }), warn: (m) => this.journal.warn(m) },
      runtimeProbes({
        inspectAttach: this.options.inspectAttach === true,
        pythonTrace: this.options.sites !== 'off',
        nodeSampling: this.options.sites !== 'off',
      }),
    );
    this.plan.info.runtimeSources = this.runtime.records;
  }

  /** The pid of the target now (a restart gives a new one). */
  currentPid(): number | undefined {
    return this.supervisor?.target?.pid ?? this.plan?.pid;
  }

  /** Samples taken so far, for the progress line. */
  sampleCount(): number {
    return this.sampler?.count ?? 0;
  }

  sampleSoon(): boolean {
    return this.sampler?.sampleSoon() ?? false;
  }

  /** The latest RSS sampled, for the progress line. */
  latestRss(): { rssBytes?: number } {
    const latest = this.sampler?.latest();
    const v = latest?.vmRss ?? latest?.processRss;
    return v === undefined ? {} : { rssBytes: v };
  }

  /**
   * Stops sampling and any target the pack started, and removes its cgroup. Returns the
   * sampler's error, if stopping it failed; the target is stopped either way.
   */
  async end(): Promise<unknown> {
    this.finishing = true;
    let samplerError: unknown;
    try {
      await this.sampler?.stop();
    } catch (err) {
      samplerError = err;
    }
    await this.runtime?.close();
    const stopped = await this.supervisor?.stop(this.options.stopGraceMs);
    if (stopped)
      this.journal.event({
        type: 'target-stop',
        code: stopped.exit.code,
        signal: stopped.exit.signal,
        pid: stopped.pid,
        message: `stopped by the pack (${describeExit(stopped.exit)})`,
      });
    this.cgroup?.remove();
    endRuntimeLaunch();
    return samplerError;
  }

  private newSampler(pid: number | undefined): Sampler {
    const metricsUrl = this.plan?.metricsUrl;
    return new Sampler({
      ...(pid !== undefined && { pid }),
      ...(metricsUrl && { metricsUrl: metricsUrl.href }),
      intervalMs: this.options.sampleIntervalMs,
      ...(this.runtime && { runtimeSources: this.runtime.readers() }),
      writer: this.samples,
      now: this.clock.now,
      onWarning: (_source: string, message: string) => this.journal.warn(message),
      onInfo: (message: string) => this.journal.event({ type: 'info', message }),
    });
  }
}
