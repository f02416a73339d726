import type { SummaryFile } from '../rundir/schema.ts';

/** Verdicts that `--fail-on growth` turns into exit code 4. */
export const GROWTH_VERDICTS = ['growth-outside-go-runtime', 'go-heap-growth', 'goroutine-growth'] as const;

export function isGrowthVerdict(summary: SummaryFile): boolean {
  const kind = (summary as { diagnosis?: { verdict?: { kind?: string } } }).diagnosis?.verdict?.kind;
  return kind !== undefined && (GROWTH_VERDICTS as readonly string[]).includes(kind);
}
