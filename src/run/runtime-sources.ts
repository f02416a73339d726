import { dirname, join } from 'node:path';
import { FILES, type RuntimeSourceRecord, type Sample } from '../rundir/schema.ts';
import { launchEnvironment } from '../sample/runtime/env.ts';
import { RUNTIME_PROBES } from '../sample/runtime/index.ts';
import {
  isUnavailable,
  type RuntimeProbe,
  type RuntimeSource,
  type SitesProfile,
  type StderrTap,
  type Unavailable,
} from '../sample/runtime/source.ts';
import { identifyProcess } from '../target/identify.ts';
import { removeHookSocketDir } from '../sample/runtime/python-hook.ts';

/** Once the target is stopped for good: removes what runtimeLaunch set up (the hooks' socket directory). */
export function endRuntimeLaunch(): void {
  removeHookSocketDir();
}

/** What a target the pack starts gets from the probes: their variables, and stderr read through the pack. */
export function runtimeLaunch(
  logFile: string,
  userEnv: NodeJS.ProcessEnv = process.env,
  probes: readonly RuntimeProbe[] = RUNTIME_PROBES,
): { env: NodeJS.ProcessEnv; runtimeLogFile: string } {
  return { env: launchEnvironment(userEnv, probes), runtimeLogFile: join(dirname(logFile), FILES.runtimeLog) };
}

export interface RuntimeSourcesIo {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * The open runtime sources of one target process: read with each sample (through the
 * sampler's runtime readers), asked for a collection at rest, closed at the end. A source that
 * cannot open, or gives nothing all run, is recorded (run.json target.runtimeSources and an
 * event) with the figure it would have given; the run goes on either way.
 */
export class RuntimeSources {
  private readonly gave = new Set<RuntimeSource>();

  private constructor(
    readonly sources: readonly RuntimeSource[],
    readonly records: RuntimeSourceRecord[],
    private readonly io: RuntimeSourcesIo,
  ) {}

  static async open(
    target: { pid: number; launched: boolean; stderrLines?: StderrTap; baseUrl?: URL },
    io: RuntimeSourcesIo,
    probes: readonly RuntimeProbe[] = RUNTIME_PROBES,
  ): Promise<RuntimeSources> {
    const identity = identifyProcess(target.pid);
    const runtime = identity.runtime;
    const sources: RuntimeSource[] = [];
    const records: RuntimeSourceRecord[] = [];
    for (const probe of probes) {
      if (!probe.runtimes.includes(runtime)) continue;
      if (!target.launched && !probe.attachable) {
        const note = `${probe.origin} needs a target the pack starts (--cmd); not available for --pid`;
        records.push({ origin: probe.origin, opened: false, note });
        io.info(`runtime source ${note}`);
        continue;
      }
      let opened;
      try {
        opened = await probe.open({
          pid: target.pid,
          runtime,
          launched: target.launched,
          ...(target.stderrLines && { stderrLines: target.stderrLines }),
          ...(target.baseUrl && { pprofUrl: new URL('/debug/pprof/', target.baseUrl).href }),
        });
      } catch (err) {
        opened = { unavailable: `${probe.origin}: ${(err as Error).message}` };
      }
      if (isUnavailable(opened)) {
        records.push({ origin: probe.origin, opened: false, note: opened.unavailable });
        io.info(`runtime source ${probe.origin} not used: ${opened.unavailable}`);
      } else {
        sources.push(opened);
        records.push({ origin: probe.origin, opened: true, ...(opened.note !== undefined && { note: opened.note }) });
        io.info(`runtime source ${probe.origin}: reading ${identity.runtime} figures from pid ${target.pid}`);
      }
    }
    return new RuntimeSources(sources, records, io);
  }

  /** One reader per source for the sampler; remembers which gave a figure. */
  readers(): { label: string; read: () => Promise<Partial<Sample>> }[] {
    return this.sources.map((s) => ({
      label: `runtime ${s.origin}`,
      read: async () => {
        const fields = await s.read();
        if (Object.keys(fields).length > 0) this.gave.add(s);
        return fields;
      },
    }));
  }

  /**
   * Asks every source that can for a full collection, one after the other, and returns the
   * figures after them, flagged with the first source that collected. Only at rest.
   */
  async collect(): Promise<{ fields: Partial<Sample>; by: string[] }> {
    const fields: Partial<Sample> = {};
    const by: string[] = [];
    for (const s of this.sources) {
      if (!s.collect) continue;
      try {
        Object.assign(fields, await s.collect());
        this.gave.add(s);
        by.push(s.origin);
        fields.collectedBy ??= s.origin;
      } catch (err) {
        this.io.warn(`runtime ${s.origin}: the collection at rest failed: ${(err as Error).message}`);
      }
    }
    return { fields, by };
  }

  /**
   * Live memory by allocation site from every source that can tell (only at rest, right after
   * collect()), one after the other; a source that fails gives why, never an exception.
   */
  async sites(): Promise<{ source: RuntimeSource['origin']; profile: SitesProfile | Unavailable }[]> {
    const out: { source: RuntimeSource['origin']; profile: SitesProfile | Unavailable }[] = [];
    for (const s of this.sources) {
      if (!s.sites) continue;
      let profile: SitesProfile | Unavailable;
      try {
        profile = await s.sites();
      } catch (err) {
        profile = { unavailable: `${s.origin}: allocation sites failed: ${(err as Error).message}` };
      }
      out.push({ source: s.origin, profile });
    }
    return out;
  }

  /** Closes every source; one that gave nothing all run says which figure is missing. */
  async close(): Promise<void> {
    for (const s of this.sources) {
      await s.close().catch(() => undefined);
      if (this.gave.has(s)) continue;
      const note = NOTHING_GIVEN[s.origin] ?? `${s.origin} gave no figure during the run`;
      const record = this.records.find((r) => r.origin === s.origin);
      if (record) record.note = note;
      this.io.warn(`runtime source ${note}`);
    }
  }
}

const NOTHING_GIVEN: Partial<Record<RuntimeSourceRecord['origin'], string>> = {
  gctrace:
    'gctrace gave no Go live heap (gcTraceLive): no gctrace line came on stderr all run; either no collection ran, its stderr goes elsewhere (a redirection in --cmd), or the binary ignores GODEBUG=gctrace=1 or prints it in a format older than Go 1.5',
};

/**
 * Whether the pack asks for a collection at the end of phase `i`: an idle phase that is the
 * run's first idle phase (the baseline at rest) or follows load (what the load left, live).
 * Never a load phase: a forced collection there would change what is measured.
 */
export function atRestEnd(phases: readonly { kind: string }[], i: number): boolean {
  if (phases[i]?.kind !== 'idle') return false;
  const firstIdle = phases.findIndex((p) => p.kind === 'idle') === i;
  const afterLoad = i > 0 && phases[i - 1]!.kind !== 'idle';
  return firstIdle || afterLoad;
}
