import { buildSetting } from '../rundir/go-build.ts';
import { buildFacts, RACE_ISSUE, RACE_SUGGESTION } from './race-words.ts';
import { DEFAULT_GOGC } from '../rundir/schema.ts';
import type {
  DiagnosedFigure,
  FigureDiagnosis,
  PlateauFacts,
  RateFit,
  Verdict,
  VerdictKind,
  WindowFigure,
} from './diagnosis.ts';
import { formatCount, formatDuration, formatMiB, formatSignedBytes, formatT } from './format.ts';
import {
  noFits,
  strongest,
  tailMedian,
  type Context,
  isRetainedDecision,
  type Decision,
  type ShapeDecision,
  type Discount,
  type HeldFacts,
} from './verdict-decide.ts';
import { THRESHOLDS } from './thresholds.ts';
import { FLOOR } from './retained.ts';
import { retainedVerdict, undecidedCaveat } from './retained-words.ts';

/**
 * The words of a verdict: the decision's facts in sentences, in the runtime's own terms (the
 * profile's names for its heap, its tasks, its kinds). Nothing here decides anything.
 */

export function verdictWords(ctx: Context, d: Decision): Verdict {
  const caveats = baseCaveats(ctx);
  const notes = ctx.discounted.flatMap((x) => discountWords(ctx, x, caveats));
  if (isRetainedDecision(d))
    return retainedVerdict(ctx, d, caveats, notes, {
      heapKind: (key) => heapKind(ctx, key),
      heapTool: (key) => heapTool(ctx, key),
      taskTool: () => taskTool(ctx),
    });
  if (ctx.retainedUndecided) caveats.push(undecidedCaveat(ctx.retainedUndecided));
  if ((ctx.retained?.bursts ?? 0) < 2 && ctx.rss?.windows.some((w) => w.kind === 'burst'))
    caveats.push(
      'One burst cannot tell a cache or pool that filled from a leak: both leave memory held at rest. With --bursts 2 (the soak scenario), the same burst runs again, and a leak retains about the same again while a full cache retains nothing more.',
    );
  const v = words(ctx, d, caveats);
  if ('held' in d && d.held.tooFewToLevel !== undefined) {
    caveats.push(
      `The burst held only ${d.held.tooFewToLevel} samples: too few to tell growth that stopped under load (a plateau) from growth that goes on. A longer burst or a shorter --sample-interval tells them apart.`,
    );
  }
  const shape = 'held' in d && d.class !== 'plateau' ? shapeWords(ctx, d.held) : [];
  const classes = d.class === 'stable' || d.class === 'not-enough-data' ? [] : memoryClassWords(ctx);
  return {
    kind: v.kind,
    summary: v.summary,
    evidence: [...new Set([...v.evidence, ...shape, ...notes, ...classes])],
    caveats: [...new Set(caveats)],
    suggestions: v.suggestions,
  };
}

/** Where the live heap's late rate was read: its last two collections, or the median across more. */
function liveSpan(live: NonNullable<HeldFacts['live']>, window: string): string {
  const rate = rateText(live.lastRate, 'per-1k-requests', 'bytes');
  return live.collections > 2
    ? `across the ${live.collections} collections seen in ${window}'s later half (requests ${formatCount(live.lastFrom)} to ${formatCount(live.lastTo)}: ${rate}, the median between them)`
    : `between the last two collections seen in ${window} (requests ${formatCount(live.lastFrom)} and ${formatCount(live.lastTo)}: ${rate})`;
}

/** Why held growth was not a plateau: the live heap still rose at the load's end, or something grew at rest. */
function shapeWords(ctx: Context, h: HeldFacts): string[] {
  const out: string[] = [];
  const live = h.live && ctx.fig(h.live.figure);
  if (h.live?.state === 'growing' && live) {
    out.push(
      `${live.label} was still rising ${liveSpan(h.live, h.burst.window)}, against ${rateText(h.live.rate, 'per-1k-requests', 'bytes')} over the phase: the data the heap keeps grew to the load's end, so this is not a plateau. ${liveSource(ctx)}`,
    );
  }
  const rest = h.grewAtRest && ctx.fig(h.grewAtRest.figure);
  if (h.grewAtRest && rest) {
    const fit = h.grewAtRest.window.perHour!;
    out.push(
      `${rest.label} grew at rest in ${h.grewAtRest.window.window}, after the load (${rateText(fit.rate!, 'per-hour', rest.unit)}): growth at rest is a leak, so this is not a plateau.`,
    );
  }
  return out;
}

/** Where the live-heap figure comes from, in one sentence: it differs by client_golang version. */
export function liveSource(ctx: Context): string {
  const key = ctx.profile.live;
  const s = key === undefined ? undefined : [...ctx.data.samples].reverse().find((x) => x[key] !== undefined);
  if (!s || !key) return '';
  const label = ctx.fig(key)?.label ?? key;
  if (s.goHeapLive !== undefined) return `${label} is go_gc_heap_live_bytes, the heap the last GC marked live.`;
  const gogc =
    s.goGcPercent === undefined
      ? `GOGC=${DEFAULT_GOGC} assumed (the client does not expose go_gc_gogc_percent; a GOGC set for the target scales it)`
      : `GOGC=${s.goGcPercent} from go_gc_gogc_percent`;
  return `${label} is go_memstats_next_gc_bytes ÷ (1 + GOGC/100), ${gogc}: the GC sets its next goal from the heap it marked live, so the goal moves with live data, not with the garbage between collections.`;
}

/** Where a Go heap's memory sits besides live data, from runtime/metrics' memory classes when the client exposes them. */
function memoryClassWords(ctx: Context): string[] {
  const s = [...ctx.data.samples].reverse().find((x) => x.goHeapObjects !== undefined);
  if (!s) return [];
  const part = (label: string, v: number | undefined): string[] =>
    v === undefined ? [] : [`${label} ${formatMiB(v)}`];
  const parts = [
    ...part('heap objects (live and not yet swept)', s.goHeapObjects),
    ...part('live heap', s.goHeapLive),
    ...part('unused in heap spans (fragmentation)', s.goHeapUnused),
    ...part('free heap not yet returned to the OS', s.goHeapFree),
    ...part('released to the OS', s.heapReleased),
    ...part('OS thread stacks', s.goOsStacks),
    ...part('other runtime memory', s.goOtherRuntime),
  ];
  return [`Go's memory classes at the last sample (go_memory_classes_*): ${parts.join(', ')}.`];
}

interface Words {
  kind: VerdictKind;
  summary: string;
  evidence: string[];
  suggestions: string[];
}

function words(ctx: Context, d: ShapeDecision, caveats: string[]): Words {
  switch (d.class) {
    case 'not-enough-data':
      return notEnough(ctx, d.missing);
    case 'task-growth':
      return taskGrowthWords(ctx, d);
    case 'heap-growth':
      return heapGrowthWords(ctx, d, caveats);
    case 'outside-growth':
      return outsideGrowthWords(ctx, d, caveats);
    case 'rss-growth':
      return rssGrowthWords(ctx, d, caveats);
    case 'plateau':
      return plateauWords(ctx, d.held, d.plateau, caveats);
    case 'high-water-held':
      return highWaterWords(ctx, d, caveats);
    case 'stable':
      return stableWords(ctx);
  }
}

function taskGrowthWords(ctx: Context, d: Extract<ShapeDecision, { class: 'task-growth' }>): Words {
  const p = ctx.profile;
  const rss = ctx.rss;
  const t = p.tasks!;
  const f = ctx.fig(t.key)!;
  if (d.via === 'held') {
    const h = d.held;
    const where = whereHeld(h);
    return {
      kind: p.kinds['task-growth'],
      summary: `${cap(t.words)} started by the load are still alive after it: they never exit, and each holds a stack and whatever it references.`,
      evidence: [
        heldSentence(ctx, h),
        `${t.words}: ${formatCount(f.baseline)} before the load, ${formatCount(f.baseline + h.tasks!)} ${where}: ${formatCount(h.tasks!)} started by the load never exited.`,
        ...tail(ctx),
      ],
      suggestions: [...taskTool(ctx), ...heapTool(ctx)],
    };
  }
  const w = strongest(d.windows);
  const evidence = [`${t.words} ${growthSentence(ctx, f, w)}`];
  if (rss) evidence.push(rssStatus(ctx, rss));
  for (const key of p.side) {
    const sf = ctx.fig(key);
    const fw = ctx.windowOf(sf, w.window);
    if (sf && fw && key !== p.outside?.key) evidence.push(`${sf.label} in ${w.window}: ${changeWords(sf, fw)}.`);
  }
  evidence.push(...exitEvidence(ctx), ...smapsEvidence(ctx));
  return {
    kind: p.kinds['task-growth'],
    summary:
      p.runtime === 'go'
        ? 'The goroutine count keeps growing: goroutines that never exit each hold a stack and whatever they reference, so memory follows them.'
        : `The ${t.words} count keeps growing: ${t.words} that never exit each hold a stack, so memory follows them.`,
    evidence,
    suggestions: [...taskTool(ctx), ...heapTool(ctx)],
  };
}

function heapGrowthWords(ctx: Context, d: Extract<ShapeDecision, { class: 'heap-growth' }>, caveats: string[]): Words {
  const p = ctx.profile;
  const rss = ctx.rss;
  if (d.via === 'at-rest') {
    const heap = ctx.fig(d.heap)!;
    const evidence = [`${heap.label} ${growthSentence(ctx, heap, d.window)}`];
    if (rss) evidence.push(rssStatus(ctx, rss));
    evidence.push(...taskStatus(ctx), ...exitEvidence(ctx), ...smapsEvidence(ctx));
    return {
      kind: heapKind(ctx, d.heap),
      summary: `${heap.label} keeps growing at rest, although RSS has not yet grown beyond noise: live objects accumulate, and RSS will follow once ${p.runtimeWords}' free memory is used up.`,
      evidence,
      suggestions: heapTool(ctx),
    };
  }
  if (d.via === 'held') {
    const h = d.held;
    const heap = ctx.fig(d.heap)!;
    return {
      kind: heapKind(ctx, d.heap),
      summary: `${cap(heapWords(ctx, d.heap))} keeps what the load allocated: live objects from the requests are still referenced after it (a cache, a map, a list), and the load's growth did not level off, so memory grows with every request served.`,
      evidence: [
        heldSentence(ctx, h),
        // What the heap keeps is known only where its figure was sampled at rest after the load.
        ...(h.heap
          ? [
              `${heap.label} is still ${formatSignedBytes(h.heap.kept)} above its baseline ${whereHeld(h)} (${share(h.heap.kept, h.held)} of what RSS holds): objects from the load are still referenced.`,
            ]
          : []),
        ...tail(ctx),
      ],
      suggestions: heapTool(ctx, d.heap),
    };
  }
  const evidence = windowEvidence(ctx, d.window);
  if (d.heap === 'smaps') {
    caveats.push(`Attributed by smaps address ranges only, without ${p.name} runtime metrics.`);
    return {
      kind: p.kinds['heap-growth'],
      summary: `RSS grows with ${p.heapWords ?? 'the heap'} (smaps puts most of the growth in the Go heap arena): objects are being kept alive, in a cache, a map, a slice or by goroutines.`,
      evidence,
      suggestions: heapTool(ctx),
    };
  }
  const heap = ctx.fig(d.heap)!;
  const why = `${heap.label} ${d.heap === 'jvmDirect' ? 'carry' : 'carries'} ${share(d.rise!, ctx.primary(d.window)!.rise!)} of the RSS growth`;
  if (d.heap === 'jvmDirect') {
    return {
      kind: heapKind(ctx, d.heap),
      summary: `RSS grows outside ${p.heapWords ?? 'the heap'}, in direct buffers (${why}): ByteBuffers from ByteBuffer.allocateDirect are being kept alive by objects on the heap (a cache, a pool that never shrinks, a list of chunks), so their native memory is never freed.`,
      evidence,
      suggestions: heapTool(ctx, d.heap),
    };
  }
  const what =
    d.heap === 'nodeExternal'
      ? 'Buffers or ArrayBuffers are being kept alive by JavaScript objects (a cache, a map, an array of chunks), so their memory outside the V8 heap is never freed.'
      : `objects are being kept alive, in a cache, a map, a ${p.runtime === 'go' ? 'slice or by goroutines' : 'list or by closures'}.`;
  return {
    kind: heapKind(ctx, d.heap),
    summary: `RSS grows with ${heapWords(ctx, d.heap)} (${why}): ${what}`,
    evidence,
    suggestions: heapTool(ctx, d.heap),
  };
}

function outsideGrowthWords(
  ctx: Context,
  d: Extract<ShapeDecision, { class: 'outside-growth' }>,
  caveats: string[],
): Words {
  const p = ctx.profile;
  if (d.via === 'held') {
    const h = d.held;
    return outsideWords(
      ctx,
      [
        heldSentence(ctx, h),
        `${ctx.fig(p.outside?.key)?.label ?? 'RSS outside the runtime'} is still ${formatSignedBytes(h.outside!)} above its baseline ${whereHeld(h)} (${share(h.outside!, h.held)} of what RSS holds).`,
        ...tail(ctx),
      ],
      `${share(h.outside!, h.held)} of what the load left behind is resident memory beyond everything ${p.runtimeWords} got from the OS`,
      caveats,
    );
  }
  const evidence = windowEvidence(ctx, d.window);
  if (d.by === 'smaps') {
    caveats.push(
      `Attributed by smaps address ranges only, without ${p.name} runtime metrics: memory the runtime maps outside its heap arena (e.g. its own metadata) counts as outside.`,
    );
    return outsideWords(ctx, evidence, 'smaps puts most of the growth outside the Go heap arena', caveats);
  }
  const rise = ctx.primary(d.window)!.rise!;
  return outsideWords(
    ctx,
    evidence,
    `${share(d.rise!, rise)} of it is resident anonymous memory beyond everything ${p.runtimeWords} got from the OS`,
    caveats,
  );
}

function rssGrowthWords(ctx: Context, d: Extract<ShapeDecision, { class: 'rss-growth' }>, caveats: string[]): Words {
  const p = ctx.profile;
  const rss = ctx.rss;
  caveats.push(
    ctx.hasRuntimeMetrics
      ? `${p.name}'s figures for what it holds from the OS were not sampled, so memory outside it cannot be separated from its own; and no two smaps snapshots were taken to tell by address.`
      : p.runtime === 'go'
        ? 'Without Go runtime metrics or two smaps snapshots, the pack cannot say whether the Go heap, goroutines or memory outside the Go runtime grows.'
        : `Without runtime metrics (${p.metricsHint}), the pack cannot say whether ${p.heapWords ?? "the runtime's heap"} or memory outside it grows; smaps only tells anonymous from file-backed memory.`,
  );
  return {
    kind: 'rss-growth',
    summary: `${rss!.label} grows and does not level off; where the memory goes cannot be told from this run.`,
    evidence: windowEvidence(ctx, d.window),
    suggestions: [
      p.runtime === 'go'
        ? "Sample the target's Go runtime metrics (--metrics-url .../metrics, from prometheus/client_golang) or let the pack take smaps snapshots (a target it starts or a --pid it can read), then run again."
        : `Expose ${p.metricsHint} and pass --metrics-url, then run again.`,
      ...raceSuggestions(ctx),
      ...heapTool(ctx),
    ],
  };
}

function highWaterWords(
  ctx: Context,
  d: Extract<ShapeDecision, { class: 'high-water-held' }>,
  caveats: string[],
): Words {
  const p = ctx.profile;
  const rss = ctx.rss;
  const h = d.held;
  const evidence = [heldSentence(ctx, h), ...releasedEvidence(ctx, h.idleAfter, h), ...taskStatus(ctx), ...tail(ctx)];
  if (!ctx.hasRuntimeMetrics)
    caveats.push(
      `Without ${p.name} runtime metrics, whether ${p.heapWords ?? 'the heap'} still holds the load's objects cannot be told: a leak per request would look the same.`,
    );
  if (!h.idleAfter)
    caveats.push(
      'No idle phase followed the burst, so whether memory stays flat at rest was not measured; the soak scenario has one.',
    );
  return {
    kind: 'high-water-held',
    summary: `${rss!.label} rose under load and stays up, but does not grow at rest: a high-water mark, not a leak. ${p.keepsFreed}`,
    evidence,
    suggestions: p.releaseHint ? [p.releaseHint] : [],
  };
}

function stableWords(ctx: Context): Words {
  const rss = ctx.rss;
  const endNow = tailMedian(ctx.data.samples, ctx.rssKey!);
  return {
    kind: 'stable',
    summary: `No memory figure grows beyond noise: ${rss!.label} ends ${formatSignedBytes(endNow - rss!.baseline)} from its baseline of ${formatMiB(rss!.baseline)}.`,
    evidence: [rssStatus(ctx, rss!), ...taskStatus(ctx), ...exitEvidence(ctx), ...smapsEvidence(ctx)],
    suggestions: [],
  };
}

function plateauWords(ctx: Context, h: HeldFacts, pf: PlateauFacts, caveats: string[]): Words {
  const p = ctx.profile;
  const rss = ctx.rss!;
  const when = `${formatDuration(pf.stoppedAfterS)} into ${pf.window}${pf.stoppedAfterRequests !== undefined ? `, after about ${formatCount(pf.stoppedAfterRequests)} requests` : ''}${pf.phaseRequests !== undefined ? ` of ${formatCount(pf.phaseRequests)}` : ''} (the phase lasted ${formatDuration(pf.phaseS)})`;
  const heap = pf.heapFigure ? ctx.fig(pf.heapFigure) : undefined;
  const holder =
    pf.holder === 'live-heap' && heap
      ? `It is live data: ${heap.label} is still ${formatSignedBytes(pf.heapHeld!)} above its baseline ${whereHeld(h)} (${share(pf.heapHeld!, h.held)} of what RSS holds), not memory ${p.runtimeWords} merely kept.`
      : pf.holder === 'outside-runtime'
        ? `It is outside ${p.runtimeWords}: ${ctx.fig(p.outside?.key)?.label ?? 'RSS outside the runtime'} is still ${formatSignedBytes(h.outside!)} above its baseline (native memory: a C library's cache, a pool of buffers).`
        : `Whether it is live data or memory ${p.runtimeWords} kept after freeing it was not measured (no ${p.name === 'the target' ? 'runtime' : p.name} heap figure was sampled).`;
  const liveKept =
    h.live?.state !== 'stopped' &&
    pf.holder === 'live-heap' &&
    h.liveKept !== undefined &&
    h.liveNeeds !== undefined &&
    ctx.profile.live
      ? ctx.fig(ctx.profile.live)
      : undefined;
  const evidence = [
    `${rss.label} rose ${formatSignedBytes(pf.level)} above its baseline of ${formatMiB(rss.baseline)} and stopped growing ${when}; it holds ${formatSignedBytes(pf.held)} ${whereHeld(h)}.`,
    holder,
    ...(liveKept
      ? [
          `${liveKept.label} is still ${formatSignedBytes(h.liveKept!)} above its baseline ${whereHeld(h)}; at its GC goal that needs ${formatSignedBytes(h.liveNeeds!)}, ${share(h.liveNeeds!, h.held)} of what RSS holds. ${liveSource(ctx)}`,
        ]
      : []),
    ...(h.live?.state === 'stopped'
      ? [
          `${ctx.fig(h.live.figure)?.label ?? h.live.figure} rose ${formatSignedBytes(h.live.rise)} in ${h.burst.window} and was flat ${liveSpan(h.live, h.burst.window)}: the data the heap keeps stopped growing while the load went on. ${liveSource(ctx)}`,
        ]
      : []),
    rssStatus(ctx, rss),
    ...taskStatus(ctx),
    ...exitEvidence(ctx),
    ...smapsEvidence(ctx),
  ];
  if (!h.idleAfter)
    caveats.push(
      'No idle phase followed the load, so whether the plateau stays flat at rest was not measured; the soak scenario has one.',
    );
  if (pf.holder === 'unknown')
    caveats.push(
      `Without runtime metrics (${p.metricsHint}), a leak that stopped only because the load's requests did not vary would look the same.`,
    );
  return {
    kind: 'plateau',
    summary: `Memory grew under load, stopped growing while the load went on, and stays flat at rest: a plateau (a cache or pool filling to its size), not a leak. ${rss.label} holds ${formatSignedBytes(pf.held)} above its baseline.`,
    evidence,
    suggestions: [
      'If that much held memory matters, put a budget on it in CI: --fail-on held>SIZE (e.g. held>200Mi) exits 4 when RSS holds more than SIZE above its baseline at the end.',
      'If the plateau should not be there, bound the cache by bytes rather than entries, or check what fills it.',
    ],
  };
}

function outsideWords(ctx: Context, evidence: string[], why: string, caveats: string[]): Words {
  const p = ctx.profile;
  const race = ctx.race.race === true;
  if (p.runtime !== 'go') {
    return {
      kind: p.kinds['outside-growth'],
      summary:
        p.runtime === 'jvm'
          ? `RSS grows outside ${p.runtimeWords} (${why}): neither the Java heap, non-heap nor direct buffers account for it. Likely sources: a JNI library allocating with malloc, threads' stacks, or memory mapped by native code.`
          : `RSS grows outside ${p.runtimeWords} (${why}): ${p.heapWords ?? 'its heap'} does not account for it. Likely sources: a native addon or C library allocating with malloc, or memory mapped by native code.`,
      evidence,
      suggestions:
        p.runtime === 'jvm'
          ? [
              'Start the JVM with -XX:NativeMemoryTracking=summary and compare jcmd PID VM.native_memory summary some time apart: it names the JVM area that grows; growth outside all of them is a native library (heaptrack finds its malloc).',
            ]
          : [
              'Check native libraries and addons for unfreed malloc (e.g. heaptrack or valgrind --tool=massif), and the smaps table for the mappings that grew.',
            ],
    };
  }
  const build = buildFacts(ctx);
  const summary = race
    ? `RSS grows while the Go heap, stacks and Go sys stay flat (${why}). This is a -race build (${ctx.race.quote}${build ? `; ${build}` : ''}): the race runtime keeps a record for every goroutine ever created and never frees it (${RACE_ISSUE}), and net/http starts goroutines per connection and per request, so memory grows with traffic where Go's own accounting cannot see it.`
    : `RSS grows outside the Go runtime (${why}): Go heap, stacks and Go sys do not account for it. ${outsideCauses(ctx)}`;
  if (!race && ctx.race.race === undefined)
    caveats.push('How the binary was built is unknown (no build info was read), so a -race build cannot be ruled out.');
  const suggestions = race
    ? [RACE_SUGGESTION, 'Compare with the plain build: npm run scenario:compare runs the same scenario against both.']
    : [
        ...raceSuggestions(ctx),
        'For cgo/C: check native libraries for unfreed malloc (e.g. heaptrack or valgrind --tool=massif on the binary), and the smaps table for the mappings that grew.',
      ];
  return { kind: p.kinds['outside-growth'], summary, evidence, suggestions };
}

/** The causes the build info leaves open. */
function outsideCauses(ctx: Context): string {
  const go = ctx.data.run.target.identity?.goBuild;
  if (ctx.race.race === false && go) {
    const cgo = buildSetting(go, 'CGO_ENABLED');
    return cgo === '0'
      ? 'The build info says neither -race nor cgo (CGO_ENABLED=0): look for memory mapped by the program itself (mmap, a memory-mapped file held open).'
      : `The build info rules out -race (no "build -race=true"; ${buildFacts(ctx)}); with cgo enabled (CGO_ENABLED=${cgo ?? '?'}), the likely source is C code allocating with malloc, or memory mapped by native code.`;
  }
  if (ctx.race.race === false)
    return 'This is not a -race build; likely sources: cgo or C libraries allocating with malloc, or memory mapped by native code.';
  return `Likely sources: a -race build (${RACE_ISSUE}), cgo or C libraries allocating with malloc, or memory mapped by native code.`;
}

/** "go1.26.8, github.com/gin-gonic/gin v1.9.1": the Go version and the web framework, from the build info. */
function notEnough(ctx: Context, missing: 'samples' | 'rss' | 'fits'): Words {
  const n = ctx.data.samples.length;
  const why =
    missing === 'samples'
      ? [
          `${n} memory sample${n === 1 ? ' was' : 's were'} taken; a trend needs at least ${THRESHOLDS.minFitPoints} in a phase.`,
        ]
      : missing === 'rss'
        ? [
            'No RSS figure was sampled (neither /proc/PID/status, process_resident_memory_bytes nor the cgroup): the OS view of the process, which every verdict rests on, is missing.',
          ]
        : ctx.rss!.windows.map((w) => `${w.window}: ${ctx.primary(w)?.reason ?? 'no fit'}.`);
  return {
    kind: 'not-enough-data',
    summary: `Not enough data for a verdict: ${why.join(' ')}`,
    evidence: [...exitEvidence(ctx)],
    suggestions: [
      `Sample for longer: a phase needs at least ${THRESHOLDS.minFitPoints} samples over ${formatDuration(THRESHOLDS.minIdleSpanS)} at rest, or over ${formatCount(THRESHOLDS.minBurstKRequests * 1000)} requests under load.`,
    ],
  };
}

// ─── caveats and set-aside growth ──────────────────────────────────────────────────────────

function baseCaveats(ctx: Context): string[] {
  const out: string[] = [];
  const p = ctx.profile;
  if (!ctx.hasRuntimeMetrics) {
    out.push(
      p.runtime === 'go'
        ? 'Go runtime metrics (a Prometheus /metrics with go_memstats_*) were not sampled, so Go heap, stacks and goroutines cannot be told apart in RSS; pass --metrics-url if the target has them.'
        : p.runtime === 'unknown'
          ? 'The runtime is unknown (no process was identified, no runtime metrics were sampled), so RSS cannot be split into heap and the rest.'
          : `${p.name} heap figures were not sampled (${p.metricsHint}), so RSS cannot be split into heap and the rest.`,
    );
  }
  const rss = ctx.rss;
  if (!rss) return out;
  if (noFits(ctx)) {
    const missing = rss.windows.map((w) => `${w.window}: ${ctx.primary(w)?.reason ?? 'no fit'}.`);
    out.push(
      `No phase was long enough to fit a growth rate (${missing.join(' ')}), so the verdict rests on what was still held after the load.`,
    );
    return out;
  }
  for (const w of rss.windows) {
    const fit = ctx.primary(w);
    if (fit && !fit.ok) out.push(`${rss.label} in ${w.window} was not fitted: ${fit.reason}.`);
    if (fit?.ok && fit.basis === 'per-1k-requests' && w.requestsFrom === 'phase result (assumed uniform)') {
      out.push(
        `${w.window} recorded no per-second progress, so its requests are assumed to have completed at an even rate over the phase.`,
      );
    }
    if (fit?.ok && w.kind === 'burst' && fit.basis === 'per-hour') {
      out.push(
        `${w.window} recorded no per-request progress (no load.ndjson lines for it), so its growth is per hour, not per request.`,
      );
    }
    if (w.kind === 'idle' && w.perHour?.ok === true && w.perHour.trend !== 'growing') {
      const hours = (w.endT - w.startT) / 3600;
      const visible = Math.max(THRESHOLDS.idleBytesPerHour, THRESHOLDS.minRiseBytes / hours);
      if (visible > THRESHOLDS.idleBytesPerHour) {
        out.push(
          `${w.window} lasted ${formatDuration(w.endT - w.startT)}: growth at rest slower than about ${formatSignedBytes(visible)}/h (${formatSignedBytes(THRESHOLDS.minRiseBytes)} over the phase) cannot be told from noise; a longer idle phase (--duration 90m, as in the report) sees slower leaks.`,
        );
      }
    }
  }
  return out;
}

function discountWords(ctx: Context, x: Discount, caveats: string[]): string[] {
  const rss = ctx.rss!;
  switch (x.type) {
    case 'warm-up':
      return [
        `${rss.label} rose in ${x.window.window} (${rateText(x.window.perHour!.rate!, 'per-hour', rss.unit)}) but not in ${x.later.window} (${rateText(x.later.perHour!.rate!, 'per-hour', rss.unit)}): growth that stops is the process warming up, so it is not counted.`,
      ];
    case 'stopped-under-load':
      if (x.figure !== undefined) {
        const f = ctx.fig(x.figure)!;
        return [
          `${f.label} rose in ${x.window.window} (${rateText(x.rate, 'per-1k-requests', f.unit)}) but stopped before the load ended: across its collections in the phase's later half, from request ${formatCount(x.tailFrom)}, ${rateText(x.tailRate, 'per-1k-requests', f.unit)}. ${rss.label} rose with its heap goal and lags it; the data the heap keeps stopped growing while the load went on: something filling to its size, not a leak. ${liveSource(ctx)}`,
        ];
      }
      return [
        `${rss.label} rose in ${x.window.window} (${rateText(x.rate, 'per-1k-requests', rss.unit)}) but stopped before the load ended: over its last ${formatCount(x.window.requests! - x.tailFrom)} requests, ${rateText(x.tailRate, 'per-1k-requests', rss.unit)}. Growth that stops while the load goes on is something filling to its size, not a leak.`,
      ];
    case 'rss-given-back':
      return [
        `${rss.label} rose ${formatSignedBytes(x.rise)} (fitted) during ${x.window.window} but was given back: at the end of ${x.after.window} it was ${formatSignedBytes(x.kept)} from where ${x.window.window} started (${formatMiB(x.after.end!)}). Memory given back after the load is the load's working memory, not a leak.`,
      ];
    case 'heap-given-back': {
      const f = ctx.fig(x.heap)!;
      return [
        `${f.label} rose ${formatSignedBytes(x.rise)} during ${x.window.window} but was back to ${formatMiB(x.after.end!)} at the end of ${x.after.window} (baseline ${formatMiB(x.baseline)}): the load's live data did not stay, so what RSS kept is a high-water mark.`,
      ];
    }
    case 'runtime-filling':
      return [
        `${rss.label} rose ${formatSignedBytes(x.rise)} in ${x.window.window}, but within memory ${ctx.profile.runtimeWords} had already taken from the OS (${ctx.fig(ctx.profile.outside?.key)?.label ?? 'RSS outside it'} ${formatSignedBytes(x.outside)}) while neither live heap nor ${ctx.profile.tasks?.words ?? 'tasks'} grew: the runtime touching pages it holds (warm-up, heap reaching its goal between collections), not a leak.`,
      ];
    case 'uncollected-at-rest': {
      const cycles = ctx.profile.cycles ? ctx.fig(ctx.profile.cycles.count)?.label : undefined;
      return [
        `${rss.label} rose ${formatSignedBytes(x.rise)} in ${x.window.window}, outside ${ctx.profile.heapWords ?? 'the heap'} (${ctx.fig(ctx.profile.outside?.key)?.label ?? 'RSS outside it'} ${formatSignedBytes(x.outside)}), with no collection in it${cycles ? ` (${cycles} unchanged)` : ''}: native memory that dead objects still own (sockets, parsers, buffers) is freed only when a collection finds them, so this window cannot tell a leak from garbage not yet collected. A longer idle phase, with collections in it, can.`,
      ];
    }
    case 'allocator-at-rest': {
      const heaps = x.heaps.map((k) => ctx.fig(k)!.label).join(' and ');
      return [
        `${rss.label} rose ${formatSignedBytes(x.rise)} (fitted) in ${x.window.window} while ${heaps} stayed flat: under ${formatSignedBytes(THRESHOLDS.allocatorRestBytes)} with no heap growing, this is the C allocator touching memory it keeps for reuse (glibc malloc gives each new thread an arena of its own), not kept data, so it is not counted. A native leak grows on: a longer idle phase takes it past ${formatSignedBytes(THRESHOLDS.allocatorRestBytes)}.`,
      ];
    }
    case 'held-shrank': {
      const outside = ctx.fig(ctx.profile.outside?.key)?.label ?? 'RSS outside the runtime';
      return [
        `${outside} rose ${formatSignedBytes(x.rise)} (fitted) in ${x.window.window} while ${ctx.fig(x.held)?.label ?? x.held} fell ${formatMiB(x.fell)}: the pages ${ctx.profile.runtimeWords} gave back leave RSS later than its own count, so the difference rises for a while without anything new being kept; under ${formatSignedBytes(FLOOR.bytes)}, it is not counted.`,
      ];
    }
    case 'no-idle-after':
      caveats.push(
        x.what === 'heap'
          ? `No idle phase followed ${x.window.window}, so whether ${ctx.profile.heapWords ?? 'the heap'} is given back after the load was not measured; the soak scenario has one.`
          : `No idle phase followed ${x.window.window}, so whether the memory is given back after the load (growth under load that is given back is not a leak) was not measured; the soak scenario has one.`,
      );
      return [];
  }
}

// ─── evidence sentences ────────────────────────────────────────────────────────────────────

/** The growth of RSS in `w` (and in other growing windows), how the runtime's figures moved, tasks, exits, smaps. */
function windowEvidence(ctx: Context, w: WindowFigure): string[] {
  const rss = ctx.rss!;
  const evidence = [`${rss.label} ${growthSentence(ctx, rss, w)}`];
  for (const other of rss.windows) {
    if (other === w || ctx.primary(other)?.trend !== 'growing') continue;
    evidence.push(`${rss.label} also ${growthSentence(ctx, rss, other)}`);
  }
  const side = sideSentence(ctx, w, ctx.primary(w)!.rise!);
  if (side) evidence.push(side);
  evidence.push(...perConnection(ctx));
  evidence.push(...taskStatus(ctx), ...exitEvidence(ctx), ...smapsEvidence(ctx));
  return evidence;
}

/**
 * Idle probes open a new connection each; a burst reuses a few. Growth only at rest, with a
 * burst of many more requests flat, is kept per connection, not per request.
 */
function perConnection(ctx: Context): string[] {
  const rss = ctx.rss!;
  const growing = ctx.growing(rss);
  // A burst whose rise stayed inside memory the runtime already held (its heap climbing to
  // the goal that the idle phase's leak had set) grew no more per request than a flat one.
  const filled = new Set(ctx.discounted.flatMap((x) => (x.type === 'runtime-filling' ? [x.window.window] : [])));
  const flat = (w: WindowFigure): boolean => ctx.stoppedUnderLoad.has(w.window) || filled.has(w.window);
  const counted = growing.filter((w) => !flat(w));
  const burst = rss.windows.find(
    (w) =>
      w.kind === 'burst' && w.per1k?.ok === true && (w.per1k.trend !== 'growing' || flat(w)) && (w.requests ?? 0) > 0,
  );
  if (!burst || counted.length === 0 || counted.some((w) => w.kind !== 'idle')) return [];
  const connections = ctx.data.run.phases.find((p) => p.name === burst.window)?.params.connections;
  const over =
    typeof connections === 'number'
      ? ` over ${formatCount(connections)} kept-alive connections`
      : ' over kept-alive connections';
  return [
    `It grew only while idle probes opened a new connection each, not during ${burst.window}'s ${formatCount(burst.requests!)} requests${over}: memory is kept per connection, not per request (connection state, a per-connection buffer or goroutine that is never released).`,
  ];
}

function heldSentence(ctx: Context, h: HeldFacts): string {
  const rss = ctx.rss!;
  return `${rss.label} rose ${formatSignedBytes(h.rose)} above its baseline of ${formatMiB(rss.baseline)} during ${h.burst.window}${h.burst.requests !== undefined ? ` (${formatCount(h.burst.requests)} requests)` : ''} and was still ${formatSignedBytes(h.held)} above it ${whereHeld(h)}.`;
}

function whereHeld(h: HeldFacts): string {
  return h.idleAfter ? `at the end of ${h.idleAfter.window}` : 'at the end of the run';
}

function tail(ctx: Context): string[] {
  return [rssStatus(ctx, ctx.rss!), ...exitEvidence(ctx), ...smapsEvidence(ctx)];
}

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

/** One sentence on how each of the runtime's figures moved in the window where RSS grew. */
function sideSentence(ctx: Context, w: WindowFigure, rssRise: number): string | undefined {
  const parts: string[] = [];
  for (const key of ctx.profile.side) {
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

function taskStatus(ctx: Context): string[] {
  const t = ctx.profile.tasks;
  const g = ctx.fig(t?.key);
  if (!t || !g || ctx.growing(g).length > 0) return [];
  return [
    `${t.words}: ${formatCount(g.baseline)} at the baseline, peak ${formatCount(g.peak)}, ${formatCount(g.end)} at the end; not growing.`,
  ];
}

function releasedEvidence(ctx: Context, idleAfter: WindowFigure | undefined, h?: HeldFacts): string[] {
  const out: string[] = [];
  const heapKey = ctx.profile.heap[0];
  const heap = ctx.fig(heapKey);
  if (heap && !ctx.discounted.some((x) => x.type === 'heap-given-back')) {
    // A JVM at rest runs no collection, so its used heap still counts the load's garbage.
    out.push(
      h?.heapUncollected === heapKey
        ? `${heap.label} ends at ${formatMiB(heap.end)} (baseline ${formatMiB(heap.baseline)}), but no collection ran after the load (${ctx.fig(ctx.profile.cycles?.count)?.label ?? 'collections'} did not rise): used heap still counts the load's garbage, so it cannot say what is live; it did not grow at rest.`
        : ctx.profile.runtime === 'jvm'
          ? `${heap.label} ends at ${formatMiB(heap.end)} (baseline ${formatMiB(heap.baseline)}), garbage not yet collected included: less than half of what RSS holds, so the load's objects did not stay.`
          : `${heap.label} is back to ${formatMiB(heap.end)} (baseline ${formatMiB(heap.baseline)}): the live data did not stay.`,
    );
  }
  const released = ctx.profile.runtime === 'go' ? ctx.fig('heapReleased') : undefined;
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

export function exitEvidence(ctx: Context): string[] {
  const exits = ctx.unexpectedExits;
  if (exits.length === 0) return [];
  const oom = (e: (typeof exits)[number]): boolean => e.oomKill === true || e.code === 137 || e.signal === 'SIGKILL';
  const described = exits.map(
    (e) =>
      `${formatT(e.t)}${e.code !== undefined && e.code !== null ? ` exit code ${e.code}` : ''}${e.signal ? ` ${e.signal}` : ''}${oom(e) ? (e.oomKill ? ' (OOM-killed)' : ' (killed: likely the OOM killer)') : ''}`,
  );
  return [
    `The target exited ${exits.length} time${exits.length === 1 ? '' : 's'} during the run: ${described.join('; ')}. Fits are per process: no pair of samples spans an exit.`,
  ];
}

function smapsEvidence(ctx: Context): string[] {
  const s = ctx.smaps;
  if (!s) return [];
  const grew = s.overall.kinds.filter((k) => k.rssChange !== 0).slice(0, 4);
  if (grew.length === 0) return [`smaps ${s.from.label} → ${s.to.label}: no kind of mapping changed in RSS.`];
  const parts = grew.map(
    (k) =>
      `${k.label} ${formatSignedBytes(k.rssChange)}${k.mappingsAfter !== k.mappingsBefore ? ` (${k.mappingsBefore} → ${k.mappingsAfter} mappings)` : ''}`,
  );
  return [
    `smaps ${s.from.label} → ${s.to.label} (${formatT(s.from.t)} → ${formatT(s.to.t)}): ${parts.join(', ')}; ${s.overall.newMappings} new mapping${s.overall.newMappings === 1 ? '' : 's'} hold ${formatSignedBytes(s.overall.newMappingsRss)}.`,
  ];
}

function share(part: number, whole: number): string {
  if (!(whole > 0)) return 'n/a';
  return `${Math.round((part / whole) * 100)}%`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function heapWords(ctx: Context, key: DiagnosedFigure): string {
  if (key === 'nodeExternal') return "Node's external memory (Buffers)";
  if (key === 'jvmDirect') return 'direct buffers, outside the Java heap,';
  return ctx.profile.heapWords ?? 'the heap';
}

/** Growth of a figure the runtime keeps outside its managed heap (direct buffers) is growth outside it. */
function heapKind(ctx: Context, key: DiagnosedFigure): VerdictKind {
  const off = ctx.profile.offHeap?.some((k) => k === key) === true;
  return ctx.profile.kinds[off ? 'outside-growth' : 'heap-growth'];
}

// ─── suggestions ───────────────────────────────────────────────────────────────────────────

function heapTool(ctx: Context, key?: DiagnosedFigure | 'smaps'): string[] {
  if (key === 'jvmDirect') {
    return [
      'Count the direct buffers some time apart: jcmd PID GC.class_histogram | grep -E "DirectByteBuffer|Cleaner"; the objects that keep them are in a heap dump (jcmd PID GC.heap_dump), under the DirectByteBuffer instances\' GC roots.',
      'Cap direct memory with -XX:MaxDirectMemorySize so that a leak fails fast (OutOfMemoryError: Direct buffer memory) instead of growing RSS until the OOM killer.',
    ];
  }
  if (ctx.profiles) return [`See which allocation sites grew (in the run directory): ${ctx.profiles.command}`];
  return [ctx.profile.heapTool(targetBase(ctx))];
}

/** The runtime's own tool for its tasks (runtime-profiles.ts): pprof for Go, jcmd for a JVM, py-spy for Python. */
function taskTool(ctx: Context): string[] {
  return [ctx.profile.taskTool(targetBase(ctx))];
}

function raceSuggestions(ctx: Context): string[] {
  if (ctx.profile.runtime !== 'go' && ctx.profile.runtime !== 'unknown') return [];
  if (ctx.race.race === true)
    return [
      `This is a -race build (${ctx.race.quote}): its memory grows per goroutine created (${RACE_ISSUE}); build without -race.`,
    ];
  if (ctx.race.race === false || ctx.profile.runtime !== 'go') return [];
  const binary = ctx.data.run.target.binary ?? ctx.data.run.target.identity?.executable;
  return [
    `If the binary was built with -race, this is ${RACE_ISSUE}: check with go version -m ${binary ?? 'BINARY'} | grep -- -race (it prints "build -race=true").`,
  ];
}

function targetBase(ctx: Context): string {
  try {
    return new URL(ctx.data.run.target.url).origin;
  } catch {
    return 'http://TARGET';
  }
}
