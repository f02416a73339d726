/** What a scenario is made of: phases run one after another against one target. */
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

export interface ScenarioDefinition<O> {
  name: string;
  description: string;
  phases(options: O): PhaseSpec[];
}
