import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../../package-paths.ts';
import type { Sample } from '../../rundir/schema.ts';
import { prependPathList } from './env.ts';
import type { AllocationSite, ProbeTarget, RuntimeProbe, RuntimeSource, SitesProfile, Unavailable } from './source.ts';

/** Shipped in the package ("files" in package.json), read in place from source and installed trees. */
export const PYTHON_HOOK_DIR = join(PACKAGE_ROOT, 'src', 'sample', 'runtime', 'python');

/**
 * One directory per pack process for the hooks' sockets: a Unix socket needs no port, is
 * reachable only on this machine, and its path is short enough (sun_path is 108 bytes).
 */
let socketDir: string | undefined;
function hookSocketDir(): string {
  socketDir ??= mkdtempSync(join(tmpdir(), 'leakbench-py-'));
  return socketDir;
}

export function removeHookSocketDir(): void {
  if (socketDir) rmSync(socketDir, { recursive: true, force: true });
  socketDir = undefined;
}

/** One request for figures, one JSON line back. */
export async function askHook(path: string, request: 'read' | 'collect', timeoutMs: number): Promise<Partial<Sample>> {
  const v = await askHookJson(path, request, timeoutMs);
  const out: Partial<Sample> = {};
  for (const k of ['pyTracedBytes', 'pyAllocatedBlocks', 'pyGcCollections'] as const)
    if (typeof v[k] === 'number') out[k] = v[k];
  return out;
}

/** One request, one JSON object back. */
function askHookJson(
  path: string,
  request: 'read' | 'collect' | 'sites',
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`python hook ${path}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${request}\n`));
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`python hook ${path}: ${err.message}`));
    });
    socket.on('close', () => {
      clearTimeout(timer);
      let v: unknown;
      try {
        v = JSON.parse(data);
      } catch {
        v = undefined;
      }
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) resolve(v as Record<string, unknown>);
      else {
        reject(new Error(`python hook ${path}: not a JSON answer (${data.slice(0, 80)})`));
      }
    });
  });
}

async function waitForSocket(path: string, ms: number): Promise<Partial<Sample> | Error> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await askHook(path, 'read', 1000);
    } catch (err) {
      if (Date.now() >= until) return err as Error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The startup hook for a Python target the pack starts. With `trace`, it starts tracemalloc (one
 * frame) before the target's code runs: the traced heap figure and allocation sites, at a cost
 * (docs/allocation-sites.md); without, it answers with the allocator's and gc's counts only.
 */
export function pythonHook(options: { trace: boolean }): RuntimeProbe {
  return {
    origin: 'python-hook',
    runtimes: ['python'],
    attachable: false,
    launchEnv: (env) => ({
      PYTHONPATH: prependPathList(env.PYTHONPATH, PYTHON_HOOK_DIR),
      LEAKBENCH_PYHOOK_DIR: hookSocketDir(),
      ...(options.trace && { LEAKBENCH_PYHOOK_TRACE: '1' }),
    }),
    open: (target) => openHook(target, options.trace),
  };
}

/** The hook with tracemalloc on (--sites on). */
export const pythonHookProbe: RuntimeProbe = pythonHook({ trace: true });

const NOT_TRACING =
  'Python allocation sites need tracemalloc, which the pack does not start with --sites off (it multiplies the CPU a Python target spends per allocation; docs/allocation-sites.md)';

async function openHook(target: ProbeTarget, trace: boolean): Promise<RuntimeSource | Unavailable> {
  if (!target.launched)
    return {
      unavailable:
        'Python heap (tracemalloc) figures: the pack did not start this process, and its startup hook can only be placed at start',
    };
  const path = join(hookSocketDir(), `py-${target.pid}.sock`);
  const first = await waitForSocket(path, 2000);
  if (first instanceof Error)
    return {
      unavailable: `Python heap (tracemalloc) figures: the startup hook did not answer (${first.message}); was PYTHONPATH or -I/-S/-E given to the interpreter?`,
    };
  return {
    origin: 'python-hook',
    read: () => askHook(path, 'read', 1000),
    collect: () => askHook(path, 'collect', 10_000),
    sites: () => (trace ? hookSites(path) : Promise.resolve({ unavailable: NOT_TRACING })),
    close: () => Promise.resolve(),
  };
}

/** A snapshot of a large heap takes a while to group by line; at rest it may. */
const SITES_TIMEOUT_MS = 30_000;

/**
 * Live memory by allocating line, from the hook's tracemalloc snapshot. The snapshot's dump
 * (a pickle that tracemalloc.Snapshot.load reads) is read and removed from the socket directory.
 */
export async function hookSites(path: string): Promise<SitesProfile | Unavailable> {
  let v: Record<string, unknown>;
  try {
    v = await askHookJson(path, 'sites', SITES_TIMEOUT_MS);
  } catch (err) {
    return { unavailable: `Python allocation sites (tracemalloc): ${(err as Error).message}` };
  }
  if (typeof v.unavailable === 'string') return { unavailable: `Python allocation sites: ${v.unavailable}` };
  return parseHookSites(v, readDump(v.raw));
}

function readDump(raw: unknown): Buffer | undefined {
  // Only a file in the hooks' own directory: the answer comes from a process the pack did not write.
  if (typeof raw !== 'string' || dirname(raw) !== hookSocketDir()) return undefined;
  try {
    return readFileSync(raw);
  } catch {
    return undefined;
  } finally {
    rmSync(raw, { force: true });
  }
}

/** The hook's 'sites' answer as a SitesProfile; pure, for tests. */
export function parseHookSites(v: Record<string, unknown>, dump: Buffer | undefined): SitesProfile | Unavailable {
  if (!Array.isArray(v.sites))
    return {
      unavailable: `Python allocation sites: the hook's answer has no list of sites (${JSON.stringify(v).slice(0, 80)})`,
    };
  const sites: AllocationSite[] = [];
  for (const s of v.sites as unknown[]) {
    if (typeof s !== 'object' || s === null) continue;
    const { site, bytes, objects } = s as Record<string, unknown>;
    if (typeof site !== 'string' || typeof bytes !== 'number') continue;
    sites.push({ site, kind: 'function', bytes, ...(typeof objects === 'number' && { objects }) });
  }
  const frames = typeof v.frames === 'number' ? v.frames : 1;
  return {
    origin: 'tracemalloc',
    sites,
    ...(typeof v.totalBytes === 'number' && { totalBytes: v.totalBytes }),
    ...(typeof v.totalObjects === 'number' && { totalObjects: v.totalObjects }),
    method: `tracemalloc snapshot after gc.collect(): every live allocation traced since the interpreter started (${frames} frame${frames === 1 ? '' : 's'} a trace), grouped by the line that allocated it`,
    raw: dump
      ? {
          extension: 'tracemalloc.pickle',
          contents: dump,
          openWith:
            'python3 -c "import sys, tracemalloc; [print(s) for s in tracemalloc.Snapshot.load(sys.argv[1]).statistics(\'lineno\')[:20]]"',
        }
      : {
          extension: 'tracemalloc.json',
          contents: JSON.stringify(v),
          openWith:
            'any JSON viewer (the snapshot had too many traces to keep whole: these are its statistics by line)',
        },
  };
}
