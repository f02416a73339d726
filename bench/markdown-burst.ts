import type { BurstMeasurement, BurstTool } from './burst.ts';
import { burstGoals, compareToWrk, QUIET_OTHER_CORES, type BurstGoal, type VsWrk } from './burst-goals.ts';
import type { BenchResults } from './markdown.ts';
import { median } from './stats.ts';

type Burst = NonNullable<BenchResults['burst']>;

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const f = (x: number, d = 2) => x.toFixed(d);

export const TOOL_LABEL: Record<BurstTool, string> = {
  'pack-net': 'pack, `--engine net` (the default; its node:net client)',
  'pack-net-1thread': 'same, forced to one thread (`--burst-threads 1`)',
  'pack-net-2threads': 'same, on two threads (`--burst-threads 2`; the default before issue 26)',
  'pack-net-unbatched': 'same, each request written as soon as its answer is read',
  'pack-autocannon': "pack, `--engine autocannon` (autocannon's API)",
  wrk: 'wrk -t2 -c100',
  'autocannon-cli': 'autocannon CLI, defaults (1 thread)',
  'autocannon-cli-w2': 'autocannon CLI, -w 2 (worker threads)',
  hey: 'hey -c100 -n (Go net/http client)',
};

/** Targets in the order measured; runs from before targets were named are the bundled Gin server's. */
function targetsOf(b: Burst): { name: string | undefined; label: string }[] {
  if (!b.targets) return [{ name: undefined, label: 'Gin' }];
  return b.targets.map((t) => ({
    name: t.name,
    label: t.name === 'gin' ? `Gin, bundled plain build, ${t.path}` : `Go net/http alone, ${t.path}`,
  }));
}

/** The default engine's goals, per target, on quiet rounds only. */
export function burstGoalRows(b: Burst): BurstGoal[] {
  if (!b.runs.some((x) => x.tool === 'pack-net')) return [];
  return targetsOf(b).flatMap((t) => burstGoals(compareToWrk(b.runs, 'pack-net', t.name), t.label));
}

function vsText(vs: VsWrk | undefined, key: 'rate' | 'clientCpu' | 'targetCpu'): string {
  if (!vs) return 'n/a';
  const q = vs.quiet ? f(vs.quiet[key]) : 'no quiet round';
  return `${q} / ${vs.all ? f(vs.all[key]) : 'n/a'}`;
}

function toolRow(b: Burst, tool: BurstTool, runs: BurstMeasurement[], target: string | undefined): string {
  const vs = tool === 'wrk' ? undefined : compareToWrk(b.runs, tool, target);
  const dash = tool === 'wrk' ? '1' : undefined;
  const quiet = runs.filter((x) => x.otherCores < QUIET_OTHER_CORES).length;
  return (
    `| ${TOOL_LABEL[tool]} | ${f(median(runs.map((x) => x.clientCpuMsPerKreq)), 1)} | ${dash ?? vsText(vs, 'clientCpu')} | ` +
    `${f(median(runs.map((x) => x.targetCpuMsPerKreq)), 1)} | ${dash ?? vsText(vs, 'targetCpu')} | ` +
    `${int(median(runs.map((x) => x.rate)))} | ${dash ?? vsText(vs, 'rate')} | ${f(median(runs.map((x) => x.wallForN)))} s | ` +
    `${int(runs.reduce((n, x) => n + x.errors, 0))} | ${f(median(runs.map((x) => x.otherCores)))} | ${quiet} of ${runs.length} |`
  );
}

export function renderBurst(b: Burst, sectionLoad: string): string[] {
  const out: string[] = [];
  out.push('');
  out.push(
    `## 1. Burst: CPU per request and throughput, ${int(b.requests)} requests, ${b.connections} connections, ${b.rounds} round${b.rounds === 1 ? '' : 's'}`,
  );
  for (const t of targetsOf(b)) {
    const runs = b.runs.filter((x) => x.target === t.name);
    if (runs.length === 0) continue;
    out.push('', `### Target: ${t.label}`, '');
    out.push(
      '| tool | load generator CPU µs/req (median) | vs wrk (quiet / all rounds) | target CPU µs/req (median) | vs wrk (quiet / all) | req/s (median) | vs wrk (quiet / all) | wall time for the requests | errors | other jobs (cores, median) | quiet runs |',
    );
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const groups = new Map<BurstTool, BurstMeasurement[]>();
    for (const r of runs) groups.set(r.tool, [...(groups.get(r.tool) ?? []), r]);
    for (const [tool, rs] of groups) out.push(toolRow(b, tool, rs, t.name));
    out.push('');
    out.push(
      `Per round (µs CPU/req engine+target, req/s, other jobs' cores): ${[...groups]
        .map(
          ([tool, rs]) =>
            `${tool} ${rs.map((x) => `${f(x.clientCpuMsPerKreq, 1)}+${f(x.targetCpuMsPerKreq, 1)}, ${int(x.rate)} (${f(x.otherCores)})`).join('; ')}`,
        )
        .join(' | ')}.`,
    );
  }
  out.push('');
  out.push(
    `How: CPU per request is user + system time from /proc (the load generator's own, wrk's and the CLIs' as waited-for children; the target's from its /proc/PID/stat over the burst), divided by the requests that ended; it moves much less with other jobs than a rate does. Ratios are medians of per-round ratios (each round runs every tool once against each target, back to back); "quiet" rounds are those in which other jobs used less than ${QUIET_OTHER_CORES} cores during both measurements, and only they decide a goal. The pack's engines run in the benchmark's process, timed from the call to the last answer. wrk has no fixed-count mode: it runs for ${b.wrkSeconds} s (about as long as the pack needs for the same count) and its wall time for ${int(b.requests)} requests is derived from its rate. The autocannon CLI runs with \`-c ${b.connections} -a ${b.requests}\` and no other option; its wall time is its process's (Node start-up included).`,
  );
  for (const s of b.skipped) out.push(`Skipped: ${s}.`);
  out.push('', `${sectionLoad}.`);
  return out;
}
