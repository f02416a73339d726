import type { PhaseSpec } from '../load/phases.ts';
import { describeMix } from '../options/request-def.ts';
import { phaseKindOf } from './kinds.ts';

/** The console and events.ndjson line at a phase's start, from its kind's describe(). */
export function describePhase(p: PhaseSpec, baseUrl: URL | undefined): string {
  // Names, methods and paths only: header values (secrets among them) never reach the console.
  const url = baseUrl && 'path' in p ? new URL(p.path, baseUrl) : undefined;
  const what = !url ? '' : 'mix' in p && p.mix ? `${describeMix(p.mix)} against ${url.origin}` : `GET ${url.href}`;
  return phaseKindOf(p).describe(p, what);
}
