/**
 * A small soak against a server the test starts through --cmd (idle probes, a burst, idle probes
 * again, 200 ms samples unless `extra` says otherwise), and what it left in its run directory.
 * Shared by the runtime-verdict tests so that every runtime is judged on the same traffic.
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
    '2s',
    '--idle-after',
    '3s',
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
    // One burst: these tests pin the single-burst rules (a run before --bursts, or --bursts 1);
    // test/integration/retained-servers.test.ts runs the soak's default of two.
    '--bursts',
    '1',
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
