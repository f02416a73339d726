/**
 * The k6 side of a scenario: options, setup, one function per kind of phase and
 * handleSummary, built from a scenario definition and __ENV. Imports k6 modules, so it is
 * type-checked only with scenarios/k6/tsconfig.json and never loaded by Node; the tests run it
 * through the bundles in k6's engine (test/k6-harness).
 */
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import type { IdlePhaseSpec, PhaseSpec, ScenarioDefinition } from '../../../src/load/phases.ts';
import { probeCount } from '../../../src/load/probe-schedule.ts';
import { BURST_POLL_MS, burstIsOver, probeStep } from './after-burst.ts';
import { readScriptEnv } from './env.ts';
import { K6_META_SCHEMA, summaryOutputs, type K6RunMeta, type K6SummaryData } from './summary.ts';
import { runnablePhases, toK6Options, type K6Options } from './to-k6-options.ts';

export interface K6Script {
  options: K6Options;
  meta: K6RunMeta;
  setup(): { baseUrl: string };
  idle(): void;
  burst(): void;
  /** A whole idle phase that follows a burst, in one iteration (to-k6-options.ts afterBurstScenario). */
  idleAfterBurst(): void;
  handleSummary(data: K6SummaryData): Record<string, string>;
}

const isOk = (r: { status: number }) => r.status >= 200 && r.status <= 299;

/** Probes after a burst that came a whole interval late and were left out (see probeStep). */
export const DROPPED_PROBES_METRIC = 'leakbench_dropped_probes';

export function makeScript(def: ScenarioDefinition, env: Readonly<Record<string, string | undefined>>): K6Script {
  const cfg = readScriptEnv(env);
  const phases = runnablePhases(def.phases(cfg.params));
  const options = toK6Options(phases, { maxDurationMs: cfg.maxDurationMs });
  const byName: Record<string, PhaseSpec> = {};
  for (const p of phases) byName[p.name] = p;
  const meta: K6RunMeta = { schema: K6_META_SCHEMA, scenario: def.name, baseUrl: cfg.baseUrl, phases, maxDurationMs: cfg.maxDurationMs };

  // k6 accepts new metrics only here, in the init context.
  const droppedProbes = new Counter(DROPPED_PROBES_METRIC);

  const probe = (p: IdlePhaseSpec) => {
    // Connection: close makes the server end the connection after the answer, as a kubelet
    // probe does; with noConnectionReuse it is redundant, in a soak it is what keeps probes
    // on fresh connections while the burst keeps its own alive.
    const res = http.get(cfg.baseUrl + p.path, {
      headers: { Connection: 'close', 'User-Agent': 'kube-probe/1.27 (leakbench k6)' },
      timeout: `${p.timeoutMs}ms`,
    });
    check(res, { 'status is 2xx': isOk });
  };

  const current = <K extends PhaseSpec['kind']>(kind: K): Extract<PhaseSpec, { kind: K }> => {
    const p = byName[exec.scenario.name];
    if (!p || p.kind !== kind) throw new Error(`scenario ${JSON.stringify(exec.scenario.name)} is not a ${kind} phase of ${def.name}`);
    return p as Extract<PhaseSpec, { kind: K }>;
  };

  return {
    options,
    meta,
    setup() {
      // One request before the load, so a wrong URL fails the run at once with its reason
      // instead of as a million failed requests.
      const first = phases[0]!;
      const url = cfg.baseUrl + first.path;
      const res = http.get(url, { timeout: `${Math.max(first.timeoutMs, 5000)}ms`, tags: { leakbench: 'setup' } });
      if (res.status === 0) throw new Error(`the target ${url} did not answer: ${res.error} (set LEAKBENCH_URL to where it listens)`);
      return { baseUrl: cfg.baseUrl };
    },
    idle() {
      probe(current('idle'));
    },
    burst() {
      const p = current('burst');
      const res = http.get(cfg.baseUrl + p.path, { timeout: `${p.timeoutMs}ms` });
      check(res, { 'status is 2xx': isOk });
    },
    idleAfterBurst() {
      const p = current('idle');
      const waitStart = Date.now();
      const completedAtStart = exec.instance.iterationsCompleted;
      for (;;) {
        const view = { vusActive: exec.instance.vusActive, completedSinceWait: exec.instance.iterationsCompleted - completedAtStart, msSinceWait: Date.now() - waitStart };
        if (burstIsOver(view)) break;
        sleep(BURST_POLL_MS / 1000);
      }
      const count = probeCount(p.rate, p.durationMs);
      const intervalMs = 1000 / p.rate;
      const start = Date.now();
      for (let seq = 0; seq < count; ) {
        const step = probeStep(seq, start, intervalMs, Date.now());
        if (step.action === 'wait') {
          sleep(step.ms / 1000);
          continue;
        }
        if (step.action === 'drop') droppedProbes.add(1);
        else probe(p);
        seq++;
      }
    },
    handleSummary(data: K6SummaryData) {
      return summaryOutputs(data, meta, cfg.summaryTarget);
    },
  };
}
