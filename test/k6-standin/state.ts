/**
 * What the k6 stand-in modules share with the test that drives them: the options k6 would
 * apply (taken from the bundle's own `options`), the execution context (`__VU`, the current
 * scenario) and a log of every request and check, for the test to assert on.
 */
export interface StandinRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  vu: number;
  scenario: string;
  status: number;
  error?: string;
  errorCode?: number;
  /** Which TCP connection carried it: a new id for every socket the client opened. */
  socketId?: number;
  durationMs: number;
}

export interface StandinState {
  /** From the bundle's options: k6 applies these to every request. */
  noConnectionReuse: boolean;
  discardResponseBodies: boolean;
  vu: number;
  iter: number;
  scenario: string;
  requests: StandinRequest[];
  checks: Record<string, { passes: number; fails: number }>;
}

export const state: StandinState = {
  noConnectionReuse: false,
  discardResponseBodies: false,
  vu: 0,
  iter: 0,
  scenario: 'default',
  requests: [],
  checks: {},
};

export function resetState(): void {
  state.requests = [];
  state.checks = {};
  state.vu = 0;
  state.iter = 0;
  state.scenario = 'default';
}
