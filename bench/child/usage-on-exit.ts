/**
 * Preloaded (--import) into a child the benchmark measures: at exit, writes the process's own
 * resource usage to $LEAKBENCH_BENCH_USAGE. The kernel's peak RSS of a process can only be read
 * from inside it (or from wait4, which Node does not expose), and 'exit' runs however it ends.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.LEAKBENCH_BENCH_USAGE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      file,
      JSON.stringify({ maxRssKb: u.maxRSS, userS: u.userCPUTime / 1e6, systemS: u.systemCPUTime / 1e6 }),
    );
  });
}
