import { readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sample } from '../../rundir/schema.ts';
import { CdpClient } from './cdp-client.ts';
import { asSamplingHeapProfile, samplingProfileSites, samplingProfileTotal } from './heap-sampling.ts';
import { loopbackListeningPorts } from './loopback-listeners.ts';
import { environVar } from './proc-namespace.ts';
import type { ProbeTarget, RuntimeProbe, RuntimeSource, SitesProfile, StderrTap, Unavailable } from './source.ts';

/**
 * The Node.js inspector as a runtime source: process.memoryUsage() evaluated in the target's
 * main context, HeapProfiler.collectGarbage for a figure at rest, and the sampling heap profiler
 * for the functions that allocated what stays live (issue 24). A target the pack starts
 * gets `--inspect=127.0.0.1:0` in NODE_OPTIONS (a port the kernel picks, on loopback only); an
 * attached one is sent SIGUSR1 only when the user asked for it (--inspect-attach), since that
 * opens a debugging port (127.0.0.1:9229 by default) on a process the pack does not own.
 */
export const INSPECT_FLAG = '--inspect=127.0.0.1:0';

/**
 * Bytes allocated, on average, between two samples of V8's sampling heap profiler. Each sample
 * costs the target a few microseconds (a stack walk and a weak handle), so the cost follows the
 * allocation rate: measured with `bench/sites.ts --only node-intervals` (Node.js 20, 2 shared cores), V8's
 * default of 32 KiB added 9% CPU per request to a server allocating 36 KiB a request, 128 KiB
 * 3%, 512 KiB 1%. At 128 KiB a 2 KiB string is sampled about one time in 64: a site keeping 2 KiB
 * a request is about 16 samples per 1,000 requests, enough to rank it after a burst.
 */
export const SAMPLING_INTERVAL_BYTES = 128 * 1024;
/** getSamplingProfile after a collection on a large heap: the answer is built on the target's main thread. */
const PROFILE_TIMEOUT_MS = 60_000;

const FIND_MS = 5_000;
const POLL_MS = 100;

/** Lines the inspector prints on the target's stderr; kept out of the user's log. */
const OWN_LINES =
  /^(Debugger listening on ws:\/\/\S+|For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector|Debugger attached\.|Debugger ending on ws:\/\/\S+|Waiting for the debugger to disconnect\.\.\.)$/;
const LISTENING = /^Debugger listening on (ws:\/\/127\.0\.0\.1:(\d+)\/\S+)$/;
const FAILED = /^Starting inspector on .* failed: .*$/;

/** NODE_OPTIONS with the inspector added to the user's own; a user's own --inspect is kept as is. */
export function inspectorLaunchEnv(userEnv: NodeJS.ProcessEnv): Record<string, string> {
  const own = userEnv.NODE_OPTIONS?.trim() ?? '';
  if (/(^|\s)--inspect(-brk|-wait)?(=|\s|$)/.test(own)) return {};
  return { NODE_OPTIONS: own === '' ? INSPECT_FLAG : `${own} ${INSPECT_FLAG}` };
}

/** What the memoryUsage() figures are in samples/3. */
export interface MemoryUsage {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers?: number;
}

export function inspFigures(m: MemoryUsage): Partial<Sample> {
  return {
    inspHeapUsed: m.heapUsed,
    inspHeapTotal: m.heapTotal,
    inspExternal: m.external,
    ...(m.arrayBuffers !== undefined && { inspArrayBuffers: m.arrayBuffers }),
  };
}

// `process` through globalThis: a module may shadow the name, and an ES module has no `require`.
const MEMORY_USAGE = 'globalThis.process.memoryUsage()';

/** Announced inspector URLs by port, from the target's stderr, and the failure line if any. */
class StderrWatch {
  readonly byPort = new Map<number, string>();
  failure: string | undefined;

  constructor(tap: StderrTap | undefined) {
    tap?.subscribe((line) => {
      const m = LISTENING.exec(line);
      if (m) this.byPort.set(Number(m[2]), m[1]!);
      if (FAILED.test(line)) this.failure = line;
      return OWN_LINES.test(line);
    });
  }
}

/** Where the sampling heap profiler stands in the target, as this source started it. */
type Sampling =
  { state: 'on'; since: Date; restartedAt?: Date } | { state: 'failed'; reason: string } | { state: 'off' };

/**
 * The inspector session: memory figures, collections, and V8's sampling heap profiler, started
 * when the source opens so that sites() can say which functions allocated what is still live.
 * The profiler belongs to the session: closing it stops the profiler (nothing left running in a
 * process the pack attached to), and a session that dropped and was opened again starts anew.
 */
export class InspectorSource implements RuntimeSource {
  readonly origin = 'inspector' as const;
  private sampling: Sampling = { state: 'off' };

  /** `cwd`: the target's working directory, to show its scripts' paths relative to it. */
  constructor(
    private client: CdpClient,
    private readonly url: string,
    private readonly cwd?: string,
  ) {
    this.watchExit();
  }

  async read(): Promise<Partial<Sample>> {
    await this.connected();
    const r = await this.client.send('Runtime.evaluate', { expression: MEMORY_USAGE, returnByValue: true });
    const value = (r.result as { value?: unknown } | undefined)?.value;
    if (r.exceptionDetails !== undefined || typeof value !== 'object' || value === null)
      throw new Error(`inspector: ${MEMORY_USAGE} did not evaluate in the target's main context`);
    return inspFigures(value as MemoryUsage);
  }

  async collect(): Promise<Partial<Sample>> {
    await this.connected();
    await this.client.send('HeapProfiler.collectGarbage', undefined, 60_000);
    return this.read();
  }

  /** Starts the sampling heap profiler; a refusal is kept for sites() to say, the source stays open. */
  async startSampling(): Promise<void> {
    try {
      await this.client.send('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL_BYTES });
      const restartedAt = this.sampling.state === 'on' ? new Date() : undefined;
      this.sampling = { state: 'on', since: new Date(), ...(restartedAt && { restartedAt }) };
    } catch (err) {
      this.sampling = { state: 'failed', reason: `HeapProfiler.startSampling failed: ${(err as Error).message}` };
    }
  }

  /**
   * The live allocations sampled since the source opened, by the function that made them. Read
   * right after collect(): objects that died but were not yet collected would still count.
   */
  async sites(): Promise<SitesProfile | Unavailable> {
    try {
      await this.connected();
    } catch (err) {
      return { unavailable: `the inspector session is gone: ${(err as Error).message}` };
    }
    if (this.sampling.state === 'failed') return { unavailable: this.sampling.reason };
    if (this.sampling.state === 'off') return { unavailable: 'the sampling heap profiler was not started' };
    let answer;
    try {
      answer = await this.client.send('HeapProfiler.getSamplingProfile', undefined, PROFILE_TIMEOUT_MS);
    } catch (err) {
      // "not started": another inspector session (a user's DevTools) stopped the process-wide profiler.
      return { unavailable: `HeapProfiler.getSamplingProfile failed: ${(err as Error).message}` };
    }
    let profile;
    try {
      profile = asSamplingHeapProfile(answer.profile);
    } catch (err) {
      return { unavailable: `HeapProfiler.getSamplingProfile: ${(err as Error).message}` };
    }
    const method = samplingMethod(this.sampling);
    delete this.sampling.restartedAt;
    return {
      origin: 'inspector-sampling',
      sites: samplingProfileSites(profile, this.cwd),
      // Sampled live bytes, not the heap: a site's share is of what the profiler saw grow.
      totalBytes: samplingProfileTotal(profile),
      method,
      raw: {
        extension: 'heapprofile',
        contents: JSON.stringify(profile),
        openWith:
          'Chrome DevTools, Memory tab: "Load profile" (chrome://inspect, "Open dedicated DevTools for Node", needs no running process)',
      },
    };
  }

  /** The session, for callers that speak to the inspector themselves. */
  session(): CdpClient {
    return this.client;
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** A session that dropped is opened again, and the profiler with it (it stopped with the session). */
  private async connected(): Promise<void> {
    if (!this.client.closed) return;
    this.client = await CdpClient.connect(this.url);
    this.watchExit();
    if (this.sampling.state === 'on') await this.startSampling();
  }

  /**
   * A process that ends with a session open waits for the debugger to leave ("Waiting for the
   * debugger to disconnect..."): leaving at once keeps the pack from holding its exit.
   */
  private watchExit(): void {
    const client = this.client;
    client.on('NodeRuntime.waitingForDisconnect', () => void client.close());
    client.send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true }).catch(() => undefined);
  }
}

function samplingMethod(s: { since: Date; restartedAt?: Date }): string {
  const words = [
    `V8 sampling heap profiler (inspector HeapProfiler.startSampling), a sample every ${SAMPLING_INTERVAL_BYTES / 1024} KiB allocated on average, since ${s.since.toISOString()}`,
    'live bytes after a full collection, estimated from the samples (a site of a few samples is noise)',
    "each site is the innermost function of the application's own code on the allocating stack (else a dependency's, else Node.js's), named by the line the function starts on",
  ];
  if (s.restartedAt)
    words.push(
      `the profiler started again at ${s.restartedAt.toISOString()} after the inspector connection dropped: what was allocated before is not in this profile`,
    );
  return words.join('; ');
}

/** The WebSocket URL the inspector on `port` gives for its process, if it is one. */
async function inspectorUrlOn(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return undefined;
    const list = (await res.json()) as { type?: string; webSocketDebuggerUrl?: string }[];
    return Array.isArray(list) ? list.find((t) => t.type === 'node')?.webSocketDebuggerUrl : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The target's inspector: a port it listens on that its stderr announced, else one of its
 * loopback ports answering /json/list (ephemeral ports first: the inspector's port 0 lands there,
 * so a user's server on a fixed port is rarely asked).
 */
async function findInspector(
  pid: number,
  watch: StderrWatch,
  except: ReadonlySet<number>,
  waitMs = FIND_MS,
): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  const asked = new Set<number>(except);
  // At least one look, however short the wait.
  for (;;) {
    const ports = loopbackListeningPorts(pid);
    for (const p of ports) {
      const announced = watch.byPort.get(p);
      if (announced) return announced;
    }
    const rest = ports.filter((p) => !asked.has(p)).sort((a, b) => Number(b >= 32768) - Number(a >= 32768));
    for (const p of rest) {
      asked.add(p);
      const url = await inspectorUrlOn(p);
      if (url) return url;
    }
    if (watch.failure || Date.now() >= deadline) return undefined;
    await sleep(POLL_MS);
  }
}

function handlesSigusr1(pid: number): boolean {
  const caught = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  // Bit 9 is SIGUSR1 (signal 10).
  return caught !== undefined && (BigInt(`0x${caught}`) & 0x200n) !== 0n;
}

async function openAttached(pid: number, watch: StderrWatch): Promise<string | Unavailable> {
  const before = new Set(loopbackListeningPorts(pid));
  // An inspector already open answers at once; waiting for one would delay every attach by FIND_MS.
  const open = await findInspector(pid, watch, new Set(), 0);
  if (open) return open;
  if (!handlesSigusr1(pid))
    return { unavailable: `pid ${pid} does not handle SIGUSR1 (not Node.js, or it runs with --disable-sigusr1)` };
  process.kill(pid, 'SIGUSR1');
  const url = await findInspector(pid, watch, before);
  return (
    url ?? {
      unavailable: `SIGUSR1 opened no inspector on pid ${pid} within ${FIND_MS / 1000} s (port 9229 taken, or the process handles SIGUSR1 itself)`,
    }
  );
}

export interface NodeInspectorOptions {
  /** --inspect-attach: send SIGUSR1 to a process the pack did not start. */
  attach: boolean;
  /** Start the sampling heap profiler when the source opens (default); false with --sites off. */
  sampling?: boolean;
}

export function nodeInspectorProbe(options: NodeInspectorOptions): RuntimeProbe {
  return {
    origin: 'inspector',
    runtimes: ['node'],
    launchEnv: inspectorLaunchEnv,
    attachable: options.attach,
    async open(target: ProbeTarget): Promise<RuntimeSource | Unavailable> {
      const watch = new StderrWatch(target.stderrLines);
      let url: string | Unavailable | undefined;
      try {
        if (target.launched) url = await findInspector(target.pid, watch, new Set());
        else if (options.attach) url = await openAttached(target.pid, watch);
        else return { unavailable: 'an attached Node.js process: its inspector is opened only with --inspect-attach' };
      } catch (err) {
        return { unavailable: `cannot look for the inspector of pid ${target.pid}: ${(err as Error).message}` };
      }
      if (url === undefined) return { unavailable: launchedFailure(target.pid, watch) };
      if (typeof url !== 'string') return url;
      try {
        const source = new InspectorSource(await CdpClient.connect(url), url, targetCwd(target.pid));
        await source.read();
        if (options.sampling !== false) await source.startSampling();
        return source;
      } catch (err) {
        return { unavailable: (err as Error).message };
      }
    },
  };
}

/** The target's working directory, if readable (another user's is not): paths are shown relative to it. */
function targetCwd(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

function launchedFailure(pid: number, watch: StderrWatch): string {
  if (watch.failure) return `the inspector did not open: "${watch.failure}"`;
  const opts = environVar(pid, 'NODE_OPTIONS');
  if (opts !== undefined && !opts.includes('--inspect'))
    return `pid ${pid} started without --inspect in NODE_OPTIONS (a wrapper replaced it: ${JSON.stringify(opts)})`;
  return `no inspector port of pid ${pid} within ${FIND_MS / 1000} s (a Node.js built without the inspector, or a policy that disables it)`;
}
