import type { RateStage } from '../load/phases.ts';
import { LIMITS } from './rules.ts';

/** `--stages 30s:100,10m:100,30s:0`: duration:rate pairs; the duration is parsed by the caller's rules. */
export function parseStages(raw: string, duration: (text: string) => number): RateStage[] | string {
  const parts = raw
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (parts.length === 0) return 'expected duration:rate pairs like 30s:100,10m:100,30s:0';
  const out: RateStage[] = [];
  for (const part of parts) {
    const m = /^([^:]+):([\d.]+)$/.exec(part);
    if (!m) return `expected duration:rate pairs like 30s:100,10m:100,30s:0, got ${JSON.stringify(part)}`;
    const rate = Number(m[2]);
    if (!Number.isFinite(rate) || rate < 0) return `expected a rate of 0 or more in ${JSON.stringify(part)}`;
    if (rate > LIMITS.rate.max)
      return `a rate must be at most ${LIMITS.rate.max} per second, got ${JSON.stringify(part)}`;
    out.push({ durationMs: duration(m[1]!), rate });
  }
  return out;
}
