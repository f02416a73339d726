import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import type { AllocationSite } from './source.ts';

/** Frames kept per site: enough to tell two callers apart, short enough for a table. */
export const STACK_FRAMES = 5;
/** Sites kept per profile, largest first: a diff treats a site missing from one side as 0. */
export const MAX_SITES = 500;

export interface HeapProfileSites {
  sites: AllocationSite[];
  totalBytes: number;
  totalObjects: number;
  /** The profile's sampling period in bytes (runtime.MemProfileRate, 512 KiB by default). */
  periodBytes: number;
}

/**
 * A Go heap profile (gzipped protobuf from /debug/pprof/heap) summed per allocation site:
 * inuse_space and inuse_objects of every sample whose stack allocated there. A site is the
 * innermost frame outside the runtime ("main.keep (main.go:42)"): runtime.mallocgc,
 * growslice or newproc1 say how, the caller says where. Throws on a body that is not one.
 */
export function heapProfileSites(gzipped: Uint8Array, maxSites = MAX_SITES): HeapProfileSites {
  const profile = Profile.decode(gunzipSync(gzipped));
  const names = profile.stringTable.strings;
  const index = (name: string) => profile.sampleType.findIndex((t) => names[Number(t.type)] === name);
  const bytesAt = index('inuse_space');
  const objectsAt = index('inuse_objects');
  if (bytesAt < 0 || objectsAt < 0) throw new Error('not a Go heap profile: no inuse_space and inuse_objects values');
  const functions = new Map(profile.function.map((f) => [Number(f.id), f]));
  // One location can hold several frames (inlined calls), innermost first.
  const frames = new Map(
    profile.location.map((loc) => [
      Number(loc.id),
      loc.line.map((l) => {
        const f = functions.get(Number(l.functionId));
        const name = f ? names[Number(f.name)] || '?' : '?';
        const file = f ? basename(names[Number(f.filename)] || '?') : '?';
        return { name, at: `${name} (${file}:${Number(l.line)})` };
      }),
    ]),
  );
  const bySite = new Map<string, AllocationSite>();
  const largest = new Map<string, number>();
  let totalBytes = 0;
  let totalObjects = 0;
  for (const s of profile.sample) {
    const bytes = Number(s.value[bytesAt] ?? 0);
    const objects = Number(s.value[objectsAt] ?? 0);
    if (bytes === 0 && objects === 0) continue;
    totalBytes += bytes;
    totalObjects += objects;
    const stack = s.locationId.flatMap((id) => frames.get(Number(id)) ?? []);
    const first = Math.max(
      0,
      stack.findIndex((f) => !isRuntimeFrame(f.name)),
    );

    const site = stack[first]?.at ?? '(no stack)';
    const entry = bySite.get(site) ?? { site, kind: 'function' as const, bytes: 0, objects: 0 };
    entry.bytes += bytes;
    entry.objects = (entry.objects ?? 0) + objects;
    // The stack shown is the site's largest sample's, from the runtime frame that allocated.
    if (bytes >= (largest.get(site) ?? -1)) {
      largest.set(site, bytes);
      entry.stack = stack.slice(Math.max(0, first - 1), first + STACK_FRAMES - 1).map((f) => f.at);
    }
    bySite.set(site, entry);
  }
  const sites = [...bySite.values()].sort((a, b) => b.bytes - a.bytes).slice(0, maxSites);
  return { sites, totalBytes, totalObjects, periodBytes: Number(profile.period) };
}

/** Frames of the runtime itself: how memory was allocated, not by whom. */
function isRuntimeFrame(name: string): boolean {
  return name.startsWith('runtime.') || name.startsWith('internal/runtime/');
}
