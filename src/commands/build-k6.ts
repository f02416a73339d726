import { ExitCode, UsageError } from '../errors.ts';
import { buildK6, describeBuild } from '../k6/build.ts';
import type { CommandContext } from './context.ts';

/** `leakbench build-k6` (npm run build:k6): bundle scenarios/k6/*.ts into dist/k6/*.js. */
export async function buildK6Command(args: string[], ctx: CommandContext): Promise<number> {
  if (args.length > 0) throw new UsageError(`build-k6: takes no arguments, got ${JSON.stringify(args[0])}`);
  ctx.out(describeBuild(await buildK6()));
  return ExitCode.ok;
}
