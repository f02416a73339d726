/**
 * The arithmetic of the verdict benchmark, pure: the confusion matrix (expected class × class
 * got), the detection rate of leaks, the false-positive rate of `--fail-on growth`, the smallest
 * leak detected, and the wrong verdicts. Inputs are the runs as measured; nothing is inferred.
 */
import type { KindClass } from '../../src/analyse/verdict-kinds.ts';
import { CLASSES, isLeak, type Behaviour, type CorpusRuntime, type LeakSize } from './corpus.ts';

/** What a run got: a verdict class, or no verdict at all. */
export type GotClass = KindClass | 'failed';
export const GOT_CLASSES: readonly GotClass[] = [...CLASSES, 'failed'];

export interface RunRecord {
  server: string;
  runtime: CorpusRuntime;
  behaviour: Behaviour;
  expect: KindClass;
  accept: readonly KindClass[];
  leak?: LeakSize;
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

export interface SmallestLeak {
  /** `KiB per request`, `tasks per request`...: leaks are only compared within one unit. */
  unit: string;
  /** The smallest leak (amount per unit) detected in every one of its runs, if any. */
  smallestAlways?: { server: string; amount: number };
  /** The smallest leak detected in at least one run, if any. */
  smallestOnce?: { server: string; amount: number };
  /** Leaks of this unit missed in at least one run, smallest first. */
  missed: { server: string; amount: number; detected: number; runs: number }[];
}

/**
 * Per unit of leak (KiB per request, per connection, per minute; tasks per request): the
 * smallest detected in every run, the smallest detected at all, and those missed.
 */
export function smallestDetected(runs: readonly RunRecord[]): SmallestLeak[] {
  const byUnit = new Map<string, Map<string, RunRecord[]>>();
  for (const r of runs) {
    if (!r.leak) continue;
    const unit = `${r.leak.unit} per ${r.leak.per}`;
    const servers = byUnit.get(unit) ?? new Map<string, RunRecord[]>();
    servers.set(r.server, [...(servers.get(r.server) ?? []), r]);
    byUnit.set(unit, servers);
  }
  return [...byUnit].map(([unit, byServer]): SmallestLeak => {
    const servers = [...byServer.values()]
      .map((rs) => ({
        server: rs[0]!.server,
        amount: rs[0]!.leak!.amount,
        detected: rs.filter((r) => r.got === 'growth').length,
        runs: rs.length,
      }))
      .sort((a, b) => a.amount - b.amount || a.server.localeCompare(b.server));
    const always = servers.find((s) => s.detected === s.runs);
    const once = servers.find((s) => s.detected > 0);
    return {
      unit,
      ...(always && { smallestAlways: { server: always.server, amount: always.amount } }),
      ...(once && { smallestOnce: { server: once.server, amount: once.amount } }),
      missed: servers.filter((s) => s.detected < s.runs),
    };
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
