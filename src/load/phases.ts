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
  /** What to send instead of `GET path` (requests file, -X/-H/--body, or written here). */
  mix?: RequestMix;
}

export interface BurstPhaseSpec {
  name: string;
  kind: 'burst';
  path: string;
  requests: number;
  connections: number;
  timeoutMs: number;
  mix?: RequestMix;
}

/** A fixed arrival rate (or stages) over at most `connections` kept-alive connections, open model. */
export interface SteadyPhaseSpec {
  name: string;
  kind: 'steady';
  path: string;
  /** Requests per second (the starting rate when there are stages). */
  rate: number;
  /** How long; with stages, their sum. */
  durationMs: number;
  stages?: RateStage[];
  connections: number;
  timeoutMs: number;
  mix?: RequestMix;
}

/**
 * Every phase kind's spec by kind name. A kind declared elsewhere (src/phases/<kind>.ts) adds
 * itself with `declare module '../load/phases.ts' { interface PhaseSpecs { mine: MinePhaseSpec } }`.
 */
export interface PhaseSpecs {
  idle: IdlePhaseSpec;
  burst: BurstPhaseSpec;
  steady: SteadyPhaseSpec;
}

export type PhaseSpec = PhaseSpecs[keyof PhaseSpecs];

/** The phases that send requests to a path (not, e.g., a watched phase). */
export type DrivenPhaseSpec = Extract<PhaseSpec, { path: string }>;

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
  /** soak: how many times the burst runs, each followed by a rest of idleAfterMs; absent: once. */
  bursts?: number;
  /** From -X/-H/--body or --requests-file: every phase sends it unless the scenario says otherwise. */
  mix?: RequestMix;
  /** Steady phases: requests per second (--rate when given, else DEFAULTS.steadyRate), and optional ramp stages. */
  steadyRate?: number;
  stages?: RateStage[];
}

export interface ScenarioDefinition {
  name: string;
  description: string;
  phases(params: ScenarioParams): PhaseSpec[];
}

/** Helpers so scenario files read like the traffic they describe. */
export function idlePhase(name: string, p: ScenarioParams, durationMs: number): IdlePhaseSpec {
  return {
    name,
    kind: 'idle',
    path: p.path,
    rate: p.rate,
    durationMs,
    timeoutMs: p.probeTimeoutMs,
    ...(p.mix && { mix: p.mix }),
  };
}

export function burstPhase(name: string, p: ScenarioParams): BurstPhaseSpec {
  return {
    name,
    kind: 'burst',
    path: p.path,
    requests: p.requests,
    connections: p.connections,
    timeoutMs: p.requestTimeoutMs,
    ...(p.mix && { mix: p.mix }),
  };
}

/** A steady soak: `steadyRate` for `durationMs` (or through `stages`), at most `connections` in flight. */
export function steadyPhase(name: string, p: ScenarioParams, durationMs = p.durationMs): SteadyPhaseSpec {
  const stages = p.stages && p.stages.length > 0 ? p.stages : undefined;
  return {
    name,
    kind: 'steady',
    path: p.path,
    rate: p.steadyRate ?? DEFAULT_STEADY_RATE,
    durationMs: stages ? stages.reduce((a, s) => a + s.durationMs, 0) : durationMs,
    ...(stages && { stages }),
    connections: p.connections,
    timeoutMs: p.requestTimeoutMs,
    ...(p.mix && { mix: p.mix }),
  };
}

export function defineScenario(def: ScenarioDefinition): ScenarioDefinition {
  return def;
}

/** A phase's parameters as run.json records them (its name and kind are fields of their own). */
export function phaseParams(p: PhaseSpec): Record<string, unknown> {
  const { name: _name, kind: _kind, ...params } = p;
  return params;
}

/** A steady phase's rate when neither the scenario nor --rate gives one (DEFAULTS.steadyRate). */
export const DEFAULT_STEADY_RATE = 100;

/**
 * What a phase sends: one request or a mix of them (src/load/request-def.ts has the functions).
 * Here so this file stays free of imports: the installed package's types are made from it alone.
 */
export interface RequestDef {
  /** Short name for counts and the report: given in a requests file, else "METHOD /path". */
  name: string;
  method: string;
  /** Path and query, starting with /. */
  path: string;
  /** In the order given; a name may repeat (two Cookie lines are sent as two lines). */
  headers: [string, string][];
  /** UTF-8 text; absent for no body. */
  body?: string;
  /** Relative share in a weighted mix (whole number, 1 by default). */
  weight: number;
  /** Statuses that count as expected; absent: any 2xx. */
  expectStatus?: number[];
}

export interface RequestMix {
  /** weighted: shares by weight, interleaved; sequence: the requests in order, again and again. */
  order: 'weighted' | 'sequence';
  requests: RequestDef[];
}

/** One stage of a steady phase's ramp (src/load/steady-schedule.ts). */
export interface RateStage {
  durationMs: number;
  /** Requests per second at the end of the stage. */
  rate: number;
}
