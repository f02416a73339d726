import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { StderrTap } from '../sample/runtime/source.ts';

/**
 * A started target's stderr, line by line, shared between its log and the runtime sources:
 * a line a source consumes (Go's gctrace) goes to `runtimeLog`, every other line to the target's
 * own log unchanged, so target.log reads as the target's output. Lines that come before any
 * source subscribes (the target's start-up, before it answers) stay in the target's log.
 */
export class LineTap implements StderrTap {
  private readonly consumers: ((line: string) => boolean)[] = [];
  private readonly log: WriteStream;
  private runtime: WriteStream | undefined;

  constructor(
    stream: Readable,
    logFile: string,
    private readonly runtimeLog: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(line));
    lines.once('close', () => {
      this.log.end();
      this.runtime?.end();
    });
  }

  subscribe(consume: (line: string) => boolean): void {
    this.consumers.push(consume);
  }

  private onLine(line: string): void {
    // Every consumer sees every line (two sources may read one); any claim keeps it apart.
    let claimed = false;
    for (const c of this.consumers) if (c(line)) claimed = true;
    if (!claimed) {
      this.log.write(`${line}\n`);
      return;
    }
    this.runtime ??= createWriteStream(this.runtimeLog, { flags: 'a' });
    this.runtime.write(`${line}\n`);
  }
}
