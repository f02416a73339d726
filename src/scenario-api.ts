/**
 * What a user's scenario file imports as 'leakbench' (`import { defineScenario, idlePhase,
 * burstPhase } from 'leakbench'`): the package's one public module, built to dist/index.js.
 */
export { burstPhase, defineScenario, idlePhase } from './load/phases.ts';
export type { BurstPhaseSpec, IdlePhaseSpec, PhaseSpec, ScenarioDefinition, ScenarioParams } from './load/phases.ts';
