import type { RunData } from '../rundir/read-run.ts';
import type { Artifact } from '../rundir/schema.ts';
import { pprofDiffCommand } from './pprof-command.ts';
import { isGrowthKind, type Diagnosis, type HeapProfileDiff, type Projection, type Verdict } from './diagnosis.ts';
import { diagnoseFigures } from './figure-growth.ts';
import { withGoalOutside } from './go-goal-outside.ts';
import { formatCount, formatDuration, formatMiB } from './format.ts';
import { hasRuntimeMetrics, profileOf } from './runtime-profiles.ts';
import { cannotTellWithoutHeap } from './cannot-tell.ts';
import { resolveRoleFigures, runtimeSourceNotes } from './runtime-figures.ts';
import { smapsReport, type SmapsReport, type SmapsSnapshot } from './smaps.ts';
import { THRESHOLDS } from './thresholds.ts';
import { Context, decide, isOomKill, tailMedian } from './verdict-decide.ts';
import { rateText, verdictWords } from './verdict-words.ts';
import { requestsToLimitText } from './retained-words.ts';
import { contradictions } from './verdict-consistency.ts';
import { analysisWindows, exitTimes } from './windows.ts';
import { guardWatchedVerdict } from './watched-guard.ts';

export { amountText, rateText } from './verdict-words.ts';

export interface DiagnoseOptions {
  /** The target's memory limit (a pod's, or --memory-limit): projects the time to reach it. */
  memoryLimitBytes?: number;
}

/**
 * A run's memory diagnosis: per-figure baselines, per-phase changes and robust growth rates,
 * and one verdict with its evidence, in the words of the target's runtime. Pure (RunData in,
 * value out) and never throws: a run that cannot support a verdict gets `not-enough-data`
 * saying what is missing. The decision is verdict-decide.ts, the sentences verdict-words.ts,
 * each runtime's names and words runtime-profiles.ts.
 */
export function diagnose(given: RunData, opts: DiagnoseOptions = {}): Diagnosis {
  const found = profileOf(given);
  // The runtime's own figures fill the roles /metrics did not (runtime-figures.ts).
  const resolved = resolveRoleFigures(given.samples, found.profile.runtime);
  const data: RunData = { ...given, samples: resolved.samples };
  const { from } = found;
  const profile = withGoalOutside(found.profile, data.samples);
  const exits = exitTimes(data.events);
  const windows = analysisWindows(data);
  const figures = diagnoseFigures(data, windows, exits, profile.outside);
  const ctx = new Context(
    data,
    profile,
    figures,
    windows,
    smapsOf(data, exits, profile.smapsLayout),
    profilesOf(data.run.heapProfiles),
  );
  const decision = decide(ctx);
  const verdict = cannotTellWithoutHeap(
    verdictWords(ctx, decision),
    profile.runtime,
    hasRuntimeMetrics(profile, data.samples),
  );
  verdict.caveats.push(...resolved.notes, ...runtimeSourceNotes(data.run.target.runtimeSources));
  const diagnosis: Diagnosis = {
    verdict,
    figures,
    targetExits: { count: ctx.unexpectedExits.length, oomKills: ctx.unexpectedExits.filter(isOomKill).length },
    runtime: { name: profile.runtime, from },
  };
  if (ctx.rssKey && ctx.rss) {
    diagnosis.rssFigure = ctx.rssKey;
    const end = tailMedian(data.samples, ctx.rssKey);
    diagnosis.held = {
      figure: ctx.rssKey,
      label: ctx.rss.label,
      baseline: ctx.rss.baseline,
      end,
      bytes: end - ctx.rss.baseline,
    };
  }
  // A watched run's verdict must not contradict its own numbers (watched-guard.ts).
  Object.assign(verdict, guardWatchedVerdict(data, diagnosis));
  if (decision.class === 'plateau' && verdict.kind === 'plateau') diagnosis.plateau = decision.plateau;
  if (ctx.smaps) diagnosis.smaps = ctx.smaps;
  if (ctx.profiles) diagnosis.heapProfiles = ctx.profiles;
  if (ctx.retained) diagnosis.retained = ctx.retained;
  const undecided = ctx.retainedUndecided;
  if (undecided) diagnosis.retainedUndecided = { key: undecided.key, label: undecided.label, shape: undecided.shape };
  const projection =
    opts.memoryLimitBytes !== undefined && opts.memoryLimitBytes > 0
      ? project(ctx, opts.memoryLimitBytes, verdict)
      : undefined;
  if (projection) {
    diagnosis.projection = projection;
    verdict.evidence.push(...projection.text);
  }
  for (const c of contradictions(diagnosis))
    verdict.caveats.push(`This verdict contradicts its evidence (${c}): read the evidence, not the verdict alone.`);
  return diagnosis;
}

function smapsOf(data: RunData, exits: readonly number[], layout: 'go' | 'other'): SmapsReport | undefined {
  const snapshots: SmapsSnapshot[] = data.smaps ?? [];
  return snapshots.length >= 2 ? smapsReport(snapshots, exits, layout) : undefined;
}

/** The first and the last heap profile, when there are two, and the command to diff them. */
function profilesOf(profiles: readonly Artifact[] | undefined): HeapProfileDiff | undefined {
  if (!profiles || profiles.length < 2) return undefined;
  const sorted = [...profiles].sort((a, b) => a.t - b.t);
  const start = sorted[0]!.file;
  const end = sorted.at(-1)!.file;
  return { start, end, command: pprofDiffCommand(start, end) };
}

// ─── projection ────────────────────────────────────────────────────────────────────────────

/**
 * Time (at the idle rate) and requests (at the burst rate) until `limit`, for the cgroup's
 * figure when sampled (what the OOM killer compares with the limit), else RSS.
 */
function project(ctx: Context, limit: number, verdict: Verdict): Projection | undefined {
  const f = ctx.fig('cgroupMemory') ?? ctx.rss;
  if (!f) return undefined;
  const lastWindow = f.windows.at(-1);
  const current = lastWindow?.end ?? f.end;
  const out: Projection = { figure: f.key, label: f.label, limitBytes: limit, current, text: [] };
  const headroom = limit - current;
  const lim = `the ${formatMiB(limit)} limit`;
  if (headroom <= 0) {
    out.text.push(`${f.label} is at ${formatMiB(current)}, already at or above ${lim}.`);
    return out;
  }
  // A rising window that the verdict explained away (a warm-up, a heap goal) is no rate to project.
  if (!isGrowthKind(verdict.kind)) {
    out.text.push(
      `The verdict is ${verdict.kind}, so no time to ${lim} is projected (${f.label} ${formatMiB(current)} now).`,
    );
    return out;
  }
  const idle = f.windows.filter((w) => w.kind === 'idle' && w.perHour?.ok).at(-1);
  if (idle?.perHour?.rate !== undefined) {
    out.idleRatePerHour = idle.perHour.rate;
    if (idle.perHour.trend === 'growing' && idle.endT - idle.startT < THRESHOLDS.projectionMinSpanS) {
      out.text.push(
        `${idle.window} lasted ${formatDuration(idle.endT - idle.startT)}, too short to extrapolate a time to ${lim} (at least ${formatDuration(THRESHOLDS.projectionMinSpanS)} at rest is needed).`,
      );
    } else if (idle.perHour.trend === 'growing') {
      out.hoursToLimit = headroom / idle.perHour.rate;
      out.text.push(
        `At the idle rate of ${idle.window} (${rateText(idle.perHour.rate, 'per-hour', 'bytes')}), ${f.label} would reach ${lim} in about ${formatDuration(out.hoursToLimit * 3600)} (from ${formatMiB(current)} now).`,
      );
    } else {
      out.text.push(
        `${f.label} is not growing at rest in ${idle.window}, so no time to ${lim} is projected (${formatMiB(current)} now).`,
      );
    }
  }
  // With bursts repeated, what each left at rest is the rate to project, not a slope under load.
  const retained = (ctx.retained?.bursts ?? 0) >= 2 ? ctx.retained?.figures.find((x) => x.role === 'rss') : undefined;
  if (retained) {
    if (retained.shape === 'leak' && retained.per1k > 0) {
      out.burstRatePer1k = retained.per1k;
      out.requestsToLimit = (headroom / retained.per1k) * 1000;
      out.text.push(requestsToLimitText(retained.label, retained.per1k, headroom, limit));
    }
    return out;
  }
  const burst = f.windows.filter((w) => w.kind === 'burst' && w.per1k?.ok).at(-1);
  if (burst?.per1k?.rate !== undefined) {
    out.burstRatePer1k = burst.per1k.rate;
    if (burst.per1k.trend === 'growing') {
      out.requestsToLimit = (headroom / burst.per1k.rate) * 1000;
      out.text.push(
        `At the rate of ${burst.window} (${rateText(burst.per1k.rate, 'per-1k-requests', 'bytes')}), about ${formatCount(out.requestsToLimit)} more requests would reach ${lim}.`,
      );
    }
  }
  return out;
}
