import { goGcTraceProbe } from './gctrace.ts';
import { goPprofProbe } from './pprof-totals.ts';
import { pythonHook } from './python-hook.ts';
import { nodeInspectorProbe } from './node-inspector.ts';
import { hsPerfDataProbe } from './hsperfdata.ts';
import type { RuntimeProbe } from './source.ts';

/**
 * Every runtime source the pack knows, in the order they are opened. A probe is opened only
 * for a target of one of its runtimes; its launchEnv applies to every target the pack starts
 * (the runtime is known only once the process runs), so each must be harmless to the others
 * (GODEBUG means nothing to Python, PYTHONPATH nothing to Go).
 */
export function runtimeProbes(
  options: { inspectAttach?: boolean; pythonTrace?: boolean; nodeSampling?: boolean } = {},
): readonly RuntimeProbe[] {
  return [
    goGcTraceProbe,
    goPprofProbe,
    // tracemalloc multiplies a Python target's CPU per allocation: only when asked (--sites on).
    pythonHook({ trace: options.pythonTrace === true }),
    // SIGUSR1 opens a debugging port in a process the pack did not start: only when asked (--inspect-attach).
    // V8's sampling heap profiler costs a little per allocation and serves only the sites: not with --sites off.
    nodeInspectorProbe({ attach: options.inspectAttach === true, sampling: options.nodeSampling !== false }),
    hsPerfDataProbe(),
  ];
}

export const RUNTIME_PROBES: readonly RuntimeProbe[] = runtimeProbes();
