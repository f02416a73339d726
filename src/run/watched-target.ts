import type { SampleOptions } from '../options/sample-options.ts';
import { Sampler } from '../sample/sampler.ts';
import type { SessionParts, SessionTarget, SessionTargetPlan } from './session.ts';

/** A cgroup's memory, read by the sampler as one more source. */
export interface CgroupSource {
  label: string;
  read: () => Promise<number>;
}

/**
 * A target the pack only watches (`npm run sample`): a process by pid, a metrics endpoint, a
 * cgroup, or a Prometheus server read back at the end. Nothing is started or stopped; the
 * sampler is the same as a driven run's.
 */
export class WatchedTarget implements SessionTarget {
  private sampler: Sampler | undefined;

  constructor(
    private readonly o: SampleOptions,
    private readonly cgroup: CgroupSource | undefined,
    private readonly parts: SessionParts,
  ) {}

  start(): Promise<SessionTargetPlan> {
    const { o } = this;
    const until = o.durationMs === undefined ? 'Ctrl-C (or SIGTERM) stops it' : `for ${o.durationMs / 1000}s`;
    return Promise.resolve({
      info: {
        kind: 'attach',
        label: o.label,
        url: '',
        ...(o.pid !== undefined && { pid: o.pid }),
        ...(o.metricsUrl && { metricsUrl: o.metricsUrl.href }),
      },
      ...(o.pid !== undefined && { pid: o.pid }),
      ready: `sampling ${describeSources(o)} every ${o.intervalMs} ms; ${until}`,
    });
  }

  startSampling(): void {
    const { o, parts } = this;
    // With only --prometheus-url there is nothing to sample live: the server is asked at the end.
    if (o.pid === undefined && o.metricsUrl === undefined && this.cgroup === undefined) return;
    this.sampler = new Sampler({
      ...(o.pid !== undefined && { pid: o.pid }),
      ...(o.metricsUrl && { metricsUrl: o.metricsUrl.href }),
      ...(this.cgroup && { cgroupSource: this.cgroup }),
      intervalMs: o.intervalMs,
      writer: parts.samples,
      now: parts.clock.now,
      onWarning: (_source, message) => parts.journal.warn(message),
      onInfo: (message) => parts.journal.event({ type: 'info', message }),
    });
    this.sampler.start();
  }

  currentPid(): number | undefined {
    return this.o.pid;
  }

  latestRss(): { rssBytes?: number } {
    const latest = this.sampler?.latest();
    const v = latest?.vmRss ?? latest?.processRss;
    return v === undefined ? {} : { rssBytes: v };
  }

  sampleCount(): number {
    return this.sampler?.count ?? 0;
  }

  async end(): Promise<unknown> {
    try {
      await this.sampler?.stop();
      return undefined;
    } catch (err) {
      return err;
    }
  }
}

export function describeSources(o: SampleOptions): string {
  return [
    o.pid !== undefined && `pid ${o.pid}`,
    o.metricsUrl && o.metricsUrl.href,
    o.cgroupFile,
    o.prometheus && `${o.prometheus.url.origin} (read back at the end)`,
  ]
    .filter(Boolean)
    .join(', ');
}
