import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJson } from '../rundir/json.ts';
import { FILES, SCHEMA, type RunFile } from '../rundir/schema.ts';
import { classOf } from '../analyse/verdict-kinds.ts';
import { escapeMarkdown, table } from './markdown.ts';
import { reportContent } from './tables.ts';
import { SITES_TITLE, topSitesLines } from './alloc-sites-content.ts';
import { SUMMARY_SCHEMA, type SummaryFile } from '../analyse/summary-file.ts';

/**
 * GitHub Actions shows the Markdown appended to the file named by $GITHUB_STEP_SUMMARY on the
 * job's page. Each run appends its own section, so a job that runs several scenarios gets them
 * one under the other, without a separate step to collect them.
 */
export function renderStepSummary(summary: SummaryFile, run: RunFile, dir: string): string {
  const c = reportContent(summary, run);
  const out: string[] = [];
  out.push(`### ${escapeMarkdown(c.title)} (${escapeMarkdown(summary.status)})`, '');
  out.push(`**${escapeMarkdown(c.headline)}**`, '');
  const v = summary.diagnosis?.verdict;
  if (v) {
    out.push(
      `${classOf(v.kind)?.stepMark ?? '❔'} **verdict: ${escapeMarkdown(v.kind)}** — ${escapeMarkdown(v.summary)}`,
      '',
    );
    if (v.evidence.length > 0) out.push(...v.evidence.map((e) => `- ${escapeMarkdown(e)}`), '');
  }
  const sites = topSitesLines(summary.allocationSites);
  if (sites.length > 0) out.push(`**${SITES_TITLE}:**`, '', ...sites.map((l) => escapeMarkdown(l)), '');
  out.push(c.load.rows.length > 0 ? table(c.load) : 'No load was recorded.', '');
  out.push(c.memory.rows.length > 0 ? table(c.memory) : 'No memory samples were taken.', '');
  if (c.warnings.length > 0) {
    out.push('<details><summary>warnings</summary>', '');
    for (const w of c.warnings) out.push(`- ${escapeMarkdown(w)}`);
    out.push('', '</details>', '');
  }
  out.push(`Run directory: \`${dir.replace(/`/g, '')}\` (index.html, summary.md, junit.xml)`, '', '');
  return out.join('\n');
}

/**
 * Appends the run's section when $GITHUB_STEP_SUMMARY is set; returns the file written, or
 * undefined when the variable is not set. `env` is a parameter so tests can aim it at a temp file.
 */
export function appendStepSummary(dir: string, env: NodeJS.ProcessEnv): string | undefined {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return undefined;
  const summary = readJson<SummaryFile>(join(dir, FILES.summary), SUMMARY_SCHEMA);
  const run = readJson<RunFile>(join(dir, FILES.run), SCHEMA.run);
  appendFileSync(file, renderStepSummary(summary, run, dir));
  return file;
}
