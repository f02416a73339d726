/** The watched kind's runner: waits out its duration (or the signal), the progress line in seconds. */
import { registerPhaseRunner, secondsProgress } from './runner-registry.ts';

registerPhaseRunner('watched', async (phase, ctx) => {
  const totalS = phase.durationMs === undefined ? undefined : phase.durationMs / 1000;
  const stopProgress = secondsProgress(phase.name, totalS, ctx);
  try {
    await waitFor(phase.durationMs, ctx.signal);
    return undefined;
  } finally {
    stopProgress();
  }
});

function waitFor(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    // A pending promise and the sampler's unref'd timer hold nothing open: until a signal, this does.
    const keepAlive = setInterval(() => {}, 60_000);
    function done() {
      clearTimeout(timer);
      clearInterval(keepAlive);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
