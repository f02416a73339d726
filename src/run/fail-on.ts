import { GROWTH_VERDICTS, isGrowthKind } from '../analyse/diagnosis.ts';
import type { SummaryFile } from '../rundir/schema.ts';

export { GROWTH_VERDICTS };

/** `--fail-on growth`: exit code 4 when the verdict is a kind of memory growth. */
export function isGrowthVerdict(summary: SummaryFile): boolean {
  const kind = (summary as { diagnosis?: { verdict: { kind: string } } }).diagnosis?.verdict.kind;
  return kind !== undefined && isGrowthKind(kind);
}
