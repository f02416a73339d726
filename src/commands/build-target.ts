import { ExitCode, UsageError } from '../errors.ts';
import { VARIANTS, type Variant } from '../options/run-options.ts';
import { ensureBundledBinary } from '../target/bundled-build.ts';
import type { CommandContext } from './context.ts';

/**
 * `leakbench build-target [plain|race]...` (npm run build:target): builds the bundled server
 * into the pack's cache ahead of the runs, so a CI job shows a build failure as its own step
 * and the runs that follow start at once.
 */
export async function buildTargetCommand(args: string[], ctx: CommandContext): Promise<number> {
  for (const a of args) {
    if (!(VARIANTS as readonly string[]).includes(a))
      throw new UsageError(`build-target: expected ${VARIANTS.join(' and/or ')}, got ${JSON.stringify(a)}`);
  }
  const variants = args.length === 0 ? VARIANTS : [...new Set(args as Variant[])];
  for (const v of variants) await ensureBundledBinary(v, ctx.err);
  return ExitCode.ok;
}
