import type { Histogram } from 'hdr-histogram-js';
import type { LoadSecond } from '../rundir/schema.ts';
import { newLatencyHistogram, recordMs, secondStats } from './latency.ts';

/**
 * Collects completions for the current second and hands one LoadSecond per second to `emit`.
 * Both engines feed it, so the timeline means the same for probes and bursts.
 */
export class SecondBuckets {
  private hist: Histogram = newLatencyHistogram();
  private completed = 0;
  private errors = 0;
  private timeouts = 0;
  private non2xx = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly phase: string,
    private readonly now: () => number,
    private readonly emit: (s: LoadSecond) => void,
    /**
     * If given, each second's latencies are added to it at the flush, so a caller that wants
     * the whole phase's histogram too records each response once, not twice.
     */
    private readonly total?: Histogram,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), 1000);
  }

  response(status: number, latencyMs: number): void {
    this.completed++;
    if (status < 200 || status > 299) this.non2xx++;
    recordMs(this.hist, latencyMs);
  }

  error(timeout: boolean): void {
    this.errors++;
    if (timeout) this.timeouts++;
  }

  flush(): void {
    this.emit({
      phase: this.phase,
      t: Math.round(this.now() * 1000) / 1000,
      completed: this.completed,
      errors: this.errors,
      timeouts: this.timeouts,
      non2xx: this.non2xx,
      ...secondStats(this.hist),
    });
    if (this.total && this.hist.totalCount > 0) this.total.add(this.hist);
    this.hist.reset();
    this.completed = this.errors = this.timeouts = this.non2xx = 0;
  }

  /** Stops the timer and writes the last, partial second if anything happened in it. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.completed + this.errors > 0) this.flush();
    this.hist.destroy();
  }
}
