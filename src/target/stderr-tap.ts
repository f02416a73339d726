import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * A started target's stderr, line by line, shared between its log and the runtime sources:
 * a line a source consumes (Go's gctrace) goes to `runtimeLog`, every other line to the target's
 * own log unchanged, so target.log reads as the target's output. Lines that come before any
 * source subscribes (the target's start-up, before it answers) stay in the target's log.
 * Writes are synchronous, so once `closed` resolves the log holds every line (a target that
 * dies before answering is quoted from it).
 */
/**
 * The target's stderr lines for the runtime sources; the same shape as src/sample/runtime/source.ts's
 * StderrTap, written here too because the target stage may not import the sampler's.
 */
export interface StderrTap {
  /** `consume` returns true for a line that is the source's own (kept out of target.log's main stream). */
  subscribe(consume: (line: string) => boolean): void;
}

export class LineTap implements StderrTap {
  private readonly consumers: ((line: string) => boolean)[] = [];
  private readonly log: number;
  private runtime: number | undefined;
  /** Resolves when the target's stderr has ended and every line is written. */
  readonly closed: Promise<void>;

  constructor(
    stream: Readable,
    logFile: string,
    private readonly runtimeLog: string,
  ) {
    this.log = openSync(logFile, 'a');
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(line));
    this.closed = new Promise((resolve) =>
      lines.once('close', () => {
        closeSync(this.log);
        if (this.runtime !== undefined) closeSync(this.runtime);
        resolve();
      }),
    );
  }

  subscribe(consume: (line: string) => boolean): void {
    this.consumers.push(consume);
  }

  private onLine(line: string): void {
    // Every consumer sees every line (two sources may read one); any claim keeps it apart.
    let claimed = false;
    for (const c of this.consumers) if (c(line)) claimed = true;
    if (!claimed) {
      writeSync(this.log, `${line}\n`);
      return;
    }
    this.runtime ??= openSync(this.runtimeLog, 'a');
    writeSync(this.runtime, `${line}\n`);
  }
}
