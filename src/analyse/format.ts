/**
 * Plain-words formatting shared by the headline, the Markdown and the HTML report, so the
 * same number reads the same everywhere. Pure and locale-independent: the report must not
 * change with the machine that renders it.
 */

const MIB = 1024 * 1024;

/** `toFixed`, except that a change rounded to nothing prints "0.0", never "-0.0". */
function fixed(value: number, digits: number): string {
  const s = value.toFixed(digits);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** "32.1 MiB". */
export function formatMiB(bytes: number): string {
  return `${fixed(bytes / MIB, 1)} MiB`;
}

/**
 * "+247.3 MiB" / "-0.3 MiB": a change always shows its sign. A change that would round to
 * "+0.0 MiB" but is not zero is given in KiB: a few KiB per idle probe is the signal there.
 */
export function formatSignedMiB(bytes: number): string {
  const small = bytes !== 0 && Math.abs(bytes) < 0.05 * MIB;
  const s = small ? fixed(bytes / 1024, 1) : fixed(bytes / MIB, 1);
  return `${s.startsWith('-') ? s : `+${s}`} ${small ? 'KiB' : 'MiB'}`;
}

/** "1,000,000", without depending on the ICU data or locale of the machine. */
export function formatCount(n: number): string {
  const rounded = Math.round(n);
  const sign = rounded < 0 ? '-' : '';
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatSignedCount(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : formatCount(n);
}

/**
 * "+770%" for a change of `change` from `base`; one decimal under 10% so small drifts are not
 * rounded to nothing. Undefined when there is no base to compare with.
 */
export function formatPercentChange(change: number, base: number): string | undefined {
  if (base <= 0 || !Number.isFinite(base)) return undefined;
  const pct = (change / base) * 100;
  const s = Math.abs(pct) >= 10 ? fixed(pct, 0) : fixed(pct, 1);
  return s.startsWith('-') ? `${s}%` : `+${s}%`;
}

/** "45.2 s", "16 min 40 s", "1 h 30 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return `${fixed(seconds, seconds < 10 ? 2 : 1)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return s > 0 ? `${m} min ${s} s` : `${m} min`;
}

/** Latencies: "0.42 ms", "12.3 ms", "1,204 ms". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (Math.abs(ms) < 10) return `${fixed(ms, 2)} ms`;
  if (Math.abs(ms) < 1000) return `${fixed(ms, 1)} ms`;
  return `${formatCount(ms)} ms`;
}

/** Requests per second: "1.00/s", "18,342/s". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'unknown';
  return perSecond < 100 ? `${fixed(perSecond, 2)}/s` : `${formatCount(perSecond)}/s`;
}

/** A figure in its own unit: bytes as MiB, counts as integers. */
export function formatFigure(value: number, unit: 'bytes' | 'count'): string {
  return unit === 'bytes' ? formatMiB(value) : formatCount(value);
}

/** A change in its own unit, with a sign, and a percentage when the start is known. */
export function formatFigureChange(change: number, start: number, unit: 'bytes' | 'count'): string {
  if (change === 0) return 'no change';
  const abs = unit === 'bytes' ? formatSignedMiB(change) : formatSignedCount(change);
  const pct = formatPercentChange(change, start);
  return pct === undefined ? abs : `${abs} (${pct})`;
}

/** Seconds since start as "t=12.0 s" / "t=16 min 40 s", for event lists. */
export function formatT(t: number): string {
  return `t=${formatDuration(t)}`;
}

/**
 * A signed amount of memory in the unit that keeps its digits: "+562.3 KiB", "+5.3 MiB",
 * "-120 B". Rates per request or per hour span bytes to hundreds of MiB.
 */
export function formatSignedBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '+';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * MIB) return `${sign}${fixed(abs / (1024 * MIB), 2)} GiB`;
  if (abs >= MIB) return `${sign}${fixed(abs / MIB, 1)} MiB`;
  if (abs >= 1024) return `${sign}${fixed(abs / 1024, 1)} KiB`;
  return `${sign}${fixed(abs, 0)} B`;
}
