import { existsSync, statSync } from 'node:fs';
import { UsageError } from '../errors.ts';

/** `leakbench report`: a stored run (or comparison) directory, or a k6 import (`--k6 ...`, see k6-import-options.ts). */
export type ReportArgs = { k6: true } | { k6: false; dir: string };

export function parseReportArgs(args: readonly string[]): ReportArgs {
  if (args.some((a) => a === '--k6' || a.startsWith('--k6='))) return { k6: true };
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    throw new UsageError(
      'report: expected one argument, the run directory (e.g. npm run report -- reports/burst-race-2026-11-26T10-00-00Z)',
    );
  }
  const dir = args[0]!;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`report: ${dir} is not a directory`);
  return { k6: false, dir };
}
