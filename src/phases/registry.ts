/**
 * The registry of phase kinds, the way k6 registers its executors: each kind's file
 * (src/phases/<kind>.ts) calls registerPhaseKind() with its defaults, validation, description,
 * console line, how the analysis reads it and how it becomes a k6 scenario; its Node runner
 * (src/phases/<kind>.run.ts) registers separately, so this side stays free of Node imports and
 * the k6 bundle can use it. Scenarios (scenarios/*.ts, users' files) compose the kinds' phases.
 */
import type { PhaseSpec } from '../load/phases.ts';
import type { K6PhaseMapping } from './k6.ts';

/**
 * How the analysis fits memory in a phase (src/analyse/windows.ts): `idle` against time
 * (bytes per hour: at rest, or at a fixed rate), `burst` against completed requests (bytes per
 * 1,000 requests: under load, as fast as answered).
 */
export type AnalysisWindow = 'idle' | 'burst';

export interface PhaseKindDecl<S extends PhaseSpec = PhaseSpec> {
  kind: S['kind'];
  /** One line for --help and docs/phases.md. */
  description: string;
  /** False for a phase the pack watches but does not drive (no request goes out). */
  drivesLoad: boolean;
  /** How the analysis reads the phase. */
  window: AnalysisWindow;
  /** Its requests are probes on new connections, recorded one by one in probes.ndjson. */
  recordsProbes: boolean;
  /** An smaps snapshot when it ends (`after-<name>`); a phase that spans the whole run has the `end` one. */
  snapshotAfter: boolean;
  /** The phase is left out of the run (e.g. an idle phase of zero length, from --idle-before 0s). */
  isEmpty?(p: S): boolean;
  /** What is wrong with a phase of this kind (a user's file, a flag), or undefined. */
  problem(p: S): string | undefined;
  /** The console line at its start; `what` names the requests (never header values). */
  describe(p: S, what: string): string;
  /** How many requests it is meant to send (a k6 run's "requested"); undefined for a phase that sends none. */
  plannedRequests(p: S): number | undefined;
  /** How long it will last when known ahead (the live view's planned length), else undefined. */
  plannedMs(p: S): number | undefined;
  /** How it becomes a k6 scenario; absent for a kind k6 cannot run. */
  k6?: K6PhaseMapping<S>;
}

const kinds = new Map<string, PhaseKindDecl>();

/** Called once by each kind's file as it is imported. */
export function registerPhaseKind<S extends PhaseSpec>(decl: PhaseKindDecl<S>): PhaseKindDecl<S> {
  if (kinds.has(decl.kind)) throw new Error(`phase kind ${JSON.stringify(decl.kind)} is registered twice`);
  kinds.set(decl.kind, decl as unknown as PhaseKindDecl);
  return decl;
}

/** The declaration of a registered kind, or undefined (a run.json from elsewhere, a typo in a file). */
export function findPhaseKind(kind: unknown): PhaseKindDecl | undefined {
  return typeof kind === 'string' ? kinds.get(kind) : undefined;
}

/** The declaration of `p`'s kind; the phase was checked, so the kind exists. */
export function phaseKindOf<S extends PhaseSpec>(p: S): PhaseKindDecl<S> {
  const decl = kinds.get(p.kind);
  if (!decl) throw new Error(`phase kind ${JSON.stringify(p.kind)} is not registered`);
  return decl as unknown as PhaseKindDecl<S>;
}

/** Every registered kind's name, in registration order: `"idle", "burst" or "steady"` in messages. */
export function phaseKindNames(): string[] {
  return [...kinds.keys()];
}

export function phaseKindList(): string {
  const names = phaseKindNames().map((k) => JSON.stringify(k));
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
