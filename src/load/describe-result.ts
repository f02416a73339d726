import type { PhaseLoadSummary } from '../rundir/schema.ts';

/**
 * The parts of a phase result that only mixes and steady phases have, in words for the
 * console: how the schedule was kept, and what each request got. Empty for the rest.
 */
export function requestLines(l: PhaseLoadSummary): string {
  const out: string[] = [];
  if (l.steady) {
    const s = l.steady;
    out.push(
      `    schedule: ${s.scheduled.toLocaleString('en-US')} due, ${s.notSent} not sent, ${s.late} sent over ${s.lateAfterMs} ms late; ` +
        `send lateness p50 ${s.sendLateness.p50} ms p99 ${s.sendLateness.p99} ms max ${s.sendLateness.max} ms; ` +
        `${s.connectionsOpened} connections opened, at most ${s.peakInFlight} in flight (latency counted from the scheduled time)`,
    );
  }
  if (l.responsesByRequest) {
    out.push(
      `    by request: ${Object.entries(l.responsesByRequest)
        .map(([name, n]) => `${name} ${n.toLocaleString('en-US')}`)
        .join(', ')}`,
    );
  }
  if (l.unexpectedStatus !== undefined)
    out.push(`    unexpected status: ${l.unexpectedStatus.toLocaleString('en-US')}`);
  return out.join('\n');
}
