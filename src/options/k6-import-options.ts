import { UsageError } from '../errors.ts';
import { DEFAULTS } from './defaults.ts';
import { parseFlags } from './parse-flags.ts';
import { runName } from './values.ts';

/** `leakbench report --k6 ...`'s flags, checked. */
export interface K6ImportOptions {
  /** --k6 arguments: files or directories. */
  inputs: string[];
  /** --samples: a `npm run sample` run directory or a samples.ndjson. */
  samples?: string;
  outDir: string;
  name?: string;
}

const FLAGS = {
  k6: { type: 'string', multiple: true },
  samples: { type: 'string' },
  out: { type: 'string' },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseK6ImportArgs(args: string[]): K6ImportOptions | 'help' {
  const { values: v, positionals } = parseFlags(args, FLAGS, 'report --k6');
  if (v.help) return 'help';
  if (positionals.length > 0)
    throw new UsageError(
      `report --k6: unexpected argument ${JSON.stringify(positionals[0])}; give each k6 output with its own --k6`,
    );
  const inputs = v.k6 ?? [];
  if (inputs.length === 0) throw new UsageError('--k6: expected a k6 output file or directory');
  return {
    inputs,
    ...(v.samples !== undefined && { samples: v.samples }),
    outDir: v.out ?? DEFAULTS.outDir,
    ...(v.name !== undefined && { name: runName('name', v.name) }),
  };
}
