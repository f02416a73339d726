/**
 * Defaults shared by the built-in runner and the k6 scripts, so the two cannot drift. No Node
 * imports here: esbuild bundles this file into k6 scripts.
 */
import { DEFAULT_STEADY_RATE } from '../load/phases.ts';

/** The report's numbers: kubelet probes at 1/s with a 1 s timeout; 1M requests over 100 connections. */
export const DEFAULTS = Object.freeze({
  variant: 'race' as 'plain' | 'race',
  path: '/health_check',
  sampleIntervalMs: 1000,
  durationMs: 10 * 60_000,
  rate: 1,
  probeTimeoutMs: 1000,
  requests: 1_000_000,
  connections: 100,
  /**
   * The pack's own client on Node's net module (the k6 bundles carry this file, and must name
   * nothing of Node's): exact against every server in the HTTP/1.1 conformance suite,
   * and the fastest (docs/engines.md, Performance). autocannon stays as --engine autocannon.
   */
  engine: 'net' as 'autocannon' | 'net',
  requestTimeoutMs: 10_000,
  /** steady: requests per second when --rate is not given (--rate's own default, 1, is the kubelet's). */
  steadyRate: DEFAULT_STEADY_RATE,
  /** soak: idle probes before and after the burst, sized so the whole soak takes minutes. */
  idleBeforeMs: 60_000,
  idleAfterMs: 120_000,
  /**
   * soak: the same burst twice, each followed by a rest: a leak retains about the same again,
   * a filled cache nothing more (docs/retained.md).
   */
  bursts: 2,
  settleMs: 5000,
  readyTimeoutMs: 30_000,
  stopGraceMs: 5000,
  outDir: 'reports',
  progress: 'auto' as 'auto' | 'on' | 'off',
});
