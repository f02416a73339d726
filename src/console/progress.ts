import cliProgress from 'cli-progress';
import type { ProgressMode } from '../options/run-options.ts';

export interface ProgressState {
  phase: string;
  /** Requests done (burst) or seconds elapsed (idle). */
  value: number;
  /** Absent when the end is not known ahead (a watched run until a signal): no bar, no ETA. */
  total?: number;
  unit: 'req' | 's';
  rssBytes?: number;
  /** Samples taken so far in the run. */
  samples?: number;
  /** What a watched run has found so far (its current phase), shown after RSS. */
  note?: string;
}

/**
 * One line on stderr, redrawn in place: phase, done/total, rate, latest RSS and ETA. Quiet
 * unless stderr is a terminal (or --progress on), so CI logs stay readable.
 */
export class ProgressLine {
  private bar: cliProgress.SingleBar | undefined;
  private readonly enabled: boolean;
  private lastValue = 0;
  private lastAt = Date.now();
  private rate = 0;

  constructor(
    mode: ProgressMode,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = mode === 'on' || (mode === 'auto' && stream.isTTY === true);
  }

  update(s: ProgressState): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastAt >= 1000) {
      this.rate = ((s.value - this.lastValue) * 1000) / (now - this.lastAt);
      this.lastValue = s.value;
      this.lastAt = now;
    }
    const payload = {
      phase: s.phase,
      rateText: s.unit === 'req' ? `${Math.round(this.rate).toLocaleString('en-US')} req/s | ` : '',
      rss: s.rssBytes === undefined ? 'n/a' : `${(s.rssBytes / 1048576).toFixed(1)} MiB`,
      unitText: s.unit === 'req' ? 'requests' : 's',
      samplesText: s.samples === undefined ? '' : `${s.samples} samples | `,
      noteText: s.note === undefined ? '' : ` | ${s.note}`,
    };
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format:
            s.total === undefined
              ? '{phase} {value} {unitText} | {samplesText}RSS {rss}{noteText}'
              : '{phase} [{bar}] {value}/{total} {unitText} | {rateText}{samplesText}RSS {rss} | ETA {eta_formatted}{noteText}',
          noTTYOutput: !this.stream.isTTY,
          notTTYSchedule: 10_000,
          hideCursor: true,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.lastValue = 0;
      this.lastAt = now;
      // Without a known end the bar's total follows the value (the format shows neither bar nor ETA).
      this.bar.start(s.total ?? Math.max(1, s.value), s.value, payload);
    } else {
      if (s.total === undefined && s.value > this.bar.getTotal()) this.bar.setTotal(s.value);
      this.bar.update(s.value, payload);
    }
  }

  /** Ends the current bar (at the end of a phase). */
  done(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.rate = 0;
  }

  /** Prints a line without tearing the bar. */
  log(line: string): void {
    if (this.bar && this.stream.isTTY) this.stream.write('\r\x1b[K');
    this.stream.write(line + '\n');
  }
}
