import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../package-paths.ts';
import type { Sample } from '../../rundir/schema.ts';
import { prependPathList } from './env.ts';
import type { ProbeTarget, RuntimeProbe, RuntimeSource, Unavailable } from './source.ts';

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

/** One request, one JSON line back. */
export function askHook(path: string, request: 'read' | 'collect', timeoutMs: number): Promise<Partial<Sample>> {
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
      try {
        const v = JSON.parse(data) as Record<string, unknown>;
        const out: Partial<Sample> = {};
        for (const k of ['pyTracedBytes', 'pyAllocatedBlocks', 'pyGcCollections'] as const)
          if (typeof v[k] === 'number') out[k] = v[k];
        resolve(out);
      } catch {
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

export const pythonHookProbe: RuntimeProbe = {
  origin: 'python-hook',
  runtimes: ['python'],
  attachable: false,
  launchEnv: (env) => ({
    PYTHONPATH: prependPathList(env.PYTHONPATH, PYTHON_HOOK_DIR),
    LEAKBENCH_PYHOOK_DIR: hookSocketDir(),
  }),
  async open(target: ProbeTarget): Promise<RuntimeSource | Unavailable> {
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
      close: () => Promise.resolve(),
    };
  },
};
