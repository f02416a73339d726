import type { LaunchedTarget, TargetExit } from './launch.ts';
import { describeExit } from './launch.ts';
import type { MemoryCgroupHandle } from './memory-cgroup.ts';

export interface ExitReport {
  exit: TargetExit;
  pid: number;
  oomKill: boolean;
  /** What the supervisor does next. */
  restarting: boolean;
  message: string;
}

export interface SupervisorOptions {
  launch: (cgroupProcsFile?: string) => Promise<LaunchedTarget>;
  cgroup?: MemoryCgroupHandle;
  restart: boolean;
  maxRestarts: number;
  onExit(report: ExitReport): void;
  onRestarted(target: LaunchedTarget, restarts: number): void;
  /** The target is gone for good (no restart, or the restart failed). */
  onGone(reason: Error): void;
}

/**
 * Keeps a started target running like a kubelet would: notices an exit, tells OOM kills apart
 * (the cgroup's oom_kill counter), and with --restart starts it again on the same address.
 */
export class TargetSupervisor {
  private current: LaunchedTarget | undefined;
  private stopping = false;
  private restarts = 0;

  constructor(private readonly opts: SupervisorOptions) {}

  get target(): LaunchedTarget | undefined {
    return this.current;
  }

  get restartCount(): number {
    return this.restarts;
  }

  async start(): Promise<LaunchedTarget> {
    const target = await this.opts.launch(this.opts.cgroup?.procsFile);
    this.watch(target);
    return target;
  }

  private watch(target: LaunchedTarget): void {
    this.current = target;
    const oomBefore = this.opts.cgroup?.oomKills() ?? 0;
    void target.exited.then((exit) => {
      if (this.stopping || this.current !== target) return;
      const oomKill = (this.opts.cgroup?.oomKills() ?? 0) > oomBefore;
      const restarting = this.opts.restart && this.restarts < this.opts.maxRestarts;
      const limit = this.opts.cgroup ? ` (memory limit ${(this.opts.cgroup.limitBytes / 2 ** 20).toFixed(0)} MiB)` : '';
      const what = oomKill ? `was OOM-killed${limit}` : describeExit(exit);
      this.opts.onExit({
        exit,
        pid: target.pid,
        oomKill,
        restarting,
        message: `the target (pid ${target.pid}) ${what}${restarting ? `; restarting (${this.restarts + 1}/${this.opts.maxRestarts})` : ''}`,
      });
      if (!restarting) {
        this.opts.onGone(
          new Error(`the target ${what} during the run${this.opts.restart ? ` after ${this.restarts} restarts` : ''}`),
        );
        return;
      }
      this.restarts++;
      this.opts.launch(this.opts.cgroup?.procsFile).then(
        (next) => {
          if (this.stopping) {
            void next.stop(1000);
            return;
          }
          this.watch(next);
          this.opts.onRestarted(next, this.restarts);
        },
        (err: unknown) => this.opts.onGone(new Error(`restarting the target failed: ${(err as Error).message}`)),
      );
    });
  }

  /** Stops the current target (if any); no restart after this. */
  async stop(graceMs: number): Promise<{ exit: TargetExit; pid: number } | undefined> {
    this.stopping = true;
    const t = this.current;
    if (!t || t.exit) return undefined;
    return { exit: await t.stop(graceMs), pid: t.pid };
  }
}
