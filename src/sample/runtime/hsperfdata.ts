import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Sample } from '../../rundir/schema.ts';
import { errorCode } from '../proc-fields.ts';
import { classHistogramSites, classHistogramTotal, parseClassHistogram } from './class-histogram.ts';
import { AttachRefused, AttachTimeout, HotSpotAttach } from './hotspot-attach.ts';
import { counter, parsePerfData, type PerfData } from './hsperfdata-format.ts';
import { cmdline, environVar, inTargetRoot, namespacedPid } from './proc-namespace.ts';
import type { ProbeTarget, RuntimeProbe, RuntimeSource, SitesProfile, Unavailable } from './source.ts';

/** A histogram walks the whole heap after a full collection: seconds on a heap of gigabytes. */
const HISTOGRAM_TIMEOUT_MS = 120_000;

type HsFigures = Pick<
  Sample,
  'hsHeapUsed' | 'hsHeapCommitted' | 'hsOldUsed' | 'hsMetaspaceUsed' | 'hsGcs' | 'hsFullGcs' | 'hsThreads'
>;

/**
 * jstat's figures from the counters: heap used and committed are every generation's spaces
 * (eden, survivors, old), as jstat -gc's S0U+S1U+EU+OU and S0C+S1C+EC+OC; collections are
 * every collector's (young, full and G1's concurrent-cycle pauses), full ones collector 1's
 * (jstat's FGC); a generation named "perm" (JDK 7) is not heap.
 */
export function hsFigures(data: PerfData): HsFigures {
  const out: HsFigures = {};
  let used = 0;
  let committed = 0;
  let spaces = 0;
  for (let g = 0; data.entries.has(`sun.gc.generation.${g}.name`); g++) {
    if (data.entries.get(`sun.gc.generation.${g}.name`) === 'perm') continue;
    const cap = counter(data, `sun.gc.generation.${g}.capacity`);
    if (cap !== undefined) committed += cap;
    for (let s = 0; data.entries.has(`sun.gc.generation.${g}.space.${s}.used`); s++) {
      used += counter(data, `sun.gc.generation.${g}.space.${s}.used`) ?? 0;
      spaces++;
    }
    const old = counter(data, `sun.gc.generation.${g}.space.0.used`);
    if (data.entries.get(`sun.gc.generation.${g}.name`) === 'old' && old !== undefined) out.hsOldUsed = old;
  }
  if (spaces > 0) {
    out.hsHeapUsed = used;
    out.hsHeapCommitted = committed;
  }
  let gcs: number | undefined;
  for (let c = 0; data.entries.has(`sun.gc.collector.${c}.invocations`); c++)
    gcs = (gcs ?? 0) + (counter(data, `sun.gc.collector.${c}.invocations`) ?? 0);
  if (gcs !== undefined) out.hsGcs = gcs;
  const full = counter(data, 'sun.gc.collector.1.invocations');
  if (full !== undefined) out.hsFullGcs = full;
  const meta = counter(data, 'sun.gc.metaspace.used');
  if (meta !== undefined) out.hsMetaspaceUsed = meta;
  const threads = counter(data, 'java.threads.live');
  if (threads !== undefined) out.hsThreads = threads;
  return out;
}

/**
 * The JVM's file: /tmp/hsperfdata_<user>/<nspid> in its own mount namespace (the user is the
 * one inside it, which the pack may not know: every hsperfdata_* folder is looked in, the
 * JVM's own uid's first).
 */
export function findPerfDataFile(pid: number, procRoot = '/proc'): string | Unavailable {
  let ns;
  try {
    ns = namespacedPid(pid, procRoot);
  } catch (err) {
    return { unavailable: `cannot read /proc/${pid}/status: ${(err as Error).message}` };
  }
  const tmp = inTargetRoot(pid, '/tmp', procRoot);
  let dirs: string[];
  try {
    dirs = readdirSync(tmp).filter((d) => d.startsWith('hsperfdata_'));
  } catch (err) {
    const code = errorCode(err);
    return {
      unavailable:
        code === 'EACCES' || code === 'EPERM'
          ? `cannot read the target's /tmp (${tmp}: ${code}): it runs as another user or in a container the pack may not enter`
          : `cannot read the target's /tmp (${tmp}): ${(err as Error).message}`,
    };
  }
  const candidates = dirs
    .map((d) => `${tmp}/${d}/${ns.nsPid}`)
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    })
    .sort((a, b) => Number(statSync(b).uid === ns.uid) - Number(statSync(a).uid === ns.uid));
  if (candidates[0]) return candidates[0];
  return { unavailable: noFileReason(pid, ns.nsPid, procRoot) };
}

function noFileReason(pid: number, nsPid: number, procRoot: string): string {
  const opts = [
    ...cmdline(pid, procRoot),
    ...(environVar(pid, 'JAVA_TOOL_OPTIONS', procRoot) ?? '').split(/\s+/),
    ...(environVar(pid, 'JDK_JAVA_OPTIONS', procRoot) ?? '').split(/\s+/),
  ];
  if (opts.includes('-XX:-UsePerfData')) return 'no hsperfdata file: the JVM runs with -XX:-UsePerfData';
  if (opts.includes('-XX:+PerfDisableSharedMem'))
    return 'no hsperfdata file: the JVM runs with -XX:+PerfDisableSharedMem (its counters stay in private memory)';
  const where =
    nsPid === pid ? `/tmp/hsperfdata_*/${pid}` : `/tmp/hsperfdata_*/${nsPid} (pid ${nsPid} in its namespace)`;
  return `no hsperfdata file ${where} in the target's mount namespace (not a HotSpot JVM, or its /tmp is not the one it writes to)`;
}

/** Exported for the class histograms of issue 24: `attachClient()` reuses the attach connection's target. */
export class HsPerfDataSource implements RuntimeSource {
  readonly origin = 'hsperfdata' as const;
  private attach: HotSpotAttach | undefined;
  /** Why the JVM refused the attach API, once it did: not asked again (a timeout is not a refusal). */
  private attachRefused: string | undefined;

  constructor(
    private readonly file: string,
    private readonly pid: number,
    private readonly procRoot: string,
  ) {}

  async read(): Promise<Partial<Sample>> {
    // 12-32 KiB, read whole: cheaper than keeping it mapped, and a JVM that exited is an ENOENT.
    return hsFigures(parsePerfData(readFileSync(this.file)));
  }

  /**
   * GC.run through the attach API, then the counters. A refused attach (another user, a
   * container's uid, -XX:+DisableAttachMechanism) says why once and reads without collecting.
   */
  async collect(): Promise<Partial<Sample>> {
    if (this.attachRefused) throw new AttachRefused(`attach refused, no collection asked: ${this.attachRefused}`);
    const before = await this.read();
    try {
      await this.attachClient().jcmd('GC.run');
    } catch (err) {
      if (!(err instanceof AttachRefused)) throw err;
      if (!(err instanceof AttachTimeout)) this.attachRefused = err.message;
      throw new AttachRefused(`attach refused, no collection asked: ${err.message}`);
    }
    const after = await this.read();
    // GC.run is a full collection (G1: a concurrent cycle with -XX:+ExplicitGCInvokesConcurrent,
    // which it waits for); a count that did not move means the figures are not at rest.
    if (before.hsGcs !== undefined && after.hsGcs === before.hsGcs)
      throw new Error('GC.run answered but the collection counters did not move: figures not taken after a collection');
    return after;
  }

  /**
   * A class histogram of the live heap through the attach API (`inspectheap -live`, what
   * `jmap -histo:live` asks for: a full collection, then every live object counted by class),
   * so no JDK tools are needed. A refused attach says why.
   */
  async sites(): Promise<SitesProfile | Unavailable> {
    if (this.attachRefused) return { unavailable: `attach refused, no class histogram: ${this.attachRefused}` };
    let answer;
    try {
      answer = await this.attachClient().command('inspectheap', ['-live'], HISTOGRAM_TIMEOUT_MS);
    } catch (err) {
      if (err instanceof AttachTimeout || !(err instanceof AttachRefused))
        return { unavailable: `inspectheap -live: ${(err as Error).message}` };
      this.attachRefused = err.message;
      return { unavailable: `attach refused, no class histogram: ${err.message}` };
    }
    if (answer.code !== 0)
      return { unavailable: `inspectheap -live: code ${answer.code}: ${answer.output.trim().slice(0, 200)}` };
    let histogram;
    try {
      histogram = parseClassHistogram(answer.output);
    } catch (err) {
      return { unavailable: `inspectheap -live: ${(err as Error).message}` };
    }
    const total = classHistogramTotal(histogram);
    return {
      origin: 'class-histogram',
      sites: classHistogramSites(histogram),
      totalBytes: total.bytes,
      totalObjects: total.instances,
      method:
        "HotSpot class histogram of the live heap (attach API inspectheap -live, as jmap -histo:live: a full collection, then every live object counted): instances and shallow bytes per class (an object's own fields, not what it refers to); lambdas and other hidden classes summed per declaring class",
      raw: {
        extension: 'histo.txt',
        contents: answer.output,
        openWith:
          "any text viewer; it is the format of jmap -histo and jcmd's GC.class_histogram, to compare with theirs",
      },
    };
  }

  /** The client that issue 24's class histograms reuse. */
  attachClient(): HotSpotAttach {
    this.attach ??= new HotSpotAttach(this.pid, this.procRoot);
    return this.attach;
  }

  async close(): Promise<void> {}
}

export function hsPerfDataProbe(procRoot = '/proc'): RuntimeProbe {
  return {
    origin: 'hsperfdata',
    runtimes: ['jvm'],
    // On by default in every HotSpot JVM: nothing to add to JAVA_TOOL_OPTIONS (which would
    // also make the JVM print "Picked up JAVA_TOOL_OPTIONS" on stderr).
    attachable: true,
    async open(target: ProbeTarget): Promise<RuntimeSource | Unavailable> {
      const file = findPerfDataFile(target.pid, procRoot);
      if (typeof file !== 'string') return file;
      const source = new HsPerfDataSource(file, target.pid, procRoot);
      try {
        await source.read();
      } catch (err) {
        return { unavailable: `hsperfdata file ${file} does not read: ${(err as Error).message}` };
      }
      return source;
    },
  };
}
