import { goGcTraceProbe } from './gctrace.ts';
import { goPprofProbe } from './pprof-totals.ts';
import { pythonHookProbe } from './python-hook.ts';
import type { RuntimeProbe } from './source.ts';

/**
 * Every runtime source the pack knows, in the order they are opened. A probe is opened only
 * for a target of one of its runtimes; its launchEnv applies to every target the pack starts
 * (the runtime is known only once the process runs), so each must be harmless to the others
 * (GODEBUG means nothing to Python, PYTHONPATH nothing to Go).
 */
export const RUNTIME_PROBES: readonly RuntimeProbe[] = [
  goGcTraceProbe,
  goPprofProbe,
  pythonHookProbe,
  // Node.js and HotSpot (branch rt-node-jvm): nodeInspectorProbe, hsperfdataProbe
];
