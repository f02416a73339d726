import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarise } from '../analyse/summarise.ts';
import { LeakbenchError } from '../errors.ts';
import { writeJsonAtomic } from '../rundir/json.ts';
import { readRunDir } from '../rundir/read-run.ts';
import { FILES, type SummaryFile } from '../rundir/schema.ts';
import { renderCharts } from './charts.ts';
import { renderHtml } from './html.ts';
import { interactiveCharts } from './interactive.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

export interface RenderedReport {
  summary: SummaryFile;
  /** Paths of the files written, summary.json first. */
  files: string[];
  warnings: string[];
}

/**
 * Reads a run directory and writes its report into it: summary.json, summary.md, index.html,
 * memory.png, load.png. Called at the end of a live run and by `npm run report`; it reads
 * only the directory, so a stored run renders the same way any time later.
 */
export async function renderReport(dir: string): Promise<RenderedReport> {
  const data = readRunDir(dir);
  const summary = summarise(data);
  const files: string[] = [];
  // The summary goes first: if drawing fails, the numbers are still on disk.
  const summaryPath = join(dir, FILES.summary);
  writeJsonAtomic(summaryPath, summary);
  files.push(summaryPath);

  const images = await renderCharts(data, summary);
  const write = (name: string, contents: string | Buffer): void => {
    const path = join(dir, name);
    try {
      writeFileSync(path, contents);
    } catch (err) {
      throw new LeakbenchError(`cannot write ${path}: ${(err as Error).message}`);
    }
    files.push(path);
  };
  write(FILES.memoryPng, images.memory);
  write(FILES.loadPng, images.load);
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
