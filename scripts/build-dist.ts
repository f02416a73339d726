/**
 * Builds what the published package runs, so that someone who installs it needs no TypeScript
 * toolchain: the CLI, the GitHub Action's step and the scenario helpers as ES modules for Node
 * 20 in dist/ (npm dependencies stay imports, installed beside the package; @napi-rs/canvas
 * and esbuild have native parts and could not be bundled anyway), and the k6 scripts in
 * dist/k6/. `npm run build`; `prepare` and `prepack` run it, so `npm ci` in a checkout and
 * `npm pack` both leave a complete dist/.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildK6, describeBuild, K6_DIST_DIR } from '../src/k6/build.ts';
import { PACKAGE_ROOT } from '../src/package-paths.ts';
import { bundleOptions, SCRIPT_BUNDLE_DIR, SCRIPT_BUNDLES, type ScriptBundleName } from '../src/script-bundles.ts';

const DIST = join(PACKAGE_ROOT, 'dist');

/** Entry points by output name: dist/<name>.js. */
const DIST_ENTRIES = {
  leakbench: 'scripts/leakbench.ts',
  'github-action': 'scripts/github-action.ts',
  index: 'src/scenario-api.ts',
} as const;

/**
 * dist/index.d.ts, so a user's scenario file type-checks against the installed package:
 * src/scenario-api.ts re-exports src/load/phases.ts whole, and phases.ts imports nothing, so
 * its declarations are the module's. An import appearing there would break that: stop then.
 */
function writeScenarioTypes(): void {
  const out = mkdtempSync(join(tmpdir(), 'leakbench-dts-'));
  try {
    execFileSync(
      process.execPath,
      [
        createRequire(import.meta.url).resolve('typescript/bin/tsc'),
        '--ignoreConfig',
        join(PACKAGE_ROOT, 'src', 'load', 'phases.ts'),
        '--declaration',
        '--emitDeclarationOnly',
        '--outDir',
        out,
        '--module',
        'nodenext',
        '--target',
        'es2022',
        '--strict',
        '--skipLibCheck',
        '--types',
        'node',
      ],
      { stdio: 'inherit' },
    );
    const dts = readFileSync(join(out, 'phases.d.ts'), 'utf8');
    if (/^(import|export .* from )/m.test(dts))
      throw new Error('src/load/phases.ts now imports other modules: dist/index.d.ts needs a real declaration bundle');
    writeFileSync(join(DIST, 'index.d.ts'), dts);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // dist/k6 is written by buildK6 below; everything else in dist/ is this build's.
  rmSync(DIST, { recursive: true, force: true });
  const result = await build({
    entryPoints: Object.entries(DIST_ENTRIES).map(([out, entry]) => ({ in: join(PACKAGE_ROOT, entry), out })),
    outdir: DIST,
    absWorkingDir: PACKAGE_ROOT,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  // scripts/leakbench.ts starts with a tsx shebang for running it from a checkout; the built
  // file is run by node (npm's bin shim on Windows, the shebang everywhere else).
  const cli = join(DIST, 'leakbench.js');
  writeFileSync(
    cli,
    readFileSync(cli, 'utf8')
      .replace(/^#!.*\n/, '')
      .replace(/^/, '#!/usr/bin/env node\n'),
  );
  chmodSync(cli, 0o755);
  writeScenarioTypes();
  // The scripts that run outside the CLI's module graph (worker threads, the report's page):
  // the installed package has no src/ to bundle them from at run time.
  mkdirSync(SCRIPT_BUNDLE_DIR, { recursive: true });
  for (const name of Object.keys(SCRIPT_BUNDLES) as ScriptBundleName[]) {
    const out = await build(bundleOptions(name));
    writeFileSync(join(SCRIPT_BUNDLE_DIR, `${name}.js`), out.outputFiles[0]!.text);
  }
  const k6 = await buildK6(K6_DIST_DIR);
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([f]) => f.endsWith('.js'))
    .reduce((n, [, o]) => n + o.bytes, 0);
  process.stderr.write(
    `wrote dist/ (${Object.keys(DIST_ENTRIES).join(', ')} and chunks, ${(bytes / 1024).toFixed(0)} KiB of JavaScript)\n${describeBuild(k6)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`build: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
