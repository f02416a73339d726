import type { RunData } from '../rundir/read-run.ts';
import type { PhaseRecord, Sample, SampleFigure } from '../rundir/schema.ts';
import type { Diagnosis, Verdict } from './diagnosis.ts';
import { formatDuration, formatMiB, formatT } from './format.ts';
import { detectPhases, intervalSignals } from './phase-detect.ts';

/**
 * A rule applied after the decision, for runs the pack only watched: a verdict must not
 * contradict the run's own numbers. A process whose RSS ends at several times its baseline
 * and never comes back down is not `stable`, whatever the fits said (a watched run has no
 * driven phases, so the fits see one long window, where a rise followed by a long flat rest
 * reads as "not growing"). It becomes `high-water-held`, which says what is known — when it
 * rose, how busy the target was then, that it held at rest — and what is not. Pure.
 */

export const GUARD = {
  /** RSS at the end at least this many times its baseline ... */
  ratio: 2,
  /** ... and at least this much above it, so a small process's warm-up is not called anything. */
  minRiseBytes: 16 * 1024 * 1024,
  /** Share of the peak rise still held at the end, for "never comes down". */
  heldShare: 0.8,
} as const;

/** A run the pack watched rather than drove: `sample`, or phases found rather than run. */
export function isWatchedRun(data: RunData): boolean {
  return data.run.scenario === 'sample' || data.run.phases.some((p) => isFound(p));
}

function isFound(p: PhaseRecord): boolean {
  return typeof p.params === 'object' && p.params !== null && 'found' in p.params;
}

/** The verdict to give instead, or undefined when the decision's verdict stands. */
export function guardWatchedVerdict(data: RunData, diagnosis: Diagnosis): Verdict | undefined {
  const held = diagnosis.held;
  if (!isWatchedRun(data) || diagnosis.verdict.kind !== 'stable' || !held || !(held.baseline > 0)) return undefined;
  const rise = held.end - held.baseline;
  const values = data.samples.flatMap((s) => (s[held.figure] === undefined ? [] : [s[held.figure]!]));
  const peak = Math.max(...values);
  if (rise < GUARD.minRiseBytes || held.end < GUARD.ratio * held.baseline) return undefined;
  if (rise < GUARD.heldShare * (peak - held.baseline)) return undefined;
  const when = riseSpan(data.samples, held.figure, held.baseline, rise);
  const ratio = held.end / held.baseline;
  const rose = `${held.label} rose from ${formatMiB(held.baseline)} to ${formatMiB(held.end)} (${ratio.toFixed(1)}× its baseline)`;
  const load = loadWords(data, when);
  const heldFor = (data.samples.at(-1)?.t ?? when.endT) - when.endT;
  return {
    kind: 'high-water-held',
    summary: `${rose} ${load.during}, and held it${load.after} for ${formatDuration(heldFor)} to the end of the run: it never came back down. Whether that is a leak or memory the process keeps for its next load, one watched load cannot tell.`,
    evidence: [
      `${rose} between ${formatT(when.startT)} and ${formatT(when.endT)}; at the end it held ${Math.round((rise / (peak - held.baseline)) * 100)}% of its peak rise (peak ${formatMiB(peak)}).`,
      ...load.evidence,
      ...diagnosis.verdict.evidence,
    ],
    caveats: [
      `The fits saw no growth beyond noise, but the run's own numbers say ${held.label} ended at ${ratio.toFixed(1)}× its baseline: the verdict says that instead of stable.`,
      ...load.unknown,
      ...diagnosis.verdict.caveats,
    ],
    suggestions: [
      'Load it again the same way while it is watched: memory a leak holds climbs from here with each load, memory kept for reuse does not.',
      "Mark the load from another shell (leakbench mark burst-start, then leakbench mark burst-end) or give the load tool's output, so the report can count memory per request.",
      ...diagnosis.verdict.suggestions,
    ],
  };
}

/** From the first sample above 10% of the rise to the first at 90% of it. */
function riseSpan(samples: readonly Sample[], key: SampleFigure, baseline: number, rise: number) {
  const at = (share: number) => samples.find((s) => (s[key] ?? -Infinity) >= baseline + share * rise)?.t;
  const startT = at(0.1) ?? samples[0]?.t ?? 0;
  return { startT, endT: Math.max(at(0.9) ?? startT, startT) };
}

interface LoadWords {
  /** "during load-1 (found from CPU time)" or "during a window of high CPU". */
  during: string;
  /** " at rest" when the time after the rise was at rest. */
  after: string;
  evidence: string[];
  unknown: string[];
}

/** What is known of the load while it rose: the run's phases, else the target's CPU. */
function loadWords(data: RunData, when: { startT: number; endT: number }): LoadWords {
  const phases = data.run.phases.filter((p) => p.startT !== undefined && p.endT !== undefined);
  const found = phases.length > 0 ? phases : detectPhases({ samples: data.samples }).phases;
  const overlaps = (p: PhaseRecord) => p.startT! < when.endT && p.endT! > when.startT;
  const loads = found.filter((p) => p.kind === 'burst' && overlaps(p));
  const restAfter = found.at(-1)?.kind === 'idle';
  // "After" starts where the load ended, which may be later than the rise's end.
  const afterT = Math.max(when.endT, ...loads.map((p) => p.endT!));
  const cpu = cpuWhile(data.samples, when, afterT);
  const evidence = cpu ? [cpu.text] : [];
  if (loads.length > 0) {
    const how = phases.length > 0 ? '' : " (a load phase found from the target's CPU time and connections)";
    return {
      during: `during ${loads.map((p) => `${p.name}, ${formatT(p.startT!)} to ${formatT(p.endT!)}`).join('; ')}${how}`,
      after: restAfter ? ' at rest' : '',
      evidence,
      unknown: requestsUnknown(loads),
    };
  }
  if (cpu && cpu.during > 2 * cpu.after + 0.05)
    return {
      during: 'during a window of high CPU',
      after: ' at rest',
      evidence,
      unknown: ['No load phases were recorded or found, so memory per request is unknown.'],
    };
  return {
    during: `between ${formatT(when.startT)} and ${formatT(when.endT)}`,
    after: '',
    evidence,
    unknown: [
      cpu
        ? "No window of load stands out in the target's CPU time, so when it was loaded, and how much, is unknown."
        : 'No activity figure (CPU time, connections, a request counter) was sampled, so when it was loaded is unknown.',
    ],
  };
}

function requestsUnknown(loads: readonly PhaseRecord[]): string[] {
  const counted = loads.some((p) => p.result?.completed !== undefined || typeof p.params.requests === 'number');
  return counted ? [] : ['The requests answered under load were not counted, so memory per request is unknown.'];
}

/** The target's CPU (cores) while memory rose and after, where sampled. */
function cpuWhile(samples: readonly Sample[], when: { startT: number; endT: number }, afterT: number) {
  const cpu = intervalSignals(samples).cpu;
  const mean = (pick: (t: number) => boolean) => {
    const v = cpu.filter((c, i) => c !== undefined && pick(samples[i + 1]!.t)) as number[];
    return v.length === 0 ? undefined : v.reduce((a, b) => a + b, 0) / v.length;
  };
  const during = mean((t) => t >= when.startT && t <= when.endT);
  const after = mean((t) => t > afterT);
  if (during === undefined || after === undefined) return undefined;
  return {
    during,
    after,
    text: `The target used ${during.toFixed(2)} cores of CPU while it rose and ${after.toFixed(2)} after (from /proc/PID/stat).`,
  };
}
