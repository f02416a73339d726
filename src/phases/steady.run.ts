/** The steady kind's runner: src/load/steady.ts's open-model engine, progress in seconds. */
import { runSteady } from '../load/steady.ts';
import { phaseUrl, registerPhaseRunner, secondsProgress } from './runner-registry.ts';

registerPhaseRunner('steady', async (phase, ctx) => {
  const stopProgress = secondsProgress(phase.name, phase.durationMs / 1000, ctx);
  try {
    return await runSteady(
      { ...phase, url: phaseUrl(phase, ctx) },
      { clock: ctx.clock, signal: ctx.signal, onSecond: (l) => ctx.load.write(l), onWarning: ctx.warn },
    );
  } finally {
    stopProgress();
  }
});
