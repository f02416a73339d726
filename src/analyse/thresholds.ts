/**
 * Every threshold the verdict uses, in one place, each with the reason for its value. The
 * numbers are set against what this pack measured (README "What a run shows", docs/report.md): a plain Go
 * server rises a few MiB under 1M requests and is then flat; the -race build grows about
 * 500 MiB per 1M requests and 1-2 KB per new-connection probe (more on newer Go); GC and the
 * scavenger move RSS by a few hundred KiB at a time in either direction.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export const THRESHOLDS = {
  /**
   * The baseline is the median of the samples before the first phase, or of the first this
   * many samples when fewer were taken before it: a median of five ignores a single sample
   * caught mid-allocation, and five samples are still before most of a warm-up. Never of samples
   * under load: of fewer when the load starts sooner, of the first sample alone (and the report
   * says so) when the figure's first value came under load.
   */
  baselineSamples: 5,
  /** "End" values (end of a phase, of the run) are the median of the last this many samples. */
  endSamples: 5,

  /**
   * A fit needs this many samples in its window: five is the fewest for which Kendall's test
   * can reach p < 0.05 at all (with four, even a perfect rise has p = 0.09).
   */
  minFitPoints: 5,
  /** The second half of a window, fitted again to see whether growth persists. */
  minLatePoints: 3,
  /**
   * Idle windows shorter than this are not fitted. The span only has to hold the samples:
   * what keeps a short window from calling noise growth is minRiseBytes (512 KiB in a 3 s
   * window is 600 MiB/h) with tau, the CI and the persistence check, and the report says how
   * slow a leak a window that short could have missed. Under 2 s is a gap between phases.
   */
  minIdleSpanS: 2,
  /**
   * Go heap in use rises between collections and drops at each: inside one GC cycle it only
   * grows. At rest the runtime forces a collection at least every 2 minutes, so a window at
   * rest must span 5 minutes (two forced cycles and then some) before heap growth in it counts.
   */
  heapMinSpanS: 300,
  /**
   * A time to the memory limit extrapolates an idle rate over hours; from a window shorter
   * than this it would extrapolate what a burst left settling, so none is given.
   */
  projectionMinSpanS: 300,
  /** Burst windows need this many requests (in thousands) to give a per-request rate. */
  minBurstKRequests: 1,

  /**
   * Kendall's tau-b at or above this: clearly more pairs of samples rise than fall. A GC
   * sawtooth around a flat level has tau near 0; a leak under noise keeps tau well above 0.5.
   */
  minTau: 0.3,
  /**
   * Growth persists when the second half of the window still grows at least this fraction of
   * the whole window's rate. It separates a leak from a warm-up or a high-water climb (steep,
   * then flat), which a single fit over the window would call growth. Measured: warm-ups keep
   * 2-5% of their rate in the second half (plain build at rest and under 300k requests); the
   * race runtime's growth slows as it goes but keeps 50-85%. A quarter sits between the two.
   */
  persistenceRatio: 0.25,

  /**
   * The fitted rise over a window must exceed this to count. Once warmed up, a plain Go
   * server's RSS at rest is flat to within ~100 KiB (measured: 8 min of probes, go1.26);
   * single steps of a few hundred KiB come from the heap reaching its goal or the scavenger.
   * 512 KiB is above those, and still lets a 10-minute idle phase see the -race build's
   * 1-2 KB per probe (0.6-1.2 MiB in 10 min).
   */
  minRiseBytes: 512 * KiB,
  /**
   * Growth at rest worth reporting. The -race build probed once a second (a kubelet) grows
   * 1-2 KB per probe, 3.5-7 MiB per hour; 1 MiB/h catches it with room, and is far above the
   * drift of a plain Go server once warmed up (flat to the page).
   */
  idleBytesPerHour: 1 * MiB,
  /**
   * Growth under load worth reporting, per 1,000 requests. The -race build grows about
   * 500 KiB per 1k requests; a plain server's few MiB over 1M requests is 3-6 KiB per 1k and
   * almost all of it in the first seconds (which the persistence check removes anyway).
   */
  burstBytesPer1k: 16 * KiB,
  /**
   * Under load, the fitted rise must also exceed this: a runtime sizes its heap in steps as the
   * load raises its goal (Go's smallest goal is 4 MiB), and with a sample at each 1% of a burst
   * the fit resolves such a step. Measured: a Go server keeping nothing rose +1.1 MiB over a
   * 20,000-request burst (61 KiB per 1,000, tau 0.67) and was called go-heap-growth.
   */
  burstMinRiseBytes: 4 * MiB,

  /**
   * Goroutines: a leak of one per probe at 1/s is 3,600/h; 60/h (one a minute) is well above
   * the count's jitter (a probe or a scrape in flight adds 2 for a moment).
   */
  idleGoroutinesPerHour: 60,
  /** One leaked goroutine per 2,000 requests; a burst's 2 per connection is a plateau, not a slope. */
  burstGoroutinesPer1k: 0.5,
  /** And the fitted rise must be more goroutines than a burst's connections bring and take away. */
  minGoroutineRise: 20,

  /**
   * Attribution of RSS growth (or of what RSS still holds after a load), comparing fitted
   * rises over the window where RSS grew. "Outside the Go runtime" is
   * max(0, RssAnon − (Go sys − heap released)): everything the runtime got from the OS is
   * subtracted, resident or not, so what is left cannot be Go memory. Measured: 0 throughout
   * for the plain build (its RssAnon stays below what Go sys holds), 17 → 45 MiB in 8 min of
   * probes for the race build while Go sys stood still. When it carries half the RSS growth or
   * more, the growth is outside the runtime; otherwise Go heap in use carrying half or more
   * (and growing itself) makes it heap growth; otherwise the runtime is filling memory it
   * already holds, which is no leak.
   */
  goRuntimeShare: 0.5,
  heapShare: 0.5,
  /** smaps: the kinds outside the Go heap arena carrying this share of the growth name it. */
  smapsShare: 0.5,

  /**
   * RSS held after load this much above the baseline, and not growing, is a high-water mark
   * held. A plain Go server keeps 3-6 MiB after 1M requests (README "What a run shows"), which is "stable";
   * 16 MiB is well beyond it.
   */
  highWaterBytes: 16 * MiB,
  /**
   * Growth under load counts as given back when the idle phase after the load ends with less
   * than this share of the load's fitted rise still held above where the load started. A leak
   * keeps all of it (the race build: 100%); a Node.js server that keeps nothing rose ~30 MiB
   * in a 200k-request burst and kept under 3 MiB (10%); a runtime holding its high-water mark
   * keeps most of it and is judged by what holds it (high-water-held, plateau).
   */
  givenBackShare: 0.5,
  /**
   * RSS rising at rest by less than this, while every heap figure the runtime gives stays flat
   * and no figure says what is outside the runtime (Python: the traced heap only), is the C
   * allocator, not a leak: glibc malloc gives each new thread an arena of its own (up to 8 per
   * core) and keeps what it touched there, and a threaded Python server starts a thread per
   * connection, so probes at rest can touch memory no heap figure counts. It is the floor a burst
   * must retain to count (retained.ts FLOOR, glibc's arenas being 1 MiB and up), so what a rest
   * may add unexplained matches what a burst may. On test/fixtures/python-plain here, the rests
   * after a burst added at most 96 KiB of RSS (10 soaks with tracemalloc on, 2 of them with the
   * default 120 s rests): a leak at rest that grows on passes 2 MiB in a longer idle phase.
   */
  allocatorRestBytes: 2 * MiB,
} as const;

export type Thresholds = typeof THRESHOLDS;
