/**
 * The k6 side of a scenario: options, setup, one function per kind of phase and
 * handleSummary, built from a scenario definition and __ENV. Imports k6 modules, so it is
 * type-checked only with scenarios/k6/tsconfig.json and never loaded by Node except through a
 * bundle with the test stand-in.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import type { PhaseSpec, ScenarioDefinition } from '../../../src/load/phases.ts';
import { readScriptEnv } from './env.ts';
import { K6_META_SCHEMA, summaryOutputs, type K6RunMeta, type K6SummaryData } from './summary.ts';
import { runnablePhases, toK6Options, type K6Options } from './to-k6-options.ts';

export interface K6Script {
  options: K6Options;
  meta: K6RunMeta;
  setup(): { baseUrl: string };
  idle(): void;
  burst(): void;
  handleSummary(data: K6SummaryData): Record<string, string>;
}

const isOk = (r: { status: number }) => r.status >= 200 && r.status <= 299;

export function makeScript(def: ScenarioDefinition, env: Readonly<Record<string, string | undefined>>): K6Script {
  const cfg = readScriptEnv(env);
  const phases = runnablePhases(def.phases(cfg.params));
  const options = toK6Options(phases, { maxDurationMs: cfg.maxDurationMs });
  const byName: Record<string, PhaseSpec> = {};
  for (const p of phases) byName[p.name] = p;
  const meta: K6RunMeta = { schema: K6_META_SCHEMA, scenario: def.name, baseUrl: cfg.baseUrl, phases, maxDurationMs: cfg.maxDurationMs };

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
      const p = current('idle');
      // Connection: close makes the server end the connection after the answer, as a kubelet
      // probe does; with noConnectionReuse it is redundant, in a soak it is what keeps probes
      // on fresh connections while the burst keeps its own alive.
      const res = http.get(cfg.baseUrl + p.path, {
        headers: { Connection: 'close', 'User-Agent': 'kube-probe/1.27 (leakbench k6)' },
        timeout: `${p.timeoutMs}ms`,
      });
      check(res, { 'status is 2xx': isOk });
    },
    burst() {
      const p = current('burst');
      const res = http.get(cfg.baseUrl + p.path, { timeout: `${p.timeoutMs}ms` });
      check(res, { 'status is 2xx': isOk });
    },
    handleSummary(data: K6SummaryData) {
      return summaryOutputs(data, meta, cfg.summaryTarget);
    },
  };
}
