import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { Sample } from '../../rundir/schema.ts';
import { heapProfileSites } from './pprof-sites.ts';
import type { ProbeTarget, RuntimeProbe, RuntimeSource, SitesProfile, Unavailable } from './source.ts';

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
  return (await fetchProfile(url, timeoutMs)).fields;
}

async function fetchProfile(url: URL, timeoutMs: number): Promise<{ fields: Partial<Sample>; body: Uint8Array }> {
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
  return { fields: { pprofInuseBytes: totals.inuseBytes, pprofInuseObjects: totals.inuseObjects }, body };
}

/**
 * The allocation sites of a heap profile fetched right after a collection (`?gc=1`): what is
 * live, by the code that allocated it. A body that does not parse is Unavailable, saying so.
 */
export function sitesOfHeapProfile(body: Uint8Array, url: string): SitesProfile | Unavailable {
  let parsed;
  try {
    parsed = heapProfileSites(body);
  } catch (err) {
    return {
      unavailable: `Go allocation sites: the heap profile from ${url} does not parse (${(err as Error).message})`,
    };
  }
  const period =
    parsed.periodBytes > 0
      ? `one allocation sampled every ${Math.round(parsed.periodBytes / 1024)} KiB on average (runtime.MemProfileRate), scaled up by the runtime`
      : 'as the runtime sampled them';
  return {
    origin: 'pprof-heap',
    sites: parsed.sites,
    totalBytes: parsed.totalBytes,
    totalObjects: parsed.totalObjects,
    method: `Go heap profile (/debug/pprof/heap?gc=1) after a full collection: in-use bytes and objects by the innermost frame outside the runtime, ${period}`,
    raw: {
      extension: 'pb.gz',
      contents: Buffer.from(body),
      openWith: 'go tool pprof -sample_index=inuse_space -top',
    },
  };
}

/** A profile holds every sampled stack: a second at most, else the sample is late. */
const READ_TIMEOUT_MS = 1000;
const MIN_READ_GAP_MS = 1000;
/** gc=1 runs a full collection first; a large heap takes longer. */
const COLLECT_TIMEOUT_MS = 10_000;
/** A profile fetched by collect() this recently is the one sites() reads: nothing ran between. */
const SITES_REUSE_MS = 5000;

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
    // The profile of the last collection asked for, so that sites() right after it needs no second one.
    let collected: { at: number; body: Uint8Array } | undefined;
    return {
      origin: 'pprof',
      read,
      collect: async () => {
        const { fields, body } = await fetchProfile(collectUrl, COLLECT_TIMEOUT_MS);
        last = { at: performance.now(), fields };
        collected = { at: last.at, body };
        return fields;
      },
      sites: async () => {
        let body = collected && performance.now() - collected.at < SITES_REUSE_MS ? collected.body : undefined;
        collected = undefined;
        try {
          body ??= (await fetchProfile(collectUrl, COLLECT_TIMEOUT_MS)).body;
        } catch (err) {
          return { unavailable: `Go allocation sites: ${(err as Error).message}` };
        }
        return sitesOfHeapProfile(body, collectUrl.href);
      },
      close: () => Promise.resolve(),
    };
  },
};
