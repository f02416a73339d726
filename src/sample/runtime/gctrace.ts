import type { Sample } from '../../rundir/schema.ts';
import { extendCommaList } from './env.ts';
import type { ProbeTarget, RuntimeProbe, RuntimeSource, Unavailable } from './source.ts';

/**
 * Go's GODEBUG=gctrace=1: one stderr line per collection. Go 1.26 prints
 *   gc 4 @0.004s 6%: 0.029+0.077+0.001 ms clock, ..., 20->20->20 MB, 35 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
 * where A->B->C is the heap at the start and end of the cycle and the heap marked live, and
 * "MB" is 2^20 bytes (the runtime shifts by 20), so its figures are whole MiB.
 */
const LINE = /^gc (\d+) @[\d.]+s \d+%: .*?, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal/;
const MIB = 2 ** 20;

export interface GcTraceLine {
  cycle: number;
  liveBytes: number;
  goalBytes: number;
}

export function parseGcTraceLine(line: string): GcTraceLine | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { cycle: Number(m[1]), liveBytes: Number(m[4]) * MIB, goalBytes: Number(m[5]) * MIB };
}

/** Lines a newer or older runtime prints that are gctrace's own, though not a cycle summary. */
function isGcTraceNoise(line: string): boolean {
  return /^(gc \d+ @|scvg|pacer:)/.test(line);
}

export const goGcTraceProbe: RuntimeProbe = {
  origin: 'gctrace',
  runtimes: ['go'],
  attachable: false,
  launchEnv: (env) => ({ GODEBUG: extendCommaList(env.GODEBUG, 'gctrace=1') }),
  open(target: ProbeTarget): Promise<RuntimeSource | Unavailable> {
    if (!target.launched || !target.stderrLines)
      return Promise.resolve({
        unavailable: target.launched
          ? 'Go live heap from gctrace: the stderr of the target is not read through the pack'
          : 'Go live heap from gctrace: the pack did not start this process, and GODEBUG=gctrace=1 only takes effect at start',
      });
    let last: GcTraceLine | undefined;
    target.stderrLines.subscribe((line) => {
      const parsed = parseGcTraceLine(line);
      if (parsed) last = parsed;
      return parsed !== undefined || isGcTraceNoise(line);
    });
    const source: RuntimeSource = {
      origin: 'gctrace',
      // Nothing until a first collection: a figure absent, never 0.
      read: () =>
        Promise.resolve(
          last
            ? ({
                gcTraceLive: last.liveBytes,
                gcTraceGoal: last.goalBytes,
                gcTraceCycles: last.cycle,
              } as Partial<Sample>)
            : {},
        ),
      close: () => Promise.resolve(),
    };
    return Promise.resolve(source);
  },
};
