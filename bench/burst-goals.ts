import type { BurstMeasurement, BurstTool } from './burst.ts';
import { median, pairedRatio } from './stats.ts';

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
}

function ratios(pairs: [BurstMeasurement, BurstMeasurement][]): Ratios | undefined {
  const a = pairs.map((p) => p[0]);
  const b = pairs.map((p) => p[1]);
  const rate = pairedRatio(
    a.map((x) => x.rate),
    b.map((x) => x.rate),
  );
  const clientCpu = pairedRatio(
    a.map((x) => x.clientCpuMsPerKreq),
    b.map((x) => x.clientCpuMsPerKreq),
  );
  const targetCpu = pairedRatio(
    a.map((x) => x.targetCpuMsPerKreq),
    b.map((x) => x.targetCpuMsPerKreq),
  );
  if (rate === undefined || clientCpu === undefined || targetCpu === undefined) return undefined;
  return { rate, clientCpu, targetCpu };
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
  /** Undefined: not measured (no quiet round, or wrk did not run). */
  met: boolean | undefined;
}

/** The three goals of the default engine against wrk on one target. */
export function burstGoals(vs: VsWrk | undefined, targetLabel: string): BurstGoal[] {
  const goals: [string, keyof Ratios, number, 'min' | 'max'][] = [
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
    return {
      goal,
      measured: `${x.toFixed(2)} over ${vs.quietRounds} quiet round${vs.quietRounds === 1 ? '' : 's'}${allText}`,
      met: kind === 'max' ? x <= limit : x >= limit,
    };
  });
}
