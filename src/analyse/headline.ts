import type { SampleFigure } from '../rundir/schema.ts';
import { MANAGED_HEAPS } from './runtime-profiles.ts';
import { formatDuration, formatMiB, formatPercentChange, formatSignedMiB } from './format.ts';
import type { FigureSummary } from './summary-file.ts';

export interface HeadlineInput {
  memory: readonly FigureSummary[];
  /** Samples taken, whatever figures they carry. */
  sampleCount: number;
  /** Seconds between the first and the last sample. */
  sampleSpanS: number;
}

/**
 * The OS's view of the process, best first: VmRSS is exact; the Prometheus figure is the same
 * number seen through the target; the cgroup figure also counts page cache and children.
 */
const RSS_PREFERENCE: readonly { key: SampleFigure; name: string }[] = [
  { key: 'vmRss', name: 'RSS' },
  { key: 'processRss', name: 'RSS (process_resident_memory_bytes)' },
  { key: 'cgroupMemory', name: 'cgroup memory' },
];

/** The heap as a runtime source reads it (src/sample/runtime/), where no /metrics figure gives one. */
const RUNTIME_SOURCE_HEAPS: readonly SampleFigure[] = [
  'inspHeapUsed',
  'hsHeapUsed',
  'gcTraceLive',
  'pprofInuseBytes',
  'pyTracedBytes',
];

/**
 * One sentence of measured facts about memory: what the OS saw next to what the Go runtime
 * saw. It states no verdict; a verdict is a later clause to add to `describe`, not a rewrite.
 */
export function headline(input: HeadlineInput): string {
  if (input.sampleCount < 2) {
    return `Not enough samples to describe memory (${input.sampleCount} sample${input.sampleCount === 1 ? '' : 's'} taken; at least 2 are needed).`;
  }
  return describe(input) + '.';
}

function describe(input: HeadlineInput): string {
  const rss = pickRss(input.memory);
  const heap =
    input.memory.find((f) => MANAGED_HEAPS.includes(f.key)) ??
    input.memory.find((f) => RUNTIME_SOURCE_HEAPS.includes(f.key));
  const heapName = heap?.label ?? 'heap';
  const over = input.sampleSpanS > 0 ? ` over ${formatDuration(input.sampleSpanS)}` : '';
  if (rss === undefined && heap === undefined)
    return 'No RSS or heap figure was sampled, so memory cannot be described';
  if (rss === undefined) return `No RSS figure was sampled; ${goesFrom(heapName, heap!)}${over}`;
  const os = changeClause(rss.name, rss.figure, over);
  if (heap === undefined) return `${os.text} (no runtime heap figure was sampled)`;
  // After a parenthetical ", peaking at ..." the sentence needs a comma to read on.
  return `${os.text}${os.aside ? ',' : ''} while ${goesFrom(heapName, heap)}`;
}

function pickRss(memory: readonly FigureSummary[]): { name: string; figure: FigureSummary } | undefined {
  const present = RSS_PREFERENCE.flatMap(({ key, name }) => {
    const figure = memory.find((f) => f.key === key);
    return figure ? [{ name, figure }] : [];
  });
  // A figure with a single sample has no change to tell; prefer one that can.
  return present.find((p) => p.figure.samples >= 2) ?? present[0];
}

/**
 * "RSS grew from 32.1 MiB to 279.4 MiB (+247.3 MiB, +770%) over 5 min", with the peak when it
 * was well above the end: a drop is an OOM kill and restart, or memory given back.
 */
function changeClause(name: string, f: FigureSummary, over: string): { text: string; aside: boolean } {
  const aside = f.peak > f.end * 1.05 && f.peak > f.start;
  const peak = aside ? `, peaking at ${formatMiB(f.peak)} at ${formatDuration(f.peakT)}` : '';
  if (f.change === 0 && !aside) return { text: `${name} stayed at ${formatMiB(f.start)}${over}`, aside };
  if (f.change === 0) return { text: `${name} ended where it started, at ${formatMiB(f.start)}${over}${peak}`, aside };
  const pct = formatPercentChange(f.change, f.start);
  const delta = pct === undefined ? formatSignedMiB(f.change) : `${formatSignedMiB(f.change)}, ${pct}`;
  return {
    text: `${name} ${f.change > 0 ? 'grew' : 'fell'} from ${formatMiB(f.start)} to ${formatMiB(f.end)} (${delta})${over}${peak}`,
    aside,
  };
}

function goesFrom(name: string, f: FigureSummary): string {
  return `${name} went from ${formatMiB(f.start)} to ${formatMiB(f.end)} (${formatSignedMiB(f.change)})`;
}
