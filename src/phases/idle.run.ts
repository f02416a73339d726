/** The idle kind's runner: src/load/idle.ts's probes, the progress line in seconds. */
import { runIdle } from '../load/idle.ts';
import { phaseUrl, registerPhaseRunner, secondsProgress } from './runner-registry.ts';

registerPhaseRunner('idle', async (phase, ctx) => {
  const stopProgress = secondsProgress(phase.name, phase.durationMs / 1000, ctx);
  try {
    return await runIdle(
      {
        name: phase.name,
        url: phaseUrl(phase, ctx),
        rate: phase.rate,
        durationMs: phase.durationMs,
        timeoutMs: phase.timeoutMs,
        ...(phase.mix && { mix: phase.mix }),
      },
      {
        clock: ctx.clock,
        signal: ctx.signal,
        onProbe: (p) => ctx.probes?.write(p),
        onSecond: (l) => ctx.load.write(l),
      },
    );
  } finally {
    stopProgress();
  }
});
