/**
 * Where the pack's own files are, and where it keeps what it builds. The same code runs from a
 * git checkout (TypeScript through tsx, scripts/leakbench.ts) and from the installed package
 * (JavaScript bundled into dist/), and the two sit at different depths below the package root,
 * so the root is found by walking up to leakbench's package.json rather than by a fixed '../..'.
 *
 * Files of the package (the bundled target's Go sources, the k6 bundles, package.json) are read
 * relative to that root. What the user asks for (run directories, --out) is relative to the
 * caller's working directory, as any CLI's paths are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding leakbench's package.json, searched upwards from `start`. */
export function findPackageRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'leakbench') return dir;
      } catch {
        // an unreadable package.json on the way up is not ours; keep looking
      }
    }
    if (dirname(dir) === dir) throw new Error(`leakbench: no package.json named leakbench above ${start}`);
  }
}

const HERE = fileURLToPath(import.meta.url);

export const PACKAGE_ROOT = findPackageRoot(dirname(HERE));

/** True under tsx (scripts/leakbench.ts and src/*.ts), false in the built dist/*.js. */
export const RUNNING_FROM_SOURCE = HERE.endsWith('.ts');

/** The report's Gin server, built on demand (src/target/bundled-build.ts). */
export const BUNDLED_TARGET_DIR = join(PACKAGE_ROOT, 'targets', 'gin-health-check');

/** What user scenario files import as 'leakbench': the phase helpers, as source or built. */
export const SCENARIO_API_MODULE = RUNNING_FROM_SOURCE
  ? join(PACKAGE_ROOT, 'src', 'scenario-api.ts')
  : join(PACKAGE_ROOT, 'dist', 'index.js');

/**
 * Where builds of the bundled target are kept unless $LEAKBENCH_CACHE_DIR says otherwise.
 * In a git checkout: .cache/targets in the checkout, as the npm scripts always did. In an
 * installed package: the user's cache directory ($XDG_CACHE_HOME or ~/.cache, then
 * leakbench/targets), because node_modules is wiped by every `npm ci` and may not be writable,
 * the caller's working directory is their own repository (a .cache/ there shows up in git
 * status), and a build depends only on the sources and `go version` (both in its hash), so one
 * build serves every project on the machine.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, root = PACKAGE_ROOT): string {
  if (env.LEAKBENCH_CACHE_DIR) return env.LEAKBENCH_CACHE_DIR;
  if (existsSync(join(root, '.git'))) return join(root, '.cache', 'targets');
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'leakbench', 'targets');
}

export function packageVersion(root = PACKAGE_ROOT): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** How to start this package's CLI as a child process: the built file, or the source under tsx. */
export function cliCommand(): string[] {
  return RUNNING_FROM_SOURCE
    ? [process.execPath, '--import', 'tsx', join(PACKAGE_ROOT, 'scripts', 'leakbench.ts')]
    : [process.execPath, join(PACKAGE_ROOT, 'dist', 'leakbench.js')];
}
