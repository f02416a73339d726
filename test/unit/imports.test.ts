import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The shape of src/ as the data flow draws it (docs/development.md "Layout"): each stage
 * talks to the others through contracts (the options it is given, the run directory's schema,
 * the analysis's summary) and the orchestrators (src/run, src/commands) wire them together.
 * Type-only imports count too: they are dependencies a reader has to follow.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/**
 * What each stage may import besides itself and the leaves every stage may use: src/errors.ts,
 * src/package-paths.ts (where the package's own files are, checkout or installed tarball) and
 * src/script-bundles.ts (code run in worker threads or the browser, bundled or prebuilt).
 * Orchestrators (run, commands, action, live) may import anything.
 */
const ALLOWED: Record<string, readonly string[]> = {
  // Options check flags against what exists downstream: engine names, usable pids and cgroups, figure keys.
  options: [
    'rundir/schema.ts',
    'load/burst-engines.ts',
    'load/phases.ts',
    'sample/sampler.ts',
    'sample/explicit-cgroup.ts',
  ],
  // The memory cgroup is made beside the pack's own, which the sampler's cgroup locator finds.
  // Identifying the target writes its part of run.json's contract.
  target: ['options', 'sample/cgroup.ts', 'rundir/schema.ts'],
  sample: ['options', 'rundir/schema.ts'],
  load: ['options', 'rundir/schema.ts'],
  // run.json's phase kinds are checked against the registry of phase kinds (pure declarations).
  rundir: ['phases/kinds.ts'],
  // Phase kinds: pure declarations (for k6 too) over the load stage's engines, and their Node runners.
  phases: ['load', 'options', 'rundir', 'console'],
  // The k6 importer turns k6's outputs into the pack's phase results with the load stage's pure helpers.
  k6: [
    'options',
    'load/latency.ts',
    'load/phase-summary.ts',
    'load/pacer.ts',
    'load/steady-schedule.ts',
    'load/phases.ts',
    'phases/kinds.ts',
    'rundir',
    'target/bundled-build.ts',
    '../scenarios',
  ],
  // How a phase is read (against time or requests) is its kind's declaration.
  analyse: ['rundir/schema.ts', 'rundir/read-run.ts', 'rundir/go-build.ts', 'phases/kinds.ts'],
  // The live page (src/report/browser/live-page.ts) speaks the live server's protocol: types only.
  report: ['analyse', 'rundir', 'live/protocol.ts'],
  console: ['options'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** file → the files it imports (relative imports only), both as paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    // Static imports and re-exports, and `await import('./x.ts')`: a lazy import is still a
    // dependency, and a loop through one is a loop (src/load/burst.ts once reached itself so).
    const specifiers = [
      ...[...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => m[1]!),
      ...[...text.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)].map((m) => m[1]!),
    ];
    const targets = specifiers.map((s) => relative(SRC, resolve(dirname(file), s)));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components; any component of more than one file is a cycle.
  let index = 0;
  const idx = new Map<string, number>(),
    low = new Map<string, number>(),
    onStack = new Set<string>(),
    stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

test('src/ has no import cycle', () => {
  const graph = importGraph();
  assert.ok(graph.size > 50, `read ${graph.size} files`);
  assert.deepEqual(cycles(graph), []);
});

test('a lazy import() counts as an edge of the import graph', () => {
  const graph = importGraph();
  assert.ok(
    (graph.get('load/burst.ts') ?? []).includes('load/burst-threads.ts'),
    'load/burst.ts imports burst-threads.ts lazily; the graph must see it',
  );
});

test('the cycle finder finds one', () => {
  const g = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', ['a.ts']],
  ]);
  assert.deepEqual(cycles(g), [['a.ts', 'b.ts', 'c.ts']]);
});

test('no stage imports back up the data flow: each imports only its contracts', () => {
  const wrong: string[] = [];
  for (const [file, targets] of importGraph()) {
    const stage = file.split('/')[0]!;
    const allowed = ALLOWED[stage];
    if (allowed === undefined) continue;
    for (const t of targets) {
      if (t === 'errors.ts' || t === 'package-paths.ts' || t === 'script-bundles.ts' || t.split('/')[0] === stage)
        continue;
      if (!allowed.some((a) => t === a || t.startsWith(`${a}/`))) wrong.push(`${file} -> ${t}`);
    }
  }
  assert.deepEqual(wrong, []);
});
