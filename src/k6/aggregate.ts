/**
 * Adds up k6 request samples from any number of runners into per-phase and per-second figures.
 *
 * A request is one `http_req_duration` sample (k6 emits one per request, answered or not, with
 * the request's tags); `http_reqs` samples are only summed to check that. Counts add across
 * runners; latency goes into one HDR histogram per runner and phase, and a phase's percentiles
 * come from the runners' histograms merged, never from an average of per-runner percentiles.
 */
import type { Histogram } from 'hdr-histogram-js';
import { newLatencyHistogram, recordMs } from '../load/latency.ts';
import { PHASE_KIND_TAG } from '../../scenarios/k6/lib/to-k6-options.ts';
import type { K6Point } from './read-input.ts';
import type { PhaseCounts } from '../load/phase-summary.ts';
import type { PhaseKind } from '../rundir/schema.ts';
import { findPhaseKind } from '../phases/kinds.ts';

export type RunnerPhase = Omit<PhaseCounts, 'requested'> & { hist: Histogram };

export interface PhaseAcc {
  name: string;
  /** From the scenario's phase_kind tag; undefined for scripts that are not the pack's. */
  kind: PhaseKind | undefined;
  /** Epoch ms: earliest request start (sample time minus its duration) and latest sample time. */
  firstMs: number;
  lastMs: number;
  runners: Map<string, RunnerPhase>;
}

export interface SecondAcc {
  completed: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latenciesMs: number[];
}

export interface RunnerInfo {
  id: string;
  file: string;
  requests: number;
  firstMs: number;
  lastMs: number;
}

/** k6 error codes for timeouts (grafana/k6 lib/netext/httpext/error_codes.go): request timeout, dial timeout. */
const TIMEOUT_CODES = new Set(['1050', '1211']);

export class K6Aggregator {
  readonly phases = new Map<string, PhaseAcc>();
  /** Keyed by phase name, then epoch second. */
  readonly seconds = new Map<string, Map<number, SecondAcc>>();
  readonly runners = new Map<string, RunnerInfo>();
  /** Sum of every `http_reqs` sample, setup()'s included, to compare with the summaries and the request count. */
  httpReqsTotal = 0;
  /** Every `http_req_duration` sample, setup()'s included. */
  durationSamples = 0;
  /** Requests outside any phase: setup(), teardown(). */
  outsidePhases = 0;
  url: string | undefined;

  add(p: K6Point, file: string): void {
    if (p.metric === 'http_reqs') {
      this.httpReqsTotal += p.value;
      return;
    }
    if (p.metric !== 'http_req_duration') return;
    this.durationSamples++;
    const phase = this.phaseOf(p.tags);
    if (phase === undefined) {
      this.outsidePhases++;
      return;
    }
    const runnerId = this.runnerOf(p.tags, file);
    const startMs = p.timeMs - p.value;
    let acc = this.phases.get(phase);
    if (!acc) {
      acc = { name: phase, kind: this.kindOf(p.tags), firstMs: startMs, lastMs: p.timeMs, runners: new Map() };
      this.phases.set(phase, acc);
    }
    acc.firstMs = Math.min(acc.firstMs, startMs);
    acc.lastMs = Math.max(acc.lastMs, p.timeMs);
    let r = acc.runners.get(runnerId);
    if (!r) {
      r = { sent: 0, completed: 0, errors: 0, timeouts: 0, non2xx: 0, statusCodes: {}, hist: newLatencyHistogram() };
      acc.runners.set(runnerId, r);
    }
    const sec = this.second(phase, Math.floor(p.timeMs / 1000));
    const status = Number(p.tags.status ?? '0');
    r.sent++;
    if (Number.isInteger(status) && status > 0) {
      r.completed++;
      sec.completed++;
      r.statusCodes[String(status)] = (r.statusCodes[String(status)] ?? 0) + 1;
      if (status < 200 || status > 299) {
        r.non2xx++;
        sec.non2xx++;
      }
      recordMs(r.hist, p.value);
      sec.latenciesMs.push(p.value);
      this.url ??= p.tags.url;
    } else {
      r.errors++;
      sec.errors++;
      if (TIMEOUT_CODES.has(p.tags.error_code ?? '')) {
        r.timeouts++;
        sec.timeouts++;
      }
    }
    const info = this.runners.get(runnerId)!;
    info.requests++;
    info.firstMs = Math.min(info.firstMs, startMs);
    info.lastMs = Math.max(info.lastMs, p.timeMs);
  }

  /** The scenario a request ran in, or undefined for requests of setup() and teardown(). */
  private phaseOf(tags: Record<string, string>): string | undefined {
    const scenario = tags.scenario;
    const group = tags.group ?? '';
    // k6 runs setup() and teardown() outside every scenario, in groups of those names; the
    // pack's setup() also tags its one request.
    if (
      tags.leakbench === 'setup' ||
      group.startsWith('::setup') ||
      group.startsWith('::teardown') ||
      scenario === 'setup' ||
      scenario === 'teardown'
    )
      return undefined;
    return scenario ?? 'default';
  }

  private kindOf(tags: Record<string, string>): PhaseKind | undefined {
    const k = tags[PHASE_KIND_TAG];
    return findPhaseKind(k)?.kind;
  }

  /**
   * k6-operator tags every sample of runner N with instance_id=N. A file without it (a plain
   * `k6 run`) is one runner of its own. One runner's output in two files (json and csv of the
   * same run) would count everything twice, so that is refused by the caller.
   */
  private runnerOf(tags: Record<string, string>, file: string): string {
    const id = tags.instance_id !== undefined ? `instance ${tags.instance_id}` : `file ${file}`;
    if (!this.runners.has(id)) this.runners.set(id, { id, file, requests: 0, firstMs: Infinity, lastMs: -Infinity });
    const info = this.runners.get(id)!;
    if (info.file !== file) throw new DuplicateRunnerError(id, info.file, file);
    return id;
  }

  private second(phase: string, epochSecond: number): SecondAcc {
    let byPhase = this.seconds.get(phase);
    if (!byPhase) {
      byPhase = new Map();
      this.seconds.set(phase, byPhase);
    }
    let s = byPhase.get(epochSecond);
    if (!s) {
      s = { completed: 0, errors: 0, timeouts: 0, non2xx: 0, latenciesMs: [] };
      byPhase.set(epochSecond, s);
    }
    return s;
  }

  destroy(): void {
    for (const p of this.phases.values()) for (const r of p.runners.values()) r.hist.destroy();
  }
}

export class DuplicateRunnerError extends Error {
  constructor(
    readonly runner: string,
    readonly firstFile: string,
    readonly secondFile: string,
  ) {
    super(
      `${runner} appears in both ${firstFile} and ${secondFile}: the same runner's results twice (e.g. its --out json and --out csv) would count every request twice; give one of them`,
    );
  }
}
