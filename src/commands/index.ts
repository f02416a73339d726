import type { Command } from './context.ts';
import { compareCommand } from './compare.ts';
import { reportCommand } from './report.ts';
import { buildK6Command } from './build-k6.ts';
import { k6ConfigMapCommand } from './k6-configmap.ts';
import { sampleCommand } from './sample.ts';
import { markCommand } from './mark.ts';
import { runCommand } from './run.ts';
import { buildTargetCommand } from './build-target.ts';

/** Subcommands of scripts/leakbench.ts; add new ones here. */
export const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: {
    run: runCommand,
    summary: 'run <scenario> [flags]      run a scenario (idle, burst, soak, steady, or a file) against a target',
  },
  compare: {
    run: compareCommand,
    summary: 'compare [scenario] [flags]  one scenario against several builds, one report',
  },
  report: {
    run: reportCommand,
    summary: 'report <run dir>            re-render a stored run (report --k6 <k6 output>: import a k6 run)',
  },
  sample: {
    run: sampleCommand,
    summary: "sample --pid|--metrics-url|--cgroup ...  record a process's memory while something else drives the load",
  },
  mark: {
    run: markCommand,
    summary: 'mark <burst-start|burst-end|rest>  mark the load of a running `sample` from another shell',
  },
  'build-k6': {
    run: buildK6Command,
    summary: 'build-k6                    bundle scenarios/k6/*.ts into dist/k6/*.js',
  },
  'build-target': {
    run: buildTargetCommand,
    summary: 'build-target [plain|race]    build the bundled server ahead of the runs (both by default)',
  },
  'k6-configmap': {
    run: k6ConfigMapCommand,
    summary: 'k6-configmap [--out FILE]   the k6-operator ConfigMap of dist/k6',
  },
};
