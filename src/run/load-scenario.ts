import { scenarios } from '../../scenarios/index.ts';
import { UsageError } from '../errors.ts';
import type { PhaseSpec, RequestMix, ScenarioDefinition, ScenarioParams } from '../load/phases.ts';
import { importScenarioFile } from './import-scenario-file.ts';
import { mixProblem } from '../options/request-def.ts';
import { findPhaseKind, phaseKindList } from '../phases/kinds.ts';

/** A built-in scenario by name, or the default export of a user's scenario file. */
export async function loadScenario(name: string, file?: string): Promise<ScenarioDefinition> {
  if (!file) {
    const def = (scenarios as Record<string, ScenarioDefinition>)[name];
    if (!def) throw new UsageError(`--scenario: unknown scenario ${JSON.stringify(name)}`);
    return def;
  }
  let mod: { default?: unknown };
  try {
    mod = await importScenarioFile(file);
  } catch (err) {
    throw new UsageError(`scenario: cannot load ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const def = mod.default as Partial<ScenarioDefinition> | undefined;
  if (!def || typeof def !== 'object' || typeof def.name !== 'string' || typeof def.phases !== 'function') {
    throw new UsageError(
      `scenario: ${file} must export default defineScenario({ name, description, phases(params) { return [...] } })`,
    );
  }
  return { name: def.name, description: def.description ?? '', phases: def.phases };
}

/** Checks what a scenario's phases() returned, so a mistake in a user's file is named plainly. */
export function buildPhases(def: ScenarioDefinition, params: ScenarioParams): PhaseSpec[] {
  const all = def.phases(params);
  if (!Array.isArray(all)) throw new UsageError(`scenario ${def.name}: phases() must return an array of phases`);
  // A phase of zero length (e.g. --idle-before 0s) is simply left out.
  const phases = all.filter((p) => !(p && findPhaseKind(p.kind)?.isEmpty?.(p)));
  if (phases.length === 0) throw new UsageError(`scenario ${def.name}: phases() must return at least one phase`);
  const names = new Set<string>();
  for (const [i, p] of phases.entries()) {
    const where = `scenario ${def.name}: phase ${i + 1}`;
    if (!p || typeof p.name !== 'string' || !/^[A-Za-z0-9][\w.-]{0,39}$/.test(p.name))
      throw new UsageError(`${where}: name must be 1-40 letters, digits, dots, dashes or underscores`);
    if (names.has(p.name)) throw new UsageError(`${where}: name ${JSON.stringify(p.name)} is used twice`);
    names.add(p.name);
    const problem = phaseProblem(p);
    if (problem) throw new UsageError(`${where}${problem.named ? ` (${p.name})` : ''}: ${problem.text}`);
  }
  return phases;
}

/** What is wrong with one phase: its kind, then what every driven phase needs, then the kind's own rules. */
function phaseProblem(p: PhaseSpec): { text: string; named: boolean } | undefined {
  const kind = findPhaseKind(p.kind);
  if (!kind) return { text: `kind must be ${phaseKindList()}`, named: false };
  if (kind.drivesLoad) {
    // From a user's file: any field may be missing whatever the type says.
    const d = p as { path?: unknown; mix?: RequestMix };
    if (typeof d.path !== 'string' || !d.path.startsWith('/')) return { text: 'path must start with /', named: true };
    const bad = d.mix === undefined ? undefined : mixProblem(d.mix);
    if (bad) return { text: bad, named: true };
  }
  const bad = kind.problem(p);
  return bad ? { text: bad, named: true } : undefined;
}
