/** The verdict benchmark's results as Markdown: settings, headline rates, matrices, wrong verdicts. */
import type { Machine } from '../machine.ts';
import { CLASSES, RUNTIME_NAMES, type CorpusRuntime } from './corpus.ts';
import {
  confusion,
  confusionBy,
  GOT_CLASSES,
  isRight,
  smallestDetected,
  totals,
  wrongRuns,
  type Confusion,
  type Rate,
  type RunRecord,
} from './matrix.ts';

export interface VerdictBenchResults {
  schema: 'leakbench.bench-verdicts/1';
  date: string;
  quick: boolean;
  runsPerServer: number;
  /** Soaks run at a time (--parallel); absent in files written before the flag: one. */
  parallel?: number;
  /** Where the run directories were kept, relative to the repository (absent in older files). */
  keep?: string;
  command: string;
  soakFlags: readonly string[];
  machine: Machine;
  loadAfter: [number, number, number];
  /** Versions of the toolchains the servers were built and run with. */
  toolchains: Record<string, string>;
  /** Servers that could not be built or started, with why; their runs are not in `runs`. */
  skipped: { server: string; reason: string }[];
  runs: RunRecord[];
  wallS: number;
}

const pct = (r: Rate) => (r.rate === undefined ? 'n/a' : `${(r.rate * 100).toFixed(0)}% (${r.hits} of ${r.of})`);
const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
const amount = (x: number) => (x >= 1 ? String(x) : x.toPrecision(2));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function matrixTable(m: Confusion, rowLabel: (expect: string) => string, lead = 'expected'): string[] {
  const rows = CLASSES.filter((e) => GOT_CLASSES.some((g) => m[e][g] > 0));
  return [
    `| ${lead} \\ got | ${GOT_CLASSES.join(' | ')} |`,
    `| --- | ${GOT_CLASSES.map(() => '---:').join(' | ')} |`,
    ...rows.map(
      (e) => `| ${rowLabel(e)} | ${GOT_CLASSES.map((g) => (m[e][g] > 0 ? String(m[e][g]) : '·')).join(' | ')} |`,
    ),
  ];
}

function byRuntime(runs: readonly RunRecord[]): string[] {
  const out: string[] = [];
  for (const [rt, m] of confusionBy(runs, (r) => r.runtime)) {
    const rows = matrixTable(m, (e) => `${RUNTIME_NAMES[rt as CorpusRuntime]}, ${e}`, 'runtime, expected');
    out.push(...(out.length === 0 ? rows : rows.slice(2)));
  }
  return out;
}

function byBehaviour(runs: readonly RunRecord[]): string[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) groups.set(r.behaviour, [...(groups.get(r.behaviour) ?? []), r]);
  return [
    `| behaviour | expected | runs | right | ${GOT_CLASSES.join(' | ')} |`,
    `| --- | --- | ---: | ---: | ${GOT_CLASSES.map(() => '---:').join(' | ')} |`,
    ...[...groups].map(([b, rs]) => {
      const got = GOT_CLASSES.map((g) => rs.filter((r) => r.got === g).length || '·');
      const expected = [...new Set(rs.map((r) => r.expect))].join(', ');
      return `| ${b} | ${expected} | ${rs.length} | ${rs.filter(isRight).length} | ${got.join(' | ')} |`;
    }),
  ];
}

function perServer(runs: readonly RunRecord[]): string[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) groups.set(r.server, [...(groups.get(r.server) ?? []), r]);
  return [
    '| server | behaviour | leak | accepted | verdicts (exit code) | right | time per run |',
    '| --- | --- | --- | --- | --- | ---: | ---: |',
    ...[...groups].map(([name, rs]) => {
      const r0 = rs[0]!;
      const leak = r0.leak ? `${amount(r0.leak.amount)} ${r0.leak.unit}/${r0.leak.per}` : '—';
      const verdicts = rs.map((r) => `${r.kind ?? 'none'} (${r.exitCode ?? 'killed'})`).join(', ');
      const mean = rs.reduce((s, r) => s + r.wallS, 0) / rs.length;
      return `| ${name} | ${r0.behaviour} | ${leak} | ${r0.accept.join(', ')} | ${verdicts} | ${rs.filter(isRight).length}/${rs.length} | ${Math.round(mean)} s |`;
    }),
  ];
}

function smallestLines(runs: readonly RunRecord[]): string[] {
  return smallestDetected(runs).map((s) => {
    const always = s.smallestAlways ? `${amount(s.smallestAlways.amount)} (${s.smallestAlways.server})` : 'none';
    const missed = s.missed
      .map((m) => `${m.server}, ${amount(m.amount)}, detected in ${m.detected} of ${m.runs} runs`)
      .join('; ');
    return `- ${s.unit}: smallest detected in every run ${always}${missed ? `; missed: ${missed}` : ''}`;
  });
}

function wrongLines(runs: readonly RunRecord[]): string[] {
  const wrong = wrongRuns(runs);
  if (wrong.length === 0) return ['None.'];
  return wrong.flatMap((r) => [
    `- **${r.server}** run ${r.run}: expected ${r.accept.join(' or ')}, got \`${r.kind ?? 'no verdict'}\` (${r.got}, exit ${r.exitCode ?? 'killed'}).`,
    `  - summary: ${cell(r.summary)}`,
    `  - evidence: ${cell(r.evidence)}`,
  ]);
}

export function renderVerdictBench(res: VerdictBenchResults): string {
  const t = totals(res.runs);
  const m = res.machine;
  return [
    `# Verdict corpus: ${res.date}${res.quick ? ' (quick third)' : ''}`,
    '',
    `Command: \`${res.command}\`. Each server ${res.runsPerServer} time(s), ${res.parallel ?? 1} soak(s) at a time, soak flags \`${res.soakFlags.join(' ')}\`.`,
    `Machine: ${m.cpus} CPUs, ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node.js ${m.node}; ` +
      `load average before ${m.loadBefore.join(' ')}, after ${res.loadAfter.map((x) => x.toFixed(2)).join(' ')}.`,
    `Toolchains: ${Object.entries(res.toolchains)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
    '',
    `- servers: ${t.servers}, runs: ${t.runs}, time taken: ${minutes(res.wallS)} (soaks alone ${minutes(t.wallS)})`,
    `- right verdicts: ${pct(t.accuracy)}`,
    `- leaks detected (growth class): ${pct(t.detection)}`,
    `- false positives of \`--fail-on growth\` (exit 4 on a server that does not leak): ${pct(t.falsePositive)}`,
    `- undecided (cannot tell, or no verdict): ${pct(t.undecided)}`,
    ...(res.skipped.length > 0 ? [`- skipped: ${res.skipped.map((s) => `${s.server} (${s.reason})`).join('; ')}`] : []),
    '',
    '## Smallest leak detected',
    '',
    ...smallestLines(res.runs),
    '',
    '## Confusion matrix (runs)',
    '',
    ...matrixTable(confusion(res.runs), (e) => e),
    '',
    '### By runtime',
    '',
    ...byRuntime(res.runs),
    '',
    '### By behaviour',
    '',
    ...byBehaviour(res.runs),
    '',
    '## Per server',
    '',
    ...perServer(res.runs),
    '',
    '## Wrong verdicts',
    '',
    ...wrongLines(res.runs),
    '',
  ].join('\n');
}
