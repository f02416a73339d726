import { otherCpuMeter } from './proc.ts';

export interface QuietGateOptions {
  /** Other jobs' CPU, in cores, under which the machine counts as quiet. */
  maxOtherCores: number;
  /** Longest wait before one measurement. */
  maxWaitS: number;
  /** Longest wait over the whole benchmark, so a busy machine cannot hold it up for long. */
  budgetS: number;
}

/**
 * Before each measurement, waits (bounded) until the rest of the machine has been quiet for a
 * second. Other engineers' test runs come and go in bursts of tens of seconds; starting each
 * measurement in a quiet second keeps most of them out of it, and what still gets in is
 * measured (otherCpuMeter) and reported with the result rather than hidden.
 */
export class QuietGate {
  private spentS = 0;
  waits = 0;
  /** Measurements started on a busy machine because the wait ran out. */
  gaveUp = 0;

  constructor(
    private targetPid: number | undefined,
    private readonly opts: QuietGateOptions,
    private readonly log: (line: string) => void,
  ) {}

  async wait(): Promise<void> {
    const started = Date.now();
    let announced = false;
    for (;;) {
      const meter = otherCpuMeter(this.targetPid);
      await new Promise((r) => setTimeout(r, 1000));
      const other = meter.stop();
      const waited = (Date.now() - started) / 1000;
      if (other <= this.opts.maxOtherCores) break;
      if (waited >= this.opts.maxWaitS || this.spentS + waited >= this.opts.budgetS) {
        this.log(`other jobs are using ${other.toFixed(2)} cores; measuring anyway (the result records it)`);
        this.gaveUp++;
        break;
      }
      if (!announced) {
        this.log(
          `other jobs are using ${other.toFixed(2)} cores; waiting for a quiet second (up to ${this.opts.maxWaitS} s)`,
        );
        announced = true;
      }
    }
    const waited = (Date.now() - started) / 1000;
    // The one-second check itself is not counted as waiting.
    if (waited > 1.5) this.waits++;
    this.spentS += Math.max(0, waited - 1);
  }

  get waitedS(): number {
    return this.spentS;
  }

  /** For measurements that start their own target (or none) once the shared one is stopped. */
  setTarget(pid: number | undefined): void {
    this.targetPid = pid;
  }
}
