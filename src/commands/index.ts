import type { Command } from './context.ts';
import { reportCommand } from './report.ts';
import { runCommand } from './run.ts';

/** Subcommands of scripts/leakbench.ts; add new ones here. */
export const COMMANDS: Record<string, { run: Command; summary: string }> = {
  run: { run: runCommand, summary: 'run <idle|burst> [flags]   run a scenario against a target' },
  report: { run: reportCommand, summary: 'report <run dir>            re-render a stored run' },
};
