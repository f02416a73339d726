/**
 * The arithmetic of the verdict benchmark, pure: the confusion matrix (expected class × class
 * got), the detection rate of leaks, the false-positive rate of `--fail-on growth`, the smallest
 * leak detected, and the wrong verdicts. Inputs are the runs as measured; nothing is inferred.
 */
import type { KindClass } from '../../src/analyse/verdict-kinds.ts';
import { CLASSES, isLeak, type Behaviour, type CorpusRuntime, type LeakUnit } from './corpus.ts';

/** What a run got: a verdict class, or no verdict at all. */
export type GotClass = KindClass | 'failed';
export const GOT_CLASSES: readonly GotClass[] = [...CLASSES, 'failed'];

export interface RunRecord {
  server: string;
  runtime: CorpusRuntime;
  behaviour: Behaviour;
  expect: KindClass;
  accept: readonly KindClass[];
  leak?: { kib: number; per: LeakUnit };
  /** 1-based: the run's number for this server. */
  run: number;
  kind?: string;
  got: GotClass;
  exitCode: number | null;
  summary: string;
  evidence: string;
  wallS: number;
}

/** Rows by expected class, columns by class got: counts of runs. */
export type Confusion = Record<KindClass, Record<GotClass, number>>;

export interface Rate {
  hits: number;
  of: number;
  /** hits / of; undefined when there was nothing to count. */
  rate?: number;
}

export function rate(hits: number, of: number): Rate {
  return of > 0 ? { hits, of, rate: hits / of } : { hits, of };
}

export function isRight(r: RunRecord): boolean {
  return r.got !== 'failed' && r.accept.includes(r.got);
}

export function confusion(runs: readonly RunRecord[]): Confusion {
  const m = Object.fromEntries(
    CLASSES.map((e) => [e, Object.fromEntries(GOT_CLASSES.map((g) => [g, 0])) as Record<GotClass, number>]),
  ) as Confusion;
  for (const r of runs) m[r.expect][r.got]++;
  return m;
}

/** One confusion matrix per value of `key` (a runtime, a behaviour), in first-seen order. */
export function confusionBy<K extends string>(runs: readonly RunRecord[], key: (r: RunRecord) => K): Map<K, Confusion> {
  const groups = new Map<K, RunRecord[]>();
  for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return new Map([...groups].map(([k, rs]) => [k, confusion(rs)]));
}

/** Leak runs whose verdict is of the growth class. */
export function detectionRate(runs: readonly RunRecord[]): Rate {
  const leaks = runs.filter((r) => isLeak(r.behaviour));
  return rate(leaks.filter((r) => r.got === 'growth').length, leaks.length);
}

/** Runs of servers that do not leak where `--fail-on growth` exited 4 (measured from the exit code). */
export function falsePositiveRate(runs: readonly RunRecord[]): Rate {
  const others = runs.filter((r) => !isLeak(r.behaviour));
  return rate(others.filter((r) => r.exitCode === 4).length, others.length);
}

export function accuracy(runs: readonly RunRecord[]): Rate {
  return rate(runs.filter(isRight).length, runs.length);
}

export interface LeakSize {
  per: LeakUnit;
  /** The smallest leak (KiB per unit) detected in every one of its runs, if any. */
  smallestAlways?: { server: string; kib: number };
  /** The smallest leak detected in at least one run, if any. */
  smallestOnce?: { server: string; kib: number };
  /** Leaks of this unit missed in at least one run, smallest first. */
  missed: { server: string; kib: number; detected: number; runs: number }[];
}

/** Per unit of leak (per request, per connection, per minute): the smallest detected and those missed. */
export function smallestDetected(runs: readonly RunRecord[]): LeakSize[] {
  const byServer = new Map<string, RunRecord[]>();
  for (const r of runs) if (r.leak) byServer.set(r.server, [...(byServer.get(r.server) ?? []), r]);
  const units: LeakUnit[] = ['request', 'connection', 'minute'];
  return units.flatMap((per): LeakSize[] => {
    const servers = [...byServer.values()]
      .filter((rs) => rs[0]!.leak!.per === per)
      .map((rs) => ({
        server: rs[0]!.server,
        kib: rs[0]!.leak!.kib,
        detected: rs.filter((r) => r.got === 'growth').length,
        runs: rs.length,
      }))
      .sort((a, b) => a.kib - b.kib || a.server.localeCompare(b.server));
    if (servers.length === 0) return [];
    const always = servers.find((s) => s.detected === s.runs);
    const once = servers.find((s) => s.detected > 0);
    return [
      {
        per,
        ...(always && { smallestAlways: { server: always.server, kib: always.kib } }),
        ...(once && { smallestOnce: { server: once.server, kib: once.kib } }),
        missed: servers.filter((s) => s.detected < s.runs),
      },
    ];
  });
}

export function wrongRuns(runs: readonly RunRecord[]): RunRecord[] {
  return runs.filter((r) => !isRight(r));
}

export interface Totals {
  runs: number;
  servers: number;
  accuracy: Rate;
  detection: Rate;
  falsePositive: Rate;
  /** Runs whose verdict is cannot-tell or that gave none: a gate learns nothing from them. */
  undecided: Rate;
  wallS: number;
}

export function totals(runs: readonly RunRecord[]): Totals {
  return {
    runs: runs.length,
    servers: new Set(runs.map((r) => r.server)).size,
    accuracy: accuracy(runs),
    detection: detectionRate(runs),
    falsePositive: falsePositiveRate(runs),
    undecided: rate(runs.filter((r) => r.got === 'cannot-tell' || r.got === 'failed').length, runs.length),
    wallS: runs.reduce((s, r) => s + r.wallS, 0),
  };
}
