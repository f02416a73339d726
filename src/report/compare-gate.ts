import { amount, type FigureComparison, type GateResult } from '../analyse/baseline-gate.ts';
import { escapeHtml } from './html.ts';
import { escapeMarkdown } from './markdown.ts';

/**
 * The baseline gate's section of compare.md and index.html: per gated build, its decision in
 * words, then per figure the baseline's and the build's retained per 1,000 requests, the
 * difference with its interval, and what decided; and the warnings about builds that answered
 * unlike the baseline.
 */

interface GateView {
  baseline?: string;
  gate?: GateResult;
  warnings?: string[];
}

const HEAD = ['figure', 'baseline', 'this build', 'difference (95% CI)', 'must exceed', 'decision'];

function decisionWords(f: FigureComparison): string {
  const what = f.decision === 'more' ? 'retains more' : f.decision === 'less' ? 'retains less' : 'alike';
  return f.gating ? what : `${what} (not deciding: the runtime's figures say where memory is)`;
}

function figureCells(f: FigureComparison): string[] {
  const d = f.difference;
  return [
    f.label,
    amount(f.base.per1k, f.unit),
    amount(f.head.per1k, f.unit),
    `${amount(d.per1k, f.unit)} (${amount(d.low, f.unit)} to ${amount(d.high, f.unit)})`,
    amount(f.threshold, f.unit).replace(/^\+/, ''),
    decisionWords(f),
  ];
}

const rounds = (g: GateResult, label: string): string => {
  const n = g.builds.find((b) => b.label === label)?.figures[0]?.head.rounds;
  return n !== undefined && n > 1 ? ` (${n} rounds each)` : '';
};

export function gateMarkdown(f: GateView): string[] {
  const lines: string[] = [];
  if (f.baseline !== undefined) {
    lines.push('', `## Baseline gate: against ${escapeMarkdown(f.baseline)}`, '');
    if (!f.gate) lines.push(`The baseline ${escapeMarkdown(f.baseline)} wrote no summary: nothing to compare against.`);
    for (const b of f.gate?.builds ?? []) {
      lines.push(
        `**${escapeMarkdown(b.label)}: ${b.decision}**${rounds(f.gate!, b.label)} — ${b.words.map(escapeMarkdown).join(' ')}`,
        '',
      );
      if (b.figures.length === 0) continue;
      lines.push('Retained per 1,000 requests, at rest after each burst after the first:', '');
      lines.push(`| ${HEAD.join(' | ')} |`, `| --- | ---: | ---: | --- | ---: | --- |`);
      for (const fig of b.figures) lines.push(`| ${figureCells(fig).map(escapeMarkdown).join(' | ')} |`);
      lines.push('');
    }
  }
  if (f.warnings && f.warnings.length > 0) {
    lines.push('', '## Warnings', '');
    for (const w of f.warnings) lines.push(`- ${escapeMarkdown(w)}`);
  }
  return lines;
}

export function gateHtml(f: GateView): string {
  const parts: string[] = [];
  if (f.baseline !== undefined) {
    parts.push(`<h2>Baseline gate: against ${escapeHtml(f.baseline)}</h2>`);
    if (!f.gate)
      parts.push(`<p>The baseline ${escapeHtml(f.baseline)} wrote no summary: nothing to compare against.</p>`);
    for (const b of f.gate?.builds ?? []) {
      parts.push(
        `<p><strong>${escapeHtml(b.label)}: ${b.decision}</strong>${escapeHtml(rounds(f.gate!, b.label))} — ${escapeHtml(b.words.join(' '))}</p>`,
      );
      if (b.figures.length === 0) continue;
      const rows = b.figures
        .map(
          (fig) =>
            `<tr>${figureCells(fig)
              .map((c) => `<td>${escapeHtml(c)}</td>`)
              .join('')}</tr>`,
        )
        .join('');
      parts.push(
        `<table><thead><tr>${HEAD.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`,
      );
    }
  }
  if (f.warnings && f.warnings.length > 0)
    parts.push(`<h2>Warnings</h2><ul>${f.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  return parts.length > 0 ? `${parts.join('\n')}\n` : '';
}
