/**
 * Seeded synthetic memory series for the growth and verdict tests: phases of a run, load that
 * follows them, and figures computed from time and completed requests plus seeded noise. The
 * same seed always gives the same run, so a test that passes once passes always, and the
 * noise is still noise, not a pattern the fit could learn.
 */
import type {
  Artifact,
  LoadSecond,
  PhaseRecord,
  RunEvent,
  RunFile,
  Sample,
  TargetInfo,
} from '../../src/rundir/schema.ts';
import { baseRunFile, type SyntheticRun } from './synthetic-run.ts';

import { mulberry32 } from '../../src/analyse/growth.ts';

export { mulberry32 };

/** Standard normal from a uniform source (Box–Muller). */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

export interface PhaseSpec {
  name: string;
  kind: 'idle' | 'burst';
  startT: number;
  endT: number;
  /** Burst: requests completed, evenly over the phase. Idle: one probe a second. */
  requests?: number;
}

export interface SeriesContext {
  t: number;
  /** Requests completed since the run started (all phases). */
  requests: number;
  phase: PhaseSpec | undefined;
  /** Standard normal noise, seeded. */
  noise: () => number;
}

export interface SeriesRunSpec {
  phases: PhaseSpec[];
  /** Samples from t=0 to endT inclusive, every `every` seconds. */
  endT: number;
  every?: number;
  seed?: number;
  figures: (c: SeriesContext) => Partial<Omit<Sample, 't'>>;
  target?: Partial<TargetInfo>;
  scenario?: string;
  events?: RunEvent[];
  heapProfiles?: Artifact[];
  smapsSnapshots?: Artifact[];
  options?: RunFile['options'];
}

export const IDLE_RATE = 1;

/** Requests completed by time t in one phase. */
function phaseRequests(p: PhaseSpec, t: number): number {
  if (t <= p.startT) return 0;
  const done = Math.min(t, p.endT) - p.startT;
  if (p.kind === 'idle') return Math.floor(done * IDLE_RATE);
  return ((p.requests ?? 0) * done) / (p.endT - p.startT);
}

export function requestsAt(phases: readonly PhaseSpec[], t: number): number {
  return phases.reduce((n, p) => n + phaseRequests(p, t), 0);
}

export function seriesRun(spec: SeriesRunSpec): SyntheticRun {
  const noise = gaussian(mulberry32(spec.seed ?? 1));
  const every = spec.every ?? 1;
  const samples: Sample[] = [];
  for (let i = 0; i * every <= spec.endT + 1e-9; i++) {
    const t = Math.round(i * every * 1000) / 1000;
    const phase = spec.phases.find((p) => t >= p.startT && t <= p.endT);
    const values = spec.figures({ t, requests: requestsAt(spec.phases, t), phase, noise });
    const s: Sample = { t };
    for (const [k, v] of Object.entries(values))
      if (typeof v === 'number') (s as unknown as Record<string, number>)[k] = Math.round(v);
    samples.push(s);
  }
  const load: LoadSecond[] = [];
  for (const p of spec.phases) {
    for (let t = p.startT + 1; t <= p.endT + 1e-9; t++) {
      const completed = Math.round(phaseRequests(p, t)) - Math.round(phaseRequests(p, t - 1));
      load.push({ phase: p.name, t, completed, errors: 0, timeouts: 0, non2xx: 0, p50: 1, p99: 2 });
    }
  }
  const phases: PhaseRecord[] = spec.phases.map((p) => ({
    name: p.name,
    kind: p.kind,
    params:
      p.kind === 'burst'
        ? { requests: p.requests ?? 0, connections: 100 }
        : { rate: IDLE_RATE, durationMs: (p.endT - p.startT) * 1000 },
    startT: p.startT,
    endT: p.endT,
  }));
  const run = baseRunFile({ scenario: spec.scenario ?? 'soak', phases, options: spec.options ?? {} });
  run.target = { ...run.target, ...spec.target };
  if (spec.heapProfiles) run.heapProfiles = spec.heapProfiles;
  if (spec.smapsSnapshots) run.smapsSnapshots = spec.smapsSnapshots;
  const events: RunEvent[] = spec.events ?? [];
  for (const p of spec.phases)
    events.push({ t: p.startT, type: 'phase-start', phase: p.name }, { t: p.endT, type: 'phase-end', phase: p.name });
  return { run, samples, load, probes: null, events: events.sort((a, b) => a.t - b.t) };
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** The soak timeline used by most verdict tests: 5 min idle, a 100k-request burst, 10 min idle. */
export const SOAK: PhaseSpec[] = [
  { name: 'idle-before', kind: 'idle', startT: 5, endT: 305 },
  { name: 'burst', kind: 'burst', startT: 305, endT: 345, requests: 100_000 },
  { name: 'idle-after', kind: 'idle', startT: 345, endT: 945 },
];
export const SOAK_END = 950;
