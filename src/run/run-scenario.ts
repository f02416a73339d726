import type { RunOptions } from '../options/run-options.ts';
import { moreBursts } from './more-bursts.ts';
import { runDirName } from '../rundir/recorder.ts';
import { buildPhases, loadScenario } from './load-scenario.ts';
import { buildIfBundled, checkAttach, targetLabel } from './prepare-target.ts';
import { startingRunFile } from './run-record.ts';
import { runSession, type RunIo, type RunOutcome, type SessionTarget } from './session.ts';
import { TargetSession } from './target-session.ts';

export type { RunIo, RunOutcome } from './session.ts';

/**
 * A driven run: the scenario's phases against a target the pack starts or attaches to, through
 * the session every run shares (src/run/session.ts).
 */
export async function runScenario(options: RunOptions, io: RunIo): Promise<RunOutcome> {
  // Everything that can be refused is refused before the run directory exists.
  const def = await loadScenario(options.scenario, options.scenarioFile);
  const phases = buildPhases(def, options);
  await checkAttach(options.target);
  const binary = await buildIfBundled(options.target, io.log);
  return runSession(
    {
      outDir: options.outDir,
      name: options.name ?? runDirName([def.name, targetLabel(options.target)]),
      runFile: (clock) => startingRunFile(def, options, phases, clock, binary),
      title: `${def.name}: ${def.description}`,
      phases,
      target: (parts): SessionTarget => {
        const t = new TargetSession(
          options,
          parts.journal,
          parts.samples,
          parts.clock,
          parts.stop,
          parts.io,
          parts.sites,
        );
        return {
          start: async (logFile) => {
            const plan = await t.start(binary, logFile);
            const pid = plan.pid ? ` (pid ${plan.pid})` : '';
            const metrics = plan.metricsUrl ? `, metrics ${plan.metricsUrl.href}` : '';
            return {
              info: plan.info,
              baseUrl: plan.baseUrl,
              ...(plan.pid !== undefined && { pid: plan.pid }),
              ready: `target ready: ${plan.info.url} answers${pid}${metrics}`,
            };
          },
          startSampling: () => t.startSampling(),
          currentPid: () => t.currentPid(),
          latestRss: () => t.latestRss(),
          sampleCount: () => t.sampleCount(),
          sampleSoon: () => t.sampleSoon(),
          collectAtRest: (phase) => t.collectAtRest(phase),
          end: () => t.end(),
        };
      },
      engine: options.engine,
      ...(options.burstThreads !== undefined && { burstThreads: options.burstThreads }),
      settleMs: options.settleMs,
      ...(options.prometheus && { prometheus: options.prometheus }),
      ...(options.live && { live: options.live }),
      ...(options.failOn && { failOn: options.failOn }),
      ...(options.maxBursts > options.bursts && { morePhases: moreBursts(options.maxBursts, options.secretHeaders) }),
    },
    io,
  );
}
