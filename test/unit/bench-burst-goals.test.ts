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
  assert.match(goals[0]!.measured, /^1\.10 over 1 quiet round; all 2 rounds: /);
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

test('a machine is named by its CPU model and count', () => {
  assert.equal(machineName('AMD EPYC 7B13', 2), 'amd-epyc-7b13-2cpu');
  assert.equal(machineName('Intel(R) Xeon(R) CPU @ 2.20GHz', 4), 'intel-xeon-4cpu');
  assert.equal(machineName('', 2), 'unknown-cpu-2cpu');
});
