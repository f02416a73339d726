import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt, { type Token } from 'markdown-it';
import GithubSlugger from 'github-slugger';

/**
 * Every relative link and image in README.md and docs/*.md points at a file of the repository,
 * and every #anchor at a heading of the file it names, as GitHub renders them: the README was
 * split into guides, and a link that breaks is a guide a reader cannot reach.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const md = new MarkdownIt({ html: true });

interface Link {
  target: string;
  line: number;
}

/** Links and images of one Markdown text, with the line they start on (code blocks hold none). */
function linksOf(text: string): Link[] {
  const links: Link[] = [];
  let line = 1;
  for (const block of md.parse(text, {})) {
    // A table's cells carry no line of their own: they keep the row's, the last one seen.
    if (block.map) line = block.map[0] + 1;
    for (const t of block.children ?? []) {
      if (t.type === 'softbreak' || t.type === 'hardbreak') line += 1;
      const target = t.type === 'link_open' ? t.attrGet('href') : t.type === 'image' ? t.attrGet('src') : null;
      if (target !== null) links.push({ target: String(target), line });
    }
  }
  return links;
}

/** The text GitHub slugs a heading from: its words and code spans, without the Markdown around them. */
function headingText(inline: Token): string {
  return (inline.children ?? [])
    .filter((c) => c.type === 'text' || c.type === 'code_inline')
    .map((c) => c.content)
    .join('');
}

function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const tokens = md.parse(readFileSync(file, 'utf8'), {});
  const anchors = new Set<string>();
  tokens.forEach((t, i) => {
    const inline = tokens[i + 1];
    if (t.type === 'heading_open' && inline) anchors.add(slugger.slug(headingText(inline)));
  });
  return anchors;
}

/** What is wrong with each relative link of one file: a missing file, a file outside the repository, a missing heading. */
export function brokenLinks(file: string, root: string): string[] {
  const problems: string[] = [];
  const where = (l: Link): string => `${relative(root, file)}:${l.line}: ${l.target}`;
  for (const link of linksOf(readFileSync(file, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('//')) continue;
    const [path = '', anchor] = link.target.split('#', 2);
    const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (target !== root && !target.startsWith(root + sep)) {
      problems.push(`${where(link)}: outside the repository`);
    } else if (!existsSync(target)) {
      problems.push(`${where(link)}: no such file`);
    } else if (anchor && target.endsWith('.md') && statSync(target).isFile() && !anchorsOf(target).has(anchor)) {
      problems.push(`${where(link)}: no heading with the anchor #${anchor} in ${relative(root, target)}`);
    }
  }
  return problems;
}

function documentation(): string[] {
  const docs = join(REPO_ROOT, 'docs');
  return [
    join(REPO_ROOT, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .map((f) => join(docs, f)),
  ];
}

test('every relative link and image in README.md and docs/*.md resolves, anchors included', () => {
  const files = documentation();
  const count = files.reduce((n, f) => n + linksOf(readFileSync(f, 'utf8')).length, 0);
  assert.ok(count > 20, `expected the README and guides to link to each other, found ${count} links`);
  assert.deepEqual(
    files.flatMap((f) => brokenLinks(f, REPO_ROOT)),
    [],
  );
});

test('README.md stays at most 300 lines and links every guide in docs/', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0);
  assert.ok(lines <= 300, `README.md has ${lines} lines; the rest belongs in docs/`);
  const linked = new Set(linksOf(readme).map((l) => l.target.split('#')[0]));
  const guides = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  assert.deepEqual(
    guides.filter((g) => !linked.has(`docs/${g}`)),
    [],
    'guides the README does not link',
  );
});

test('the link check finds a missing file, a missing heading and a path outside the repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'leakbench-links-'));
  try {
    writeFileSync(join(root, 'guide.md'), '# A guide\n\n## Reading `summary.md`, step by step\n');
    const readme = join(root, 'README.md');
    writeFileSync(
      readme,
      [
        '# Title',
        '[ok](guide.md#reading-summarymd-step-by-step) [ok too](#title) [web](https://example.com/x.md)',
        '[gone](docs/gone.md) ![gone](docs/gone.png)',
        '[no heading](guide.md#reading) [outside](../elsewhere.md)',
        '```',
        '[in a code block](not-checked.md)',
        '```',
      ].join('\n'),
    );
    assert.deepEqual(brokenLinks(readme, root), [
      'README.md:3: docs/gone.md: no such file',
      'README.md:3: docs/gone.png: no such file',
      'README.md:4: guide.md#reading: no heading with the anchor #reading in guide.md',
      'README.md:4: ../elsewhere.md: outside the repository',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
