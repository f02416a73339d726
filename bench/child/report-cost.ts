/**
 * Child process of the benchmark: renders the report of one run directory and prints what it
 * cost as one JSON line. A process of its own, so its peak RSS is the report's and nothing else's.
 */
import { performance } from 'node:perf_hooks';
import { summarise } from '../../src/analyse/summarise.ts';
import { renderReport } from '../../src/report/render.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: report-cost.ts <run dir>');
const rssBeforeMb = process.memoryUsage.rss() / 1048576;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await renderReport(dir);
const renderS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const peakMb = process.resourceUsage().maxRSS / 1024;
// The parts, timed again after the whole (warm), to say where the time goes.
const t1 = performance.now();
const data = readRunDir(dir);
const readS = (performance.now() - t1) / 1000;
const t2 = performance.now();
summarise(data);
const summariseS = (performance.now() - t2) / 1000;
process.stdout.write(
  JSON.stringify({ renderS, cpuS: (cpu.user + cpu.system) / 1e6, peakMb, rssBeforeMb, readS, summariseS }) + '\n',
);
