import { summarise } from '../analyse/summarise.ts';
import { readRunDir } from '../rundir/read-run.ts';
import { writeOutput } from '../rundir/recorder.ts';
import { FILES } from '../rundir/schema.ts';
import { renderCharts } from './charts.ts';
import { renderHtml } from './html.ts';
import { interactiveCharts, prepareInteractiveCharts } from './interactive.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { RETAINED_PNG } from './retained-content.ts';
import { SITES_PNG } from './alloc-sites-content.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

export interface RenderedReport {
  summary: SummaryFile;
  /** Paths of the files written, summary.json first. */
  files: string[];
  warnings: string[];
}

/**
 * Reads a run directory and writes its report into it: summary.json, summary.md, index.html,
 * memory.png, load.png (and retained.png, sites.png where the run has them). Called at the end of a live run and by `npm run report`; it reads
 * only the directory, so a stored run renders the same way any time later.
 */
export async function renderReport(dir: string): Promise<RenderedReport> {
  const data = readRunDir(dir);
  // The page's script is bundled while the run is analysed: about 0.1 s less on two cores.
  prepareInteractiveCharts();
  const summary = summarise(data);
  const files: string[] = [];
  const write = (name: string, contents: string | Buffer | object): void => {
    files.push(writeOutput(dir, name, contents));
  };
  // The summary goes first: if drawing fails, the numbers are still on disk.
  write(FILES.summary, summary);

  const images = await renderCharts(data, summary);
  write(FILES.memoryPng, images.memory);
  write(FILES.loadPng, images.load);
  if (images.retained) write(RETAINED_PNG, images.retained);
  if (images.sites) write(SITES_PNG, images.sites);
  write(FILES.summaryMd, renderMarkdown(summary, data.run));
  // Without the interactive charts the page still has the PNGs: a report is never lost to them.
  const charts = await interactiveCharts(data, summary).catch((err: unknown) => {
    summary.warnings.push(`${FILES.html} has its charts as images only: ${(err as Error).message}`);
    return undefined;
  });
  write(FILES.html, renderHtml(summary, data.run, images, charts));
  write(FILES.junit, renderJunit(summary, data.run));
  return { summary, files, warnings: summary.warnings };
}
