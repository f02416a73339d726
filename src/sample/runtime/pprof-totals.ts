import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { Sample } from '../../rundir/schema.ts';
import type { ProbeTarget, RuntimeProbe, RuntimeSource, Unavailable } from './source.ts';

/**
 * In-use totals of a Go heap profile (net/http/pprof's `/debug/pprof/heap`, gzipped protobuf):
 * the sums of its inuse_space and inuse_objects values, which the runtime has already scaled up
 * from its sampled allocations. They are as of the last completed collection (the runtime
 * publishes the profile at a cycle's end), so they estimate the heap live at that GC.
 */
export function heapProfileTotals(gzipped: Uint8Array): { inuseObjects: number; inuseBytes: number } | undefined {
  const profile = Profile.decode(gunzipSync(gzipped));
  const names = profile.stringTable.strings;
  const index = (name: string) => profile.sampleType.findIndex((t) => names[Number(t.type)] === name);
  const bytesAt = index('inuse_space');
  const objectsAt = index('inuse_objects');
  if (bytesAt < 0 || objectsAt < 0) return undefined;
  let inuseBytes = 0;
  let inuseObjects = 0;
  for (const s of profile.sample) {
    inuseBytes += Number(s.value[bytesAt] ?? 0);
    inuseObjects += Number(s.value[objectsAt] ?? 0);
  }
  return { inuseObjects, inuseBytes };
}

async function fetchTotals(url: URL, timeoutMs: number): Promise<Partial<Sample>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${url.href} answered ${res.status}`);
  let totals;
  try {
    totals = heapProfileTotals(body);
  } catch {
    totals = undefined;
  }
  if (!totals) throw new Error(`${url.href} is not a Go heap profile (gzipped protobuf with inuse_space)`);
  return { pprofInuseBytes: totals.inuseBytes, pprofInuseObjects: totals.inuseObjects };
}

/** A profile holds every sampled stack: a second at most, else the sample is late. */
const READ_TIMEOUT_MS = 1000;
const MIN_READ_GAP_MS = 1000;
/** gc=1 runs a full collection first; a large heap takes longer. */
const COLLECT_TIMEOUT_MS = 10_000;

export const goPprofProbe: RuntimeProbe = {
  origin: 'pprof',
  runtimes: ['go'],
  attachable: true,
  async open(target: ProbeTarget): Promise<RuntimeSource | Unavailable> {
    if (!target.pprofUrl) return { unavailable: 'Go heap profile totals: no URL to look for /debug/pprof/heap at' };
    const url = new URL('heap', target.pprofUrl);
    const collectUrl = new URL('heap?gc=1', target.pprofUrl);
    try {
      await fetchTotals(url, 3000);
    } catch (err) {
      return {
        unavailable: `Go heap profile totals (pprofInuseBytes): ${(err as Error).message}; mount net/http/pprof for them`,
      };
    }
    // The totals change only at a collection: one profile a second is enough, and keeps its
    // cost (the runtime writes every sampled stack) off a target sampled every 100 ms.
    let last: { at: number; fields: Partial<Sample> } | undefined;
    const read = async (): Promise<Partial<Sample>> => {
      if (last && performance.now() - last.at < MIN_READ_GAP_MS) return last.fields;
      const fields = await fetchTotals(url, READ_TIMEOUT_MS);
      last = { at: performance.now(), fields };
      return fields;
    };
    return {
      origin: 'pprof',
      read,
      collect: async () => {
        const fields = await fetchTotals(collectUrl, COLLECT_TIMEOUT_MS);
        last = { at: performance.now(), fields };
        return fields;
      },
      close: () => Promise.resolve(),
    };
  },
};
