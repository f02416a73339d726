import type { RunClock } from '../load/clock.ts';
import { phaseParams, type PhaseSpec, type ScenarioDefinition } from '../load/phases.ts';
import { recordedRunOptions, type RunOptions } from '../options/run-options.ts';
import { redactForRecord } from '../options/secrets.ts';
import { SCHEMA, type RunFile } from '../rundir/schema.ts';
import { toolVersions } from '../rundir/versions.ts';
import type { BundledBinary } from '../target/bundled-build.ts';
import { targetLabel } from './prepare-target.ts';

/** run.json as a run starts: what will be run, against what, with which tools. */
export function startingRunFile(
  def: ScenarioDefinition,
  options: RunOptions,
  phases: readonly PhaseSpec[],
  clock: RunClock,
  binary: BundledBinary | undefined,
): RunFile {
  return {
    schema: SCHEMA.run,
    scenario: def.name,
    status: 'running',
    startedAt: new Date(clock.startedAtMs).toISOString(),
    startedAtMs: clock.startedAtMs,
    options: recordedRunOptions(options),
    target: {
      kind: options.target.kind,
      label: targetLabel(options.target),
      url: 'url' in options.target ? options.target.url.href : '',
    },
    versions: toolVersions(binary?.goVersion),
    phases: phaseRecords(phases, options.secretHeaders),
  };
}

/** run.json's phases before they run: name, kind and parameters. */
export function phaseRecords(phases: readonly PhaseSpec[], secretHeaders?: readonly string[]): RunFile['phases'] {
  // Literal values of secret headers are [redacted]; `{env:NAME}` references stay as written.
  return phases.map((p) => ({ name: p.name, kind: p.kind, params: phaseParams(redactForRecord(p, secretHeaders)) }));
}
