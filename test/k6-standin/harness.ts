/**
 * Loads a dist/k6 bundle in Node the way k6 would run it: its `k6`, `k6/http` and
 * `k6/execution` imports point at the stand-ins here (the bundle's bytes are otherwise
 * unchanged), `__ENV` is what `-e` would give, and its `options` set the stand-in's
 * connection reuse and body handling as k6 applies them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startStandinHttp } from './http.ts';
import { resetState, state } from './state.ts';

const STANDINS: Record<string, string> = {
  k6: new URL('./k6.ts', import.meta.url).href,
  'k6/http': new URL('./http.ts', import.meta.url).href,
  'k6/execution': new URL('./execution.ts', import.meta.url).href,
};

export interface LoadedBundle {
  exports: Record<string, unknown>;
  options: Record<string, unknown>;
  /** The k6 modules the bundle imports. */
  imports: string[];
  fn(name: string): (data?: unknown) => unknown;
}

/** k6's globals, set on this process's global object only while a bundle runs here. */
const k6Globals = globalThis as unknown as { __ENV: Record<string, string>; __VU: number; __ITER: number };

let copies = 0;

export async function loadBundle(bundle: string, env: Record<string, string>): Promise<LoadedBundle> {
  const source = readFileSync(bundle, 'utf8');
  const imports: string[] = [];
  const rewritten = source.replace(/(\bfrom\s*|\bimport\s*)(["'])(k6(?:\/[\w/-]+)?)\2/g, (_m, kw: string, q: string, spec: string) => {
    const target = STANDINS[spec];
    if (!target) throw new Error(`${basename(bundle)} imports ${spec}, which has no stand-in`);
    imports.push(spec);
    return `${kw}${q}${target}${q}`;
  });
  // A fresh copy per load: the bundle reads __ENV once, at import, as k6's init context does.
  const dir = mkdtempSync(join(tmpdir(), 'leakbench-k6-bundle-'));
  const copy = join(dir, `${basename(bundle, '.js')}-${++copies}.mjs`);
  writeFileSync(copy, rewritten);
  await startStandinHttp();
  resetState();
  k6Globals.__ENV = { ...env };
  k6Globals.__VU = 0;
  k6Globals.__ITER = 0;
  const exports = (await import(pathToFileURL(copy).href)) as Record<string, unknown>;
  const options = (exports.options ?? {}) as Record<string, unknown>;
  state.noConnectionReuse = options.noConnectionReuse === true;
  state.discardResponseBodies = options.discardResponseBodies === true;
  return {
    exports,
    options,
    imports: [...new Set(imports)].sort(),
    fn(name: string) {
      const f = exports[name];
      if (typeof f !== 'function') throw new Error(`${basename(bundle)} exports no function ${name}`);
      return f as (data?: unknown) => unknown;
    },
  };
}

/** Runs `iterations` iterations of a scenario's exec function as one VU, as k6 would call it. */
export function runIterations(b: LoadedBundle, scenario: string, vu: number, iterations: number, data?: unknown): void {
  const scenarios = (b.options.scenarios ?? {}) as Record<string, { exec?: string }>;
  const exec = scenarios[scenario]?.exec ?? 'default';
  const f = b.fn(exec);
  for (let i = 0; i < iterations; i++) {
    state.scenario = scenario;
    state.vu = vu;
    state.iter = i;
    k6Globals.__VU = vu;
    k6Globals.__ITER = i;
    f(data);
  }
}

export { state };
