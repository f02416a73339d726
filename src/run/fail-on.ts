import { isGrowthKind } from '../analyse/diagnosis.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

/** `--fail-on growth`: exit code 4 when the verdict is a kind of memory growth. */
export function isGrowthVerdict(summary: SummaryFile): boolean {
  const kind = summary.diagnosis?.verdict.kind;
  return kind !== undefined && isGrowthKind(kind);
}
