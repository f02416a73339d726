/**
 * Code the pack runs outside its own module graph: the burst engine's worker threads, the live
 * view's analysis worker (workers do not inherit the TypeScript loader the pack runs under) and
 * the script inlined in the interactive report and the live page (it runs in a browser). Each is
 * one self-contained script. From a checkout esbuild bundles it from src/ on first use; the
 * installed package has no src/, so `npm run build` (scripts/build-dist.ts) writes the same
 * bundles to dist/scripts/ and they are read from there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, buildSync, type BuildOptions } from 'esbuild';
import { PACKAGE_ROOT, RUNNING_FROM_SOURCE } from './package-paths.ts';

export const SCRIPT_BUNDLES = {
  /** A shard of the net burst engine (src/load/burst-threads.ts). */
  'burst-worker': {
    entry: 'src/load/burst-worker.ts',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['esbuild'],
  },
  /** The live view's provisional analysis (src/live/live-server.ts). */
  'analysis-worker': { entry: 'src/live/analysis-worker.ts', format: 'cjs', platform: 'node', target: 'node20' },
  /** Chart.js, its plugins and the chart definitions, for index.html and the live page. */
  'report-browser': {
    entry: 'src/report/browser/main.ts',
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
  },
} as const satisfies Record<
  string,
  { entry: string } & Pick<BuildOptions, 'format' | 'platform' | 'target' | 'minify' | 'external'>
>;

export type ScriptBundleName = keyof typeof SCRIPT_BUNDLES;

/** Where the installed package keeps its prebuilt bundles. */
export const SCRIPT_BUNDLE_DIR = join(PACKAGE_ROOT, 'dist', 'scripts');

/** The esbuild options of one bundle, written to memory. */
export function bundleOptions(name: ScriptBundleName): BuildOptions & { write: false } {
  const { entry, ...rest } = SCRIPT_BUNDLES[name];
  return {
    ...rest,
    external: [...('external' in rest ? rest.external : [])],
    entryPoints: [join(PACKAGE_ROOT, entry)],
    bundle: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  };
}

function prebuilt(name: ScriptBundleName): string | undefined {
  const file = join(SCRIPT_BUNDLE_DIR, `${name}.js`);
  return !RUNNING_FROM_SOURCE && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

const cache = new Map<ScriptBundleName, Promise<string>>();

/** The bundle's code, built (or read) once per process. */
export function scriptBundle(name: ScriptBundleName): Promise<string> {
  let p = cache.get(name);
  if (p === undefined) {
    const ready = prebuilt(name);
    p =
      ready !== undefined ? Promise.resolve(ready) : build(bundleOptions(name)).then((r) => outputText(r.outputFiles));
    p.catch(() => cache.delete(name));
    cache.set(name, p);
  }
  return p;
}

/** The same, synchronously: for the burst engine, which starts its threads in a sync path. */
export function scriptBundleSync(name: ScriptBundleName): string {
  return prebuilt(name) ?? outputText(buildSync(bundleOptions(name)).outputFiles);
}

function outputText(files: readonly { text: string }[] | undefined): string {
  const text = files?.[0]?.text;
  if (text === undefined) throw new Error('esbuild wrote nothing');
  return text;
}
