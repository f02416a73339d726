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
import type { DrivenPhaseSpec, IdlePhaseSpec, PhaseSpec, ScenarioDefinition } from '../../../src/load/phases.ts';
import { probeCount } from '../../../src/load/probe-schedule.ts';
import { BURST_POLL_MS, burstIsOver, probeStep } from './after-burst.ts';
import { readScriptEnv } from './env.ts';
import { cycle, redactMix, resolveRequest, statusExpected, type RequestDef } from '../../../src/options/request-def.ts';
import { readRequestEnv } from './request-env.ts';
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
  steady(): void;
  handleSummary(data: K6SummaryData): Record<string, string>;
}

const isOk = (r: { status: number }) => r.status >= 200 && r.status <= 299;

/** Probes after a burst that came a whole interval late and were left out (see probeStep). */
export const DROPPED_PROBES_METRIC = 'leakbench_dropped_probes';

/** k6's open() exists only in the init context, where makeScript runs; a test may pass its own. */
export type ReadFile = (path: string) => string;

export function makeScript(
  def: ScenarioDefinition,
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadFile = (p) => open(p),
): K6Script {
  const cfg = readScriptEnv(env);
  const req = readRequestEnv(env, cfg.params.path, readFile);
  const phases = runnablePhases(
    def.phases({
      ...cfg.params,
      steadyRate: req.steadyRate,
      ...(req.mix && { mix: req.mix }),
      ...(req.stages && { stages: req.stages }),
    }),
  );
  const options = toK6Options(phases, { maxDurationMs: cfg.maxDurationMs });
  const byName: Record<string, PhaseSpec> = {};
  for (const p of phases) byName[p.name] = p;
  // The summary names each phase's requests, secrets redacted as in run.json.
  const recorded = phases.map((p) => ('mix' in p && p.mix ? { ...p, mix: redactMix(p.mix, req.secretHeaders) } : p));
  const meta: K6RunMeta = {
    schema: K6_META_SCHEMA,
    scenario: def.name,
    baseUrl: cfg.baseUrl,
    phases: recorded,
    maxDurationMs: cfg.maxDurationMs,
  };
  // Env values resolved once, at init, into memory only; the order is one cycle of the mix,
  // indexed by the scenario's iteration across the whole test, so proportions are exact.
  const sendPlans: Record<string, { defs: RequestDef[]; order: number[] }> = {};
  for (const p of phases)
    if ('mix' in p && p.mix)
      sendPlans[p.name] = { defs: p.mix.requests.map((r) => resolveRequest(r, env)), order: cycle(p.mix) };

  const send = (p: DrivenPhaseSpec, extra: Record<string, string>) => {
    const plan = sendPlans[p.name];
    if (!plan) {
      const res = http.get(cfg.baseUrl + p.path, {
        ...(Object.keys(extra).length > 0 && { headers: extra }),
        timeout: `${p.timeoutMs}ms`,
      });
      check(res, { 'status is 2xx': isOk });
      return;
    }
    const r = plan.defs[plan.order[exec.scenario.iterationInTest % plan.order.length]!]!;
    const headers: Record<string, string> = {};
    for (const [n, v] of r.headers)
      headers[n] = headers[n] === undefined ? v : `${headers[n]}${n.toLowerCase() === 'cookie' ? '; ' : ', '}${v}`;
    const res = http.request(r.method, cfg.baseUrl + r.path, r.body ?? null, {
      headers: { ...headers, ...extra },
      timeout: `${p.timeoutMs}ms`,
      tags: { request: r.name },
    });
    check(
      res,
      r.expectStatus ? { 'status is expected': (x) => statusExpected(r, x.status) } : { 'status is 2xx': isOk },
    );
  };

  // k6 accepts new metrics only here, in the init context.
  const droppedProbes = new Counter(DROPPED_PROBES_METRIC);

  // Connection: close makes the server end the connection after the answer, as a kubelet
  // probe does; with noConnectionReuse it is redundant, in a soak it is what keeps probes
  // on fresh connections while the burst keeps its own alive.
  const probe = (p: IdlePhaseSpec) => send(p, { Connection: 'close', 'User-Agent': 'kube-probe/1.27 (leakbench k6)' });

  const current = <K extends PhaseSpec['kind']>(kind: K): Extract<PhaseSpec, { kind: K }> => {
    const p = byName[exec.scenario.name];
    if (!p || p.kind !== kind)
      throw new Error(`scenario ${JSON.stringify(exec.scenario.name)} is not a ${kind} phase of ${def.name}`);
    return p as Extract<PhaseSpec, { kind: K }>;
  };

  return {
    options,
    meta,
    setup() {
      // One request before the load, so a wrong URL fails the run at once with its reason
      // instead of as a million failed requests.
      // toK6Options refused any phase k6 cannot run, so the first one sends requests.
      const first = phases[0] as DrivenPhaseSpec;
      const url = cfg.baseUrl + first.path;
      const res = http.get(url, { timeout: `${Math.max(first.timeoutMs, 5000)}ms`, tags: { leakbench: 'setup' } });
      if (res.status === 0)
        throw new Error(`the target ${url} did not answer: ${res.error} (set LEAKBENCH_URL to where it listens)`);
      return { baseUrl: cfg.baseUrl };
    },
    idle() {
      probe(current('idle'));
    },
    burst() {
      send(current('burst'), {});
    },
    steady() {
      send(current('steady'), {});
    },
    idleAfterBurst() {
      const p = current('idle');
      const waitStart = Date.now();
      const completedAtStart = exec.instance.iterationsCompleted;
      for (;;) {
        const view = {
          vusActive: exec.instance.vusActive,
          completedSinceWait: exec.instance.iterationsCompleted - completedAtStart,
          msSinceWait: Date.now() - waitStart,
        };
        if (burstIsOver(view)) break;
        sleep(BURST_POLL_MS / 1000);
      }
      const count = probeCount(p.rate, p.durationMs);
      const intervalMs = 1000 / p.rate;
      const start = Date.now();
      for (let seq = 0; seq < count;) {
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
