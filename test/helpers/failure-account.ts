/** Lines kept of one file's failures, stack frames left out (the full text is in the file's own output). */
const ACCOUNT_LINES = 60;

/**
 * The spec reporter's "failing tests" section of a test file's output, without stack frames and
 * blank lines, at most ACCOUNT_LINES long; '' when there is none (a file that crashed before it).
 */
export function failureAccount(output: string): string {
  const at = output.lastIndexOf('✖ failing tests:');
  if (at < 0) return '';
  const lines = output
    .slice(at)
    .split('\n')
    .filter((l) => !/^\s+at /.test(l) && l.trim() !== '');
  const kept = lines.slice(0, ACCOUNT_LINES);
  if (lines.length > kept.length) kept.push(`  ... ${lines.length - kept.length} more lines in the file's own output`);
  return kept.join('\n');
}
