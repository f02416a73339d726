import { quantile } from 'simple-statistics';
import type { PhaseLoadSummary, PhaseRecord, Sample } from '../rundir/schema.ts';

/**
 * The phases of a watched run, where the pack did not drive the load: when the target was
 * under load and when at rest, found from what is known, most trusted first — the user's own
 * phases (--phases), marks written from another shell (`leakbench mark`), a load tool's
 * output, the target's request counter, and last its CPU time and connections. Pure.
 *
 * The phases come out as run.json's PhaseRecords (kind 'burst' under load, 'idle' at rest),
 * so the analysis treats them like a driven run's; how each was found, and how sure that is,
 * is in its params.found.
 */

export type PhaseSource = 'override' | 'marks' | 'load-tool' | 'requests' | 'activity';
export type Confidence = 'high' | 'medium' | 'low';

export interface PhaseFinding {
  how: PhaseSource;
  confidence: Confidence;
  /** What the phases were found from, in words with its numbers. */
  detail: string;
}

/** A stretch of the run under load, in seconds since the run started. */
export interface LoadSpan {
  startT: number;
  endT: number;
  /** Requests answered in it, when a source counted them. */
  requests?: number;
  /** A load tool's own account of it, when it gave a full one. */
  result?: PhaseLoadSummary;
}

export { MARK_NAMES, type Mark, type MarkName, type PhaseSpan } from '../rundir/schema.ts';
import type { Mark, PhaseSpan } from '../rundir/schema.ts';

export interface DetectInput {
  samples: readonly Sample[];
  override?: readonly PhaseSpan[];
  marks?: readonly Mark[];
  /** A load tool's windows (src/analyse/load-tool-output.ts), with the tool's name. */
  loadTool?: { tool: string; spans: readonly LoadSpan[]; detail: string };
}

export interface PhaseDetection {
  phases: PhaseRecord[];
  /** How they were found; absent when no source told (then `unknown` says why). */
  finding?: PhaseFinding;
  unknown?: string;
}

/** Noise guards: a load shorter than this is a blip, a rest shorter than this a dip in the load. */
export const DETECT = {
  minLoadS: 2,
  minRestS: 3,
  /** Least rise above the rest level that counts as load, per signal. */
  floors: { cpu: 0.05, requests: 2, conns: 3, churn: 2 },
  /** Hysteresis: enter load above this share of the way from rest to peak, leave below `exit`. */
  enter: 0.35,
  exit: 0.15,
} as const;

/** The phases of a watched run from the most trusted source that has something to say. */
export function detectPhases(input: DetectInput): PhaseDetection {
  const { samples } = input;
  const firstT = samples[0]?.t;
  const lastT = samples.at(-1)?.t;
  if (firstT === undefined || lastT === undefined || lastT <= firstT)
    return { phases: [], unknown: 'fewer than two samples: no phases can be found' };
  if (input.override && input.override.length > 0) {
    const finding: PhaseFinding = { how: 'override', confidence: 'high', detail: 'given with --phases' };
    return { phases: phasesFromOverride(input.override, lastT, finding), finding };
  }
  if (input.marks && input.marks.length > 0) {
    const spans = spansFromMarks(input.marks, firstT, lastT);
    const finding: PhaseFinding = {
      how: 'marks',
      confidence: 'high',
      detail: `${input.marks.length} mark${input.marks.length === 1 ? '' : 's'} written with leakbench mark`,
    };
    return { phases: phasesFromSpans(withRequests(spans, samples), firstT, lastT, finding), finding };
  }
  if (input.loadTool && input.loadTool.spans.length > 0) {
    const finding: PhaseFinding = { how: 'load-tool', confidence: 'high', detail: input.loadTool.detail };
    return { phases: phasesFromSpans(input.loadTool.spans, firstT, lastT, finding), finding };
  }
  return detectFromSignals(samples, firstT, lastT);
}

/** Alternating rest and load phases over [firstT, lastT], the load ones where `spans` say. */
export function phasesFromSpans(
  spans: readonly LoadSpan[],
  firstT: number,
  lastT: number,
  found: PhaseFinding,
): PhaseRecord[] {
  const sorted = [...spans].sort((a, b) => a.startT - b.startT);
  const out: PhaseRecord[] = [];
  let cursor = firstT;
  let rests = 0;
  let loads = 0;
  const rest = (startT: number, endT: number) =>
    out.push({ name: `rest-${++rests}`, kind: 'idle', params: { found }, startT, endT });
  for (const s of sorted) {
    const startT = Math.max(s.startT, cursor);
    const endT = Math.min(s.endT, lastT);
    if (endT <= startT) continue;
    if (startT > cursor) rest(cursor, startT);
    out.push({
      name: `load-${++loads}`,
      kind: 'burst',
      params: { found, ...(s.requests !== undefined && { requests: s.requests }) },
      startT,
      endT,
      ...(s.result && { result: { ...s.result, phase: `load-${loads}` } }),
    });
    cursor = endT;
  }
  if (cursor < lastT) rest(cursor, lastT);
  return out;
}

function phasesFromOverride(spans: readonly PhaseSpan[], lastT: number, found: PhaseFinding): PhaseRecord[] {
  const n = { idle: 0, burst: 0 };
  return spans.map((s, i) => {
    const endT = s.endT ?? spans[i + 1]?.startT ?? lastT;
    const name = `${s.kind === 'burst' ? 'load' : 'rest'}-${++n[s.kind]}`;
    return { name, kind: s.kind, params: { found }, startT: s.startT, endT };
  });
}

/**
 * Load spans of a list of marks: burst-start opens one, burst-end or rest closes it. A load
 * still open at the end runs to the last sample; a burst-end with no start began with the run.
 */
export function spansFromMarks(marks: readonly Mark[], firstT: number, lastT: number): LoadSpan[] {
  const spans: LoadSpan[] = [];
  let open: number | undefined;
  let closedAny = false;
  for (const m of [...marks].sort((a, b) => a.t - b.t)) {
    if (m.name === 'burst-start') {
      open ??= m.t;
    } else if (open !== undefined) {
      spans.push({ startT: open, endT: m.t });
      open = undefined;
      closedAny = true;
    } else if (m.name === 'burst-end' && !closedAny && spans.length === 0) {
      spans.push({ startT: firstT, endT: m.t });
      closedAny = true;
    }
  }
  if (open !== undefined) spans.push({ startT: open, endT: lastT });
  return spans;
}

/** Requests answered in each span, where the target's counter was sampled at both ends. */
function withRequests(spans: readonly LoadSpan[], samples: readonly Sample[]): LoadSpan[] {
  return spans.map((s) => {
    const n = servedBetween(samples, s.startT, s.endT);
    return n === undefined ? s : { ...s, requests: n };
  });
}

/** Counter increase between the samples nearest `a` and `b`; undefined across a reset or without it. */
export function servedBetween(samples: readonly Sample[], a: number, b: number): number | undefined {
  const at = (t: number) => {
    let best: Sample | undefined;
    for (const s of samples)
      if (s.requestsServed !== undefined && (!best || Math.abs(s.t - t) < Math.abs(best.t - t))) best = s;
    return best?.requestsServed;
  };
  const from = at(a);
  const to = at(b);
  return from === undefined || to === undefined || to < from ? undefined : to - from;
}

// ─── from the target's own figures ─────────────────────────────────────────────────────────

type SignalName = keyof typeof DETECT.floors;

/** One signal's value per interval between consecutive samples (undefined where not measured). */
interface Signal {
  name: SignalName;
  values: (number | undefined)[];
  rest: number;
  peak: number;
}

const SIGNAL_WORDS: Record<SignalName, string> = {
  cpu: 'CPU',
  requests: 'requests answered',
  conns: 'established connections',
  churn: 'new connections',
};

/** Per-interval rates of each activity figure: the interval i is (t[i-1], t[i]]. */
export function intervalSignals(samples: readonly Sample[]): Record<SignalName, (number | undefined)[]> {
  const out: Record<SignalName, (number | undefined)[]> = { cpu: [], requests: [], conns: [], churn: [] };
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const dt = b.t - a.t;
    const rate = (x?: number, y?: number) =>
      dt > 0 && x !== undefined && y !== undefined && y >= x ? (y - x) / dt : undefined;
    out.cpu.push(rate(a.cpuSeconds, b.cpuSeconds));
    out.requests.push(rate(a.requestsServed, b.requestsServed));
    out.conns.push(b.connEstablished);
    out.churn.push(dt > 0 && b.connOpened !== undefined ? b.connOpened / dt : undefined);
  }
  return out;
}

/**
 * A signal with a rest level (its 10th percentile: the run is assumed to spend some time at
 * rest) and a peak (the 90th percentile of the values clearly above rest, so that one spike does
 * not set the scale). Undefined when it never rises clearly above rest: no contrast, no phases.
 */
function shapeSignal(name: SignalName, values: (number | undefined)[]): Signal | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  if (known.length < 3) return undefined;
  const rest = quantile(known, 0.1);
  const floor = DETECT.floors[name];
  const high = known.filter((v) => v >= rest + floor && v >= 3 * rest);
  if (high.length < 2) return undefined;
  return { name, values, rest, peak: quantile(high, 0.9) };
}

/** Where a value sits from rest (0) to peak (1). */
function level(s: Signal, i: number): number | undefined {
  const v = s.values[i];
  return v === undefined ? undefined : (v - s.rest) / Math.max(s.peak - s.rest, DETECT.floors[s.name]);
}

/** Load or rest per interval, with hysteresis: any signal above `enter` starts load, all below `exit` end it. */
function classify(signals: readonly Signal[], n: number): { load: boolean[]; clear: number } {
  const load: boolean[] = [];
  let on = false;
  let clear = 0;
  for (let i = 0; i < n; i++) {
    const levels = signals.map((s) => level(s, i)).filter((v): v is number => v !== undefined);
    const top = levels.length === 0 ? 0 : Math.max(...levels);
    if (top >= DETECT.enter) on = true;
    else if (top < DETECT.exit) on = false;
    if (top >= DETECT.enter || top < DETECT.exit) clear++;
    load.push(on);
  }
  return { load, clear };
}

/** Load spans of the per-interval classification, short loads dropped and short rests between loads merged. */
function spansOf(load: readonly boolean[], samples: readonly Sample[]): LoadSpan[] {
  const raw: LoadSpan[] = [];
  for (let i = 0; i < load.length; i++) {
    if (!load[i]) continue;
    const startT = samples[i]!.t;
    while (i + 1 < load.length && load[i + 1]) i++;
    raw.push({ startT, endT: samples[i + 1]!.t });
  }
  const merged: LoadSpan[] = [];
  for (const s of raw) {
    const prev = merged.at(-1);
    if (prev && s.startT - prev.endT < DETECT.minRestS) prev.endT = s.endT;
    else merged.push({ ...s });
  }
  return merged.filter((s) => s.endT - s.startT >= DETECT.minLoadS);
}

function detectFromSignals(samples: readonly Sample[], firstT: number, lastT: number): PhaseDetection {
  const raw = intervalSignals(samples);
  const requests = shapeSignal('requests', raw.requests);
  // A request counter is the load itself; CPU and connections only its likely signs.
  const signals = requests
    ? [requests]
    : (['cpu', 'conns', 'churn'] as const).map((k) => shapeSignal(k, raw[k])).filter((s) => s !== undefined);
  if (signals.length === 0) return { phases: [], unknown: noContrast(raw) };
  const n = samples.length - 1;
  const { load, clear } = classify(signals, n);
  const spans = withRequests(spansOf(load, samples), samples);
  if (spans.length === 0) return { phases: [], unknown: noContrast(raw) };
  const clearShare = clear / n;
  const finding: PhaseFinding = {
    how: requests ? 'requests' : 'activity',
    confidence: confidenceOf(clearShare, signals, spans, samples),
    detail: describeSignals(signals, clearShare),
  };
  return { phases: phasesFromSpans(spans, firstT, lastT, finding), finding };
}

/**
 * High: a request counter, or CPU and connections agreeing; lower as more intervals sit between
 * the thresholds, where rest and load could not be told apart.
 */
function confidenceOf(
  clearShare: number,
  signals: readonly Signal[],
  spans: readonly LoadSpan[],
  samples: readonly Sample[],
): Confidence {
  const shortest = Math.min(...spans.map((s) => samples.filter((x) => x.t >= s.startT && x.t <= s.endT).length));
  if (clearShare < 0.75 || shortest < 3) return 'low';
  const strong = signals.some((s) => s.name === 'requests') || signals.length >= 2;
  return strong && clearShare >= 0.9 ? 'high' : 'medium';
}

function describeSignals(signals: readonly Signal[], clearShare: number): string {
  const parts = signals.map(
    (s) => `${SIGNAL_WORDS[s.name]} ${fmt(s.rest, s.name)} at rest, ${fmt(s.peak, s.name)} under load`,
  );
  return `${parts.join('; ')} (${Math.round(clearShare * 100)}% of the intervals clearly one or the other)`;
}

function noContrast(raw: Record<SignalName, (number | undefined)[]>): string {
  const seen = (Object.keys(raw) as SignalName[]).filter((k) => raw[k].some((v) => v !== undefined));
  if (seen.length === 0)
    return 'no activity figure was sampled (CPU time and connections need --pid; requests a request counter in --metrics-url)';
  return `no window of load stands out: ${seen.map((k) => SIGNAL_WORDS[k]).join(', ')} never rose clearly above their lowest level, so the run was at one level throughout (at rest, or under a constant load)`;
}

function fmt(v: number, name: SignalName): string {
  if (name === 'cpu') return `${v.toFixed(2)} cores`;
  if (name === 'conns') return `${Math.round(v)}`;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}/s`;
}
