import type { RunClock } from '../load/clock.ts';
import type { SeriesAppender } from '../rundir/recorder.ts';
import type { RunEvent } from '../rundir/schema.ts';

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** events.ndjson of a live run, stamped with the run's clock; warnings also go to the console. */
export class RunJournal {
  constructor(
    private readonly events: SeriesAppender<RunEvent>,
    private readonly clock: RunClock,
    private readonly consoleLog: (line: string) => void,
  ) {}

  event(e: Omit<RunEvent, 't'>): void {
    this.events.write({ t: round3(this.clock.now()), ...e });
  }

  warn(message: string): void {
    this.event({ type: 'warning', message });
    this.consoleLog(`warning: ${message}`);
  }
}
