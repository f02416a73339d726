import type { BurstMeasurement, BurstTool } from './burst.ts';
import { median, medianInterval, pairedRatios } from './stats.ts';

/**
 * The burst engine's goals against wrk (issue 26), judged on quiet rounds only: on a machine
 * where other jobs take CPU, a throughput ratio says more about the scheduler than about the
 * engines. CPU per request moves much less with the load, so it comes first.
 */
export const BURST_GOALS = {
  /** The default engine's rate over wrk's, in the same round. */
  rateVsWrk: 0.95,
  /** The engine's own CPU per request over wrk's. */
  clientCpuVsWrk: 1.2,
  /** The target's CPU per request under the engine over what it is under wrk. */
  targetCpuVsWrk: 1.05,
};

/** Other jobs' CPU, in cores, under which a round counts as quiet. */
export const QUIET_OTHER_CORES = 0.25;

export interface VsWrk {
  /** Rounds in which both the tool and wrk ran against this target. */
  rounds: number;
  /** Of those, rounds in which other jobs used less than the quiet limit during both. */
  quietRounds: number;
  /** Medians of per-round ratios over the quiet rounds (absent when none was quiet). */
  quiet?: Ratios;
  /** The same over every round, quiet or not: shown, never used for a goal. */
  all?: Ratios;
  /** Median of other jobs' cores over the pairs' measurements, to say how busy it was. */
  otherCores: number;
}

export interface Ratios {
  rate: number;
  clientCpu: number;
  targetCpu: number;
  /**
   * Each median's 90% interval (stats.ts medianInterval), where there were rounds enough for one
   * (5 or more): the rounds of one run move by more than the goals' margins on a VM whose
   * neighbours the guest cannot see, so a median alone met a goal in one run and missed it in the
   * next on the same code.
   */
  intervals?: Record<RatioKey, [number, number]>;
}

export type RatioKey = 'rate' | 'clientCpu' | 'targetCpu';

/** The 90% interval of a median: wide enough that two runs of the same code mostly agree on it. */
export const GOAL_CONFIDENCE = 0.9;

function ratios(pairs: [BurstMeasurement, BurstMeasurement][]): Ratios | undefined {
  const a = pairs.map((p) => p[0]);
  const b = pairs.map((p) => p[1]);
  const of = (key: (m: BurstMeasurement) => number): number[] => pairedRatios(a.map(key), b.map(key));
  const per: Record<RatioKey, number[]> = {
    rate: of((x) => x.rate),
    clientCpu: of((x) => x.clientCpuMsPerKreq),
    targetCpu: of((x) => x.targetCpuMsPerKreq),
  };
  if (Object.values(per).some((rs) => rs.length === 0)) return undefined;
  const rate = medianInterval(per.rate, GOAL_CONFIDENCE);
  const clientCpu = medianInterval(per.clientCpu, GOAL_CONFIDENCE);
  const targetCpu = medianInterval(per.targetCpu, GOAL_CONFIDENCE);
  return {
    rate: median(per.rate),
    clientCpu: median(per.clientCpu),
    targetCpu: median(per.targetCpu),
    ...(rate && clientCpu && targetCpu && { intervals: { rate, clientCpu, targetCpu } }),
  };
}

/** A tool against wrk on one target, round by round; undefined when they never shared a round. */
export function compareToWrk(
  runs: readonly BurstMeasurement[],
  tool: BurstTool,
  target: string | undefined,
  maxOtherCores = QUIET_OTHER_CORES,
): VsWrk | undefined {
  const on = runs.filter((r) => r.target === target);
  const pairs: [BurstMeasurement, BurstMeasurement][] = [];
  for (const a of on.filter((r) => r.tool === tool)) {
    const b = on.find((r) => r.tool === 'wrk' && r.round === a.round);
    if (b) pairs.push([a, b]);
  }
  if (pairs.length === 0) return undefined;
  const quietPairs = pairs.filter(([a, b]) => a.otherCores < maxOtherCores && b.otherCores < maxOtherCores);
  const quiet = ratios(quietPairs);
  const all = ratios(pairs);
  return {
    rounds: pairs.length,
    quietRounds: quietPairs.length,
    ...(quiet && { quiet }),
    ...(all && { all }),
    otherCores: median(pairs.flatMap(([a, b]) => [a.otherCores, b.otherCores])),
  };
}

export interface BurstGoal {
  goal: string;
  /** The quiet rounds' figure, or why there is none. */
  measured: string;
  /** Undefined: not measured (no quiet round, or wrk did not run), or not resolved. */
  met: boolean | undefined;
  /** Measured, but the median's interval holds the goal's limit: more rounds would tell. */
  unresolved?: true;
}

/** The three goals of the default engine against wrk on one target. */
export function burstGoals(vs: VsWrk | undefined, targetLabel: string): BurstGoal[] {
  const goals: [string, RatioKey, number, 'min' | 'max'][] = [
    [`engine CPU per request <= ${BURST_GOALS.clientCpuVsWrk}x wrk's`, 'clientCpu', BURST_GOALS.clientCpuVsWrk, 'max'],
    [
      `target CPU per request under the engine <= ${BURST_GOALS.targetCpuVsWrk}x under wrk`,
      'targetCpu',
      BURST_GOALS.targetCpuVsWrk,
      'max',
    ],
    [`throughput >= ${BURST_GOALS.rateVsWrk}x wrk's`, 'rate', BURST_GOALS.rateVsWrk, 'min'],
  ];
  return goals.map(([text, key, limit, kind]) => {
    const goal = `${text} (${targetLabel}, quiet rounds)`;
    if (!vs) return { goal, measured: 'not measured (wrk did not run)', met: undefined };
    const allText = vs.all ? `; all ${vs.rounds} rounds: ${vs.all[key].toFixed(2)}` : '';
    if (!vs.quiet)
      return {
        goal,
        measured: `not measured: no quiet round (other jobs used ${vs.otherCores.toFixed(2)} cores, median)${allText}`,
        met: undefined,
      };
    const x = vs.quiet[key];
    const over = `over ${vs.quietRounds} quiet round${vs.quietRounds === 1 ? '' : 's'}`;
    const good = (v: number): boolean => (kind === 'max' ? v <= limit : v >= limit);
    const interval = vs.quiet.intervals?.[key];
    if (!interval)
      return {
        goal,
        measured: `${x.toFixed(2)} ${over} (too few for an interval: decided on the median)${allText}`,
        met: good(x),
      };
    const [lo, hi] = interval;
    const range = `${x.toFixed(2)} (${GOAL_CONFIDENCE * 100}% interval ${lo.toFixed(2)}-${hi.toFixed(2)}) ${over}`;
    if (good(lo) === good(hi)) return { goal, measured: `${range}${allText}`, met: good(x) };
    return {
      goal,
      measured: `${range}: the interval holds ${limit}, within this machine's noise; more rounds would tell${allText}`,
      met: undefined,
      unresolved: true,
    };
  });
}
