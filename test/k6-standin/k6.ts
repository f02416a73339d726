/** Stand-in for the `k6` module: check() and sleep() as k6 defines them, recorded for the test. */
import { state } from './state.ts';

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    let ok: boolean;
    try {
      ok = Boolean(fn(value));
    } catch {
      ok = false;
    }
    const c = (state.checks[name] ??= { passes: 0, fails: 0 });
    if (ok) c.passes++;
    else c.fails++;
    all &&= ok;
  }
  return all;
}

/** k6's sleep blocks the VU; Atomics.wait blocks this thread the same way. */
export function sleep(seconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export default { check, sleep, group };
