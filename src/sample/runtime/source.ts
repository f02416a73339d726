import type { AllocationSite, RuntimeName, RuntimeOrigin, Sample, SitesOrigin } from '../../rundir/schema.ts';

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
  /**
   * Live memory by the code that allocated it, read at a phase end at rest right after
   * collect() (src/analyse/alloc-sites.ts diffs two of them). Absent where the runtime has no
   * such profiler within reach.
   */
  sites?(): Promise<SitesProfile | Unavailable>;
  close(): Promise<void>;
  /** What an open source will not give, and why (run.json target.runtimeSources, the report's caveats). */
  note?: string;
}

// The sites' types are the run directory's (sites.ndjson): defined in src/rundir/schema.ts.
export type { AllocationSite, SitesOrigin } from '../../rundir/schema.ts';

export interface SitesProfile {
  origin: SitesOrigin;
  sites: AllocationSite[];
  /** How the figures were measured, in words (e.g. "sampled every 512 KiB of allocation"). */
  method: string;
  /**
   * The whole profile's live bytes and objects, all sites together (`sites` may keep only the
   * largest): what a site's share of the heap's growth is taken of. Absent where not known.
   */
  totalBytes?: number;
  totalObjects?: number;
  /** The profile as the runtime gave it, kept in the run directory for its usual tool. */
  /** `extension` without its leading dot (pb.gz, heapprofile, histo.txt). */
  raw: { extension: string; contents: Buffer | string; openWith: string };
}

export function isUnavailable<T extends object>(x: T | Unavailable): x is Unavailable {
  return 'unavailable' in x;
}
