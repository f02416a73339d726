import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LeakbenchError } from '../errors.ts';

/**
 * The script of the interactive report and the live view: Chart.js, its annotation and zoom
 * plugins, and the chart definitions of memory-chart.ts and load-chart.ts, bundled by esbuild
 * into one script that is inlined in the page (no network, opens from file://). Built once per
 * process; about 0.2 s.
 */
let cached: Promise<string> | undefined;

export function browserBundle(): Promise<string> {
  cached ??= bundle().catch((err: unknown) => {
    cached = undefined;
    throw new LeakbenchError(`could not bundle the interactive charts: ${(err as Error).message}`);
  });
  return cached;
}

async function bundle(): Promise<string> {
  const entry = fileURLToPath(new URL('./browser/main.ts', import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]?.text;
  if (text === undefined) throw new Error('esbuild wrote nothing');
  // Inlined in a <script> element: the one sequence that would end it early must not occur.
  if (/<\/script/i.test(text)) throw new Error('the bundle contains "</script"');
  return text;
}

let workerSource: Promise<string> | undefined;

/**
 * The live view's analysis worker (src/live/analysis-worker.ts) as one CommonJS script, for
 * `new Worker(source, { eval: true })`: a worker does not inherit the TypeScript loader the
 * pack runs under, so it gets its code bundled, like the pages do.
 */
export function analysisWorkerSource(): Promise<string> {
  workerSource ??= build({
    entryPoints: [fileURLToPath(new URL('../live/analysis-worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  }).then(
    (r) => r.outputFiles[0]!.text,
    (err: unknown) => {
      workerSource = undefined;
      throw new LeakbenchError(`could not bundle the live analysis: ${(err as Error).message}`);
    },
  );
  return workerSource;
}

/** JSON for a <script type="application/json"> element: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
