import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LeakbenchError } from '../errors.ts';
import type { Variant } from '../options/run-options.ts';
import { BUNDLED_TARGET_DIR, defaultCacheDir, PACKAGE_ROOT } from '../package-paths.ts';

const run = promisify(execFile);

/** The package's root: the checkout, or node_modules/leakbench when installed (src/package-paths.ts). */
export const REPO_ROOT = PACKAGE_ROOT;
export const TARGET_DIR = BUNDLED_TARGET_DIR;

/** The report's build lines, exactly: `go build -ldflags="-s -w" [-race] -o health-check main.go`. */
export function buildArgs(variant: Variant, output: string): string[] {
  return ['build', '-ldflags=-s -w', ...(variant === 'race' ? ['-race'] : []), '-o', output, '.'];
}

export interface BundledBinary {
  path: string;
  variant: Variant;
  goVersion: string;
  buildArgs: string[];
  cached: boolean;
}

export function cacheRoot(): string {
  return defaultCacheDir();
}

export async function goVersion(): Promise<string> {
  try {
    const { stdout } = await run('go', ['version']);
    return stdout.trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LeakbenchError(
        'go: not found on PATH; the bundled Gin server is built from targets/gin-health-check with Go (and gcc for -race). ' +
          'Install Go, or point the pack at another server: --cmd "<start command>" --url http://127.0.0.1:PORT, ' +
          'or --url URL --pid PID to attach to one that is running.',
      );
    }
    throw new LeakbenchError(`go version failed: ${(err as Error).message}`);
  }
}

/** Sources plus toolchain decide the binary, so a change to either rebuilds and nothing else does. */
export function sourceHash(goVersionLine: string, variant: Variant, dir = TARGET_DIR): string {
  const h = createHash('sha256');
  h.update(goVersionLine).update('\0').update(variant).update('\0');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.go') || f === 'go.mod' || f === 'go.sum')
    .sort();
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(dir, f)))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

export async function ensureBundledBinary(variant: Variant, log: (line: string) => void): Promise<BundledBinary> {
  const version = await goVersion();
  const hash = sourceHash(version, variant);
  const dir = join(cacheRoot(), `gin-health-check-${variant}-${hash}`);
  const path = join(dir, 'health-check');
  const args = buildArgs(variant, path);
  if (existsSync(path)) {
    log(`using cached ${variant} build of targets/gin-health-check (${version.replace(/^go version /, '')}): ${path}`);
    return { path, variant, goVersion: version, buildArgs: args, cached: true };
  }
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `health-check.tmp-${process.pid}`);
  log(
    `building targets/gin-health-check (${variant}): go ${buildArgs(variant, 'health-check').join(' ')} ... (a -race build takes about half a minute)`,
  );
  const started = Date.now();
  try {
    await run('go', buildArgs(variant, tmp), {
      cwd: TARGET_DIR,
      env: { ...process.env, CGO_ENABLED: variant === 'race' ? '1' : (process.env.CGO_ENABLED ?? '1') },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    rmSync(tmp, { force: true });
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? '';
    const hint =
      variant === 'race' && /cgo|gcc|C compiler/i.test(stderr) ? ' (-race needs cgo and a C compiler such as gcc)' : '';
    throw new LeakbenchError(
      `building the bundled target (${variant}) failed${hint}: ${stderr.split('\n').slice(-5).join(' | ') || (err as Error).message}`,
    );
  }
  // Rename last so that an interrupted build never leaves a binary that looks cached.
  renameSync(tmp, path);
  log(`built ${variant} in ${((Date.now() - started) / 1000).toFixed(1)}s: ${path}`);
  return { path, variant, goVersion: version, buildArgs: args, cached: false };
}
