import { isIP } from 'node:net';
import { UsageError } from '../errors.ts';

export interface LiveOptions {
  /** 0: the system picks a free port. */
  port: number;
  host: string;
}

export const DEFAULT_LIVE_HOST = '127.0.0.1';

/** Flags of the live view, for node:util parseArgs; `--live` goes through normaliseLiveFlag first. */
export const LIVE_FLAGS = {
  live: { type: 'string' },
  'live-host': { type: 'string' },
} as const;

export const LIVE_HELP = `Live view:
  --live [PORT]            serve a page that shows the run as it goes (charts, phase, counts, growth so
                           far) on http://127.0.0.1:PORT/ for the length of the run (no PORT: one is
                           picked and printed)
  --live-host ADDR         listen on ADDR instead of 127.0.0.1 (e.g. 0.0.0.0: every interface; the
                           page has no authentication, so only on a network you trust)`;

/**
 * `--live` takes an optional port, which node:util parseArgs cannot express: a `--live` not
 * followed by a port becomes `--live=0` (0: the system picks a port).
 */
export function normaliseLiveFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--live' && !/^\d+$/.test(args[i + 1] ?? '')) out.push('--live=0');
    else out.push(a);
  }
  return out;
}

export function parseLiveOptions(v: { live?: string; 'live-host'?: string }): LiveOptions | undefined {
  if (v.live === undefined) {
    if (v['live-host'] !== undefined) throw new UsageError('--live-host: only with --live');
    return undefined;
  }
  if (!/^\d+$/.test(v.live) || Number(v.live) > 65535)
    throw new UsageError(
      `--live: expected a port from 1 to 65535 (or none, to let the system pick), got ${JSON.stringify(v.live)}`,
    );
  const host = v['live-host'] ?? DEFAULT_LIVE_HOST;
  if (host !== 'localhost' && isIP(host) === 0)
    throw new UsageError(
      `--live-host: expected an IP address to listen on (127.0.0.1, ::1, 0.0.0.0 for every interface), got ${JSON.stringify(host)}`,
    );
  return { port: Number(v.live), host };
}

/**
 * How long a run is planned to last, from each phase's planned length (its kind's plannedMs):
 * unknown when one of them is (a burst's length depends on the target).
 */
export function plannedSeconds(phaseMs: readonly (number | undefined)[], settleMs: number): number | undefined {
  if (phaseMs.length === 0 || phaseMs.some((ms) => ms === undefined)) return undefined;
  return (phaseMs.reduce<number>((n, ms) => n + ms!, 0) + settleMs) / 1000;
}
