import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ExitCode, LeakbenchError, UsageError } from '../errors.ts';
import { K6_DIST_DIR } from '../k6/build.ts';
import { configMapYaml, readK6Dist } from '../k6/configmap.ts';
import type { CommandContext } from './context.ts';

export const K6_CONFIGMAP_HELP = `leakbench k6-configmap [--name leakbench-k6] [--namespace NS] [--dist dist/k6] [--out FILE]

Writes a ConfigMap holding every bundle and source map in dist/k6 (npm run build:k6 first),
for a k6-operator TestRun's spec.script.configMap. Without --out it goes to stdout:
  npm run --silent k6:configmap | kubectl apply -f -`;

/** `leakbench k6-configmap` (npm run k6:configmap): the ConfigMap k6-operator reads the scripts from. */
export async function k6ConfigMapCommand(args: string[], ctx: CommandContext): Promise<number> {
  let v;
  try {
    ({ values: v } = parseArgs({
      args,
      options: {
        name: { type: 'string' },
        namespace: { type: 'string' },
        dist: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`k6-configmap: ${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  if (v.help) {
    ctx.out(K6_CONFIGMAP_HELP);
    return ExitCode.ok;
  }
  const yaml = configMapYaml({
    name: v.name ?? 'leakbench-k6',
    ...(v.namespace !== undefined && { namespace: v.namespace }),
    files: readK6Dist(v.dist ?? K6_DIST_DIR),
  });
  if (v.out === undefined) {
    ctx.out(yaml.trimEnd());
  } else {
    try {
      writeFileSync(v.out, yaml);
    } catch (err) {
      throw new LeakbenchError(`--out: cannot write ${v.out}: ${(err as Error).message}`, ExitCode.usage);
    }
    ctx.err(`wrote ${v.out}`);
  }
  return ExitCode.ok;
}
