import { FILES, type RunFile } from '../rundir/schema.ts';
import { diagnosisContent, type DiagnosisContent } from './diagnosis-content.ts';
import { reportContent, type Table } from './tables.ts';
import { RETAINED_CAPTION, RETAINED_PNG, retainedShown, retainedTable } from './retained-content.ts';
import { SITES_CAPTION, SITES_PNG, SITES_TITLE, sitesChartShown, sitesContent } from './alloc-sites-content.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

/**
 * Makes text from the user or the target inert in Markdown, also inside tables: a `|` would
 * end a cell, a backtick open code, `<...>` pass through as raw HTML on GitHub. Backslash
 * escapes work for ASCII punctuation in CommonMark; angle brackets and `&` become entities so
 * renderers that allow HTML see text. An underscore inside a word cannot start emphasis in
 * GFM, and escaping it would split autolinked URLs such as .../health_check, so it is kept.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]|~]/g, (c) => `\\${c}`)
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_');
}

/** summary.md: the same facts as index.html, for pasting into an issue or reading in CI. */
export function renderMarkdown(summary: SummaryFile, run: RunFile): string {
  const c = reportContent(summary, run);
  const out: string[] = [];
  out.push(`# ${escapeMarkdown(c.title)}`, '', `**${escapeMarkdown(c.headline)}**`, '');
  const d = diagnosisContent(summary.diagnosis);
  if (d) out.push(...verdictSection(d));
  out.push(table({ head: ['', ''], rows: c.facts.map(([k, v]) => [k, v]), numeric: [false, false] }), '');

  out.push('## Load', '');
  out.push(c.load.rows.length > 0 ? table(c.load) : 'No load was recorded.', '');
  if (c.statusCodes.rows.length > 0) out.push(table(c.statusCodes), '');
  if (c.schedule.rows.length > 0) out.push(table(c.schedule), '');

  out.push('## Memory', '');
  out.push(c.memory.rows.length > 0 ? table(c.memory) : 'No memory samples were taken.', '');
  if (retainedShown(summary.diagnosis?.retained)) {
    out.push(
      '## Retained after each burst',
      '',
      RETAINED_CAPTION,
      '',
      table(retainedTable(summary.diagnosis.retained)),
      '',
    );
    out.push(`![Memory retained after each burst against requests served](${RETAINED_PNG})`, '');
  }
  out.push(...sitesSection(summary));
  if (d) out.push(...growthSections(d));

  if (c.targetExits.rows.length > 0) out.push('## Target exits', '', table(c.targetExits), '');

  if (c.warnings.length > 0) {
    out.push('## Warnings', '');
    for (const w of c.warnings) out.push(`- ${escapeMarkdown(w)}`);
    out.push('');
  }

  out.push('## Charts', '');
  out.push(`![Memory over time: RSS and the runtime's figures](${FILES.memoryPng})`, '');
  out.push(`![Load over time: requests per second and latency](${FILES.loadPng})`, '');
  return out.join('\n');
}

export function table(t: Table): string {
  const row = (cells: readonly string[]): string => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const rule = `|${t.numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`;
  return [row(t.head), rule, ...t.rows.map(row)].join('\n');
}

/** The verdict at the top: what it is, the numbers behind it, what was not measured, what next. */
function verdictSection(d: DiagnosisContent): string[] {
  const out = [
    `## Verdict: ${escapeMarkdown(d.title)}`,
    '',
    escapeMarkdown(d.kindLine),
    '',
    escapeMarkdown(d.summary),
    '',
  ];
  const list = (title: string, items: readonly string[]): void => {
    if (items.length === 0) return;
    out.push(`${title}:`, '', ...items.map((i) => `- ${escapeMarkdown(i)}`), '');
  };
  list('Evidence', d.evidence);
  list('Could not tell', d.caveats);
  list('Next steps', d.suggestions);
  if (d.pprofCommand)
    out.push('Heap profile diff (run it in the run directory):', '', ...codeBlock(d.pprofCommand), '');
  return out;
}

function sitesSection(summary: SummaryFile): string[] {
  const c = sitesContent(summary.allocationSites);
  if (!c) return [];
  const out = [`## ${SITES_TITLE}`, '', SITES_CAPTION, ''];
  for (const s of c.sections) {
    out.push(`### ${escapeMarkdown(s.heading)}`, '', escapeMarkdown(s.lead), '');
    out.push(s.table.rows.length > 0 ? table(s.table) : 'No allocation site grew between them.', '');
    if (s.files.rows.length > 0) out.push('Raw profiles (in the run directory):', '', table(s.files), '');
    if (s.diffCommand)
      out.push('Compare the first and the last (run it in the run directory):', '', ...codeBlock(s.diffCommand), '');
  }
  if (sitesChartShown(summary.allocationSites)) out.push(`![${SITES_TITLE}](${SITES_PNG})`, '');
  if (c.missing.length > 0) {
    out.push('No allocation sites from:', '', ...c.missing.map((m) => `- ${escapeMarkdown(m)}`), '');
  }
  return out;
}

function growthSections(d: DiagnosisContent): string[] {
  const out = ['## Growth by figure and phase', ''];
  out.push(
    'Robust (Theil–Sen) rates: per hour at rest, per 1,000 completed requests under load; the trend column says whether it counts as growth.',
    '',
  );
  out.push(d.growth.rows.length > 0 ? table(d.growth) : 'No figure had enough samples to fit.', '');
  for (const n of d.growthNotes) out.push(`- ${escapeMarkdown(n)}`);
  if (d.growthNotes.length > 0) out.push('');
  if (d.smaps) {
    out.push('## Where it grew (smaps)', '', escapeMarkdown(d.smaps.caption), '', table(d.smaps.kinds), '');
    if (d.smaps.mappings.rows.length > 0) out.push('Mappings that grew most:', '', table(d.smaps.mappings), '');
    if (d.smaps.steps) out.push('Between consecutive snapshots:', '', table(d.smaps.steps), '');
    for (const n of d.smaps.notes) out.push(`- ${escapeMarkdown(n)}`);
    if (d.smaps.notes.length > 0) out.push('');
  }
  return out;
}

/** A fenced block whose fence is longer than any backtick run inside, so nothing can close it. */
function codeBlock(text: string): string[] {
  const body = text.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}sh`, body, fence];
}
