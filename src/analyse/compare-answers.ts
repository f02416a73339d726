import { median } from 'simple-statistics';
import type { PhaseLoadSummary, Probe } from '../rundir/schema.ts';

/**
 * Whether the compared builds answered alike: the same status codes, bodies of about the same
 * size, no errors where the baseline had none. Builds that answer differently do different
 * work per request, so what they retain per request is not comparable: the comparison still
 * stands, with a warning that says so. Pure.
 */

export interface AnswerRun {
  build: string;
  results: readonly PhaseLoadSummary[];
  probes: readonly Probe[];
}

/** Bodies whose median sizes differ by more than this share are "of different sizes". */
const SIZE_SHARE = 0.1;

interface Answers {
  codes: Map<string, number>;
  total: number;
  errors: number;
  bodyBytes?: number;
}

function answersOf(runs: readonly AnswerRun[]): Answers {
  const codes = new Map<string, number>();
  let total = 0;
  let errors = 0;
  for (const r of runs)
    for (const p of r.results) {
      for (const [code, n] of Object.entries(p.statusCodes)) codes.set(code, (codes.get(code) ?? 0) + n);
      total += p.completed;
      errors += p.errors;
    }
  const sizes = runs.flatMap((r) => r.probes.flatMap((p) => (p.bytes === undefined ? [] : [p.bytes])));
  return { codes, total, errors, ...(sizes.length > 0 && { bodyBytes: Math.round(median(sizes)) }) };
}

const share = (n: number, total: number) => `${n.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`;

function codesWords(a: Answers): string {
  const parts = [...a.codes.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([c, n]) => `${c} × ${share(n, a.total)}`);
  return parts.length > 0 ? parts.join(', ') : 'no answer';
}

/** Warnings for each build that answered unlike the baseline (or, without one, unlike the first build). */
export function answerWarnings(runs: readonly AnswerRun[], baseline?: string): string[] {
  const builds = [...new Set(runs.map((r) => r.build))];
  const ref = baseline ?? builds[0];
  if (ref === undefined) return [];
  const base = answersOf(runs.filter((r) => r.build === ref));
  const out: string[] = [];
  for (const b of builds) {
    if (b === ref) continue;
    const other = answersOf(runs.filter((r) => r.build === b));
    const baseCodes = [...base.codes.keys()].sort().join(',');
    const codes = [...other.codes.keys()].sort().join(',');
    if (baseCodes !== codes)
      out.push(
        `${b} answered with other status codes than ${ref} (${b}: ${codesWords(other)}; ${ref}: ${codesWords(base)}): the builds may not serve the same thing, so what each retains per request is not comparable.`,
      );
    if (base.bodyBytes !== undefined && other.bodyBytes !== undefined) {
      const larger = Math.max(base.bodyBytes, other.bodyBytes);
      if (larger > 0 && Math.abs(base.bodyBytes - other.bodyBytes) > SIZE_SHARE * larger)
        out.push(
          `${b}'s responses differ in size from ${ref}'s (median body of the probes: ${b} ${other.bodyBytes} B, ${ref} ${base.bodyBytes} B): the builds answer differently, so what each retains per request is not comparable.`,
        );
    }
    if (other.errors > 0 && base.errors === 0)
      out.push(
        `${b} had ${other.errors.toLocaleString('en-US')} failed requests (no answer), ${ref} none: ${b} did less work per request sent.`,
      );
  }
  return out;
}
