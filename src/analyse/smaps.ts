/**
 * /proc/PID/smaps, parsed and diffed: which mappings, and which kinds of memory, grew between
 * two snapshots. Pure: text in, figures out.
 *
 * Kinds follow the address layout of linux/amd64 Go. A -race build keeps tsan's fixed layout
 * (`MappingGo48`): the Go heap at 0xc000000000, the shadow and meta shadow at fixed high
 * addresses, and ThreadSanitizer's own allocator (the ThreadContext records of
 * golang/go#63276) in plain anonymous mmaps near the top of the address space (0x7f...),
 * where glibc malloc arenas and thread stacks also land. A plain build of Go 1.26 or later
 * puts its heap at a random 64 MiB-aligned address below 0x400000000000 (runtime/malloc.go,
 * randomizeHeapBase; off under -race), which can fall inside the race ranges; so the race
 * ranges are used only for a process whose mappings show the race layout.
 */

export type MappingKind = 'go-heap' | 'race-shadow' | 'race-meta-shadow' | 'stack' | 'file' | 'anonymous' | 'kernel';

/** Report labels, in report order. */
export const MAPPING_KINDS: readonly { kind: MappingKind; label: string }[] = [
  { kind: 'go-heap', label: 'Go heap arena' },
  { kind: 'race-shadow', label: 'race shadow' },
  { kind: 'race-meta-shadow', label: 'race meta shadow' },
  { kind: 'stack', label: 'stacks ([stack])' },
  { kind: 'anonymous', label: 'other anonymous' },
  { kind: 'file', label: 'file-backed' },
  { kind: 'kernel', label: 'kernel ([vdso], [vvar], [vsyscall])' },
];

export function kindLabel(kind: MappingKind): string {
  return MAPPING_KINDS.find((k) => k.kind === kind)!.label;
}

/**
 * Address ranges [from, to) of linux/amd64 Go. Numbers are exact: every bound is below 2^53.
 * raceHeap/raceShadow/raceMetaShadow: compiler-rt tsan_platform.h, MappingGo48, and the race
 * arena hints in runtime/malloc.go. goHeap: where a plain build's arenas go, 0xc000000000
 * before Go 1.26 and anywhere in 46 bits after; the kernel maps libraries, thread stacks and
 * malloc arenas top-down from near 0x7fff..., far above it.
 */
export const ADDRESS_RANGES = {
  raceHeap: [0xc000000000, 0xe000000000],
  raceShadow: [0x200000000000, 0x21c000000000],
  raceMetaShadow: [0x300000000000, 0x400000000000],
  goHeap: [0x100000000, 0x400000000000],
} as const;

/**
 * `race`: tsan's fixed layout; `go`: a plain Go process; `other`: a process that is not Go,
 * whose unnamed mappings are only anonymous memory (a V8 heap is not a Go arena).
 */
export type AddressLayout = 'race' | 'go' | 'other';

type Range = readonly [number, number];
const within = (start: number, [from, to]: Range): boolean => start >= from && start < to;

/**
 * A race build has its heap in tsan's application range and shadow for it; a plain Go 1.26
 * heap that lands in the shadow range has nothing at 0xc000000000 (no plain build uses that
 * hint any more), and an older plain build has its heap there but no shadow.
 */
export function detectLayout(headers: readonly { start: number; pathname: string }[]): AddressLayout {
  const anon = headers.filter((h) => h.pathname === '');
  const has = (r: Range): boolean => anon.some((h) => within(h.start, r));
  return has(ADDRESS_RANGES.raceHeap) && has(ADDRESS_RANGES.raceShadow) ? 'race' : 'go';
}

export interface Mapping {
  /** Addresses as numbers; those above 2^53 (only [vsyscall]) are approximate, `range` is exact. */
  start: number;
  end: number;
  /** "7f607c920000-7f607e500000", as the kernel printed it. */
  range: string;
  perms: string;
  offset: string;
  dev: string;
  inode: number;
  /** Empty for anonymous mappings. */
  pathname: string;
  kind: MappingKind;
  /** Bytes. Size is the virtual size; Rss what is resident; Pss Rss shared out. */
  size: number;
  rss: number;
  pss: number;
  anonymous: number;
  swap: number;
  /** Every "Key: value" line of the mapping; sizes in bytes ("kB" is KiB), others as given. */
  fields: Record<string, number>;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+(\S+)\s+(\d+)(?:\s+(.*))?$/;
const FIELD = /^([A-Za-z_][\w()]*):\s+(\d+)(\s+kB)?\s*$/;

/**
 * Parses smaps text. Lines of another shape (VmFlags, blank) are skipped, never fatal. The
 * layout is detected from the mappings unless given.
 */
export function parseSmaps(text: string, layout?: AddressLayout): Mapping[] {
  const mappings = parseMappings(text);
  const chosen = layout ?? detectLayout(mappings);
  return mappings.map((m) => ({ ...m, kind: classify(m.start, m.pathname, chosen) }));
}

function parseMappings(text: string): Mapping[] {
  const out: Mapping[] = [];
  let current: Mapping | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const h = HEADER.exec(line);
    if (h) {
      if (current) out.push(finish(current));
      const start = parseInt(h[1]!, 16);
      const pathname = (h[7] ?? '').trim();
      current = {
        start,
        end: parseInt(h[2]!, 16),
        range: `${h[1]}-${h[2]}`,
        perms: h[3]!,
        offset: h[4]!,
        dev: h[5]!,
        inode: Number(h[6]),
        pathname,
        kind: 'anonymous',
        size: 0,
        rss: 0,
        pss: 0,
        anonymous: 0,
        swap: 0,
        fields: {},
      };
      continue;
    }
    const f = FIELD.exec(line);
    if (f && current) current.fields[f[1]!] = f[3] ? Number(f[2]) * 1024 : Number(f[2]);
  }
  if (current) out.push(finish(current));
  return out;
}

function finish(m: Mapping): Mapping {
  const f = m.fields;
  return {
    ...m,
    size: f.Size ?? m.end - m.start,
    rss: f.Rss ?? 0,
    pss: f.Pss ?? 0,
    anonymous: f.Anonymous ?? 0,
    swap: f.Swap ?? 0,
  };
}

/**
 * The kind of a mapping. A named pseudo-file decides first; the brk heap ([heap], where C
 * malloc and cgo allocations go) and named anonymous regions ([anon:...]) count as anonymous
 * memory outside Go. Unnamed mappings are told apart by address, per layout.
 */
export function classify(start: number, pathname: string, layout: AddressLayout): MappingKind {
  if (pathname.startsWith('[stack')) return 'stack';
  if (pathname === '[vdso]' || pathname === '[vvar]' || pathname === '[vsyscall]' || pathname === '[vvar_vclock]')
    return 'kernel';
  if (pathname === '[heap]' || pathname.startsWith('[anon')) return 'anonymous';
  if (pathname !== '') return 'file';
  if (layout === 'race') {
    if (within(start, ADDRESS_RANGES.raceHeap)) return 'go-heap';
    if (within(start, ADDRESS_RANGES.raceShadow)) return 'race-shadow';
    if (within(start, ADDRESS_RANGES.raceMetaShadow)) return 'race-meta-shadow';
    return 'anonymous';
  }
  return layout === 'go' && within(start, ADDRESS_RANGES.goHeap) ? 'go-heap' : 'anonymous';
}

export interface KindTotals {
  kind: MappingKind;
  label: string;
  mappings: number;
  size: number;
  rss: number;
}

/** Totals per kind, in MAPPING_KINDS order, kinds with no mapping left out. */
export function totalsByKind(mappings: readonly Mapping[]): KindTotals[] {
  return MAPPING_KINDS.flatMap(({ kind, label }) => {
    const of = mappings.filter((m) => m.kind === kind);
    if (of.length === 0) return [];
    return [
      {
        kind,
        label,
        mappings: of.length,
        size: of.reduce((s, m) => s + m.size, 0),
        rss: of.reduce((s, m) => s + m.rss, 0),
      },
    ];
  });
}

export interface KindDelta {
  kind: MappingKind;
  label: string;
  rssBefore: number;
  rssAfter: number;
  rssChange: number;
  sizeChange: number;
  mappingsBefore: number;
  mappingsAfter: number;
}

export interface MappingDelta {
  range: string;
  kind: MappingKind;
  perms: string;
  pathname: string;
  /** `new`: only in the later snapshot; `removed`: only in the earlier one. */
  status: 'grew' | 'shrank' | 'new' | 'removed' | 'same';
  rssBefore: number;
  rssAfter: number;
  rssChange: number;
  sizeAfter: number;
}

export interface SmapsDiff {
  rssBefore: number;
  rssAfter: number;
  rssChange: number;
  /** Every kind present in either snapshot, largest growth first. */
  kinds: KindDelta[];
  /** The mappings that grew most (new ones included), largest first, at most `top`. */
  topMappings: MappingDelta[];
  newMappings: number;
  removedMappings: number;
  /** RSS of mappings that appeared, e.g. the 1 MiB regions tsan adds as it leaks. */
  newMappingsRss: number;
}

/**
 * Diffs two snapshots. Mappings are matched by start address and kind: a region the kernel
 * extended in place (the Go heap arena, a growing anonymous mmap) keeps its start and shows
 * as grown. Adjacent anonymous mappings with equal permissions can merge or split between
 * snapshots, so per-mapping rows are a guide and per-kind totals are the figure to trust.
 */
export function diffSmaps(before: readonly Mapping[], after: readonly Mapping[], top = 10): SmapsDiff {
  const key = (m: Mapping): string => `${m.start}:${m.kind}`;
  const old = new Map(before.map((m) => [key(m), m]));
  const seen = new Set<string>();
  const deltas: MappingDelta[] = [];
  for (const m of after) {
    const k = key(m);
    const was = old.get(k);
    seen.add(k);
    const rssBefore = was?.rss ?? 0;
    const change = m.rss - rssBefore;
    const status = !was ? 'new' : change > 0 ? 'grew' : change < 0 ? 'shrank' : 'same';
    deltas.push({
      range: m.range,
      kind: m.kind,
      perms: m.perms,
      pathname: m.pathname,
      status,
      rssBefore,
      rssAfter: m.rss,
      rssChange: change,
      sizeAfter: m.size,
    });
  }
  for (const m of before) {
    if (seen.has(key(m))) continue;
    deltas.push({
      range: m.range,
      kind: m.kind,
      perms: m.perms,
      pathname: m.pathname,
      status: 'removed',
      rssBefore: m.rss,
      rssAfter: 0,
      rssChange: -m.rss,
      sizeAfter: 0,
    });
  }
  const fresh = deltas.filter((d) => d.status === 'new');
  const rssBefore = sumRss(before);
  const rssAfter = sumRss(after);
  return {
    rssBefore,
    rssAfter,
    rssChange: rssAfter - rssBefore,
    kinds: diffKinds(before, after),
    topMappings: deltas
      .filter((d) => d.rssChange > 0)
      .sort((a, b) => b.rssChange - a.rssChange || (a.range < b.range ? -1 : 1))
      .slice(0, top),
    newMappings: fresh.length,
    removedMappings: deltas.filter((d) => d.status === 'removed').length,
    newMappingsRss: fresh.reduce((s, d) => s + d.rssAfter, 0),
  };
}

/** Per-kind change only: cheap enough for every consecutive pair of snapshots. */
export function diffKinds(before: readonly Mapping[], after: readonly Mapping[]): KindDelta[] {
  const a = new Map(totalsByKind(before).map((t) => [t.kind, t]));
  const b = new Map(totalsByKind(after).map((t) => [t.kind, t]));
  return MAPPING_KINDS.flatMap(({ kind, label }) => {
    const x = a.get(kind);
    const y = b.get(kind);
    if (!x && !y) return [];
    const rssBefore = x?.rss ?? 0;
    const rssAfter = y?.rss ?? 0;
    return [
      {
        kind,
        label,
        rssBefore,
        rssAfter,
        rssChange: rssAfter - rssBefore,
        sizeChange: (y?.size ?? 0) - (x?.size ?? 0),
        mappingsBefore: x?.mappings ?? 0,
        mappingsAfter: y?.mappings ?? 0,
      },
    ];
  }).sort((p, q) => q.rssChange - p.rssChange);
}

function sumRss(mappings: readonly Mapping[]): number {
  return mappings.reduce((s, m) => s + m.rss, 0);
}

/** A snapshot as read from the run directory. */
export interface SmapsSnapshot {
  label: string;
  t: number;
  file: string;
  text: string;
}

export interface SmapsStep {
  from: string;
  to: string;
  fromT: number;
  toT: number;
  rssChange: number;
  kinds: KindDelta[];
}

export interface SmapsReport {
  /** The first and last snapshots compared, by label and file. */
  from: { label: string; t: number; file: string };
  to: { label: string; t: number; file: string };
  overall: SmapsDiff;
  /** Consecutive pairs, per kind, when there are more than two snapshots. */
  steps: SmapsStep[];
  /** Snapshots that could not be compared (empty, or across a restart of the target). */
  notes: string[];
}

/**
 * "Where did it grow": the first snapshot against the last, and each consecutive pair.
 * Snapshots on either side of a target restart (`restartTimes`) belong to different
 * processes, so only those of the last process are compared; a diff across a restart would
 * show the old process's leak as "removed".
 */
export function smapsReport(
  snapshots: readonly SmapsSnapshot[],
  restartTimes: readonly number[] = [],
  runtime: 'go' | 'other' = 'go',
): SmapsReport | undefined {
  const notes: string[] = [];
  const parsed = snapshots.flatMap((s) => {
    const mappings = parseSmaps(s.text, runtime === 'other' ? 'other' : undefined);
    if (mappings.length === 0) {
      notes.push(`${s.file} has no mappings in it; it is left out`);
      return [];
    }
    return [{ ...s, mappings }];
  });
  const lastRestart = restartTimes.filter((t) => parsed.some((s) => s.t <= t) && parsed.some((s) => s.t > t)).at(-1);
  const usable = lastRestart === undefined ? parsed : parsed.filter((s) => s.t > lastRestart);
  if (lastRestart !== undefined && usable.length < parsed.length) {
    notes.push(
      `${parsed.length - usable.length} snapshot(s) taken before the target restarted at t=${Math.round(lastRestart * 10) / 10} s are left out: they are of another process`,
    );
  }
  if (usable.length < 2) return undefined;
  const first = usable[0]!;
  const last = usable.at(-1)!;
  const steps: SmapsStep[] =
    usable.length > 2
      ? usable.slice(1).map((s, i) => {
          const prev = usable[i]!;
          const kinds = diffKinds(prev.mappings, s.mappings);
          return {
            from: prev.label,
            to: s.label,
            fromT: prev.t,
            toT: s.t,
            rssChange: kinds.reduce((sum, k) => sum + k.rssChange, 0),
            kinds,
          };
        })
      : [];
  return {
    from: { label: first.label, t: first.t, file: first.file },
    to: { label: last.label, t: last.t, file: last.file },
    overall: diffSmaps(first.mappings, last.mappings),
    steps,
    notes,
  };
}
