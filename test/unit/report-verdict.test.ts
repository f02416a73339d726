import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarise } from '../../src/analyse/summarise.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { renderReport } from '../../src/report/render.ts';
import { readRunDir } from '../../src/rundir/read-run.ts';
import { FILES } from '../../src/rundir/schema.ts';
import { requestsAt, seriesRun, SOAK, SOAK_END, KiB, MiB, type PhaseSpec } from '../helpers/synthetic-series.ts';
import { writeSyntheticRun, type SyntheticRun } from '../helpers/synthetic-run.ts';
import type { SummaryFile } from '../../src/analyse/summary-file.ts';

const IMAGES = { memory: Buffer.from('m'), load: Buffer.from('l') };

/** The race soak with smaps snapshots and heap profiles on disk, as a live run leaves them. */
function raceRunDir(
  phases: PhaseSpec[] = SOAK,
  profileFiles = ['pprof/heap-start.pb.gz', 'pprof/heap-end.pb.gz'],
  extraSmaps = '',
): string {
  const spec: SyntheticRun = seriesRun({
    phases,
    endT: SOAK_END,
    seed: 31,
    smapsSnapshots: [
      { label: 'start', t: 1, file: 'smaps/01-start.txt' },
      { label: 'end', t: 948, file: 'smaps/02-end.txt' },
    ],
    heapProfiles: profileFiles.map((file, i) => ({ label: i === 0 ? 'start' : 'end', t: i === 0 ? 1 : 948, file })),
    figures: (c) => {
      const burst = requestsAt(
        phases.filter((p) => p.kind === 'burst'),
        c.t,
      );
      const vmRss = 40 * MiB + 512 * burst + 100 * KiB * c.noise();
      return {
        vmRss,
        rssAnon: vmRss - 16 * MiB,
        heapInuse: 6 * MiB,
        stackInuse: 512 * KiB,
        goSys: 24 * MiB,
        heapReleased: 3 * MiB,
        goroutines: 6,
      };
    },
  });
  const dir = writeSyntheticRun(spec);
  mkdirSync(join(dir, 'smaps'));
  copyFileSync(new URL('../fixtures/smaps-race-start.txt', import.meta.url), join(dir, 'smaps/01-start.txt'));
  writeFileSync(
    join(dir, 'smaps/02-end.txt'),
    readFileSync(new URL('../fixtures/smaps-race-after-50k.txt', import.meta.url), 'utf8') + extraSmaps,
  );
  return dir;
}

test('summary.md opens with the verdict and its evidence, then the growth and smaps tables and the pprof command', () => {
  const data = readRunDir(raceRunDir());
  const summary = summarise(data);
  assert.equal(summary.diagnosis?.verdict.kind, 'growth-outside-go-runtime');
  const md = renderMarkdown(summary, data.run);
  const verdictAt = md.indexOf('## Verdict: growth outside the Go runtime');
  assert.ok(verdictAt > 0 && verdictAt < md.indexOf('| status |'), 'the verdict comes before the run facts');
  assert.match(
    md,
    /^- RSS \(VmRSS\) grew \+\d+\.\d MiB \(fitted\) during burst \(40\.0 s, 100,000 requests\): \+\d+\.\d KiB per 1,000 requests/m,
  );
  assert.match(md, /^Next steps:$/m);
  assert.ok(
    md.includes(
      'Heap profile diff (run it in the run directory):\n\n```sh\ngo tool pprof -diff_base pprof/heap-start.pb.gz pprof/heap-end.pb.gz\n```',
    ),
  );
  assert.ok(md.includes('## Growth by figure and phase'));
  assert.match(
    md,
    /^\| RSS \(VmRSS\) \| idle-before \| \d+\.\d MiB \| [^|]+ \| [^|]+\/h \| [^|]+ \| -?\d\.\d\d \| (flat|falling)[^|]* \|$/m,
  );
  assert.match(
    md,
    /^\| {2}\| burst \| {2}\| 40\.\d MiB → \d+\.\d MiB \(\+\d+\.\d MiB\) \| \+\d+\.\d KiB per 1,000 requests \| \+\d+\.\d KiB to \+\d+\.\d KiB \| (0\.9\d|1\.00) \| growing \|$/m,
  );
  assert.ok(md.includes('## Where it grew (smaps)'));
  assert.match(md, /^\| other anonymous \| 43 → 75 \| 14\.3 MiB \| 107\.8 MiB \| \+93\.5 MiB \| \+241\.4 MiB \|$/m);
  assert.match(
    md,
    /^\| 7f607c920000-7f607e500000 \| other anonymous \| rw-p \| — \| new \| 0\.0 MiB \| 27\.7 MiB \| \+27\.7 MiB \|$/m,
  );
  // The high-water mark has no rate worth a row.
  assert.doesNotMatch(md, /^\| RSS high-water mark/m);
});

test('index.html has the same verdict section, growth and smaps tables', () => {
  const data = readRunDir(raceRunDir());
  const page = renderHtml(summarise(data), data.run, IMAGES);
  assert.ok(page.includes('<section class="verdict verdict-growth">\n<h2>Verdict: growth outside the Go runtime</h2>'));
  assert.ok(page.indexOf('<section class="verdict') < page.indexOf('<table class="facts">'));
  assert.ok(
    page.includes(
      '<pre class="cmd"><code>go tool pprof -diff_base pprof/heap-start.pb.gz pprof/heap-end.pb.gz</code></pre>',
    ),
  );
  assert.ok(page.includes('<h2>Growth by figure and phase</h2>'));
  assert.ok(page.includes('<h2>Where it grew (smaps)</h2>'));
  assert.ok(page.includes('<td>other anonymous</td><td class="num">43 → 75</td>'));
  assert.match(page, /<li>This is a -race build|Build without -race/);
});

test('text from the user or the target is escaped in the verdict and smaps sections', () => {
  const phases: PhaseSpec[] = [
    { name: '<img src=x onerror=alert(1)>|a', kind: 'idle', startT: 5, endT: 305 },
    { name: 'burst`x`', kind: 'burst', startT: 305, endT: 345, requests: 100_000 },
    { name: 'idle-after', kind: 'idle', startT: 345, endT: 945 },
  ];
  const hostileMapping =
    '7f70d0000000-7f70d4000000 rw-s 00000000 00:05 42 /dev/shm/<script>alert(2)</script>|x\nSize: 65536 kB\nRss: 65536 kB\n';
  const dir = raceRunDir(phases, ['pprof/start `id`.pb.gz', 'pprof/<b>end</b>.pb.gz'], hostileMapping);
  const data = readRunDir(dir);
  const summary = summarise(data);
  const page = renderHtml(summary, data.run, IMAGES);
  assert.equal(page.includes('<script'), false);
  assert.equal(page.includes('<img src=x'), false);
  assert.equal(page.includes('<b>end'), false);
  assert.ok(page.includes('/dev/shm/&#60;script&#62;alert(2)&#60;/script&#62;|x'));
  assert.ok(
    page.includes(
      'go tool pprof -diff_base &#39;pprof/start `id`.pb.gz&#39; &#39;pprof/&#60;b&#62;end&#60;/b&#62;.pb.gz&#39;',
    ),
  );
  const md = renderMarkdown(summary, data.run);
  assert.equal(md.includes('<img src=x'), false);
  assert.ok(md.includes('/dev/shm/&lt;script&gt;alert(2)&lt;/script&gt;\\|x'));
  assert.ok(md.includes('&lt;img src=x onerror=alert(1)&gt;\\|a'));
  // Inside the fenced block nothing needs escaping, and the fence is longer than any backticks in it.
  assert.ok(md.includes("```sh\ngo tool pprof -diff_base 'pprof/start `id`.pb.gz' 'pprof/<b>end</b>.pb.gz'\n```"));
  // Every growth-table row keeps its eight cells.
  for (const line of md.split('\n').filter((l) => l.startsWith('| ') && l.includes('per 1,000 requests'))) {
    assert.equal(line.split(/(?<!\\)\|/).length - 2, 8, line);
  }
});

test('renderReport writes the diagnosis into summary.json; a summary without one renders without a verdict', async () => {
  const dir = raceRunDir();
  const out = await renderReport(dir);
  const stored = JSON.parse(readFileSync(join(dir, FILES.summary), 'utf8')) as SummaryFile;
  assert.equal(stored.diagnosis?.verdict.kind, 'growth-outside-go-runtime');
  assert.deepEqual(stored.diagnosis, out.summary.diagnosis);
  assert.equal(stored.diagnosis?.smaps?.overall.kinds[0]?.kind, 'anonymous');
  assert.match(readFileSync(join(dir, FILES.summaryMd), 'utf8'), /## Verdict: growth outside the Go runtime/);

  const data = readRunDir(dir);
  const old = summarise(data);
  delete old.diagnosis;
  assert.doesNotMatch(renderMarkdown(old, data.run), /Verdict|Growth by figure/);
  assert.doesNotMatch(renderHtml(old, data.run, IMAGES), /class="verdict/);
});
