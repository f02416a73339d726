import { scenarios } from '../../scenarios/index.ts';
import { UsageError } from '../errors.ts';
import type { PhaseSpec, ScenarioDefinition, ScenarioParams } from '../load/phases.ts';
import { connectionsExceedRequests } from '../options/rules.ts';
import { importScenarioFile } from './import-scenario-file.ts';
import { mixProblem } from '../options/request-def.ts';
import { steadyProblem } from '../load/steady-schedule.ts';

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
  const phases = all.filter((p) => !(p?.kind === 'idle' && p.durationMs === 0));
  if (phases.length === 0) throw new UsageError(`scenario ${def.name}: phases() must return at least one phase`);
  const names = new Set<string>();
  for (const [i, p] of phases.entries()) {
    const where = `scenario ${def.name}: phase ${i + 1}`;
    if (!p || typeof p.name !== 'string' || !/^[A-Za-z0-9][\w.-]{0,39}$/.test(p.name))
      throw new UsageError(`${where}: name must be 1-40 letters, digits, dots, dashes or underscores`);
    if (names.has(p.name)) throw new UsageError(`${where}: name ${JSON.stringify(p.name)} is used twice`);
    names.add(p.name);
    if (typeof p.path !== 'string' || !p.path.startsWith('/'))
      throw new UsageError(`${where} (${p.name}): path must start with /`);
    const bad = p.mix === undefined ? undefined : mixProblem(p.mix);
    if (bad) throw new UsageError(`${where} (${p.name}): ${bad}`);
    if (p.kind === 'idle') {
      if (!(p.rate > 0) || !(p.durationMs > 0) || !(p.timeoutMs > 0))
        throw new UsageError(`${where} (${p.name}): idle needs rate, durationMs and timeoutMs greater than 0`);
    } else if (p.kind === 'burst') {
      if (
        !Number.isInteger(p.requests) ||
        p.requests <= 0 ||
        !Number.isInteger(p.connections) ||
        p.connections <= 0 ||
        !(p.timeoutMs > 0)
      ) {
        throw new UsageError(
          `${where} (${p.name}): burst needs whole requests and connections greater than 0, and timeoutMs`,
        );
      }
      const tooMany = connectionsExceedRequests(p.connections, p.requests);
      if (tooMany) throw new UsageError(`${where} (${p.name}): ${tooMany}`);
    } else if (p.kind === 'steady') {
      const bad = steadyProblem(p);
      if (bad) throw new UsageError(`${where} (${p.name}): ${bad}`);
    } else {
      throw new UsageError(`${where}: kind must be "idle", "burst" or "steady"`);
    }
  }
  return phases;
}
