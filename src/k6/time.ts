/**
 * Timestamps in k6 outputs, to epoch milliseconds (fractional; k6 writes nanoseconds).
 *
 * - `--out json`: `data.time` is Go's time.Time in JSON, RFC 3339 with nanoseconds and the
 *   runner's zone, e.g. "2017-05-09T14:34:45.625742514+02:00" (k6-docs results-output/real-time/json).
 * - `--out csv`: `timestamp` is `unix` seconds by default, or what `timeFormat`
 *   (K6_CSV_TIME_FORMAT) asks for: unix_milli, unix_micro, unix_nano, rfc3339, rfc3339_nano
 *   (k6-docs results-output/real-time/csv; grafana/k6 output/csv/output.go SampleToRow).
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  // Date.parse would drop digits past milliseconds; keep them, sub-millisecond order matters within a second.
  if (frac) ms += Number(`0.${frac}`) * 1000;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6))) * 60_000;
  }
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A CSV timestamp in any of k6's time formats. Whole numbers are told apart by size: seconds
 * since 1970 have 10 digits until 2286, milliseconds 13, microseconds 16, nanoseconds 19.
 */
export function parseCsvTime(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (s.length <= 11) return n * 1000;
    if (s.length <= 14) return n;
    if (s.length <= 17) return n / 1000;
    // Nanoseconds exceed 2^53: drop the last digits before converting rather than after.
    return Number(s.slice(0, -3)) / 1000;
  }
  return parseRfc3339(s);
}
