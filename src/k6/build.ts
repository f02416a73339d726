/**
 * Bundles scenarios/k6/*.ts into dist/k6/*.js for k6: ES modules (k6 runs them natively),
 * `k6` and `k6/*` left as imports for k6 to provide, nothing from Node (platform "neutral"
 * makes a Node built-in an unresolved import, so the build fails instead of shipping one),
 * and a source map next to each bundle so k6's stack traces point at the TypeScript.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { LeakbenchError } from '../errors.ts';
import { PACKAGE_ROOT as REPO_ROOT } from '../package-paths.ts';

export const K6_SOURCE_DIR = join(REPO_ROOT, 'scenarios', 'k6');
export const K6_DIST_DIR = join(REPO_ROOT, 'dist', 'k6');

/** One entry per scenario: scenarios/k6/<name>.ts (lib/ and tsconfig.json are not entries). */
export function k6Entries(dir = K6_SOURCE_DIR): string[] {
  if (!existsSync(dir)) throw new LeakbenchError(`${dir}: the k6 scripts are missing`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => join(dir, f));
}

export function k6BuildOptions(outdir: string, entryPoints: string[]): BuildOptions {
  return {
    entryPoints,
    outdir,
    absWorkingDir: REPO_ROOT,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    // goja/sobek, k6's runtime, implements ES2020 and most of what came after; staying at
    // ES2020 keeps newer syntax from reaching an older k6.
    target: 'es2020',
    external: ['k6', 'k6/*'],
    sourcemap: 'linked',
    // k6 reads the bundle's own files from a ConfigMap: ASCII keeps them byte-exact in YAML/JSON.
    charset: 'ascii',
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
  };
}

export interface K6BuildResult {
  outdir: string;
  /** Bundles written, absolute paths. */
  bundles: string[];
  metafile: Metafile;
}

export async function buildK6(outdir = K6_DIST_DIR, entryPoints = k6Entries()): Promise<K6BuildResult> {
  let metafile: Metafile | undefined;
  try {
    ({ metafile } = await build(k6BuildOptions(outdir, entryPoints)));
  } catch (err) {
    const errors =
      (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const first = errors[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new LeakbenchError(`build:k6: ${where}${first?.text ?? (err as Error).message}`);
  }
  const bundles = Object.keys(metafile!.outputs)
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(REPO_ROOT, f));
  return { outdir, bundles, metafile: metafile! };
}

export function describeBuild(r: K6BuildResult): string {
  const show = (p: string) => relative(process.cwd(), p) || p;
  return r.bundles
    .map((b) => `wrote ${show(b)} (${r.metafile.outputs[relative(REPO_ROOT, b)]?.bytes ?? '?'} bytes) and its .map`)
    .join('\n');
}
