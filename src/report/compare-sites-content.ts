import { formatSignedBytes } from '../analyse/format.ts';
import type { SiteContrast } from '../analyse/compare-sites.ts';
import { escapeHtml } from './html.ts';
import { escapeMarkdown } from './markdown.ts';

const TITLE = 'Allocation sites that grew in one build and not the other';
const WHY =
  'Per 1,000 requests, between the end of the first rest and the end of the last, after a full collection (see each build\'s "Where the retained memory was allocated"); a site another build kept less than a quarter as fast at, or did not show.';

function othersText(c: SiteContrast): string {
  return c.others
    .map(
      (o) => `${o.build}: ${o.bytesPer1k === undefined ? 'not among its sites' : `${formatSignedBytes(o.bytesPer1k)}`}`,
    )
    .join('; ');
}

export function compareSitesMarkdown(sites: readonly SiteContrast[] | undefined): string[] {
  if (!sites || sites.length === 0) return [];
  return [
    '',
    `## ${TITLE}`,
    '',
    WHY,
    '',
    '| Build | Allocated at | Per 1,000 requests | Elsewhere |',
    '| --- | --- | ---: | --- |',
    ...sites.map(
      (c) =>
        `| ${escapeMarkdown(c.build)} | ${escapeMarkdown(c.site)} | ${formatSignedBytes(c.bytesPer1k)} | ${escapeMarkdown(othersText(c))} |`,
    ),
  ];
}

export function compareSitesHtml(sites: readonly SiteContrast[] | undefined): string {
  if (!sites || sites.length === 0) return '';
  const rows = sites
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.build)}</td><td>${escapeHtml(c.site)}</td><td>${escapeHtml(formatSignedBytes(c.bytesPer1k))}</td><td>${escapeHtml(othersText(c))}</td></tr>`,
    )
    .join('');
  return `<h2>${TITLE}</h2><p>${escapeHtml(WHY)}</p><table><thead><tr><th>Build</th><th>Allocated at</th><th>Per 1,000 requests</th><th>Elsewhere</th></tr></thead><tbody>${rows}</tbody></table>\n`;
}
