/** What a command gets from the entry point: output channels and the Ctrl-C/SIGTERM signal. */
export interface CommandContext {
  out(text: string): void;
  err(text: string): void;
  /** Aborted with 'SIGINT' or 'SIGTERM' as the reason. */
  signal: AbortSignal;
}

export type Command = (args: string[], ctx: CommandContext) => Promise<number>;
