import parseDuration from 'parse-duration';
import { UsageError } from '../errors.ts';
import type { PhaseSpan } from '../rundir/schema.ts';

const EXPECTED =
  'expected phases like "rest:0-10s,load:10-40s,rest:40-": KIND:START-END separated by commas, KIND rest (or idle) or load (or burst), times since the run started (a bare number is seconds), in order, the last END may be left out';

const KINDS: Record<string, PhaseSpan['kind']> = { rest: 'idle', idle: 'idle', load: 'burst', burst: 'burst' };

/** The user's phases of a watched run (`--phases`), checked: kinds known, times in order, no overlap. */
export function parsePhasesOption(raw: string, flag = 'phases'): PhaseSpan[] {
  const fail = (why: string): never => {
    throw new UsageError(`--${flag}: ${why}; ${EXPECTED}, got ${JSON.stringify(raw)}`);
  };
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) fail('an empty phase');
  const spans = parts.map((part, i): PhaseSpan => {
    const m = /^([a-z]+):([^-]*)-(.*)$/i.exec(part);
    if (!m) return fail(`${JSON.stringify(part)} is not KIND:START-END`);
    const kind = KINDS[m[1]!.toLowerCase()];
    if (!kind) return fail(`unknown kind ${JSON.stringify(m[1])}`);
    const startT = seconds(m[2]!, part, fail);
    const end = m[3]!.trim();
    if (end === '' && i < parts.length - 1) fail(`only the last phase may leave out its end (${JSON.stringify(part)})`);
    const endT = end === '' ? undefined : seconds(end, part, fail);
    if (endT !== undefined && endT <= startT) fail(`${JSON.stringify(part)} ends before it starts`);
    return endT === undefined ? { kind, startT } : { kind, startT, endT };
  });
  for (let i = 1; i < spans.length; i++) {
    const prevEnd = spans[i - 1]!.endT ?? spans[i - 1]!.startT;
    if (spans[i]!.startT < prevEnd) fail(`${JSON.stringify(parts[i])} starts before the phase before it ends`);
  }
  return spans;
}

function seconds(text: string, part: string, fail: (why: string) => never): number {
  const v = text.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const ms = v === '' ? undefined : parseDuration(v);
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0)
    return fail(`${JSON.stringify(v)} in ${JSON.stringify(part)} is not a time`);
  return ms / 1000;
}
