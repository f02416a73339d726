import type { ProgressState } from '../console/progress.ts';
import type { LoadSecond, RunEvent, Sample } from '../rundir/schema.ts';

/**
 * What a run tells whoever watches it, at the points where it writes its files. The run calls
 * these beside its writers (see `tee`); the live view (live-server.ts) is the one observer.
 */
export interface RunObserver {
  onSample(s: Sample): void;
  onLoadSecond(l: LoadSecond): void;
  onEvent(e: RunEvent): void;
  onProgress(p: ProgressState): void;
}

export interface Writer<T> {
  write(record: T): void;
  close(): void;
}

/** A writer that also hands each record to `observe` (when there is an observer). */
export function tee<T>(writer: Writer<T>, observe: ((record: T) => void) | undefined): Writer<T> {
  if (observe === undefined) return writer;
  return {
    write(record: T): void {
      writer.write(record);
      observe(record);
    },
    close: () => writer.close(),
  };
}

/**
 * Lets the observer see every progress update the run draws, without the run calling it at
 * each place it updates its progress line. Returns the function that undoes it.
 */
export function watchProgress(
  progress: { update(s: ProgressState): void },
  observer: RunObserver | undefined,
): () => void {
  if (observer === undefined) return () => {};
  const original = progress.update;
  progress.update = function (this: unknown, s: ProgressState) {
    original.call(this, s);
    observer.onProgress(s);
  };
  return () => {
    progress.update = original;
  };
}
