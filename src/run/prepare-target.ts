import { errorText, LeakbenchError, UsageError } from '../errors.ts';
import type { RunOptions, TargetChoice } from '../options/run-options.ts';
import type { TargetInfo } from '../rundir/schema.ts';
import { fetchMetrics } from '../sample/metrics.ts';
import { validatePid } from '../sample/sampler.ts';
import { ensureBundledBinary, type BundledBinary } from '../target/bundled-build.ts';
import { freePort } from '../target/free-port.ts';
import { launchTarget, type LaunchedTarget } from '../target/launch.ts';
import { probeOnce } from '../target/readiness.ts';
import { runtimeLaunch } from './runtime-sources.ts';
import { runtimeProbes } from '../sample/runtime/index.ts';

/** Where the target is and how to (re)start it; `launch` is absent when attaching. */
export interface TargetPlan {
  info: TargetInfo;
  /** The URL load goes to (base URL plus the scenario path). */
  baseUrl: URL;
  pid?: number;
  metricsUrl?: URL;
  goVersion?: string;
  /** Starts the target (again, after a crash or OOM kill: same port, same command). */
  launch?: (cgroupProcsFile?: string) => Promise<LaunchedTarget>;
}

export function targetLabel(t: TargetChoice): string {
  if (t.kind === 'bundled') return t.variant;
  if (t.kind === 'command') return 'cmd';
  return `attach-${t.url.port || (t.url.protocol === 'https:' ? '443' : '80')}`;
}

/** Runs before the run directory exists: a bad --pid or a dead --url must not leave one behind. */
export async function checkAttach(t: TargetChoice): Promise<void> {
  if (t.kind !== 'attach') return;
  if (t.pid !== undefined) {
    const why = validatePid(t.pid);
    if (why) throw new UsageError(`--pid: ${t.pid} is not a process this user can read: ${why}`);
  }
  try {
    await probeOnce(t.url, 3000);
  } catch (err) {
    throw new LeakbenchError(`--url: ${t.url.href} did not answer (${errorText(err)}); is the server running?`);
  }
}

/** Bundled build first (slow the first time) so that its messages come before the run starts. */
export async function buildIfBundled(t: TargetChoice, log: (l: string) => void): Promise<BundledBinary | undefined> {
  return t.kind === 'bundled' ? ensureBundledBinary(t.variant, log) : undefined;
}

export async function detectMetrics(base: URL, log: (l: string) => void): Promise<URL | undefined> {
  const candidate = new URL('/metrics', base);
  try {
    await fetchMetrics(candidate.href, 2000);
    log(`found runtime metrics at ${candidate.href}`);
    return candidate;
  } catch {
    log(
      `no runtime metrics at ${candidate.href}; sampling the process from /proc only (give --metrics-url if they live elsewhere)`,
    );
    return undefined;
  }
}

/** `logFile` receives the started target's stdout and stderr. */
export async function planTarget(
  options: RunOptions,
  binary: BundledBinary | undefined,
  logFile: string,
): Promise<TargetPlan> {
  const t = options.target;
  if (t.kind === 'bundled') {
    if (!binary) throw new Error('bundled target without a binary');
    const port = await freePort();
    const baseUrl = new URL(`http://127.0.0.1:${port}/`);
    const metricsUrl = new URL('/metrics', baseUrl);
    return {
      baseUrl,
      metricsUrl,
      goVersion: binary.goVersion,
      info: {
        kind: 'bundled',
        label: t.variant,
        variant: t.variant,
        url: baseUrl.href,
        metricsUrl: metricsUrl.href,
        binary: binary.path,
        buildFlags: binary.buildArgs.slice(1, -3),
      },
      launch: (cgroupProcsFile) =>
        launchTarget({
          command: { file: binary.path, args: ['-addr', `127.0.0.1:${port}`] },
          readyUrl: new URL(options.path, baseUrl),
          readyTimeoutMs: options.readyTimeoutMs,
          logFile,
          ...(cgroupProcsFile && { cgroupProcsFile }),
        }),
    };
  }
  if (t.kind === 'command') {
    return {
      baseUrl: t.url,
      ...(t.metricsUrl && { metricsUrl: t.metricsUrl }),
      info: {
        kind: 'command',
        label: 'cmd',
        command: t.command,
        url: t.url.href,
        ...(t.metricsUrl && { metricsUrl: t.metricsUrl.href }),
      },
      launch: (cgroupProcsFile) =>
        launchTarget({
          command: { shell: t.command },
          ...runtimeLaunch(logFile, process.env, runtimeProbes({ pythonTrace: options.sites !== 'off' })),
          readyUrl: new URL(options.path, t.url),
          readyTimeoutMs: options.readyTimeoutMs,
          logFile,
          ...(cgroupProcsFile && { cgroupProcsFile }),
        }),
    };
  }
  return {
    baseUrl: t.url,
    ...(t.pid !== undefined && { pid: t.pid }),
    ...(t.metricsUrl && { metricsUrl: t.metricsUrl }),
    info: {
      kind: 'attach',
      label: targetLabel(t),
      url: t.url.href,
      ...(t.pid !== undefined && { pid: t.pid }),
      ...(t.metricsUrl && { metricsUrl: t.metricsUrl.href }),
    },
  };
}
