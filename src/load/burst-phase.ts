import { simpleMix, type RequestMix } from '../options/request-def.ts';
import type { LoadSecond } from '../rundir/schema.ts';
import type { RunClock } from './clock.ts';
import { buildRequestBytes } from './request-bytes.ts';

/**
 * What a burst is asked to do and where it reports, shared by the engine (burst-engine.ts), its
 * threaded form (burst-threads.ts, burst-worker.ts) and the entry point (burst.ts): a module of
 * its own so that none of them imports another in a loop.
 */

export interface BurstPhase {
  name: string;
  url: URL;
  requests: number;
  connections: number;
  timeoutMs: number;
  /** GET unless set; HEAD is for servers whose GET answers are too large to load-test with. */
  method?: BurstMethod;
  /** What to send (default: GET of the URL's path); see request-def.ts. */
  mix?: RequestMix;
}

export type BurstMethod = 'GET' | 'HEAD';

export interface BurstSinks {
  clock: RunClock;
  signal: AbortSignal;
  onSecond(s: LoadSecond): void;
  /**
   * Running totals for the progress line: called after every PROGRESS_EVERY-th request ends
   * and once at the end, so a consumer that draws a few times a second is never starved.
   */
  onProgress?(done: number, requested: number): void;
  onWarning(message: string): void;
}

/** A power of two, so the check per response is a mask, and rare enough to cost nothing. */
export const PROGRESS_EVERY = 1024;

/** The request, written once per request from one shared buffer. */
export function requestBytes(url: URL, method: BurstMethod = 'GET'): Buffer {
  return buildRequestBytes(phaseMix({ url, method }).requests[0]!, url.host);
}

/** What a phase sends: its mix, else one request of its method (GET by default) to the URL's path. */
export function phaseMix(phase: Pick<BurstPhase, 'url' | 'method' | 'mix'>): RequestMix {
  if (phase.mix) return phase.mix;
  const mix = simpleMix((phase.url.pathname || '/') + phase.url.search);
  if (!phase.method || phase.method === 'GET') return mix;
  const r = mix.requests[0]!;
  return { ...mix, requests: [{ ...r, name: `${phase.method} ${r.path}`, method: phase.method }] };
}
