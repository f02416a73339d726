import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BurstMeasurement, BurstTool } from '../../bench/burst.ts';
import { burstGoals, compareToWrk } from '../../bench/burst-goals.ts';
import { machineName } from '../../bench/machine.ts';

function run(
  tool: BurstTool,
  round: number,
  rate: number,
  client: number,
  target: number,
  other: number,
): BurstMeasurement {
  return {
    tool,
    round,
    target: 'gin',
    requests: 100_000,
    errors: 0,
    seconds: 100_000 / rate,
    rate,
    wallForN: 100_000 / rate,
    clientCpuMsPerKreq: client,
    targetCpuMsPerKreq: target,
    otherCores: other,
  };
}

test('burst goals: decided on quiet rounds only, all rounds shown beside', () => {
  const runs = [
    // Round 1 is quiet: the engine at 0.96x wrk's rate, 1.1x its CPU, 1.02x the target's.
    run('pack-net', 1, 48_000, 11, 10.2, 0.1),
    run('wrk', 1, 50_000, 10, 10, 0.05),
    // Round 2 is busy (other jobs 1.5 cores): its poor ratio must not decide a goal.
    run('pack-net', 2, 20_000, 30, 20, 1.5),
    run('wrk', 2, 40_000, 10, 10, 0.1),
  ];
  const vs = compareToWrk(runs, 'pack-net', 'gin')!;
  assert.equal(vs.rounds, 2);
  assert.equal(vs.quietRounds, 1);
  assert.ok(Math.abs(vs.quiet!.rate - 0.96) < 1e-9);
  const goals = burstGoals(vs, 'Gin');
  assert.deepEqual(
    goals.map((g) => g.met),
    [true, true, true],
  );
  assert.match(
    goals[0]!.measured,
    /^1\.10 over 1 quiet round \(too few for an interval: decided on the median\); all 2 rounds: /,
  );
});

test('burst goals: no quiet round is "not measured", never met or missed', () => {
  const runs = [run('pack-net', 1, 48_000, 11, 10, 0.9), run('wrk', 1, 50_000, 10, 10, 0.1)];
  const goals = burstGoals(compareToWrk(runs, 'pack-net', 'gin'), 'Gin');
  assert.equal(goals.length, 3);
  for (const g of goals) {
    assert.equal(g.met, undefined);
    assert.match(g.measured, /^not measured: no quiet round \(other jobs used 0\.50 cores, median\)/);
  }
  assert.equal(compareToWrk(runs, 'pack-net', 'net/http'), undefined, 'no runs on that target');
  assert.match(burstGoals(undefined, 'x')[0]!.measured, /^not measured \(wrk did not run\)$/);
});

/** Nine quiet rounds with wrk at 10 µs of target CPU per request, the engine at the ratios given. */
function nineRounds(targetRatios: number[]): BurstMeasurement[] {
  return targetRatios.flatMap((r, i) => [
    run('pack-net', i + 1, 50_000, 10, 10 * r, 0),
    run('wrk', i + 1, 50_000, 10, 10, 0),
  ]);
}

test("burst goals: met or missed only when the median's 90% interval is on one side of the limit", () => {
  const target = (ratios: number[]) => burstGoals(compareToWrk(nineRounds(ratios), 'pack-net', 'gin'), 'Gin')[1]!;
  // The 2-core AMD EPYC, 2026-12-06: per-round ratios of the target's CPU that straddle 1.05.
  const straddles = target([0.93, 1.08, 0.91, 1.07, 1.08, 0.98, 0.99, 0.98, 0.97]);
  assert.equal(straddles.met, undefined);
  assert.equal(straddles.unresolved, true);
  assert.match(
    straddles.measured,
    /^0\.98 \(90% interval 0\.93-1\.08\) over 9 quiet rounds: the interval holds 1\.05, within this machine's noise; more rounds would tell; all 9 rounds: 0\.98$/,
  );
  const met = target([0.93, 1.0, 0.91, 1.02, 1.03, 0.98, 0.99, 0.98, 0.97]);
  assert.equal(met.met, true);
  assert.equal(met.unresolved, undefined);
  assert.match(met.measured, /^0\.98 \(90% interval 0\.93-1\.02\) over 9 quiet rounds; all 9 rounds/);
  const missed = target([1.12, 1.2, 1.1, 1.15, 1.3, 1.18, 1.09, 1.07, 1.14]);
  assert.equal(missed.met, false);
  assert.equal(missed.unresolved, undefined);
  // Fewer than five rounds: no interval, decided on the median, and it says so.
  const few = burstGoals(compareToWrk(nineRounds([1.1, 1.0, 1.0]), 'pack-net', 'gin'), 'Gin')[1]!;
  assert.equal(few.met, true);
  assert.match(few.measured, /^1\.00 over 3 quiet rounds \(too few for an interval: decided on the median\)/);
});

test('a machine is named by its CPU model and count', () => {
  assert.equal(machineName('AMD EPYC 7B13', 2), 'amd-epyc-7b13-2cpu');
  assert.equal(machineName('Intel(R) Xeon(R) CPU @ 2.20GHz', 4), 'intel-xeon-4cpu');
  assert.equal(machineName('', 2), 'unknown-cpu-2cpu');
});
