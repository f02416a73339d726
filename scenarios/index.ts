import type { ScenarioDefinition } from '../src/load/phases.ts';
import type { RunOptions, ScenarioName } from '../src/options/run-options.ts';
import burst from './burst.ts';
import idle from './idle.ts';

export const scenarios: Record<ScenarioName, ScenarioDefinition<RunOptions>> = { idle, burst };
