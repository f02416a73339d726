/**
 * A small soak against a server the test starts through --cmd (idle probes, a burst, idle probes
 * again, 200 ms samples unless `extra` says otherwise), and what it left in its run directory.
 * Shared by the runtime-verdict tests so that every runtime is judged on the same traffic;
 * soakBursts is the same with repeated bursts, for the retained-per-burst tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILES, type RunFile } from '../../src/rundir/schema.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';
import { freePort } from '../../src/target/free-port.ts';
import { runCli } from './cli.ts';

/** Words that name a Go figure: a target of another runtime is described without them. */
export const GO_WORDS = /\bGo (heap|sys|stack|runtime)\b|goroutine|go_memstats/;

export interface SoakOptions {
  out: string;
  name: string;
  /** The server's start command, given the free port it is to listen on. */
  command: (port: number) => string;
  requests: number;
  /** Where the server's /metrics is, when --url's /metrics is not it. */
  metricsPath?: string;
  extra?: string[];
}

export async function soakServer(o: SoakOptions) {
  // One burst: these tests pin the single-burst rules (a run before --bursts, or --bursts 1);
  // soakBursts runs the soak's default of two.
  return soak(o, { bursts: 1, idleBefore: '2s', idleAfter: '3s' });
}

export interface BurstsOptions extends SoakOptions {
  /** The soak's default, 2, unless given; --max-bursts stays the soak's default (two more). */
  bursts?: number;
}

/**
 * The soak with repeated bursts, each followed by a rest of 5 s (3 s before the first): long
 * enough for the noise rule's later half of each rest, short enough for a test.
 */
export async function soakBursts(o: BurstsOptions) {
  const s = await soak(o, { bursts: o.bursts ?? 2, idleBefore: '3s', idleAfter: '5s' });
  return { ...s, d: s.summary.diagnosis! };
}

async function soak(o: SoakOptions, phases: { bursts: number; idleBefore: string; idleAfter: string }) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const metrics = o.metricsPath === undefined ? [] : ['--metrics-url', `${url}${o.metricsPath}`];
  const r = await runCli([
    'run',
    'soak',
    '--cmd',
    o.command(port),
    '--url',
    url,
    ...metrics,
    '--requests',
    String(o.requests),
    '--connections',
    '20',
    '--idle-before',
    phases.idleBefore,
    '--idle-after',
    phases.idleAfter,
    '--rate',
    '5',
    '--sample-interval',
    '200ms',
    '--settle',
    '0s',
    '--out',
    o.out,
    '--name',
    o.name,
    '--bursts',
    String(phases.bursts),
    ...(o.extra ?? []),
  ]);
  const dir = join(o.out, o.name);
  const readJson = <T>(p: string) => JSON.parse(readFileSync(p, 'utf8')) as T;
  const summary = existsSync(join(dir, FILES.summary)) ? readJson<SummaryFile>(join(dir, FILES.summary)) : undefined;
  const run = existsSync(join(dir, FILES.run)) ? readJson<RunFile>(join(dir, FILES.run)) : undefined;
  const verdict = summary?.diagnosis?.verdict;
  const text = verdict ? [verdict.kind, verdict.summary, ...verdict.evidence, ...verdict.caveats].join('\n') : r.stderr;
  return { r, dir, summary: summary!, run: run!, verdict: verdict!, text };
}

/**
 * One line per run for the test's diagnostics (what docs/retained.md "Measured verdicts" quotes):
 * the verdict, the bursts, and each figure's shape, retained per 1,000 requests and held at the end.
 */
export function retainedLine(d: NonNullable<SummaryFile['diagnosis']>): string {
  const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
  const figures = (d.retained?.figures ?? []).map((f) => {
    const last = f.bursts.at(-1)?.retained ?? 0;
    const amount = (b: number): string => (f.unit === 'bytes' ? kib(b) : b.toFixed(0));
    return `${f.label}: ${f.shape}, ${amount(f.per1k)}/1k requests, holds ${amount(last)}`;
  });
  return [`${d.verdict.kind} after ${d.retained?.bursts ?? 0} bursts`, ...figures].join('; ');
}
