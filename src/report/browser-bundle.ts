import { LeakbenchError } from '../errors.ts';
import { scriptBundle } from '../script-bundles.ts';

/**
 * The script of the interactive report and the live view: Chart.js, its annotation and zoom
 * plugins, and the chart definitions of memory-chart.ts and load-chart.ts, bundled by esbuild
 * into one script that is inlined in the page (no network, opens from file://). Built once per
 * process; about 0.2 s.
 */
export async function browserBundle(): Promise<string> {
  let text: string;
  try {
    text = await scriptBundle('report-browser');
  } catch (err) {
    throw new LeakbenchError(`could not bundle the interactive charts: ${(err as Error).message}`);
  }
  // Inlined in a <script> element: the one sequence that would end it early must not occur.
  if (/<\/script/i.test(text))
    throw new LeakbenchError('could not bundle the interactive charts: the bundle contains "</script"');
  return text;
}

/**
 * The live view's analysis worker (src/live/analysis-worker.ts) as one CommonJS script, for
 * `new Worker(source, { eval: true })`: a worker does not inherit the TypeScript loader the
 * pack runs under, so it gets its code bundled, like the pages do.
 */
export async function analysisWorkerSource(): Promise<string> {
  try {
    return await scriptBundle('analysis-worker');
  } catch (err) {
    throw new LeakbenchError(`could not bundle the live analysis: ${(err as Error).message}`);
  }
}

/** JSON for a <script type="application/json"> element: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
