/**
 * The verdict corpus (bench/verdict-corpus/): one small server per file, whose header comment
 * says what it does and which verdict class it should get. The label is read from the file
 * itself, so a server and its expectation cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { KindClass } from '../../src/analyse/verdict-kinds.ts';
import { REPO_ROOT } from '../../src/target/bundled-build.ts';

export const CORPUS_DIR = join(REPO_ROOT, 'bench', 'verdict-corpus');

export const CLASSES: readonly KindClass[] = ['growth', 'bounded', 'stable', 'cannot-tell'];

/** What each server does to memory; the first five leak, the others do not. */
export const LEAK_BEHAVIOURS = ['heap per request', 'per connection', 'tasks', 'native', 'slow'] as const;
export const OTHER_BEHAVIOURS = [
  'stable',
  'cache early',
  'cache late',
  'pool',
  'warm-up',
  'garbage',
  'memory limit',
] as const;
export type Behaviour = (typeof LEAK_BEHAVIOURS)[number] | (typeof OTHER_BEHAVIOURS)[number];
export const BEHAVIOURS: readonly Behaviour[] = [...LEAK_BEHAVIOURS, ...OTHER_BEHAVIOURS];

export type LeakUnit = 'request' | 'connection' | 'minute';

/**
 * A leak's size by construction: KiB per request, per connection or per minute; or, for tasks
 * that never end (whose memory the runtime decides), tasks per request.
 */
export interface LeakSize {
  amount: number;
  unit: 'KiB' | 'tasks';
  per: LeakUnit;
}

export type CorpusRuntime = 'go' | 'node' | 'python' | 'jvm' | 'c';
export const RUNTIME_NAMES: Record<CorpusRuntime, string> = {
  go: 'Go',
  node: 'Node.js',
  python: 'Python',
  jvm: 'JVM',
  c: 'C',
};
const EXTENSIONS: Record<string, CorpusRuntime> = {
  '.go': 'go',
  '.mjs': 'node',
  '.py': 'python',
  '.java': 'jvm',
  '.c': 'c',
};

export interface CorpusLabel {
  what: string;
  behaviour: Behaviour;
  /** The class a right verdict has: the row of the confusion matrix. */
  expect: KindClass;
  /** Every class counted as right (always includes `expect`). */
  accept: KindClass[];
  /** How much a leaking server keeps, by construction; absent for a server that does not leak. */
  leak?: LeakSize;
  /** In the representative third that `--quick` runs. */
  quick: boolean;
  /** Flags for the runtime's launcher (java -Xmx64m, ...), before the source file. */
  flags: string[];
}

export interface CorpusServer extends CorpusLabel {
  name: string;
  file: string;
  runtime: CorpusRuntime;
}

export class CorpusLabelError extends Error {}

export function isLeak(b: Behaviour): boolean {
  return (LEAK_BEHAVIOURS as readonly string[]).includes(b);
}

/** The leading comment lines of a source file, without their comment marks. */
function headerLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '*/') break;
    const m = /^(?:\/\/|#|\/\*|\*)\s?(.*)$/.exec(line);
    if (!m) break;
    out.push(m[1]!.replace(/\s*\*\/$/, ''));
  }
  return out;
}

function classList(raw: string, file: string, field: string): KindClass[] {
  const items = raw.split(',').map((s) => s.trim());
  for (const c of items)
    if (!(CLASSES as readonly string[]).includes(c))
      throw new CorpusLabelError(`${file}: ${field}: ${JSON.stringify(c)} is no class; expected ${CLASSES.join(', ')}`);
  return items as KindClass[];
}

function leakSize(raw: string, file: string, tasks: boolean): LeakSize {
  const bytes = /^(\d+(?:\.\d+)?) KiB per (request|connection|minute)$/.exec(raw);
  if (bytes && !tasks) return { amount: Number(bytes[1]), unit: 'KiB', per: bytes[2] as LeakUnit };
  const task = /^1 (?:goroutine|thread|task) per (\d+) requests$/.exec(raw);
  if (task && tasks) return { amount: 1 / Number(task[1]), unit: 'tasks', per: 'request' };
  const expected = tasks ? '"1 thread|goroutine|task per N requests"' : '"N KiB per request|connection|minute"';
  throw new CorpusLabelError(`${file}: leak: expected ${expected}, got "${raw}"`);
}

/**
 * A corpus file's label, from its header comment (`what:` continued on the lines that follow,
 * then `behaviour:`, `expect:`, `accept:`, `leak:` for a leak, optional `quick: yes` and
 * `flags:`). Throws a CorpusLabelError naming the file and the field when one is missing or wrong.
 */
export function parseCorpusLabel(text: string, file: string): CorpusLabel {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of headerLines(text)) {
    const m = /^([a-z]+):\s*(.*)$/.exec(line);
    if (m) {
      last = m[1]!;
      if (fields.has(last)) throw new CorpusLabelError(`${file}: ${last}: given twice`);
      fields.set(last, m[2]!.trim());
    } else if (last === 'what' && line.trim() !== '') fields.set('what', `${fields.get('what')} ${line.trim()}`);
  }
  const need = (f: string): string => {
    const v = fields.get(f);
    if (v === undefined || v === '') throw new CorpusLabelError(`${file}: the header comment has no "${f}:" line`);
    return v;
  };
  const behaviour = need('behaviour');
  if (!(BEHAVIOURS as readonly string[]).includes(behaviour))
    throw new CorpusLabelError(`${file}: behaviour: "${behaviour}" is not one of ${BEHAVIOURS.join(', ')}`);
  const [expect, ...more] = classList(need('expect'), file, 'expect');
  if (more.length > 0) throw new CorpusLabelError(`${file}: expect: one class, the right answer`);
  const accept = classList(need('accept'), file, 'accept');
  if (!accept.includes(expect!)) throw new CorpusLabelError(`${file}: accept: must include the expected ${expect}`);
  const leaks = isLeak(behaviour as Behaviour);
  if (leaks && (expect !== 'growth' || accept.join() !== 'growth'))
    throw new CorpusLabelError(`${file}: a leak (${behaviour}) expects and accepts growth only`);
  if (!leaks && accept.includes('growth'))
    throw new CorpusLabelError(`${file}: a server that does not leak (${behaviour}) cannot accept growth`);
  const leakRaw = fields.get('leak');
  if (leaks !== (leakRaw !== undefined))
    throw new CorpusLabelError(`${file}: leak: ${leaks ? 'required for a leak' : 'only for a leak'}`);
  const quick = fields.get('quick');
  if (quick !== undefined && quick !== 'yes') throw new CorpusLabelError(`${file}: quick: expected "yes"`);
  return {
    what: need('what'),
    behaviour: behaviour as Behaviour,
    expect: expect!,
    accept,
    ...(leakRaw !== undefined && { leak: leakSize(leakRaw, file, behaviour === 'tasks') }),
    quick: quick === 'yes',
    flags: (fields.get('flags') ?? '').split(/\s+/).filter(Boolean),
  };
}

export function runtimeOfFile(file: string): CorpusRuntime | undefined {
  return EXTENSIONS[extname(file)];
}

/** Every server of the corpus, by name (the file name without its extension). */
export function readCorpus(dir = CORPUS_DIR): CorpusServer[] {
  return readdirSync(dir)
    .filter((f) => runtimeOfFile(f) !== undefined)
    .sort()
    .map((f) => {
      const label = parseCorpusLabel(readFileSync(join(dir, f), 'utf8'), f);
      return { ...label, name: f.slice(0, -extname(f).length), file: join(dir, f), runtime: runtimeOfFile(f)! };
    });
}
