/**
 * What a scenario is made of: phases run one after another against one target. Pure data and
 * no Node imports: the k6 scripts build their options from the same definitions.
 */
export interface IdlePhaseSpec {
  name: string;
  kind: 'idle';
  path: string;
  rate: number;
  durationMs: number;
  timeoutMs: number;
}

export interface BurstPhaseSpec {
  name: string;
  kind: 'burst';
  path: string;
  requests: number;
  connections: number;
  timeoutMs: number;
}

export type PhaseSpec = IdlePhaseSpec | BurstPhaseSpec;

/** The knobs a scenario may read; the CLI's RunOptions and the k6 scripts' __ENV both give them. */
export interface ScenarioParams {
  path: string;
  rate: number;
  durationMs: number;
  probeTimeoutMs: number;
  requests: number;
  connections: number;
  requestTimeoutMs: number;
  idleBeforeMs: number;
  idleAfterMs: number;
}

export interface ScenarioDefinition {
  name: string;
  description: string;
  phases(params: ScenarioParams): PhaseSpec[];
}

/** Helpers so scenario files read like the traffic they describe. */
export function idlePhase(name: string, p: ScenarioParams, durationMs: number): IdlePhaseSpec {
  return { name, kind: 'idle', path: p.path, rate: p.rate, durationMs, timeoutMs: p.probeTimeoutMs };
}

export function burstPhase(name: string, p: ScenarioParams): BurstPhaseSpec {
  return { name, kind: 'burst', path: p.path, requests: p.requests, connections: p.connections, timeoutMs: p.requestTimeoutMs };
}

export function defineScenario(def: ScenarioDefinition): ScenarioDefinition {
  return def;
}

/** A phase's parameters as run.json records them (its name and kind are fields of their own). */
export function phaseParams(p: PhaseSpec): Record<string, unknown> {
  const { name: _name, kind: _kind, ...params } = p;
  return params;
}
