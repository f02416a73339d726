import type { SampleOptions } from '../options/sample-options.ts';
import type { CgroupProcess } from '../rundir/schema.ts';
import { fetchMetrics } from '../sample/metrics.ts';
import { runtimeProbes } from '../sample/runtime/index.ts';
import { reachableListeningPorts } from '../sample/runtime/loopback-listeners.ts';
import { Sampler } from '../sample/sampler.ts';
import { RuntimeSources } from './runtime-sources.ts';
import type { SessionParts, SessionTarget, SessionTargetPlan } from './session.ts';

/** A cgroup's memory, read by the sampler as one more source. */
export interface CgroupSource {
  label: string;
  read: () => Promise<number>;
  /** Its processes as found when the watch started, identified (src/run/cgroup-processes.ts). */
  processes?: CgroupProcess[];
  /** What was found in it, in words, for the console and events.ndjson. */
  found?: string;
}

/**
 * A target the pack only watches (`npm run sample`): a process by pid, a metrics endpoint, a
 * cgroup, or a Prometheus server read back at the end. Nothing is started or stopped; the
 * sampler is the same as a driven run's.
 */
export class WatchedTarget implements SessionTarget {
  private sampler: Sampler | undefined;
  private runtime: RuntimeSources | undefined;
  /** --metrics-url, or /metrics found on a port the watched process listens on. */
  private metricsUrl: URL | undefined;

  constructor(
    private readonly o: SampleOptions,
    private readonly cgroup: CgroupSource | undefined,
    private readonly parts: SessionParts,
  ) {}

  async start(): Promise<SessionTargetPlan> {
    const { o } = this;
    if (this.cgroup?.found) {
      this.parts.io.log(this.cgroup.found);
      this.parts.journal.event({ type: 'info', message: this.cgroup.found });
    }
    this.metricsUrl = o.metricsUrl;
    if (o.pid !== undefined) {
      const ports = reachableListeningPorts(o.pid);
      this.metricsUrl ??= await findMetrics(ports, (l) => this.parts.io.log(l));
      await this.openRuntime(o.pid, ports);
    }
    const until = o.durationMs === undefined ? 'Ctrl-C (or SIGTERM) stops it' : `for ${o.durationMs / 1000}s`;
    const sources = describeSources({ ...o, ...(this.metricsUrl && { metricsUrl: this.metricsUrl }) });
    return {
      info: {
        kind: 'attach',
        label: o.label,
        url: '',
        ...(o.pid !== undefined && { pid: o.pid }),
        ...(this.metricsUrl && { metricsUrl: this.metricsUrl.href }),
        ...(this.runtime && { runtimeSources: this.runtime.records }),
        ...(this.cgroup?.processes && { cgroupProcesses: this.cgroup.processes }),
      },
      ...(o.pid !== undefined && { pid: o.pid }),
      ready: `sampling ${sources} every ${o.intervalMs} ms; ${until}`,
    };
  }

  /**
   * The runtime's own figures where they need no restart (hsperfdata for a JVM; a Go process's
   * /debug/pprof on a port it listens on; the Node.js inspector only with --inspect-attach).
   */
  private async openRuntime(pid: number, ports: readonly number[]): Promise<void> {
    const { journal } = this.parts;
    const base = this.metricsUrl ?? (ports[0] === undefined ? undefined : new URL(`http://127.0.0.1:${ports[0]}/`));
    this.runtime = await RuntimeSources.open(
      { pid, launched: false, ...(base && { baseUrl: new URL('/', base) }) },
      { info: (message) => journal.event({ type: 'info', message }), warn: (m) => journal.warn(m) },
      runtimeProbes({ inspectAttach: this.o.inspectAttach === true }),
    );
  }

  startSampling(): void {
    const { o, parts } = this;
    // With only --prometheus-url there is nothing to sample live: the server is asked at the end.
    if (o.pid === undefined && this.metricsUrl === undefined && this.cgroup === undefined) return;
    this.sampler = new Sampler({
      ...(o.pid !== undefined && { pid: o.pid }),
      ...(this.metricsUrl && { metricsUrl: this.metricsUrl.href }),
      ...(this.runtime && { runtimeSources: this.runtime.readers() }),
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

  /**
   * Asks the runtime for a full collection and samples after it, so the figure at the end is
   * live memory rather than live plus garbage (hsperfdata's used heap counts the load's garbage
   * until a collection runs). --no-collect leaves the process alone.
   */
  async collectAtEnd(): Promise<void> {
    const { runtime, sampler } = this;
    if (this.o.noCollect || !runtime || !sampler || runtime.sources.every((s) => !s.collect)) return;
    const { fields, by } = await runtime.collect();
    if (by.length === 0) return;
    const sample = await sampler.sampleOnce(fields).catch(() => undefined);
    this.parts.journal.event({
      type: 'info',
      message: `asked the runtime for a full collection at the end of the watch (${by.join(', ')})${sample ? `; sample at t=${sample.t} s is live memory` : ''} (--no-collect: never)`,
    });
  }

  async end(): Promise<unknown> {
    try {
      await this.sampler?.stop();
      return undefined;
    } catch (err) {
      return err;
    } finally {
      await this.runtime?.close();
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

/** Ports a watched process listens on are tried for /metrics, at most this many. */
const METRICS_PORTS_TRIED = 4;

/** The first of the process's ports that answers /metrics in Prometheus's text format. */
async function findMetrics(ports: readonly number[], log: (line: string) => void): Promise<URL | undefined> {
  for (const port of ports.slice(0, METRICS_PORTS_TRIED)) {
    const url = new URL(`http://127.0.0.1:${port}/metrics`);
    try {
      await fetchMetrics(url.href, 1000);
      log(`found runtime metrics at ${url.href} (a port the process listens on); --metrics-url names others`);
      return url;
    } catch {
      // Not every port serves /metrics (an admin port may, the main one not).
    }
  }
  return undefined;
}
