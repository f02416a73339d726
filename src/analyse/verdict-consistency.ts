import { isGrowthKind, type Diagnosis } from './diagnosis.ts';

/**
 * Ways a verdict can contradict its own evidence, each checked on the finished diagnosis: the
 * tests run every fixture and synthetic run through it, and diagnose() turns a finding into a
 * caveat rather than hiding it. Empty when the verdict agrees with its evidence.
 */
export function contradictions(d: Diagnosis): string[] {
  const out: string[] = [];
  const v = d.verdict;
  const evidence = v.evidence.join('\n');
  if (/did not level off/.test(v.summary) && /\blevell?ed off\b/.test(evidence.replace(/did not level off/g, '')))
    out.push('the summary says the growth did not level off while the evidence says it levelled off');
  if (v.kind === 'stable' && d.held && d.held.baseline > 0 && d.held.end >= END_TIMES_BASELINE * d.held.baseline)
    out.push(`called stable while ${d.held.label} ended at ${END_TIMES_BASELINE}× its baseline or more`);
  const decider = d.retained && d.retained.bursts >= 2 ? d.retained.figures : [];
  if (v.kind === 'stable' && decider.some((f) => f.shape === 'leak' && f.role !== 'rss'))
    out.push('called stable while a runtime figure retained about the same again after every burst');
  if (isGrowthKind(v.kind) && decider.length > 0 && decider.every((f) => f.shape === 'nothing'))
    out.push('called growth while no figure retained anything beyond noise after any burst');
  return out;
}

/** A run that ends at this multiple of its baseline is not stable, whatever the fits say. */
const END_TIMES_BASELINE = 10;
