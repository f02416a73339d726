import { median } from 'simple-statistics';
import type { RunData } from '../rundir/read-run.ts';
import type { Artifact, RunEvent, SampleFigure } from '../rundir/schema.ts';
import { pprofDiffCommand } from './pprof-command.ts';
import { isGrowthKind, type DiagnosedFigure, type Diagnosis, type FigureDiagnosis, type HeapProfileDiff, type Projection, type RateFit, type Verdict, type VerdictKind, type WindowFigure } from './diagnosis.ts';
import { diagnoseFigures } from './figure-growth.ts';
import { formatCount, formatDuration, formatMiB, formatSignedBytes, formatT } from './format.ts';
import { smapsReport, type MappingKind, type SmapsReport, type SmapsSnapshot } from './smaps.ts';
import { THRESHOLDS } from './thresholds.ts';
import { analysisWindows, exitTimes } from './windows.ts';

export interface DiagnoseOptions {
  /** The target's memory limit (a pod's, or --memory-limit): projects the time to reach it. */
  memoryLimitBytes?: number;
}

const RACE_ISSUE = 'golang/go#63276';
const RACE_ISSUE_URL = 'https://github.com/golang/go/issues/63276';

/**
 * The OS's view of the process, best first: VmRSS is exact; process_resident_memory_bytes is
 * the same number through the target; cgroup memory also counts page cache; PSS and RssAnon
 * are parts of RSS, still better than nothing.
 */
const RSS_PREFERENCE: readonly SampleFigure[] = ['vmRss', 'processRss', 'cgroupMemory', 'pss', 'rssAnon'];

/**
 * A run's memory diagnosis: per-figure baselines, per-phase changes and robust growth rates,
 * and one verdict with its evidence. Pure (RunData in, value out) and never throws: a run
 * that cannot support a verdict gets `not-enough-data` saying what is missing.
 */
export function diagnose(data: RunData, opts: DiagnoseOptions = {}): Diagnosis {
  const exits = exitTimes(data.events);
  const windows = analysisWindows(data);
  const figures = diagnoseFigures(data, windows, exits);
  const ctx = new Context(data, figures, exits);
  const verdict = decide(ctx);
  const diagnosis: Diagnosis = {
    verdict,
    figures,
    targetExits: { count: ctx.unexpectedExits.length, oomKills: ctx.unexpectedExits.filter(isOomKill).length },
  };
  if (ctx.rssKey) diagnosis.rssFigure = ctx.rssKey;
  if (ctx.smaps) diagnosis.smaps = ctx.smaps;
  if (ctx.profiles) diagnosis.heapProfiles = ctx.profiles;
  const projection = opts.memoryLimitBytes !== undefined && opts.memoryLimitBytes > 0 ? project(ctx, opts.memoryLimitBytes, verdict) : undefined;
  if (projection) {
    diagnosis.projection = projection;
    verdict.evidence.push(...projection.text);
  }
  return diagnosis;
}

/** What the decision and the words need, computed once. */
class Context {
  readonly rss: FigureDiagnosis | undefined;
  readonly rssKey: SampleFigure | undefined;
  readonly smaps: SmapsReport | undefined;
  readonly profiles: HeapProfileDiff | undefined;
  readonly unexpectedExits: RunEvent[];
  readonly isRace: boolean | undefined;
  readonly hasGoMetrics: boolean;
  readonly caveats: string[] = [];
  /** Evidence found on the way to the verdict (discounted growth), added to whichever it is. */
  readonly notes: string[] = [];

  constructor(
    readonly data: RunData,
    readonly figures: readonly FigureDiagnosis[],
    exits: readonly number[],
  ) {
    this.rssKey = RSS_PREFERENCE.find((k) => (this.fig(k)?.samples ?? 0) >= 2);
    this.rss = this.rssKey === undefined ? undefined : this.fig(this.rssKey);
    const lastSampleT = data.samples.at(-1)?.t ?? 0;
    // An exit after the last sample is the pack stopping its target at the end of the run.
    this.unexpectedExits = data.events.filter((e) => e.type === 'target-exit' && (e.t < lastSampleT || isOomKill(e)));
    this.smaps = smapsOf(data, exits);
    this.profiles = profilesOf(data.run.heapProfiles);
    this.isRace = raceBuild(data);
    this.hasGoMetrics = this.fig('heapInuse') !== undefined || this.fig('goSys') !== undefined;
  }

  fig(key: DiagnosedFigure): FigureDiagnosis | undefined {
    return this.figures.find((f) => f.key === key);
  }

  /** The fit that speaks for a window: per request under load, per hour at rest. */
  primary(w: WindowFigure): RateFit | undefined {
    return w.kind === 'burst' ? (w.per1k ?? w.perHour) : w.perHour;
  }

  windowOf(f: FigureDiagnosis | undefined, name: string): WindowFigure | undefined {
    return f?.windows.find((w) => w.window === name);
  }

  growing(f: FigureDiagnosis | undefined): WindowFigure[] {
    return (f?.windows ?? []).filter((w) => this.primary(w)?.trend === 'growing');
  }
}

function decide(ctx: Context): Verdict {
  const rss = ctx.rss;
  if (!ctx.hasGoMetrics) {
    ctx.caveats.push('Go runtime metrics (a Prometheus /metrics with go_memstats_*) were not sampled, so Go heap, stacks and goroutines cannot be told apart in RSS; pass --metrics-url if the target has them.');
  }
  if (rss === undefined) {
    return notEnough(ctx, [
      ctx.data.samples.length < 2
        ? `${ctx.data.samples.length} memory sample${ctx.data.samples.length === 1 ? ' was' : 's were'} taken; a trend needs at least ${THRESHOLDS.minFitPoints} in a phase.`
        : 'No RSS figure was sampled (neither /proc/PID/status, process_resident_memory_bytes nor the cgroup): the OS view of the process, which every verdict rests on, is missing.',
    ]);
  }
  const fitted = rss.windows.filter((w) => ctx.primary(w)?.ok);
  if (fitted.length === 0) {
    // No phase was long enough for a rate; what the load left behind can still be measured.
    const missing = rss.windows.map((w) => `${w.window}: ${ctx.primary(w)?.reason ?? 'no fit'}.`);
    ctx.caveats.push(`No phase was long enough to fit a growth rate (${missing.join(' ')}), so the verdict rests on what was still held after the load.`);
    const held = heldAfterLoad(ctx, rss);
    if (held) return held;
    ctx.caveats.pop();
    return notEnough(ctx, missing);
  }
  for (const w of rss.windows) {
    const p = ctx.primary(w);
    if (p && !p.ok) ctx.caveats.push(`${rss.label} in ${w.window} was not fitted: ${p.reason}.`);
    if (p?.ok && p.basis === 'per-1k-requests' && w.requestsFrom === 'phase result (assumed uniform)') {
      ctx.caveats.push(`${w.window} recorded no per-second progress, so its requests are assumed to have completed at an even rate over the phase.`);
    }
    if (p?.ok && w.kind === 'burst' && p.basis === 'per-hour') {
      ctx.caveats.push(`${w.window} recorded no per-request progress (no load.ndjson lines for it), so its growth is per hour, not per request.`);
    }
  }
  shortIdleCaveats(ctx, rss);

  const goroutines = ctx.growing(ctx.fig('goroutines'));
  if (goroutines.length > 0) return goroutineGrowth(ctx, goroutines);
  const growing = ctx.growing(rss).filter((w) => !stoppedLater(ctx, rss, w));
  if (growing.length > 0) {
    const verdict = rssGrowth(ctx, strongest(growing));
    if (verdict) return verdict;
  }
  const heapIdle = ctx.growing(ctx.fig('heapInuse')).filter((w) => w.kind === 'idle');
  if (heapIdle.length > 0) return heapOnlyGrowth(ctx, strongest(heapIdle));
  return highWaterOrStable(ctx, rss);
}

/**
 * Growth at rest that a later idle phase of the same process no longer shows is a warm-up
 * (a fresh process faulting in its heap and code), not a leak: a leak does not stop.
 */
function stoppedLater(ctx: Context, rss: FigureDiagnosis, w: WindowFigure): boolean {
  if (w.kind !== 'idle') return false;
  const exits = ctx.unexpectedExits.map((e) => e.t);
  const later = rss.windows.find(
    (o) => o.kind === 'idle' && o.startT >= w.endT && o.perHour?.ok === true && o.perHour.trend !== 'growing' && !exits.some((t) => t > w.startT && t < o.endT),
  );
  if (!later) return false;
  ctx.notes.push(`${rss.label} rose in ${w.window} (${rateText(w.perHour!.rate!, 'per-hour', rss.unit)}) but not in ${later.window} (${rateText(later.perHour!.rate!, 'per-hour', rss.unit)}): growth that stops is the process warming up, so it is not counted.`);
  return true;
}

function strongest(windows: readonly WindowFigure[]): WindowFigure {
  return [...windows].sort((a, b) => riseOf(b) - riseOf(a))[0]!;
}

function riseOf(w: WindowFigure): number {
  return (w.kind === 'burst' ? (w.per1k ?? w.perHour) : w.perHour)?.rise ?? 0;
}

// ─── verdicts ──────────────────────────────────────────────────────────────────────────────

function goroutineGrowth(ctx: Context, windows: readonly WindowFigure[]): Verdict {
  const g = ctx.fig('goroutines')!;
  const w = strongest(windows);
  const evidence = [`goroutines ${growthSentence(ctx, g, w)}`];
  if (ctx.rss) evidence.push(rssStatus(ctx, ctx.rss));
  for (const key of ['stackInuse', 'heapInuse'] as const) {
    const f = ctx.fig(key);
    const fw = ctx.windowOf(f, w.window);
    if (f && fw) evidence.push(`${f.label} in ${w.window}: ${changeWords(f, fw)}.`);
  }
  evidence.push(...exitEvidence(ctx), ...smapsEvidence(ctx));
  const base = targetBase(ctx);
  return finish(ctx, 'goroutine-growth', 'The goroutine count keeps growing: goroutines that never exit each hold a stack and whatever they reference, so memory follows them.', evidence, [
    `See where they wait: curl -s '${base}/debug/pprof/goroutine?debug=1' groups live goroutines by stack; the largest group is the leak (typically blocked on a channel, a lock or a connection without a deadline).`,
    ...profileSuggestion(ctx),
  ]);
}

/**
 * RSS grows in `w`: say where. Undefined when the growth is inside memory the Go runtime
 * already holds while neither live heap nor goroutines grow: the runtime settling into its
 * working set (measured on the plain build's first minutes), which the caller then judges as
 * held or stable.
 */
function rssGrowth(ctx: Context, w: WindowFigure): Verdict | undefined {
  const rss = ctx.rss!;
  const rssFit = ctx.primary(w)!;
  const rssRise = rssFit.rise!;
  const evidence = [`${rss.label} ${growthSentence(ctx, rss, w)}`];
  for (const other of rss.windows) {
    if (other === w || ctx.primary(other)?.trend !== 'growing') continue;
    evidence.push(`${rss.label} also ${growthSentence(ctx, rss, other)}`);
  }
  const rise = (key: DiagnosedFigure): number | undefined => {
    const fw = ctx.windowOf(ctx.fig(key), w.window);
    const fit = fw && (rssFit.basis === 'per-1k-requests' ? fw.per1k : fw.perHour);
    return fit?.ok ? fit.rise : fw?.change;
  };
  const outside = rise('outsideGo');
  // The heap carries growth only if it grows itself: inside one GC cycle heap in use always
  // rises, and a share of a rise that the next collection takes back is no evidence.
  const heapFit = ctx.windowOf(ctx.fig('heapInuse'), w.window);
  const heapGrows = (rssFit.basis === 'per-1k-requests' ? heapFit?.per1k : heapFit?.perHour)?.trend === 'growing';
  const heap = heapGrows ? rise('heapInuse') : undefined;
  const goSide = goSideSentence(ctx, w, rssRise);
  if (goSide) evidence.push(goSide);
  evidence.push(...goroutineStatus(ctx), ...exitEvidence(ctx), ...smapsEvidence(ctx));

  if (outside !== undefined) {
    if (outside >= THRESHOLDS.goRuntimeShare * rssRise) return outsideGoRuntime(ctx, evidence, `${share(outside, rssRise)} of it is resident anonymous memory beyond everything the Go runtime got from the OS`);
    if (heap !== undefined && heap >= THRESHOLDS.heapShare * rssRise) {
      if (heapGivenBack(ctx, w, heap)) return undefined;
      return heapGrowth(ctx, evidence, `Go heap in use carries ${share(heap, rssRise)} of the RSS growth`);
    }
    ctx.notes.push(
      `${rss.label} rose ${formatSignedBytes(rssRise)} in ${w.window}, but within memory the Go runtime had already taken from the OS (RSS outside it ${formatSignedBytes(outside)}) while neither live heap nor goroutines grew: the runtime touching pages it holds (warm-up, heap reaching its goal between collections), not a leak.`,
    );
    return undefined;
  }
  if (heap !== undefined && heap >= THRESHOLDS.heapShare * rssRise) {
    if (heapGivenBack(ctx, w, heap)) return undefined;
    return heapGrowth(ctx, evidence, `Go heap in use carries ${share(heap, rssRise)} of the RSS growth`);
  }
  // No Go sys: only smaps can say where the memory is.
  const where = smapsAttribution(ctx);
  if (where === 'go-heap') return heapGrowth(ctx, evidence, 'smaps puts most of the growth in the Go heap arena', true);
  if (where === 'outside') return outsideGoRuntime(ctx, evidence, 'smaps puts most of the growth outside the Go heap arena', true);
  ctx.caveats.push(
    ctx.hasGoMetrics
      ? 'Go sys was not sampled, so memory outside the Go runtime cannot be separated from the runtime\'s own; and no two smaps snapshots were taken to tell by address.'
      : 'Without Go runtime metrics or two smaps snapshots, the pack cannot say whether the Go heap, goroutines or memory outside the Go runtime grows.',
  );
  const summary = `${rss.label} grows and does not level off; where the memory goes cannot be told from this run.`;
  return finish(ctx, 'rss-growth', summary, evidence, [
    'Sample the target\'s Go runtime metrics (--metrics-url .../metrics, from prometheus/client_golang) or let the pack take smaps snapshots (a target it starts or a --pid it can read), then run again.',
    ...raceSuggestions(ctx),
  ]);
}

/**
 * Heap that grew under load and was given back in a later idle phase was live data of the
 * load (queued requests, buffers), not a leak; what RSS keeps of it is a high-water mark.
 * Without an idle phase after the load, nobody can tell, and the caveat says so.
 */
function heapGivenBack(ctx: Context, w: WindowFigure, heapRise: number): boolean {
  if (w.kind !== 'burst') return false;
  const heap = ctx.fig('heapInuse')!;
  const after = heap.windows.filter((o) => o.kind === 'idle' && o.startT >= w.endT - 1e-9 && o.end !== undefined).at(-1);
  if (!after) {
    ctx.caveats.push(`No idle phase followed ${w.window}, so whether the Go heap is given back after the load was not measured; the soak scenario has one.`);
    return false;
  }
  const kept = after.end! - heap.baseline;
  if (kept >= (1 - THRESHOLDS.heapShare) * heapRise) return false;
  ctx.notes.push(`Go heap in use rose ${formatSignedBytes(heapRise)} during ${w.window} but was back to ${formatMiB(after.end!)} at the end of ${after.window} (baseline ${formatMiB(heap.baseline)}): the load's live data did not stay, so what RSS kept is a high-water mark.`);
  return true;
}

function outsideGoRuntime(ctx: Context, evidence: string[], why: string, fromSmaps = false): Verdict {
  if (fromSmaps) ctx.caveats.push('Attributed by smaps address ranges only, without Go runtime metrics: memory the Go runtime maps outside its heap arena (e.g. its own metadata) counts as outside.');
  const race = ctx.isRace === true;
  const summary = race
    ? `RSS grows while the Go heap, stacks and Go sys stay flat (${why}). This is a -race build: the race runtime keeps a record for every goroutine ever created and never frees it (${RACE_ISSUE}), and net/http starts goroutines per connection and per request, so memory grows with traffic where Go's own accounting cannot see it.`
    : `RSS grows outside the Go runtime (${why}): Go heap, stacks and Go sys do not account for it. Likely sources: a -race build (${RACE_ISSUE}), cgo or C libraries allocating with malloc, or memory mapped by native code.`;
  const suggestions = race
    ? [
        `Build without -race for anything long-running: the race detector is for tests, and its memory is expected to grow (see ${RACE_ISSUE_URL}; the race detector's documentation says its memory does not show in runtime.ReadMemStats or pprof).`,
        'Compare with the plain build: npm run scenario:compare runs the same scenario against both.',
      ]
    : [...raceSuggestions(ctx), 'For cgo/C: check native libraries for unfreed malloc (e.g. heaptrack or valgrind --tool=massif on the binary), and the smaps table for the mappings that grew.'];
  return finish(ctx, 'growth-outside-go-runtime', summary, evidence, suggestions);
}

function heapGrowth(ctx: Context, evidence: string[], why: string, fromSmaps = false): Verdict {
  if (fromSmaps) ctx.caveats.push('Attributed by smaps address ranges only, without Go runtime metrics.');
  return finish(ctx, 'go-heap-growth', `RSS grows with the Go heap (${why}): objects are being kept alive, in a cache, a map, a slice or by goroutines.`, evidence, profileSuggestion(ctx));
}

function heapOnlyGrowth(ctx: Context, w: WindowFigure): Verdict {
  const heap = ctx.fig('heapInuse')!;
  const evidence = [`Go heap in use ${growthSentence(ctx, heap, w)}`];
  if (ctx.rss) evidence.push(rssStatus(ctx, ctx.rss));
  evidence.push(...goroutineStatus(ctx), ...exitEvidence(ctx), ...smapsEvidence(ctx));
  return finish(ctx, 'go-heap-growth', 'The Go heap in use keeps growing at rest, although RSS has not yet grown beyond noise: live objects accumulate, and RSS will follow once the runtime\'s free memory is used up.', evidence, profileSuggestion(ctx));
}

function highWaterOrStable(ctx: Context, rss: FigureDiagnosis): Verdict {
  const held = heldAfterLoad(ctx, rss);
  if (held) return held;
  const endNow = tailMedian(ctx.data.samples, ctx.rssKey!);
  const evidence = [rssStatus(ctx, rss), ...goroutineStatus(ctx), ...exitEvidence(ctx), ...smapsEvidence(ctx)];
  return finish(ctx, 'stable', `No memory figure grows beyond noise: ${rss.label} ends ${formatSignedBytes(endNow - rss.baseline)} from its baseline of ${formatMiB(rss.baseline)}.`, evidence, []);
}

/**
 * RSS that rose under load and stays up, judged by what holds it once the load is over:
 * goroutines still alive or live heap still referenced are leaks the load left behind (a
 * leak per request is flat at rest, when no requests come); memory outside the runtime that
 * stays is the race runtime's (or C's) and is not given back; memory the runtime holds while
 * its live heap is back down is a high-water mark. Undefined when nothing high is held.
 */
function heldAfterLoad(ctx: Context, rss: FigureDiagnosis): Verdict | undefined {
  const burst = rss.windows.filter((w) => w.kind === 'burst').sort((a, b) => (b.peak ?? -Infinity) - (a.peak ?? -Infinity))[0];
  if (!burst) return undefined;
  const idleAfter = rss.windows.filter((w) => w.kind === 'idle' && w.startT >= burst.endT - 1e-9 && w.end !== undefined).at(-1);
  const peakFrom = Math.max(...rss.windows.filter((w) => w.startT >= burst.startT && w.peak !== undefined).map((w) => w.peak!));
  const rose = peakFrom - rss.baseline;
  const after = (f: FigureDiagnosis): number => (idleAfter ? (ctx.windowOf(f, idleAfter.window)?.end ?? f.end) : tailOf(ctx, f));
  const held = after(rss) - rss.baseline;
  if (!(rose >= THRESHOLDS.highWaterBytes && held >= THRESHOLDS.highWaterBytes)) return undefined;

  const where = idleAfter ? `at the end of ${idleAfter.window}` : 'at the end of the run';
  const evidence = [
    `${rss.label} rose ${formatSignedBytes(rose)} above its baseline of ${formatMiB(rss.baseline)} during ${burst.window}${burst.requests !== undefined ? ` (${formatCount(burst.requests)} requests)` : ''} and was still ${formatSignedBytes(held)} above it ${where}.`,
  ];
  if (!idleAfter) ctx.caveats.push('No idle phase followed the burst, so whether memory stays flat at rest was not measured; the soak scenario has one.');
  const kept = (key: DiagnosedFigure): number | undefined => {
    const f = ctx.fig(key);
    return f ? after(f) - f.baseline : undefined;
  };
  const goroutines = kept('goroutines');
  const heap = kept('heapInuse');
  const outside = kept('outsideGo');
  const tail = [rssStatus(ctx, rss), ...exitEvidence(ctx), ...smapsEvidence(ctx)];

  if (goroutines !== undefined && goroutines >= THRESHOLDS.minGoroutineRise) {
    const g = ctx.fig('goroutines')!;
    evidence.push(`goroutines: ${formatCount(g.baseline)} before the load, ${formatCount(after(g))} ${where}: ${formatCount(goroutines)} started by the load never exited.`, ...tail);
    return finish(ctx, 'goroutine-growth', 'Goroutines started by the load are still alive after it: they never exit, and each holds a stack and whatever it references.', evidence, [
      `See where they wait: curl -s '${targetBase(ctx)}/debug/pprof/goroutine?debug=1' groups live goroutines by stack; the largest group is the leak.`,
      ...profileSuggestion(ctx),
    ]);
  }
  if (heap !== undefined && heap >= THRESHOLDS.heapShare * held) {
    evidence.push(`Go heap in use is still ${formatSignedBytes(heap)} above its baseline ${where} (${share(heap, held)} of what RSS holds): objects from the load are still referenced.`, ...tail);
    return finish(ctx, 'go-heap-growth', 'The Go heap keeps what the load allocated: live objects from the requests are still referenced after it (a cache, a map, a slice, a goroutine), so memory grows with every request served.', evidence, profileSuggestion(ctx));
  }
  if (outside !== undefined && outside >= THRESHOLDS.goRuntimeShare * held) {
    evidence.push(`RSS outside the Go runtime is still ${formatSignedBytes(outside)} above its baseline ${where} (${share(outside, held)} of what RSS holds).`, ...tail);
    return outsideGoRuntime(ctx, evidence, `${share(outside, held)} of what the load left behind is resident memory beyond everything the Go runtime got from the OS`);
  }
  evidence.push(...releasedEvidence(ctx, idleAfter), ...goroutineStatus(ctx), ...tail);
  if (!ctx.hasGoMetrics) ctx.caveats.push('Without Go runtime metrics, whether the Go heap still holds the load\'s objects cannot be told: a leak per request would look the same.');
  return finish(
    ctx,
    'high-water-held',
    `${rss.label} rose under load and stays up, but does not grow at rest: a high-water mark, not a leak. The Go runtime keeps freed heap for reuse and returns it to the OS gradually (go_memstats_heap_released_bytes shows how much it has).`,
    evidence,
    ['If the held memory matters (a tight pod limit), set GOMEMLIMIT so the runtime returns memory sooner under pressure, or call debug.FreeOSMemory() after a known peak.'],
  );
}

/** Median of a figure's last few samples (for a derived figure, its last window's end). */
function tailOf(ctx: Context, f: FigureDiagnosis): number {
  if (f.key === 'outsideGo') return f.windows.at(-1)?.end ?? f.end;
  return tailMedian(ctx.data.samples, f.key);
}

function notEnough(ctx: Context, missing: string[]): Verdict {
  return finish(ctx, 'not-enough-data', `Not enough data for a verdict: ${missing.join(' ')}`, [...exitEvidence(ctx)], [
    `Sample for longer: a phase needs at least ${THRESHOLDS.minFitPoints} samples over ${formatDuration(THRESHOLDS.minIdleSpanS)} at rest, or over ${formatCount(THRESHOLDS.minBurstKRequests * 1000)} requests under load.`,
  ]);
}

function finish(ctx: Context, kind: VerdictKind, summary: string, evidence: string[], suggestions: string[]): Verdict {
  return { kind, summary, evidence: [...new Set([...evidence, ...ctx.notes])], caveats: [...new Set(ctx.caveats)], suggestions };
}

// ─── evidence sentences ────────────────────────────────────────────────────────────────────

/** "grew +562.8 MiB during burst (1,000,000 requests): +576.3 KiB per 1,000 requests (95% CI ..., Kendall's tau 0.99)." */
function growthSentence(ctx: Context, f: FigureDiagnosis, w: WindowFigure): string {
  const fit = ctx.primary(w)!;
  const amount = f.unit === 'bytes' ? formatSignedBytes(fit.rise ?? 0) : signedCount(fit.rise ?? 0);
  const requests = w.requests !== undefined ? `, ${formatCount(w.requests)} requests` : '';
  const late = fit.lateRate !== undefined ? `; second half ${rateText(fit.lateRate, fit.basis, f.unit)}` : '';
  return `grew ${amount} (fitted) during ${w.window} (${formatDuration(w.endT - w.startT)}${requests}): ${rateText(fit.rate!, fit.basis, f.unit)} (95% CI ${amountText(fit.low!, f.unit)} to ${amountText(fit.high!, f.unit)}, Kendall's tau ${fit.tau!.toFixed(2)}${late}).`;
}

/** "+5.3 MiB/h", "+530.2 KiB per 1,000 requests", "+12.0/h" for counts. */
export function rateText(rate: number, basis: RateFit['basis'], unit: 'bytes' | 'count'): string {
  const amount = amountText(rate, unit);
  return basis === 'per-hour' ? `${amount}/h` : `${amount} per 1,000 requests`;
}

/** A signed amount in the figure's unit, without the rate's basis (for CI ends beside a rate). */
export function amountText(v: number, unit: 'bytes' | 'count'): string {
  return unit === 'bytes' ? formatSignedBytes(v) : signedCount(v, 1);
}

function signedCount(n: number, digits = 0): string {
  const s = digits > 0 && Math.abs(n) < 100 ? n.toFixed(digits) : formatCount(n);
  return n > 0 ? `+${s}` : s;
}

function changeWords(f: FigureDiagnosis, w: WindowFigure): string {
  if (w.start === undefined || w.end === undefined) return 'not sampled';
  const fmt = (v: number): string => (f.unit === 'bytes' ? formatMiB(v) : formatCount(v));
  const trend = w.kind === 'burst' ? (w.per1k ?? w.perHour)?.trend : w.perHour?.trend;
  return `${fmt(w.start)} → ${fmt(w.end)}${trend ? ` (${trend})` : ''}`;
}

/** One sentence on how each Go runtime figure moved in the window where RSS grew. */
function goSideSentence(ctx: Context, w: WindowFigure, rssRise: number): string | undefined {
  const parts: string[] = [];
  for (const key of ['heapInuse', 'stackInuse', 'goSys', 'outsideGo'] as const) {
    const f = ctx.fig(key);
    const fw = ctx.windowOf(f, w.window);
    if (!f || !fw || fw.change === undefined) continue;
    const fit = w.kind === 'burst' ? (fw.per1k ?? fw.perHour) : fw.perHour;
    const rise = fit?.ok ? fit.rise! : fw.change;
    parts.push(`${f.label} ${formatSignedBytes(rise)}${rssRise > 0 ? ` (${share(rise, rssRise)} of it)` : ''}`);
  }
  return parts.length > 0 ? `Over the same ${w.window}, fitted: ${parts.join(', ')}.` : undefined;
}

function rssStatus(ctx: Context, rss: FigureDiagnosis): string {
  const parts = rss.windows.map((w) => {
    const fit = ctx.primary(w);
    if (!fit?.ok) return `${w.window}: ${changeWords(rss, w)}, not fitted`;
    const why = fit.trend === 'flat' && fit.why ? `; ${fit.why}` : '';
    return `${w.window}: ${changeWords(rss, w)}, ${rateText(fit.rate!, fit.basis, rss.unit)} (tau ${fit.tau!.toFixed(2)}${why})`;
  });
  return `${rss.label} by phase: ${parts.join('; ')}.`;
}

function goroutineStatus(ctx: Context): string[] {
  const g = ctx.fig('goroutines');
  if (!g) return [];
  const growing = ctx.growing(g);
  if (growing.length > 0) return [];
  return [`goroutines: ${formatCount(g.baseline)} at the baseline, peak ${formatCount(g.peak)}, ${formatCount(g.end)} at the end; not growing.`];
}

function releasedEvidence(ctx: Context, idleAfter: WindowFigure | undefined): string[] {
  const out: string[] = [];
  const heap = ctx.fig('heapInuse');
  const released = ctx.fig('heapReleased');
  if (heap && !ctx.notes.some((n) => n.startsWith('Go heap in use rose'))) out.push(`Go heap in use is back to ${formatMiB(heap.end)} (baseline ${formatMiB(heap.baseline)}): the live data did not stay.`);
  if (released) {
    const w = idleAfter ? ctx.windowOf(released, idleAfter.window) : undefined;
    const change = w?.change;
    out.push(
      change !== undefined && change > 0
        ? `Go heap released rose ${formatSignedBytes(change)} during ${w!.window}: the runtime is handing freed memory back to the OS.`
        : `Go heap released ends at ${formatMiB(released.end)}: the runtime keeps the rest of the freed heap for reuse.`,
    );
  }
  return out;
}

function exitEvidence(ctx: Context): string[] {
  const exits = ctx.unexpectedExits;
  if (exits.length === 0) return [];
  const described = exits.map((e) => `${formatT(e.t)}${e.code !== undefined && e.code !== null ? ` exit code ${e.code}` : ''}${e.signal ? ` ${e.signal}` : ''}${isOomKill(e) ? (e.oomKill ? ' (OOM-killed)' : ' (killed: likely the OOM killer)') : ''}`);
  return [`The target exited ${exits.length} time${exits.length === 1 ? '' : 's'} during the run: ${described.join('; ')}. Fits are per process: no pair of samples spans an exit.`];
}

function smapsEvidence(ctx: Context): string[] {
  const s = ctx.smaps;
  if (!s) return [];
  const grew = s.overall.kinds.filter((k) => k.rssChange !== 0).slice(0, 4);
  if (grew.length === 0) return [`smaps ${s.from.label} → ${s.to.label}: no kind of mapping changed in RSS.`];
  const parts = grew.map((k) => `${k.label} ${formatSignedBytes(k.rssChange)}${k.mappingsAfter !== k.mappingsBefore ? ` (${k.mappingsBefore} → ${k.mappingsAfter} mappings)` : ''}`);
  return [`smaps ${s.from.label} → ${s.to.label} (${formatT(s.from.t)} → ${formatT(s.to.t)}): ${parts.join(', ')}; ${s.overall.newMappings} new mapping${s.overall.newMappings === 1 ? '' : 's'} hold ${formatSignedBytes(s.overall.newMappingsRss)}.`];
}

/** Where smaps puts the growth: in the Go heap arena, or outside it. */
function smapsAttribution(ctx: Context): 'go-heap' | 'outside' | undefined {
  const s = ctx.smaps;
  if (!s || s.overall.rssChange < THRESHOLDS.minRiseBytes) return undefined;
  const by = (kinds: readonly MappingKind[]): number => s.overall.kinds.filter((k) => kinds.includes(k.kind)).reduce((sum, k) => sum + Math.max(0, k.rssChange), 0);
  const total = s.overall.rssChange;
  if (by(['go-heap']) >= THRESHOLDS.smapsShare * total) return 'go-heap';
  if (by(['anonymous', 'race-shadow', 'race-meta-shadow']) >= THRESHOLDS.smapsShare * total) return 'outside';
  return undefined;
}

function shortIdleCaveats(ctx: Context, rss: FigureDiagnosis): void {
  for (const w of rss.windows) {
    if (w.kind !== 'idle' || w.perHour?.ok !== true || w.perHour.trend === 'growing') continue;
    const hours = (w.endT - w.startT) / 3600;
    const visible = Math.max(THRESHOLDS.idleBytesPerHour, THRESHOLDS.minRiseBytes / hours);
    if (visible > THRESHOLDS.idleBytesPerHour) {
      ctx.caveats.push(`${w.window} lasted ${formatDuration(w.endT - w.startT)}: growth at rest slower than about ${formatSignedBytes(visible)}/h (${formatSignedBytes(THRESHOLDS.minRiseBytes)} over the phase) cannot be told from noise; a longer idle phase (--duration 90m, as in the report) sees slower leaks.`);
    }
  }
}

function share(part: number, whole: number): string {
  if (!(whole > 0)) return 'n/a';
  return `${Math.round((part / whole) * 100)}%`;
}

/** Median of the figure's last few samples: "where it ends", without trusting one sample. */
function tailMedian(samples: RunData['samples'], key: SampleFigure): number {
  const values = samples.flatMap((s) => (s[key] === undefined ? [] : [s[key]]));
  return median(values.slice(-THRESHOLDS.endSamples));
}

// ─── suggestions ───────────────────────────────────────────────────────────────────────────

function profileSuggestion(ctx: Context): string[] {
  if (ctx.profiles) return [`See which allocation sites grew (in the run directory): ${ctx.profiles.command}`];
  const base = targetBase(ctx);
  return [
    `Take two heap profiles some time apart and diff them: curl -so start.pb.gz '${base}/debug/pprof/heap?gc=1', later the same into end.pb.gz, then ${pprofDiffCommand('start.pb.gz', 'end.pb.gz')}`,
  ];
}

function raceSuggestions(ctx: Context): string[] {
  if (ctx.isRace === true) return [`This is a -race build: its memory grows per goroutine created (${RACE_ISSUE}); build without -race.`];
  if (ctx.isRace === false) return [];
  const binary = ctx.data.run.target.binary;
  return [`If the binary was built with -race, this is ${RACE_ISSUE}: check with go version -m ${binary ?? 'BINARY'} | grep -- -race (it prints "build -race=true").`];
}

function targetBase(ctx: Context): string {
  try {
    return new URL(ctx.data.run.target.url).origin;
  } catch {
    return 'http://TARGET';
  }
}

// ─── inputs ────────────────────────────────────────────────────────────────────────────────

/** True for a -race build, false for one known to be plain, undefined when nobody said. */
function raceBuild(data: RunData): boolean | undefined {
  const t = data.run.target;
  if (t.variant === 'race' || t.buildFlags?.includes('-race')) return true;
  if (t.variant === 'plain' || (t.buildFlags && t.buildFlags.length > 0)) return false;
  return undefined;
}

function isOomKill(e: RunEvent): boolean {
  return e.oomKill === true || e.code === 137 || e.signal === 'SIGKILL';
}

function smapsOf(data: RunData, exits: readonly number[]): SmapsReport | undefined {
  const snapshots: SmapsSnapshot[] = data.smaps ?? [];
  return snapshots.length >= 2 ? smapsReport(snapshots, exits) : undefined;
}

/** The first and the last heap profile, when there are two, and the command to diff them. */
function profilesOf(profiles: readonly Artifact[] | undefined): HeapProfileDiff | undefined {
  if (!profiles || profiles.length < 2) return undefined;
  const sorted = [...profiles].sort((a, b) => a.t - b.t);
  const start = sorted[0]!.file;
  const end = sorted.at(-1)!.file;
  return { start, end, command: pprofDiffCommand(start, end) };
}

// ─── projection ────────────────────────────────────────────────────────────────────────────

/**
 * Time (at the idle rate) and requests (at the burst rate) until `limit`, for the cgroup's
 * figure when sampled (what the OOM killer compares with the limit), else RSS.
 */
function project(ctx: Context, limit: number, verdict: Verdict): Projection | undefined {
  const f = ctx.fig('cgroupMemory') ?? ctx.rss;
  if (!f) return undefined;
  const lastWindow = f.windows.at(-1);
  const current = lastWindow?.end ?? f.end;
  const out: Projection = { figure: f.key, label: f.label, limitBytes: limit, current, text: [] };
  const headroom = limit - current;
  const lim = `the ${formatMiB(limit)} limit`;
  if (headroom <= 0) {
    out.text.push(`${f.label} is at ${formatMiB(current)}, already at or above ${lim}.`);
    return out;
  }
  // A rising window that the verdict explained away (a warm-up, a heap goal) is no rate to project.
  if (!isGrowthKind(verdict.kind)) {
    out.text.push(`The verdict is ${verdict.kind}, so no time to ${lim} is projected (${f.label} ${formatMiB(current)} now).`);
    return out;
  }
  const idle = f.windows.filter((w) => w.kind === 'idle' && w.perHour?.ok).at(-1);
  if (idle?.perHour?.rate !== undefined) {
    out.idleRatePerHour = idle.perHour.rate;
    if (idle.perHour.trend === 'growing' && idle.endT - idle.startT < THRESHOLDS.projectionMinSpanS) {
      out.text.push(`${idle.window} lasted ${formatDuration(idle.endT - idle.startT)}, too short to extrapolate a time to ${lim} (at least ${formatDuration(THRESHOLDS.projectionMinSpanS)} at rest is needed).`);
    } else if (idle.perHour.trend === 'growing') {
      out.hoursToLimit = headroom / idle.perHour.rate;
      out.text.push(`At the idle rate of ${idle.window} (${rateText(idle.perHour.rate, 'per-hour', 'bytes')}), ${f.label} would reach ${lim} in about ${formatDuration(out.hoursToLimit * 3600)} (from ${formatMiB(current)} now).`);
    } else {
      out.text.push(`${f.label} is not growing at rest in ${idle.window}, so no time to ${lim} is projected (${formatMiB(current)} now).`);
    }
  }
  const burst = f.windows.filter((w) => w.kind === 'burst' && w.per1k?.ok).at(-1);
  if (burst?.per1k?.rate !== undefined) {
    out.burstRatePer1k = burst.per1k.rate;
    if (burst.per1k.trend === 'growing') {
      out.requestsToLimit = (headroom / burst.per1k.rate) * 1000;
      out.text.push(`At the rate of ${burst.window} (${rateText(burst.per1k.rate, 'per-1k-requests', 'bytes')}), about ${formatCount(out.requestsToLimit)} more requests would reach ${lim}.`);
    }
  }
  return out;
}
