import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../rundir/schema.ts';

/** Latencies are recorded in microseconds, up to an hour, 3 significant digits. */
export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

export function recordMs(h: hdr.Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

const toMs = (us: number) => Math.round(us) / 1000;

export function latencySummary(h: hdr.Histogram): LatencySummary | undefined {
  if (h.totalCount === 0) return undefined;
  return {
    mean: toMs(h.mean),
    min: toMs(h.minNonZeroValue),
    p50: toMs(h.getValueAtPercentile(50)),
    p90: toMs(h.getValueAtPercentile(90)),
    p99: toMs(h.getValueAtPercentile(99)),
    p999: toMs(h.getValueAtPercentile(99.9)),
    max: toMs(h.maxValue),
  };
}

export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Per-second view: p50, p99 and max in ms of what completed in that second. */
export function secondStats(h: hdr.Histogram): { p50?: number; p99?: number; max?: number } {
  if (h.totalCount === 0) return {};
  return { p50: toMs(h.getValueAtPercentile(50)), p99: toMs(h.getValueAtPercentile(99)), max: toMs(h.maxValue) };
}
