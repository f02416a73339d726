import { targetName } from './target-name.ts';
import { classOf } from '../analyse/verdict-kinds.ts';
import { formatCount } from '../analyse/format.ts';
import type { PhaseLoadSummary, RunFile } from '../rundir/schema.ts';
import type { SummaryFile } from '../analyse/summary-file.ts';

/**
 * junit.xml: the run as test cases, because CI systems (GitLab, Jenkins, Azure, GitHub through
 * a reporter action) show JUnit natively. One case per load check of each phase and one per
 * verdict, so a failing one names exactly what went wrong.
 */

export interface VerdictText {
  kind: string;
  /** The verdict's summary, then its evidence, one per line. */
  text: string;
}

/** The run's verdicts in words; none for a summary without a diagnosis (older runs). */
export function readVerdicts(summary: SummaryFile): VerdictText[] {
  const v = summary.diagnosis?.verdict;
  if (!v) return [];
  return [{ kind: v.kind, text: [v.summary, ...v.evidence].filter((x) => x !== '').join('\n') }];
}

/** XML 1.0 cannot carry most control characters even escaped; they are dropped. */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      // Lone surrogate halves are not characters XML allows; a proper pair (an emoji) is kept.
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

interface Case {
  classname: string;
  name: string;
  timeS: number;
  failure?: { type: string; message: string; body: string };
  skipped?: string;
}

function phaseCases(prefix: string, l: PhaseLoadSummary): Case[] {
  const classname = `${prefix}.load.${l.phase}`;
  const check = (name: string, ok: boolean, type: string, message: string): Case => ({
    classname,
    name,
    timeS: l.durationS,
    ...(!ok && {
      failure: {
        type,
        message,
        body: `${l.phase} (${l.kind}): requested ${formatCount(l.requested)}, sent ${formatCount(l.sent)}, completed ${formatCount(l.completed)}, errors ${formatCount(l.errors)}, timeouts ${formatCount(l.timeouts)}, non-2xx ${formatCount(l.non2xx)}`,
      },
    }),
  });
  const codes = Object.entries(l.statusCodes)
    .filter(([c]) => !/^2\d\d$/.test(c))
    .map(([c, n]) => `${c} × ${formatCount(n)}`)
    .join(', ');
  return [
    check(
      'errors == 0',
      l.errors === 0,
      'errors',
      `${formatCount(l.errors)} requests failed (${formatCount(l.timeouts)} of them timeouts)`,
    ),
    check(
      'non-2xx == 0',
      l.non2xx === 0,
      'non-2xx',
      `${formatCount(l.non2xx)} responses were not 2xx${codes ? `: ${codes}` : ''}`,
    ),
    check(
      'sent == requested',
      l.sent === l.requested,
      'sent',
      `sent ${formatCount(l.sent)} of ${formatCount(l.requested)} requested`,
    ),
  ];
}

/** The verdict's case, as its kind's class says: growth fails, cannot-tell is skipped, the rest pass. */
function verdictCase(classname: string, v: VerdictText, summary: SummaryFile): Case {
  const base: Case = { classname, name: `verdict: ${v.kind}`, timeS: summary.durationS };
  const first = v.text.split('\n')[0] || summary.headline;
  switch (classOf(v.kind)?.junit) {
    case 'failure':
      return {
        ...base,
        failure: { type: v.kind, message: first, body: [summary.headline, v.text].filter(Boolean).join('\n') },
      };
    case 'skipped':
      return { ...base, skipped: `cannot tell: ${first}` };
    default:
      return base;
  }
}

/** Pure: the same summary always gives the same XML. */
export function renderJunit(summary: SummaryFile, run: RunFile): string {
  // A name the pack found (for `cmd` or `sample`) goes in as one word: dots make the hierarchy
  // of a JUnit class name. A label the user gave goes in as given.
  const name = targetName(summary.target);
  const word = name === summary.target.label ? name : name.replace(/[^\w-]+/g, '-');
  const prefix = `leakbench.${summary.scenario}.${word}`;
  const cases: Case[] = [];
  cases.push({
    classname: `${prefix}.run`,
    name: 'run completed',
    timeS: summary.durationS,
    ...(summary.status !== 'completed' && {
      failure: {
        type: summary.status,
        message: `the run ${summary.status}${run.endReason ? `: ${run.endReason}` : ''}`,
        body: summary.headline,
      },
    }),
  });
  for (const l of summary.load) cases.push(...phaseCases(prefix, l));
  const verdicts = readVerdicts(summary);
  for (const v of verdicts) cases.push(verdictCase(`${prefix}.memory`, v, summary));
  if (verdicts.length === 0)
    cases.push({ classname: `${prefix}.memory`, name: 'verdict', timeS: 0, skipped: 'this summary has no verdict' });

  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = seconds(summary.durationS);
  const a = escapeXml;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<testsuites name="leakbench" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}">`,
  );
  out.push(
    `  <testsuite name="${a(prefix)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}" timestamp="${a(run.startedAt.replace(/Z$/, ''))}">`,
  );
  out.push('    <properties>');
  const props: [string, string | undefined][] = [
    ['status', summary.status],
    ['target', targetName(summary.target)],
    ['url', summary.target.url],
    ['headline', summary.headline],
  ];
  for (const [name, value] of props)
    if (value !== undefined) out.push(`      <property name="${a(name)}" value="${a(value)}"/>`);
  out.push('    </properties>');
  for (const c of cases) {
    const open = `    <testcase classname="${a(c.classname)}" name="${a(c.name)}" time="${seconds(c.timeS)}"`;
    if (c.failure) {
      out.push(
        `${open}>`,
        `      <failure type="${a(c.failure.type)}" message="${a(c.failure.message)}">${a(c.failure.body)}</failure>`,
        '    </testcase>',
      );
    } else if (c.skipped !== undefined) {
      out.push(`${open}>`, `      <skipped message="${a(c.skipped)}"/>`, '    </testcase>');
    } else {
      out.push(`${open}/>`);
    }
  }
  const notes = [summary.headline, ...summary.warnings.map((w) => `warning: ${w}`)].join('\n');
  out.push(`    <system-out>${a(notes)}</system-out>`);
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}

function seconds(s: number): string {
  return Number.isFinite(s) ? s.toFixed(3) : '0.000';
}
