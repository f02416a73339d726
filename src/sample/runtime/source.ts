import type { RuntimeName, RuntimeOrigin, Sample } from '../../rundir/schema.ts';

/**
 * The contract between the runtime sources (Go gctrace and pprof, the Node.js inspector,
 * HotSpot's hsperfdata and attach API, the Python startup hook) and the run: each reads a
 * runtime's own account of its heap with no change to the target's code. A probe prepares a
 * launch (environment, stderr lines it owns) and, once the target's pid is known and its
 * runtime identified, opens a source or says why it cannot.
 */
export interface RuntimeProbe {
  origin: RuntimeOrigin;
  /** The runtimes it can read; it is not opened for others. */
  runtimes: readonly RuntimeName[];
  /**
   * Variables to set for a target the pack starts. A user's own value is extended, never
   * replaced (GODEBUG=a=1 becomes GODEBUG=a=1,gctrace=1; NODE_OPTIONS gains a flag).
   */
  launchEnv?(userEnv: NodeJS.ProcessEnv): Record<string, string>;
  /** Whether the probe may open on a process the pack did not start (`--pid`). */
  attachable: boolean;
  open(target: ProbeTarget): Promise<RuntimeSource | Unavailable>;
}

export interface ProbeTarget {
  pid: number;
  runtime: RuntimeName | 'unknown';
  /** True when the pack started it (launchEnv was applied). */
  launched: boolean;
  /** The target's stderr lines as they come (launched targets only); the source says which it consumed. */
  stderrLines?: StderrTap;
  /** The target's /debug/pprof base URL, when one answers. */
  pprofUrl?: string;
}

export interface StderrTap {
  /** `consume` returns true for a line that is the source's own (kept out of target.log's main stream). */
  subscribe(consume: (line: string) => boolean): void;
}

/** Why a source could not open: said in the report, the run goes on. */
export interface Unavailable {
  unavailable: string;
}

export interface RuntimeSource {
  origin: RuntimeOrigin;
  /** Figures now, in samples/3's runtime fields (gcTrace*, pprof*, insp*, hs*, py*). */
  read(): Promise<Partial<Sample>>;
  /**
   * Ask the runtime for a full collection and read the figures after it (only at rest, never
   * during a burst). Absent where the runtime cannot be asked.
   */
  collect?(): Promise<Partial<Sample>>;
  close(): Promise<void>;
}

export function isUnavailable(x: RuntimeSource | Unavailable): x is Unavailable {
  return 'unavailable' in x;
}
