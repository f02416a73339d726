import { ALL_VERDICT_KINDS, KIND_CLASSES, VERDICT_KINDS } from '../analyse/verdict-kinds.ts';
import { escapeMarkdown } from './markdown.ts';

/** Where docs/verdicts.md holds the table written from the kinds' table (a test keeps them equal). */
export const KINDS_DOC = {
  file: 'docs/verdicts.md',
  start: '<!-- verdict-kinds:start -->',
  end: '<!-- verdict-kinds:end -->',
};

/** The verdict kinds as users read them: kind, class, the gate, meaning, what to do. */
export function verdictKindsMarkdown(): string {
  const head = ['kind', 'class', 'fails `--fail-on growth`', 'what it means', 'what to do'];
  const rows = ALL_VERDICT_KINDS.map((kind) => {
    const k = VERDICT_KINDS[kind];
    const c = KIND_CLASSES[k.class];
    const titles = Object.entries(k.runtimeTitles ?? {}).map(([rt, t]) => `${rt}: ${t}`);
    const title = titles.length > 0 ? `${k.title} (${titles.join('; ')})` : k.title;
    return [
      `\`${kind}\``,
      c.words,
      c.failsGrowthGate ? 'yes' : 'no',
      `**${escapeMarkdown(title)}.** ${escapeMarkdown(k.meaning)}`,
      escapeMarkdown(k.next),
    ];
  });
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** docs/verdicts.md with its generated block replaced by the table as it is now. */
export function withKindsTable(doc: string): string {
  const a = doc.indexOf(KINDS_DOC.start);
  const b = doc.indexOf(KINDS_DOC.end);
  if (a < 0 || b < a)
    throw new Error(`${KINDS_DOC.file}: the markers ${KINDS_DOC.start} and ${KINDS_DOC.end} are missing`);
  return `${doc.slice(0, a + KINDS_DOC.start.length)}\n${verdictKindsMarkdown()}\n${doc.slice(b)}`;
}
