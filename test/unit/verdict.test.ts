import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnosis, FigureDiagnosis, RateFit, WindowFigure } from '../../src/analyse/diagnosis.ts';
import { GROWTH_VERDICTS } from '../../src/analyse/diagnosis.ts';
import { summarise } from '../../src/analyse/summarise.ts';
import { THRESHOLDS } from '../../src/analyse/thresholds.ts';
import { diagnose, type DiagnoseOptions } from '../../src/analyse/verdict.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import type { Sample } from '../../src/rundir/schema.ts';
import {
  requestsAt,
  seriesRun,
  SOAK,
  SOAK_END,
  KiB,
  MiB,
  type PhaseSpec,
  type SeriesContext,
  type SeriesRunSpec,
} from '../helpers/synthetic-series.ts';
import { sawtoothAttachRun, writeSyntheticRun, type SyntheticRun } from '../helpers/synthetic-run.ts';

function diagnosisOf(spec: SyntheticRun, opts?: DiagnoseOptions, prepare?: (dir: string) => void): Diagnosis {
  const dir = writeSyntheticRun(spec);
  prepare?.(dir);
  return diagnose(readRunDir(dir), opts);
}

function fig(d: Diagnosis, key: FigureDiagnosis['key']): FigureDiagnosis {
  const f = d.figures.find((x) => x.key === key);
  assert.ok(f, `no ${key} in the diagnosis`);
  return f;
}

function win(f: FigureDiagnosis, name: string): WindowFigure {
  const w = f.windows.find((x) => x.window === name);
  assert.ok(w, `no window ${name} for ${f.key}`);
  return w;
}

function fitOf(r: RateFit | undefined): Required<Pick<RateFit, 'rate' | 'low' | 'high' | 'tau' | 'trend'>> & RateFit {
  assert.ok(r?.ok, `expected a fit: ${r?.reason ?? 'none'}`);
  return r as Required<Pick<RateFit, 'rate' | 'low' | 'high' | 'tau' | 'trend'>> & RateFit;
}

const burstRequests = (t: number): number =>
  requestsAt(
    SOAK.filter((p) => p.kind === 'burst'),
    t,
  );
const probes = (t: number): number =>
  requestsAt(
    SOAK.filter((p) => p.kind === 'idle'),
    t,
  );

/** A Go server's runtime figures around a given RSS: heap GC sawtooth, flat stacks. */
function goRuntime(c: SeriesContext, goSys: number, heapBase = 6 * MiB): Partial<Sample> {
  return {
    heapInuse: heapBase + ((c.t % 120) / 120) * 2 * MiB + 64 * KiB * c.noise(),
    stackInuse: 512 * KiB,
    goSys,
    heapReleased: 3 * MiB,
    goroutines: c.phase?.kind === 'burst' ? 205 : 6,
    threads: 8,
  };
}

/** The -race build: 512 B per request under load, 1.5 KiB per new-connection probe, Go side flat. */
function raceSoak(opts: { noise?: number; metrics?: boolean; target?: SeriesRunSpec['target'] } = {}): SyntheticRun {
  const noise = opts.noise ?? 200 * KiB;
  return seriesRun({
    phases: SOAK,
    endT: SOAK_END,
    seed: 21,
    target: opts.target,
    figures: (c) => {
      const vmRss = 40 * MiB + 512 * burstRequests(c.t) + 1.5 * KiB * probes(c.t) + noise * c.noise();
      const os = { vmRss, rssAnon: vmRss - 16 * MiB, rssFile: 16 * MiB };
      return opts.metrics === false ? os : { ...os, ...goRuntime(c, 24 * MiB) };
    },
  });
}

test('race build, soak: growth outside the Go runtime, rate per 1,000 requests, golang/go#63276 named', () => {
  const d = diagnosisOf(raceSoak());
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  assert.equal(d.rssFigure, 'vmRss');
  assert.match(d.verdict.summary, /This is a -race build/);
  assert.match(d.verdict.summary, /golang\/go#63276/);
  const burst = fitOf(win(fig(d, 'vmRss'), 'burst').per1k);
  // 512 bytes per request is 500 KiB per 1,000; the robust fit finds it through the noise.
  assert.ok(Math.abs(burst.rate - 512_000) < 0.05 * 512_000, `rate ${burst.rate}`);
  assert.ok(burst.low < 512_000 && burst.high > 512_000, `CI ${burst.low}..${burst.high}`);
  assert.equal(burst.trend, 'growing');
  assert.ok(burst.tau > 0.9);
  // The evidence says it in words and numbers: the rate, and the Go side's share.
  assert.ok(
    d.verdict.evidence.some((e) =>
      /^RSS \(VmRSS\) grew \+\d+\.\d MiB \(fitted\) during burst \(40\.0 s, 100,000 requests\): \+\d+\.\d KiB per 1,000 requests/.test(
        e,
      ),
    ),
    d.verdict.evidence.join('\n'),
  );
  assert.ok(
    d.verdict.evidence.some((e) =>
      /Go sys \+0 B \(0% of it\).*RSS outside the Go runtime \+\d+\.\d MiB \((9\d|100)% of it\)/.test(e),
    ),
    d.verdict.evidence.join('\n'),
  );
  assert.ok(d.verdict.suggestions.some((s) => /Build without -race/.test(s)));
  // Go heap, stacks and goroutines are flat in the same burst.
  assert.equal(fitOf(win(fig(d, 'goSys'), 'burst').per1k).trend, 'flat');
  assert.notEqual(fitOf(win(fig(d, 'heapInuse'), 'burst').per1k).trend, 'growing');
  assert.equal(d.targetExits.count, 0);
  assert.ok(GROWTH_VERDICTS.includes(d.verdict.kind));
});

test('the same growth from a target of unknown build names the race issue only as a possibility', () => {
  const d = diagnosisOf(
    raceSoak({
      target: { kind: 'attach', label: 'svc', variant: undefined, buildFlags: undefined, binary: '/srv/app' },
    }),
  );
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  assert.doesNotMatch(d.verdict.summary, /This is a -race build/);
  assert.match(d.verdict.summary, /a -race build \(golang\/go#63276\), cgo or C libraries/);
  assert.ok(d.verdict.suggestions.some((s) => s.includes('go version -m /srv/app | grep -- -race')));
});

test('heavy noise (seeded) does not hide the race build growth, nor invent it for a flat server', () => {
  const noisy = diagnosisOf(raceSoak({ noise: 3 * MiB }));
  assert.equal(noisy.verdict.kind, 'growth-outside-go-runtime');
  // A flat server with 3 MiB noise and a wild sample every 50 s stays stable.
  const flat = seriesRun({
    phases: SOAK,
    endT: SOAK_END,
    seed: 5,
    figures: (c) => {
      const vmRss = 30 * MiB + 3 * MiB * c.noise() + (Math.round(c.t) % 50 === 0 ? 40 * MiB : 0);
      return { vmRss, rssAnon: vmRss - 12 * MiB, ...goRuntime(c, 24 * MiB) };
    },
  });
  const d = diagnosisOf(flat);
  assert.equal(d.verdict.kind, 'stable', d.verdict.evidence.join('\n'));
});

test('plain build: warm-up at rest, a few MiB under load, then flat: stable, the warm-up not counted', () => {
  const spec = seriesRun({
    phases: SOAK,
    endT: SOAK_END,
    seed: 9,
    figures: (c) => {
      const warm = 4 * MiB * (1 - Math.exp(-c.t / 40));
      const load = 3 * MiB * Math.min(1, burstRequests(c.t) / 20_000);
      const vmRss = 18 * MiB + warm + load + 48 * KiB * c.noise();
      return { vmRss, rssAnon: vmRss - 12 * MiB, rssFile: 12 * MiB, ...goRuntime(c, 14 * MiB + warm + load) };
    },
  });
  const d = diagnosisOf(spec);
  assert.equal(d.verdict.kind, 'stable', d.verdict.evidence.join('\n'));
  const rss = fig(d, 'vmRss');
  assert.equal(fitOf(win(rss, 'idle-after').perHour).trend, 'flat');
  // Under load it rose 3 MiB in the first 20k requests and then stopped: it levelled off.
  const burst = fitOf(win(rss, 'burst').per1k);
  assert.equal(burst.trend, 'flat');
  assert.match(
    d.verdict.summary,
    /^No memory figure grows beyond noise: RSS \(VmRSS\) ends \+\d\.\d MiB from its baseline/,
  );
});

test('Go heap growth: heap in use carries the RSS growth; the pprof diff of the run is suggested', () => {
  const phases: PhaseSpec[] = [{ name: 'idle', kind: 'idle', startT: 2, endT: 1202 }];
  const perSecond = (30 * MiB) / 3600;
  const spec = seriesRun({
    phases,
    endT: 1205,
    seed: 13,
    scenario: 'idle',
    target: { variant: 'plain', buildFlags: ['-ldflags=-s -w'] },
    heapProfiles: [
      { label: 'start', t: 1, file: 'pprof/heap-start.pb.gz' },
      { label: 'end', t: 1204, file: 'pprof/heap-end.pb.gz' },
    ],
    figures: (c) => {
      const leak = perSecond * c.t;
      const vmRss = 20 * MiB + leak + 128 * KiB * c.noise();
      return { vmRss, rssAnon: vmRss - 10 * MiB, ...goRuntime(c, 16 * MiB + leak, 6 * MiB + leak) };
    },
  });
  const d = diagnosisOf(spec);
  assert.equal(d.verdict.kind, 'go-heap-growth', d.verdict.summary);
  assert.match(d.verdict.summary, /Go heap in use carries \d+% of the RSS growth/);
  const rate = fitOf(win(fig(d, 'vmRss'), 'idle').perHour);
  assert.ok(Math.abs(rate.rate - 30 * MiB) < 0.1 * 30 * MiB, `rate ${rate.rate}`);
  assert.deepEqual(d.heapProfiles, {
    start: 'pprof/heap-start.pb.gz',
    end: 'pprof/heap-end.pb.gz',
    command: 'go tool pprof -diff_base pprof/heap-start.pb.gz pprof/heap-end.pb.gz',
  });
  assert.ok(
    d.verdict.suggestions.some((s) =>
      s.endsWith('go tool pprof -diff_base pprof/heap-start.pb.gz pprof/heap-end.pb.gz'),
    ),
  );
  assert.equal(fitOf(win(fig(d, 'outsideGo'), 'idle').perHour).trend, 'flat');
});

test('goroutine growth: one goroutine a probe never exits', () => {
  const phases: PhaseSpec[] = [{ name: 'idle', kind: 'idle', startT: 2, endT: 902 }];
  const spec = seriesRun({
    phases,
    endT: 905,
    seed: 17,
    scenario: 'idle',
    figures: (c) => {
      const leaked = Math.floor(probes(c.t) > 0 ? requestsAt(phases, c.t) : 0);
      const grow = leaked * 10 * KiB;
      const vmRss = 20 * MiB + grow + 64 * KiB * c.noise();
      return {
        vmRss,
        rssAnon: vmRss - 10 * MiB,
        ...goRuntime(c, 16 * MiB + grow, 6 * MiB + leaked * 2 * KiB),
        stackInuse: 512 * KiB + leaked * 8 * KiB,
        goroutines: 6 + leaked,
      };
    },
  });
  const d = diagnosisOf(spec);
  assert.equal(d.verdict.kind, 'goroutine-growth', d.verdict.summary);
  const g = fitOf(win(fig(d, 'goroutines'), 'idle').perHour);
  assert.ok(Math.abs(g.rate - 3600) < 50, `goroutines per hour ${g.rate}`);
  assert.ok(d.verdict.evidence[0]!.startsWith('goroutines grew +'), d.verdict.evidence[0]);
  assert.ok(
    d.verdict.suggestions.some((s) => s.includes("curl -s 'http://127.0.0.1:8080/debug/pprof/goroutine?debug=1'")),
  );
});

test('high-water mark held: RSS rose under load, stays up, does not grow at rest; heap released shows the runtime giving back', () => {
  const spec = seriesRun({
    phases: SOAK,
    endT: SOAK_END,
    seed: 23,
    figures: (c) => {
      const during = Math.min(1, burstRequests(c.t) / 100_000);
      const after = c.t > 345 ? Math.min(1, (c.t - 345) / 300) : 0;
      const vmRss = 20 * MiB + 80 * MiB * during - 4 * MiB * after + 96 * KiB * c.noise();
      const heap = c.phase?.kind === 'burst' ? 6 * MiB + 70 * MiB * during : 6 * MiB;
      return {
        vmRss,
        rssAnon: vmRss - 12 * MiB,
        ...goRuntime(c, 16 * MiB + 80 * MiB * during),
        heapInuse: heap,
        heapReleased: 3 * MiB + 4 * MiB * after,
      };
    },
  });
  const d = diagnosisOf(spec);
  assert.equal(d.verdict.kind, 'high-water-held', d.verdict.evidence.join('\n'));
  assert.match(d.verdict.summary, /a high-water mark, not a leak/);
  const rss = fig(d, 'vmRss');
  assert.ok(
    rss.retainedAfterBurst! > 70 * MiB && rss.retainedAfterBurst! < 80 * MiB,
    `retained ${rss.retainedAfterBurst}`,
  );
  assert.notEqual(fitOf(win(rss, 'idle-after').perHour).trend, 'growing');
  assert.ok(
    d.verdict.evidence.some((e) =>
      /^RSS \(VmRSS\) rose \+\d+\.\d MiB above its baseline of 20\.\d MiB during burst \(100,000 requests\) and was still \+\d+\.\d MiB above it at the end of idle-after\.$/.test(
        e,
      ),
    ),
    d.verdict.evidence.join('\n'),
  );
  assert.ok(
    d.verdict.evidence.some((e) => /^Go heap released rose \+4\.0 MiB during idle-after/.test(e)),
    d.verdict.evidence.join('\n'),
  );
  assert.ok(
    d.verdict.evidence.some((e) =>
      /^Go heap in use rose \+70\.0 MiB during burst but was back to 6\.0 MiB at the end of idle-after/.test(e),
    ),
  );
  assert.ok(!GROWTH_VERDICTS.includes(d.verdict.kind));
});

test('heap growth under load with no idle phase after it: heap growth, and the caveat says what was not measured', () => {
  const phases: PhaseSpec[] = [{ name: 'burst', kind: 'burst', startT: 5, endT: 65, requests: 200_000 }];
  const spec = seriesRun({
    phases,
    endT: 66,
    seed: 29,
    scenario: 'burst',
    figures: (c) => {
      const leak = 256 * requestsAt(phases, c.t);
      const vmRss = 20 * MiB + leak + 64 * KiB * c.noise();
      return { vmRss, rssAnon: vmRss - 10 * MiB, ...goRuntime(c, 16 * MiB + leak, 6 * MiB + leak) };
    },
  });
  const d = diagnosisOf(spec);
  assert.equal(d.verdict.kind, 'go-heap-growth');
  assert.ok(
    d.verdict.caveats.some((c) => /No idle phase followed burst, so whether the Go heap is given back/.test(c)),
  );
  assert.ok(
    d.verdict.suggestions.some((s) => s.includes("curl -so start.pb.gz 'http://127.0.0.1:8080/debug/pprof/heap?gc=1'")),
  );
});

test('without load.ndjson, a burst falls back to its result spread evenly, then to time, and says so', () => {
  const spec = raceSoak();
  spec.load = null;
  const burst = spec.run.phases.find((p) => p.name === 'burst')!;
  burst.result = {
    phase: 'burst',
    kind: 'burst',
    requested: 100_000,
    sent: 100_000,
    completed: 100_000,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: { '200': 100_000 },
    durationS: 40,
    rate: 2500,
  };
  const even = diagnosisOf(spec);
  assert.equal(even.verdict.kind, 'growth-outside-go-runtime');
  assert.equal(win(fig(even, 'vmRss'), 'burst').requestsFrom, 'phase result (assumed uniform)');
  assert.ok(
    even.verdict.caveats.some((c) => /^burst recorded no per-second progress, so its requests are assumed/.test(c)),
  );
  delete burst.result;
  const timed = diagnosisOf(spec);
  assert.equal(win(fig(timed, 'vmRss'), 'burst').per1k, undefined);
  assert.equal(fitOf(win(fig(timed, 'vmRss'), 'burst').perHour).trend, 'growing');
  assert.ok(
    timed.verdict.caveats.some((c) => /^burst recorded no per-request progress .* per hour, not per request/.test(c)),
  );
});

test('phases too short for a rate: the verdict rests on what the load left behind', () => {
  // Four samples per idle phase and three in the burst: nothing can be fitted.
  const phases: PhaseSpec[] = [
    { name: 'idle-before', kind: 'idle', startT: 0, endT: 1.5 },
    { name: 'burst', kind: 'burst', startT: 1.5, endT: 2.5, requests: 60_000 },
    { name: 'idle-after', kind: 'idle', startT: 2.5, endT: 4 },
  ];
  const short = (kept: 'heap' | 'goroutines' | 'outside' | 'nothing'): Diagnosis => {
    const spec = seriesRun({
      phases,
      endT: 4,
      every: 0.5,
      seed: 41,
      figures: (c) => {
        const done =
          requestsAt(
            phases.filter((p) => p.kind === 'burst'),
            c.t,
          ) / 60_000;
        const rss = 20 * MiB + 200 * MiB * done;
        const inRuntime = kept === 'outside' ? 0 : 200 * MiB * done;
        const liveHeap = kept === 'heap' || (c.phase?.kind === 'burst' && kept === 'nothing') ? 180 * MiB * done : 0;
        return {
          vmRss: rss,
          rssAnon: rss - 12 * MiB,
          heapInuse: 4 * MiB + liveHeap,
          stackInuse: 512 * KiB,
          goSys: 14 * MiB + inRuntime,
          heapReleased: 2 * MiB,
          goroutines: 6 + (kept === 'goroutines' ? Math.round(500 * done) : 0),
        };
      },
    });
    return diagnosisOf(spec);
  };
  const heap = short('heap');
  assert.equal(heap.verdict.kind, 'go-heap-growth', heap.verdict.evidence.join('\n'));
  assert.ok(
    heap.verdict.caveats.some((c) =>
      /^No phase was long enough to fit a growth rate \(idle-before: 4 samples in the window; at least 5 are needed\./.test(
        c,
      ),
    ),
  );
  assert.ok(
    heap.verdict.evidence.some((e) =>
      /^Go heap in use is still \+180\.0 MiB above its baseline at the end of idle-after \(90% of what RSS holds\)/.test(
        e,
      ),
    ),
    heap.verdict.evidence.join('\n'),
  );
  assert.equal(short('goroutines').verdict.kind, 'goroutine-growth');
  assert.ok(
    short('goroutines').verdict.evidence.some((e) =>
      /^goroutines: 6 before the load, 506 at the end of idle-after: 500 started by the load never exited\.$/.test(e),
    ),
  );
  assert.equal(short('outside').verdict.kind, 'growth-outside-go-runtime');
  assert.equal(short('nothing').verdict.kind, 'high-water-held');
  // Nothing high held and nothing fitted: no verdict can be given.
  const flat = seriesRun({ phases, endT: 4, every: 0.5, figures: () => ({ vmRss: 20 * MiB }) });
  assert.equal(diagnosisOf(flat).verdict.kind, 'not-enough-data');
});

test('sawtooth after an OOM kill: fitted per process, the kill named, time to the limit projected', () => {
  const d = diagnosisOf(sawtoothAttachRun(), { memoryLimitBytes: 200 * MiB });
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  assert.equal(d.rssFigure, 'processRss');
  assert.deepEqual(d.targetExits, { count: 1, oomKills: 1 });
  const cgroup = fitOf(win(fig(d, 'cgroupMemory'), 'probes').perHour);
  // 50 KiB/s in each process, across the kill: the kill does not pull the slope down.
  assert.ok(Math.abs(cgroup.rate - 50 * KiB * 3600) < 1, `rate ${cgroup.rate}`);
  assert.ok(
    d.verdict.evidence.some((e) =>
      /exited 1 time during the run: t=50 min exit code 137 \(killed: likely the OOM killer\)/.test(e),
    ),
  );
  const p = d.projection!;
  assert.equal(p.figure, 'cgroupMemory');
  assert.equal(p.limitBytes, 200 * MiB);
  const current = 40 * MiB + 2397 * 50 * KiB;
  assert.equal(p.current, current);
  assert.ok(Math.abs(p.hoursToLimit! - (200 * MiB - current) / (50 * KiB * 3600)) < 1e-6, `hours ${p.hoursToLimit}`);
  assert.ok(
    d.verdict.evidence.some((e) =>
      /^At the idle rate of probes \(\+175\.8 MiB\/h\), cgroup memory would reach the 200\.0 MiB limit in about 14 min/.test(
        e,
      ),
    ),
    d.verdict.evidence.join('\n'),
  );
  // The run's own --memory-limit (in run.json's options) reaches the summary the same way.
  const spec = sawtoothAttachRun();
  spec.run.options = { memoryLimitBytes: 200 * MiB };
  const summary = summarise(readRunDir(writeSyntheticRun(spec)));
  assert.equal(summary.diagnosis?.projection?.hoursToLimit, p.hoursToLimit);
});

test('burst rate projection: requests until the limit', () => {
  const d = diagnosisOf(raceSoak(), { memoryLimitBytes: 512 * MiB });
  const p = d.projection!;
  assert.equal(p.figure, 'vmRss');
  assert.ok(p.requestsToLimit! > 800_000 && p.requestsToLimit! < 1_000_000, `requests ${p.requestsToLimit}`);
  assert.ok(d.verdict.evidence.some((e) => /more requests would reach the 512\.0 MiB limit/.test(e)));
});

test('no time to the limit is projected from a verdict that is not growth, nor from a short idle phase', () => {
  const stable = diagnosisOf(
    seriesRun({ phases: SOAK, endT: SOAK_END, seed: 3, figures: (c) => ({ vmRss: 30 * MiB + 64 * KiB * c.noise() }) }),
    { memoryLimitBytes: 64 * MiB },
  );
  assert.equal(stable.verdict.kind, 'stable');
  assert.equal(stable.projection?.hoursToLimit, undefined);
  assert.match(
    stable.projection!.text[0]!,
    /^The verdict is stable, so no time to the 64\.0 MiB limit is projected \(RSS \(VmRSS\) (29\.9|30\.0) MiB now\)\.$/,
  );
  const phases: PhaseSpec[] = [{ name: 'idle', kind: 'idle', startT: 0, endT: 120 }];
  const short = seriesRun({
    phases,
    endT: 120,
    figures: (c) => ({
      vmRss: 30 * MiB + c.t * 64 * KiB,
      rssAnon: 20 * MiB + c.t * 64 * KiB,
      goSys: 12 * MiB,
      heapInuse: 5 * MiB,
    }),
  });
  const d = diagnosisOf(short, { memoryLimitBytes: 64 * MiB });
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  assert.equal(d.projection?.hoursToLimit, undefined);
  assert.ok(
    d.projection!.text.some((t) =>
      /^idle lasted 2 min, too short to extrapolate a time to the 64\.0 MiB limit \(at least 5 min at rest is needed\)\.$/.test(
        t,
      ),
    ),
    d.projection!.text.join('\n'),
  );
});

test('without Go runtime metrics: an RSS-based verdict that says what it could not tell', () => {
  const d = diagnosisOf(raceSoak({ metrics: false }));
  assert.equal(d.verdict.kind, 'rss-growth');
  assert.ok(d.verdict.caveats.some((c) => /Go runtime metrics .* were not sampled/.test(c)));
  assert.ok(
    d.verdict.caveats.some((c) =>
      /cannot say whether the Go heap, goroutines or memory outside the Go runtime grows/.test(c),
    ),
  );
  assert.ok(d.verdict.suggestions.some((s) => /--metrics-url/.test(s)));
  assert.ok(GROWTH_VERDICTS.includes('rss-growth'));
});

test('without metrics but with smaps snapshots of the race build, smaps says the growth is outside the Go heap', () => {
  const spec = raceSoak({ metrics: false });
  spec.run.smapsSnapshots = [
    { label: 'start', t: 1, file: 'smaps/01-start.txt' },
    { label: 'end', t: 948, file: 'smaps/02-end.txt' },
  ];
  const d = diagnosisOf(spec, {}, (dir) => {
    mkdirSync(join(dir, 'smaps'));
    copyFileSync(new URL('../fixtures/smaps-race-start.txt', import.meta.url), join(dir, 'smaps/01-start.txt'));
    copyFileSync(new URL('../fixtures/smaps-race-after-50k.txt', import.meta.url), join(dir, 'smaps/02-end.txt'));
  });
  assert.equal(d.verdict.kind, 'growth-outside-go-runtime');
  assert.ok(d.verdict.caveats.some((c) => /Attributed by smaps address ranges only/.test(c)));
  assert.ok(
    d.verdict.evidence.some((e) =>
      /^smaps start → end \(t=1\.00 s → t=15 min 48 s\): other anonymous \+93\.5 MiB \(43 → 75 mappings\), race shadow \+8\.8 MiB/.test(
        e,
      ),
    ),
    d.verdict.evidence.join('\n'),
  );
  assert.equal(d.smaps?.overall.kinds[0]?.kind, 'anonymous');
});

test('too few samples, or phases too short: not-enough-data saying what is missing', () => {
  const three = seriesRun({
    phases: [{ name: 'idle', kind: 'idle', startT: 0, endT: 2 }],
    endT: 2,
    figures: () => ({ vmRss: 10 * MiB }),
  });
  const d3 = diagnosisOf(three);
  assert.equal(d3.verdict.kind, 'not-enough-data');
  assert.match(d3.verdict.summary, /idle: 3 samples in the window; at least 5 are needed\./);

  const short = seriesRun({
    phases: [{ name: 'idle', kind: 'idle', startT: 0, endT: 1.5 }],
    endT: 1.5,
    every: 0.25,
    figures: (c) => ({ vmRss: 10 * MiB + c.t * MiB }),
  });
  const ds = diagnosisOf(short);
  assert.equal(ds.verdict.kind, 'not-enough-data');
  assert.match(ds.verdict.summary, /the window covers 1\.50 s; at least 2\.00 s is needed/);

  const none = diagnosisOf({ ...three, samples: [] });
  assert.equal(none.verdict.kind, 'not-enough-data');
  assert.match(none.verdict.summary, /0 memory samples were taken/);
  assert.deepEqual(none.figures, []);

  // Go figures only, no OS view of the process: the verdict says which figure is missing.
  const goOnly = seriesRun({ phases: SOAK, endT: SOAK_END, figures: (c) => goRuntime(c, 20 * MiB) });
  const dg = diagnosisOf(goOnly);
  assert.equal(dg.verdict.kind, 'not-enough-data');
  assert.match(dg.verdict.summary, /No RSS figure was sampled/);
});

test('a short idle phase says how slow a leak it could have missed', () => {
  const spec = seriesRun({
    phases: [{ name: 'idle', kind: 'idle', startT: 1, endT: 121 }],
    endT: 121,
    figures: (c) => ({ vmRss: 20 * MiB + 16 * KiB * c.noise() }),
  });
  const d = diagnosisOf(spec);
  assert.equal(d.verdict.kind, 'stable');
  // 512 KiB in two minutes is 15 MiB/h: anything slower is within noise there.
  assert.ok(
    d.verdict.caveats.some((c) => /^idle lasted 2 min: growth at rest slower than about \+15\.0 MiB\/h/.test(c)),
    d.verdict.caveats.join('\n'),
  );
});

test('thresholds hold their documented relations', () => {
  // The race build's idle leak at kubelet rate (1-2 KB a probe, 3.5-7 MiB/h) is above the idle threshold.
  assert.ok(THRESHOLDS.idleBytesPerHour < 1000 * 3600);
  // The race build's 500 KiB per 1k requests is far above the burst threshold, a plain build's 3-6 KiB below it.
  assert.ok(THRESHOLDS.burstBytesPer1k < (500 * KiB) / 10 && THRESHOLDS.burstBytesPer1k > 6 * KiB);
  assert.ok(THRESHOLDS.persistenceRatio > 0.05 && THRESHOLDS.persistenceRatio < 0.5);
});

test('diagnose is pure and deterministic: same data, same diagnosis, input untouched', () => {
  const data = readRunDir(writeSyntheticRun(raceSoak()));
  const before = JSON.stringify(data);
  const a = JSON.stringify(diagnose(data));
  const b = JSON.stringify(diagnose(data));
  assert.equal(a, b);
  assert.equal(JSON.stringify(data), before);
});
