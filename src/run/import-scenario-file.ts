/**
 * Loads a user's scenario file. A .js or .mjs file is imported as it is. A .ts file is bundled
 * by esbuild first (types stripped, its relative imports followed, 'leakbench' pointed at this
 * package's own phase helpers), because the installed package runs as plain JavaScript on Node
 * 20, which cannot import TypeScript, and must not need a TypeScript toolchain at run time.
 * esbuild is a dependency anyway (build-k6 uses it); it only strips types and does not check
 * them (`tsc --noEmit` on the file does).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SCENARIO_API_MODULE } from '../package-paths.ts';

export async function importScenarioFile(file: string): Promise<{ default?: unknown }> {
  if (!file.endsWith('.ts')) return (await import(pathToFileURL(file).href)) as { default?: unknown };
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // A CommonJS package bundled into an ES module still calls require() for Node built-ins.
    banner: {
      js: "import { createRequire as __leakbenchCreateRequire } from 'node:module'; const require = __leakbenchCreateRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'leakbench-api',
        setup(b) {
          b.onResolve({ filter: /^leakbench$/ }, () => ({ path: SCENARIO_API_MODULE }));
        },
      },
    ],
  }).catch((err: unknown) => {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] })
      .errors?.[0];
    throw new Error(
      first
        ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}`
        : (err as Error).message,
    );
  });
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-scenario-'));
  try {
    const bundled = join(dir, 'scenario.mjs');
    writeFileSync(bundled, result.outputFiles[0]!.contents);
    return (await import(pathToFileURL(bundled).href)) as { default?: unknown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
