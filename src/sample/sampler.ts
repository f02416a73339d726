import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LIMITS } from '../options/rules.ts';
import type { FigureInfo, Sample } from '../rundir/schema.ts';
import { ActivitySource } from './activity.ts';
import { readCgroupMemory, resolveCgroupMemoryFile } from './cgroup.ts';
import { fetchMetrics, metricsTimeoutMs } from './metrics.ts';
import { isProcessGone, parseProcState, ProcessGoneError, readProcStatus, statusPath } from './proc-status.ts';
import { readSmapsRollup } from './smaps-rollup.ts';
import { errorCode } from './proc-fields.ts';

/** A figure source, or 'activity': the target's CPU time and connections (activity.ts). */
export type SampleSource = FigureInfo['source'] | 'activity';

export interface SamplerOptions {
  pid?: number;
  metricsUrl?: string;
  /** At least LIMITS.sampleIntervalMs.min (100). */
  intervalMs: number;
  writer?: { write(s: Sample): void };
  /** Seconds since run start; stamps each sample. */
  now: () => number;
  /** `source` is a figure source ('proc-status', 'smaps-rollup', 'cgroup', 'metrics') or 'sampler'. */
  onWarning: (source: string, message: string) => void;
  /** Facts worth recording that are not problems (e.g. why a figure is not sampled). */
  onInfo?: (message: string) => void;
  cgroupRoot?: string;
  /**
   * Where cgroup memory comes from instead of the pid's own cgroup: a memory.current file
   * given by the user, or a Prometheus query for a pod. Without a pid, this alone is enough to
   * sample (e.g. a pod's cgroup seen from its node).
   */
  cgroupSource?: { label: string; read: () => Promise<number> };
  /** The runtime's own figures (src/sample/runtime/), one reader per open source. */
  runtimeSources?: readonly { label: string; read: () => Promise<Partial<Sample>> }[];
}

/** A flapping source would otherwise fill the events file with fail/recover pairs. */
const MAX_REPORTS_PER_SOURCE = 6;

interface Source {
  name: SampleSource;
  /** Prefix of its warnings, unless the error already names itself. */
  label: string;
  needsPid: boolean;
  read: () => Promise<Partial<Sample>>;
  failing: boolean;
  reports: number;
}

type Outcome = { source: Source; fields: Partial<Sample> } | { source: Source; error: unknown };

/**
 * Samples memory figures of one target on a fixed clock and writes one line per sample.
 *
 * Ticks are at start + k * interval, so per-sample work does not make the series drift; a
 * sample that overruns its slot makes the sampler skip the ticks it missed rather than run
 * two at once, which would measure the sampler's own backlog.
 */
/** sampleSoon() keeps the sampler busy at most this share of the time (wall clock). */
export const WORK_SAMPLE_DUTY = 0.04;

export class Sampler {
  private readonly options: SamplerOptions;
  private readonly sources: Source[];
  private readonly pid: number | undefined;
  private pidGone = false;
  private cgroupFile: string | undefined;
  private sharedCgroupChecked = false;
  private cgroupShared = false;
  private timer: NodeJS.Timeout | undefined;
  private t0 = 0;
  private lastTick = -1;
  private started = false;
  private stopped = false;
  /** Every sample runs through this chain, so timer ticks and sampleOnce() never overlap. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Samples asked for and not yet written (ticks, sampleOnce and sampleSoon alike). */
  private pending = 0;
  /** How long the last sample took (wall ms): what one more costs the machine. */
  private lastTookMs = 0;
  private lastSoonAt = -Infinity;
  private last: Sample | undefined;
  private taken = 0;
  private slowReported = false;
  private writeFailed = false;

  constructor(options: SamplerOptions) {
    // The flag is checked where it is parsed (src/options/sample-interval.ts); this guards callers in code.
    if (!Number.isFinite(options.intervalMs) || options.intervalMs < LIMITS.sampleIntervalMs.min) {
      throw new RangeError(
        `sampler interval must be at least ${LIMITS.sampleIntervalMs.min} ms, got ${options.intervalMs}`,
      );
    }
    if (options.pid === undefined && options.metricsUrl === undefined && options.cgroupSource === undefined) {
      throw new Error(
        'the sampler needs a pid or a metrics URL (or a cgroup source): with none there is nothing to sample',
      );
    }
    this.options = options;
    this.pid = options.pid;
    this.sources = [];
    const pid = options.pid;
    if (pid !== undefined) {
      const activity = new ActivitySource(pid);
      this.sources.push(
        source('proc-status', 'status', true, () => readProcStatus(pid)),
        source('smaps-rollup', 'smaps_rollup', true, () => readSmapsRollup(pid)),
        source('activity', 'activity (CPU, connections)', true, async () => activity.read()),
      );
      if (options.cgroupSource === undefined)
        this.sources.push(source('cgroup', 'cgroup', true, () => this.readCgroup(pid)));
    }
    const cgroup = options.cgroupSource;
    if (cgroup !== undefined)
      this.sources.push(source('cgroup', cgroup.label, false, async () => ({ cgroupMemory: await cgroup.read() })));
    const url = options.metricsUrl;
    if (url !== undefined) {
      const timeoutMs = metricsTimeoutMs(options.intervalMs);
      // Which counter the requests were read from is said once, and again should it change.
      let counter: string | undefined;
      const onCounter = (name: string) => {
        if (name === counter) return;
        counter = name;
        this.options.onInfo?.(`metrics: requests answered are read from ${name}`);
      };
      this.sources.push(
        source('metrics', `metrics ${url}`, false, () => fetchMetrics(url, timeoutMs, undefined, onCounter)),
      );
    }
    for (const r of options.runtimeSources ?? []) this.sources.push(source('runtime', r.label, false, r.read));
  }

  /** Samples taken (and written) so far. */
  get count(): number {
    return this.taken;
  }

  /** True once the target pid has exited; /proc and cgroup figures are no longer read. */
  get processGone(): boolean {
    return this.pidGone;
  }

  latest(): Sample | undefined {
    return this.last;
  }

  /** Takes the first sample now, then one per interval until stop(). */
  start(): void {
    if (this.started) throw new Error('the sampler was already started');
    if (this.stopped) throw new Error('the sampler is stopped');
    this.started = true;
    this.t0 = performance.now();
    this.scheduleTick(0);
  }

  /** Stops the clock and waits for a sample in flight; nothing is sampled or written after. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue;
  }

  /**
   * Takes one sample now (after any in flight), writes it and returns it. `extra` (figures read
   * after a forced collection, with `collectedBy`) wins over what the sources read.
   */
  sampleOnce(extra?: Partial<Sample>): Promise<Sample> {
    this.pending++;
    const run = this.queue
      .then(() => {
        const began = performance.now();
        return this.takeSample(extra).finally(() => (this.lastTookMs = performance.now() - began));
      })
      .finally(() => this.pending--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * One more sample now, between the clock's ticks, unless one is already being taken: the burst
   * asks for one at each 1% of its requests (src/run/work-samples.ts), and a backlog of them would
   * measure the sampler rather than the target. Returns whether it took one.
   */
  sampleSoon(): boolean {
    if (!this.started || this.stopped || this.pending > 0) return false;
    // At most a share of the time goes to sampling between ticks: a sample of 6 ms (smaps_rollup,
    // /metrics, /proc/net/tcp under 100 connections, measured) every 20 ms took 19% of a burst's rate.
    if (performance.now() - this.lastSoonAt < this.lastTookMs / WORK_SAMPLE_DUTY) return false;
    this.lastSoonAt = performance.now();
    this.sampleOnce().catch((err: unknown) => {
      if (!this.stopped) this.warn('sampler', `sampling failed: ${(err as Error).message}`);
    });
    return true;
  }

  private scheduleTick(k: number): void {
    this.lastTick = k;
    const delay = Math.max(0, this.t0 + k * this.options.intervalMs - performance.now());
    this.timer = setTimeout(() => this.onTick(), delay);
    // The run, not the sampler, decides when the process is done; stop() clears it anyway.
    this.timer.unref();
  }

  private onTick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const began = performance.now();
    this.sampleOnce()
      .catch((err: unknown) => {
        if (!this.stopped) this.warn('sampler', `sampling failed: ${(err as Error).message}`);
      })
      .finally(() => {
        if (this.stopped) return;
        const now = performance.now();
        const took = now - began;
        const interval = this.options.intervalMs;
        if (took > interval && !this.slowReported) {
          this.slowReported = true;
          this.warn(
            'sampler',
            `a sample took ${Math.round(took)} ms, longer than the ${interval} ms interval; missed ticks are skipped`,
          );
        }
        this.scheduleTick(Math.max(this.lastTick + 1, Math.floor((now - this.t0) / interval) + 1));
      });
  }

  private async takeSample(extra?: Partial<Sample>): Promise<Sample> {
    // A sample already running when stop() came is finished; one still queued is not.
    if (this.stopped) throw new Error('the sampler is stopped');
    const t = Math.round(this.options.now() * 1000) / 1000;
    const active = this.sources.filter((s) => !(s.needsPid && this.pidGone));
    const outcomes = await Promise.all(
      active.map(async (s): Promise<Outcome> => {
        try {
          return { source: s, fields: await s.read() };
        } catch (error) {
          return { source: s, error };
        }
      }),
    );
    this.checkGone(outcomes);
    const sample: Sample = { t };
    for (const o of outcomes) {
      if (o.source.needsPid && this.pidGone) {
        // Once the process is gone every /proc read fails and the one "gone" warning says it
        // all; the cgroup file may still read, but it no longer describes this target.
        continue;
      }
      if ('error' in o) {
        this.noteFailure(o.source, o.error);
      } else {
        this.noteRecovery(o.source);
        Object.assign(sample, o.fields);
      }
    }
    if (extra) Object.assign(sample, extra);
    this.last = sample;
    this.taken++;
    this.write(sample);
    return sample;
  }

  private checkGone(outcomes: Outcome[]): void {
    if (this.pid === undefined || this.pidGone) return;
    const pidFailures = outcomes.filter(
      (o): o is Extract<Outcome, { error: unknown }> => 'error' in o && o.source.needsPid,
    );
    if (pidFailures.length === 0) return;
    const gone = pidFailures.find((o) => o.error instanceof ProcessGoneError)?.error as ProcessGoneError | undefined;
    if (!gone && !isProcessGone(this.pid)) return;
    this.pidGone = true;
    // A recycled pid would be someone else's process, so /proc is not read again.
    const what = gone ? gone.message : `process ${this.pid} is gone`;
    this.warn('proc-status', `${what}; its /proc and cgroup figures are no longer sampled`);
  }

  private noteFailure(s: Source, err: unknown): void {
    if (s.failing) return;
    s.failing = true;
    const message = err instanceof Error ? err.message : String(err);
    const text = message.startsWith(s.label) ? message : `${s.label}: ${message}`;
    this.report(s, `${text}; its figures are left out until it works again`);
  }

  private noteRecovery(s: Source): void {
    if (!s.failing) return;
    s.failing = false;
    this.report(s, `${s.label}: recovered; its figures are sampled again`);
  }

  private report(s: Source, message: string): void {
    if (s.reports >= MAX_REPORTS_PER_SOURCE) return;
    s.reports++;
    const last =
      s.reports === MAX_REPORTS_PER_SOURCE ? ' (further failures and recoveries of this source are not reported)' : '';
    this.warn(s.name, message + last);
  }

  private warn(source: string, message: string): void {
    this.options.onWarning(source, message);
  }

  private write(sample: Sample): void {
    if (!this.options.writer) return;
    try {
      this.options.writer.write(sample);
    } catch (err) {
      // A full disk fails every line; one warning is enough, and sampling goes on for latest().
      if (this.writeFailed) return;
      this.writeFailed = true;
      this.warn('sampler', `cannot write a sample: ${(err as Error).message}`);
    }
  }

  private async readCgroup(pid: number): Promise<Partial<Sample>> {
    if (this.cgroupShared) return {};
    if (this.cgroupFile === undefined) {
      const resolved = await resolveCgroupMemoryFile(pid, { root: this.options.cgroupRoot });
      if ('reason' in resolved) throw new Error(resolved.reason);
      this.cgroupFile = resolved.file;
      await this.checkSharedCgroup(pid, resolved.file);
      if (this.cgroupShared) return {};
    }
    try {
      return { cgroupMemory: await readCgroupMemory(this.cgroupFile) };
    } catch (err) {
      // The target may have moved or its cgroup been removed: resolve again next tick.
      this.cgroupFile = undefined;
      throw err;
    }
  }

  private async checkSharedCgroup(pid: number, file: string): Promise<void> {
    if (this.sharedCgroupChecked || pid === process.pid) return;
    this.sharedCgroupChecked = true;
    const own = await resolveCgroupMemoryFile(process.pid, { root: this.options.cgroupRoot });
    if ('file' in own && own.file === file) {
      // Not a problem with the target, and the figure would mostly be the pack's own memory.
      this.cgroupShared = true;
      this.options.onInfo?.(
        `cgroup: the target shares leakbench's cgroup (${file}), so cgroup memory is not sampled (it would include leakbench's own)`,
      );
    }
  }
}

function source(name: SampleSource, label: string, needsPid: boolean, read: () => Promise<Partial<Sample>>): Source {
  return { name, label, needsPid, read, failing: false, reports: 0 };
}

/**
 * Why `pid` cannot be sampled, or undefined if its /proc/PID/status is readable and it is alive.
 * For option validation of --pid.
 */
export function validatePid(pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return `pid must be a positive integer, got ${pid}`;
  const path = statusPath(pid);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ESRCH') {
      try {
        readFileSync('/proc/self/status');
      } catch {
        return 'there is no /proc on this system: leakbench reads process memory from /proc, which only Linux has';
      }
      return `no process with pid ${pid} (${path} does not exist)`;
    }
    return `cannot read ${path}: ${(err as Error).message}`;
  }
  const state = parseProcState(text);
  if (state === 'Z' || state === 'X')
    return `process ${pid} has exited (it is a zombie waiting for its parent to reap it)`;
  if (pid === process.pid || pid === process.ppid)
    return `process ${pid} is leakbench itself (or the shell that started it), not a server`;
  // Kernel threads have no user memory to sample (VmRSS is absent from their status).
  if (!/^VmRSS:/m.test(text)) return `process ${pid} is a kernel thread, which has no memory of its own to sample`;
  return undefined;
}
