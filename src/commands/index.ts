import type { Command } from './context.ts';

/**
 * Subcommands of scripts/leakbench.ts; add new ones here. Each is imported only when it is the
 * one run: importing all of them (load engines, k6 bundling, the sampler) took about 0.3 s of
 * every `leakbench report` before it read a byte of the run.
 */
export const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  run: {
    load: async () => (await import('./run.ts')).runCommand,
    summary: 'run <scenario> [flags]      run a scenario (idle, burst, soak, steady, or a file) against a target',
  },
  compare: {
    load: async () => (await import('./compare.ts')).compareCommand,
    summary: 'compare [scenario] [flags]  one scenario against several builds, one report',
  },
  report: {
    load: async () => (await import('./report.ts')).reportCommand,
    summary: 'report <run dir>            re-render a stored run (report --k6 <k6 output>: import a k6 run)',
  },
  sample: {
    load: async () => (await import('./sample.ts')).sampleCommand,
    summary: "sample --pid|--metrics-url|--cgroup ...  record a process's memory while something else drives the load",
  },
  mark: {
    load: async () => (await import('./mark.ts')).markCommand,
    summary: 'mark <burst-start|burst-end|rest>  mark the load of a running `sample` from another shell',
  },
  'build-k6': {
    load: async () => (await import('./build-k6.ts')).buildK6Command,
    summary: 'build-k6                    bundle scenarios/k6/*.ts into dist/k6/*.js',
  },
  'build-target': {
    load: async () => (await import('./build-target.ts')).buildTargetCommand,
    summary: 'build-target [plain|race]    build the bundled server ahead of the runs (both by default)',
  },
  'k6-configmap': {
    load: async () => (await import('./k6-configmap.ts')).k6ConfigMapCommand,
    summary: 'k6-configmap [--out FILE]   the k6-operator ConfigMap of dist/k6',
  },
};
