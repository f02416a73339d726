import { median } from 'simple-statistics';
import type { RunData } from '../rundir/read-run.ts';
import type { SampleFigure } from '../rundir/schema.ts';
import type {
  BurstRetained,
  DiagnosedFigure,
  FigureDiagnosis,
  FigureRetained,
  LevelFrom,
  RetainedReport,
  RetainedShape,
  WindowFigure,
} from './diagnosis.ts';

export type { BurstRetained, FigureRetained, LevelFrom, RetainedReport, RetainedShape } from './diagnosis.ts';
import type { RuntimeProfile } from './runtime-profiles.ts';

/**
 * Memory retained per unit of work: after each burst, at the end of the rest that follows it,
 * what a figure holds above the level at the end of the rest before the first burst, against
 * the requests served so far. The question a leak hunter asks by hand: run the same load
 * again, does it leave the same amount behind again? Pure. The decision that reads it is
 * decide/retained-per-work.ts; its words retained-words.ts.
 */

/** An increment must exceed this many standard deviations of the difference of two levels. */
export const NOISE_SIGMAS = 3;
/** The last burst retaining this share of the first's rate per request is "about the same again". */
export const LEAK_SHARE = 0.5;
/**
 * The smallest increment that counts, whatever the noise: bytes, and tasks (goroutines, threads).
 * Allocators and runtimes take memory from the OS in steps of a MiB or more (Go's smallest heap
 * goal is 4 MiB, glibc's arenas 1 MiB and up): a Node.js cache that kept nothing more left
 * +652 KiB of RSS after its second burst (and +688 KiB outside the V8 heap), which a 512 KiB floor
 * called a leak. A leak of 1 KiB a request leaves 20 MiB after a burst of 20,000.
 */
export const FLOOR = { bytes: 2 * 1024 * 1024, count: 5 } as const;
/** Normal quantile for a 95% interval. */
const Z95 = 1.96;

/** The bursts each followed by a rest, in order, of one process; undefined for none. */
export function burstsWithRest(
  rss: FigureDiagnosis,
  exitsBetween: (from: number, to: number) => boolean,
): { burst: WindowFigure; rest: WindowFigure }[] {
  const ws = rss.windows;
  const out: { burst: WindowFigure; rest: WindowFigure }[] = [];
  for (const [i, w] of ws.entries()) {
    const next = ws[i + 1];
    if (w.kind !== 'burst' || next?.kind !== 'idle' || !w.requests) continue;
    if (exitsBetween(ws[0]!.startT, next.endT)) break;
    out.push({ burst: w, rest: next });
  }
  return out;
}

export interface RetainedInput {
  data: RunData;
  profile: RuntimeProfile;
  figures: readonly FigureDiagnosis[];
  rss: FigureDiagnosis;
  exitsBetween: (from: number, to: number) => boolean;
}

/** Memory retained per burst for RSS and each figure the runtime profile gives a role. */
export function retainedPerWork(input: RetainedInput): RetainedReport | undefined {
  const pairs = burstsWithRest(input.rss, input.exitsBetween);
  if (pairs.length === 0) return undefined;
  const p = input.profile;
  const roles: [DiagnosedFigure | undefined, FigureRetained['role']][] = [
    [input.rss.key, 'rss'],
    [p.live, 'live-heap'],
    ...p.heap.map((k): [DiagnosedFigure, FigureRetained['role']] => [k, 'heap']),
    [p.outside?.key, 'outside'],
    [p.tasks?.key, 'tasks'],
  ];
  const seen = new Set<DiagnosedFigure>();
  const figures = roles.flatMap(([key, role]) => {
    const f = key === undefined || seen.has(key) ? undefined : input.figures.find((x) => x.key === key);
    if (!f) return [];
    seen.add(f.key);
    const r = figureRetained(input.data, f, role, pairs, p);
    return r ? [r] : [];
  });
  return { bursts: pairs.length, figures };
}

function figureRetained(
  data: RunData,
  f: FigureDiagnosis,
  role: FigureRetained['role'],
  pairs: readonly { burst: WindowFigure; rest: WindowFigure }[],
  profile: RuntimeProfile,
): FigureRetained | undefined {
  // A heap whose level counts garbage until a collection (V8 heap used, Java heap used) is read
  // at its lowest in the rest's later half: after the runtime's own idle collections.
  const garbageLaden = role === 'heap' && profile.cycles?.heap === f.key;
  const before = f.windows.find(
    (w) => w.kind === 'idle' && w.endT <= pairs[0]!.burst.startT + 1e-9 && w.end !== undefined,
  );
  const levels: { value: number; from: LevelFrom }[] = [];
  const rests = [...(before ? [{ rest: before }] : []), ...pairs];
  for (const [i, { rest }] of rests.entries()) {
    const rw = f.windows.find((w) => w.window === rest.window);
    // The collection the pack asks for at a rest's end comes just after the phase's recorded end
    // (and the sites read after it): its sample belongs to this rest until the next phase starts.
    const next = rests[i + 1] ? pairs[before ? i : i + 1]?.burst.startT : undefined;
    const level = levelAtRest(data, f, rw, garbageLaden, next ?? Infinity);
    if (!level) return undefined;
    levels.push(level);
  }
  const baseline = before ? levels.shift()!.value : f.baseline;
  let total = 0;
  let previous = baseline;
  const bursts = pairs.map(({ burst, rest }, i): BurstRetained => {
    total += burst.requests!;
    const value = levels[i]!.value;
    const b = {
      burst: burst.window,
      rest: rest.window,
      requests: burst.requests!,
      totalRequests: total,
      retained: value - baseline,
      added: value - previous,
    };
    previous = value;
    return b;
  });
  const noise = noiseAtRest(data, f, [...(before ? [before] : []), ...pairs.map((x) => x.rest)]);
  const band = Math.max(NOISE_SIGMAS * Math.SQRT2 * noise, FLOOR[f.unit]);
  const later = bursts.length > 1 ? bursts.slice(1) : bursts;
  const rates = later.map((b) => b.added / (b.requests / 1000));
  const per1k = median(rates);
  const spread = (Z95 * Math.SQRT2 * noise) / (median(later.map((b) => b.requests)) / 1000) / Math.sqrt(later.length);
  const levelFrom = levels.some((l) => l.from === 'forced-collection') ? 'forced-collection' : levels[0]!.from;
  return {
    key: f.key,
    label: f.label,
    unit: f.unit,
    role,
    levelFrom,
    baseline,
    bursts,
    noise: Math.round(noise),
    band: Math.round(band),
    shape: shapeOf(bursts, band),
    per1k: Math.round(per1k),
    low: Math.round(per1k - spread),
    high: Math.round(per1k + spread),
  };
}

/** Leak, bounded, warm-up or nothing, from what each burst added against the noise band. */
export function shapeOf(bursts: readonly BurstRetained[], band: number): RetainedShape {
  const first = bursts[0]!;
  const last = bursts.at(-1)!;
  if (bursts.every((b) => b.added <= band)) return 'nothing';
  if (bursts.length === 1) return 'held';
  if (last.added <= band) return 'bounded';
  const rate = (b: BurstRetained): number => b.added / b.requests;
  // A leak leaves about the same behind each time: a first burst that left nothing beyond noise
  // and a later one that did is no such evidence (seen: a -race build's live heap, -1.1 MiB then
  // +1.3 MiB against a 0.5 MiB band, was called a heap leak). From three bursts on, the bursts
  // after the first may still show one, each beyond noise and keeping the second's rate.
  if (first.added <= band) {
    const later = bursts.slice(1);
    const steady = later.length >= 2 && later.every((b) => b.added > band);
    return steady && rate(last) >= LEAK_SHARE * rate(later[0]!) ? 'leak' : 'uneven';
  }
  if (rate(last) >= LEAK_SHARE * rate(first)) return 'leak';
  // The first burst also carries the process's warm-up (the race runtime maps 118 MiB in its
  // first 60,000 requests and 29 MiB in the next, measured): from three bursts on, a last
  // burst that keeps the second's rate is a leak after a warm-up; one that keeps shrinking is not.
  const second = bursts[1]!;
  if (bursts.length >= 3 && rate(last) >= LEAK_SHARE * rate(second)) return 'leak';
  return 'warm-up';
}

/** The figure's level at the end of a rest (LevelFrom); undefined without samples there. */
function levelAtRest(
  data: RunData,
  f: FigureDiagnosis,
  rest: WindowFigure | undefined,
  garbageLaden: boolean,
  until: number,
): { value: number; from: LevelFrom } | undefined {
  if (!rest) return undefined;
  const key = f.key;
  if (isSampled(key)) {
    const inRest = data.samples.flatMap((s) => {
      const y = s[key];
      return y !== undefined && s.t >= rest.startT && s.t <= rest.endT ? [{ t: s.t, y, collected: s.collectedBy }] : [];
    });
    const collected = data.samples
      .filter((s) => s.collectedBy !== undefined && s[key] !== undefined && s.t >= rest.startT && s.t < until)
      .map((s) => ({ y: s[key]! }))
      .at(-1);
    if (collected) return { value: collected.y, from: 'forced-collection' };
    const half = rest.startT + (rest.endT - rest.startT) / 2;
    const late = inRest.filter((s) => s.t >= half).map((s) => s.y);
    if (garbageLaden && late.length > 0) return { value: Math.min(...late), from: 'rest-minimum' };
  }
  return rest.end === undefined ? undefined : { value: rest.end, from: 'rest-end-median' };
}

/** The largest robust spread (1.4826 × MAD) over the later half of any rest; 0 without samples. */
function noiseAtRest(data: RunData, f: FigureDiagnosis, rests: readonly WindowFigure[]): number {
  if (!isSampled(f.key)) return 0;
  const key = f.key;
  const spreads = rests.flatMap((rest) => {
    const half = rest.startT + (rest.endT - rest.startT) / 2;
    const ys = data.samples.flatMap((s) => (s.t >= half && s.t <= rest.endT && s[key] !== undefined ? [s[key]] : []));
    if (ys.length < 3) return [];
    const m = median(ys);
    return [1.4826 * median(ys.map((y) => Math.abs(y - m)))];
  });
  return spreads.length > 0 ? Math.max(...spreads) : 0;
}

function isSampled(key: DiagnosedFigure): key is SampleFigure {
  return key !== 'outsideGo' && key !== 'outsideRuntime';
}
