import type { ScenarioDefinition } from '../src/load/phases.ts';
import burst from './burst.ts';
import idle from './idle.ts';
import soak from './soak.ts';
import steady from './steady.ts';

/** The built-in scenarios, by name. A user's own file is loaded with loadScenarioFile(). */
export const scenarios = { idle, burst, soak, steady } satisfies Record<string, ScenarioDefinition>;
export type BuiltInScenario = keyof typeof scenarios;
