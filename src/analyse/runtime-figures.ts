import {
  FIGURES,
  type RuntimeName,
  type RuntimeSourceRecord,
  type Sample,
  type SampleFigure,
} from '../rundir/schema.ts';
import { formatMiB } from './format.ts';

/**
 * Which sampled figure plays each role the verdict reads (a runtime's live heap, heap in use,
 * heap held from the OS, collections), for each runtime: a /metrics figure from a client
 * library first, else the runtime's own account read with no code change (gctrace, pprof, the
 * inspector, hsperfdata, the Python hook; src/sample/runtime/). The decision reads the role's
 * key (liveHeap, heapInuse, v8HeapUsed, jvmHeapUsed, ...), so filling it from another figure
 * makes the verdict use that figure exactly as it uses /metrics. Pure.
 */
export interface RoleDef {
  /** The key the decision reads (a runtime profile's heap, live, held or cycle figure). */
  role: SampleFigure;
  /** "Go live heap": the role in words. */
  words: string;
  /** Candidates after the role's own key, in order of preference. */
  from: readonly SampleFigure[];
}

export const ROLE_FIGURES: Record<RuntimeName, readonly RoleDef[]> = {
  go: [
    { role: 'liveHeap', words: 'Go live heap', from: ['gcTraceLive'] },
    { role: 'heapInuse', words: 'Go heap in use', from: ['pprofInuseBytes'] },
  ],
  node: [
    { role: 'v8HeapUsed', words: 'V8 heap used', from: ['inspHeapUsed'] },
    { role: 'v8HeapTotal', words: 'V8 heap total', from: ['inspHeapTotal'] },
    { role: 'nodeExternal', words: 'Node external memory', from: ['inspExternal'] },
  ],
  jvm: [
    { role: 'jvmHeapUsed', words: 'Java heap used', from: ['hsHeapUsed'] },
    { role: 'jvmHeapCommitted', words: 'Java heap committed', from: ['hsHeapCommitted'] },
    { role: 'jvmGcs', words: 'JVM collections', from: ['hsGcs'] },
    { role: 'jvmThreads', words: 'Java threads', from: ['hsThreads'] },
  ],
  // The Python profile's heap figure is pyTracedBytes itself: no client library exposes one.
  python: [],
  other: [],
};

/** Live-heap roles and in-use roles are compared only with a figure of the same meaning. */
const COMPARABLE: Partial<Record<SampleFigure, SampleFigure>> = {
  liveHeap: 'gcTraceLive',
  v8HeapUsed: 'inspHeapUsed',
  jvmHeapUsed: 'hsHeapUsed',
};

export interface RoleChoice {
  role: SampleFigure;
  words: string;
  /** The figure the role was read from. */
  used: SampleFigure;
  /** Other candidates that were sampled too (not used). */
  alsoSampled: SampleFigure[];
}

export interface ResolvedFigures {
  samples: Sample[];
  choices: RoleChoice[];
  /** Sentences for the report: which figure a role was read from, and whether two sources agree. */
  notes: string[];
}

const sampled = (samples: readonly Sample[], key: SampleFigure) => samples.some((s) => s[key] !== undefined);
const labelOf = (key: SampleFigure) => FIGURES.find((f) => f.key === key)?.label ?? key;

/**
 * Per run, one figure per role (never a mix of two sources within one series): the role's own
 * /metrics figure when sampled, else the first runtime figure sampled, copied into the role's key.
 */
export function resolveRoleFigures(samples: readonly Sample[], runtime: RuntimeName | 'unknown'): ResolvedFigures {
  const defs = runtime === 'unknown' ? [] : ROLE_FIGURES[runtime];
  const choices: RoleChoice[] = [];
  const notes: string[] = [];
  let out: Sample[] | undefined;
  for (const def of defs) {
    const candidates = [def.role, ...def.from].filter((k) => sampled(samples, k));
    const used = candidates[0];
    if (used === undefined) continue;
    choices.push({ role: def.role, words: def.words, used, alsoSampled: candidates.slice(1) });
    if (used !== def.role) {
      out ??= samples.map((s) => ({ ...s }));
      for (const s of out) {
        const v = s[used];
        if (v !== undefined) s[def.role] = v;
      }
      notes.push(`${def.words} is read from ${labelOf(used)}, the runtime's own figure (no /metrics figure for it).`);
      if (used === 'gcTraceLive') notes.push(...gcTraceResolution(samples));
      continue;
    }
    const other = COMPARABLE[def.role];
    if (other && candidates.includes(other)) notes.push(agreement(samples, def, other));
  }
  return { samples: out ?? [...samples], choices, notes };
}

/** Below this live heap, the Go heap goal sits at its 4 MiB minimum and RSS does not follow a slow leak. */
const SMALL_GO_LIVE_HEAP = 4 * 2 ** 20;

/**
 * gctrace prints the live heap in whole MiB (the runtime shifts by 20). On a small heap that
 * hides a slow leak entirely: measured, a Go server keeping 16 KiB a minute, watched for 30
 * minutes at one probe a second, printed "0 MB" live at all 7 collections, while RSS followed the
 * heap goal, which stays at its 4 MiB minimum until the live heap passes 2 MiB. Said once, where
 * the live heap stayed that small.
 */
function gcTraceResolution(samples: readonly Sample[]): string[] {
  let most = 0;
  for (const s of samples) if (s.gcTraceLive !== undefined && s.gcTraceLive > most) most = s.gcTraceLive;
  if (most >= SMALL_GO_LIVE_HEAP) return [];
  return [
    `gctrace counts the live heap in whole MiB, and it stayed under ${formatMiB(SMALL_GO_LIVE_HEAP)} here: a leak of less than about 1 MiB over the run shows in neither it nor RSS (the Go heap goal stays at its 4 MiB minimum until the live heap passes 2 MiB). Mount net/http/pprof or export client_golang's /metrics to see the heap to the byte.`,
  ];
}

/** Two sources of one role, compared at the last sample that has both. */
function agreement(samples: readonly Sample[], def: RoleDef, other: SampleFigure): string {
  const both = samples.filter((s) => s[def.role] !== undefined && s[other] !== undefined).at(-1);
  const head = `${def.words} is read from /metrics (${labelOf(def.role)}); ${labelOf(other)} was sampled too`;
  if (!both) return `${head}, never in the same sample, so they were not compared.`;
  const a = both[def.role]!;
  const b = both[other]!;
  // gctrace's figures are whole MiB; a cycle between the two reads moves either one.
  const tolerance = Math.max(2 * 2 ** 20, 0.2 * Math.max(a, b));
  const verdict =
    Math.abs(a - b) <= tolerance
      ? 'they agree'
      : 'they disagree by more than 20%: one of them may describe another cycle or count differently';
  return `${head}: at t=${both.t} s ${formatMiB(a)} against ${formatMiB(b)}, ${verdict}.`;
}

/** What the runtime sources that did not open, or gave nothing, leave missing: one sentence each. */
export function runtimeSourceNotes(records: readonly RuntimeSourceRecord[] | undefined): string[] {
  return (records ?? []).filter((r) => r.note !== undefined).map((r) => `Runtime source ${r.origin}: ${r.note}.`);
}
