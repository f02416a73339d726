import { isGrowthKind } from '../analyse/diagnosis.ts';
import type { FailOn } from '../options/run-options.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

/** `--fail-on growth`: exit code 4 when the verdict is a kind of memory growth. */
export function isGrowthVerdict(summary: SummaryFile): boolean {
  const kind = summary.diagnosis?.verdict.kind;
  return kind !== undefined && isGrowthKind(kind);
}

/**
 * Why the gate fails the run, in words, or undefined when it passes. `held>SIZE` compares what
 * RSS still holds above its baseline at the end, whatever the verdict: a plateau, a
 * high-water mark or a leak.
 */
export function failOnReason(failOn: FailOn, summary: SummaryFile): string | undefined {
  if (failOn.growth && isGrowthVerdict(summary))
    return `the verdict is ${summary.diagnosis!.verdict.kind} (--fail-on growth)`;
  const held = summary.diagnosis?.held;
  if (failOn.heldBytes !== undefined && held && held.bytes > failOn.heldBytes) {
    return `${held.label} holds ${(held.bytes / 2 ** 20).toFixed(1)} MiB above its baseline at the end, over the budget of ${(failOn.heldBytes / 2 ** 20).toFixed(1)} MiB (--fail-on held>)`;
  }
  return undefined;
}
