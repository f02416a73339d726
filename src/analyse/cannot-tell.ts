import type { RuntimeName } from '../rundir/schema.ts';
import type { Verdict, VerdictKind } from './diagnosis.ts';

/**
 * Runtimes whose managed heap is collected in cycles into memory they already hold: the heap
 * can keep filling while RSS stays flat (a JVM with a committed heap; Go and V8 up to their
 * goal), so a flat RSS says nothing about what the heap keeps.
 */
const COLLECTED_HEAP: ReadonlySet<RuntimeName> = new Set(['go', 'node', 'jvm']);

/** What would tell, per runtime, with no change to the target's code where one exists. */
const WOULD_TELL: Partial<Record<RuntimeName, string>> = {
  go: 'start it with --cmd (the pack reads GODEBUG=gctrace=1), mount net/http/pprof, or expose go_memstats_* (client_golang)',
  node: "start it with --cmd (the pack reads its heap through the inspector), or expose prom-client's nodejs_heap_* metrics",
  jvm: 'keep -XX:+UsePerfData (the default) so the pack reads hsperfdata, or expose jvm_memory_* (simpleclient_hotspot, Micrometer)',
};

/** Not growth and not "not a leak": the verdict says what data would tell (verdict-kinds.ts). */
export const CANNOT_TELL_KIND: VerdictKind = 'cannot-tell';

/**
 * An RSS plateau of a runtime with a collected heap and no heap figure at all (no /metrics
 * heap, no runtime source) cannot be told from a heap leak: it is "cannot tell" with what
 * would tell it, never "not a leak". Any other verdict is returned unchanged. Pure.
 */
export function cannotTellWithoutHeap(
  verdict: Verdict,
  runtime: RuntimeName | 'unknown',
  hasHeapFigure: boolean,
): Verdict {
  if (verdict.kind !== 'plateau' || hasHeapFigure || runtime === 'unknown' || !COLLECTED_HEAP.has(runtime))
    return verdict;
  const tell = WOULD_TELL[runtime] ?? 'sample its heap';
  return {
    kind: CANNOT_TELL_KIND,
    summary: `Cannot tell: RSS stopped rising, but no heap figure of the ${runtime === 'jvm' ? 'JVM' : runtime === 'go' ? 'Go runtime' : 'V8 heap'} was sampled, and its heap can keep filling memory it already holds while RSS stays flat. To tell, ${tell}.`,
    evidence: verdict.evidence,
    caveats: [
      `RSS alone looked like a plateau (${verdict.summary.replace(/\s+$/, '')}); without a heap figure that is not evidence that nothing leaks.`,
      ...verdict.caveats,
    ],
    suggestions: [`To tell whether its heap grows: ${tell}.`, ...verdict.suggestions],
  };
}
