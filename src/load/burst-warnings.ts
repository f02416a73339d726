/** The burst's warnings about its count, worded the same whichever engine ran it. */

/** Error reasons and how often each was seen; the first few distinct reasons are kept. */
export class ErrorReasons {
  private readonly counts = new Map<string, number>();

  add(message: string): void {
    if (this.counts.size < 20 || this.counts.has(message))
      this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
  }

  /** "12 x ECONNRESET: ...; 3 x request timed out after 300 ms": the commonest three. */
  top(n = 3): string {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([m, k]) => `${k} x ${m}`)
      .join('; ');
  }
}

/** Warns when what ended differs from what was asked, and names the errors' reasons. */
export function warnCounts(
  phase: string,
  requested: number,
  completed: number,
  errors: number,
  reasons: ErrorReasons,
  warn: (m: string) => void,
): void {
  const sent = completed + errors;
  if (sent < requested) {
    warn(
      `burst ${phase}: ${requested} requests asked, ${completed} responses and ${errors} errors seen (${requested - sent} unaccounted for)`,
    );
  } else if (sent > requested) {
    warn(
      `burst ${phase}: ${requested} requests asked, ${completed} responses and ${errors} errors seen (${sent - requested} more responses than requests: the count is not exact)`,
    );
  }
  if (errors > 0) warn(`burst ${phase}: ${errors} of ${sent} requests failed (${reasons.top()})`);
}
