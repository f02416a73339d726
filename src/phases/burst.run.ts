/** The burst kind's runner: the chosen engine (src/load/burst-engines.ts), progress in requests. */
import { runBurstWith } from '../load/burst-engines.ts';
import { phaseUrl, registerPhaseRunner } from './runner-registry.ts';

registerPhaseRunner('burst', (phase, ctx) => {
  let lastDraw = 0;
  return runBurstWith(
    ctx.engine,
    {
      name: phase.name,
      url: phaseUrl(phase, ctx),
      requests: phase.requests,
      connections: phase.connections,
      timeoutMs: phase.timeoutMs,
      ...(phase.mix && { mix: phase.mix }),
    },
    {
      clock: ctx.clock,
      signal: ctx.signal,
      onSecond: (l) => ctx.load.write(l),
      onWarning: ctx.warn,
      onProgress: (done, total) => {
        ctx.onWork?.(done, total);
        // Redrawing per response would cost more than the request; a few times a second is plenty.
        if (done !== total && (done & 1023) !== 0) return;
        const now = Date.now();
        if (done !== total && now - lastDraw < 200) return;
        lastDraw = now;
        ctx.progress.update({
          phase: phase.name,
          value: done,
          total,
          unit: 'req',
          samples: ctx.samples(),
          ...ctx.rss(),
        });
      },
    },
    ctx.burstThreads === undefined ? {} : { threads: ctx.burstThreads },
  );
});
