/**
 * The probes that follow a burst in one k6 instance, decided from what k6/execution tells a VU
 * about its instance. Pure (no k6, no Node): script.ts feeds it exec.instance and the clock,
 * the unit tests feed it made-up states, and the sobek harness runs it for real.
 *
 * The probe scenario starts together with the burst on one VU of its own. The burst is over
 * when no VU but that one is active in the instance; before concluding that, the burst must
 * have left a trace (an iteration completed since the wait began: nothing else runs then) or
 * have had BURST_START_GRACE_MS to show up, so that a probe VU scheduled a moment before the
 * burst's VUs does not take "not started yet" for "done". Whether another VU was seen active
 * proves nothing: at the burst's start the previous phase's VUs may still be on their way out.
 */
export const BURST_START_GRACE_MS = 1000;
/** How often the waiting VU looks: the probes start at most this late after the burst's end. */
export const BURST_POLL_MS = 100;

export interface InstanceView {
  /** exec.instance.vusActive: every active VU of this instance, the waiting one included. */
  vusActive: number;
  /** exec.instance.iterationsCompleted minus its value when the wait began. */
  completedSinceWait: number;
  msSinceWait: number;
}

export function burstIsOver(v: InstanceView): boolean {
  if (v.vusActive > 1) return false;
  return v.completedSinceWait > 0 || v.msSinceWait >= BURST_START_GRACE_MS;
}

/**
 * What to do with probe `seq` at `nowMs` when probe k is due at startMs + k × intervalMs: wait
 * until it is due, send it, or drop it when the VU is a whole interval late (a probe that took
 * longer than the interval), as k6's constant-arrival-rate drops an iteration it has no VU for.
 */
export function probeStep(
  seq: number,
  startMs: number,
  intervalMs: number,
  nowMs: number,
): { action: 'wait'; ms: number } | { action: 'send' } | { action: 'drop' } {
  const due = startMs + seq * intervalMs;
  if (nowMs < due) return { action: 'wait', ms: due - nowMs };
  return nowMs - due >= intervalMs ? { action: 'drop' } : { action: 'send' };
}
