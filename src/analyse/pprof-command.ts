/**
 * The command that shows what grew between two heap profiles: `-diff_base` subtracts the
 * first from the second, so only allocation sites whose in-use memory changed remain.
 * Paths are quoted for a POSIX shell when they need it, so the line can be pasted as is.
 */
export function pprofDiffCommand(startFile: string, endFile: string): string {
  return `go tool pprof -diff_base ${shellQuote(startFile)} ${shellQuote(endFile)}`;
}

/** A word as a POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
