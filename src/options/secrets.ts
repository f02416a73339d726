import { redactMix, type RequestMix } from './request-def.ts';

/**
 * Secrets in request headers never reach a file or the console in clear. Two ways in, both
 * kept safe:
 *
 * - a value written `{env:NAME}` is read from the environment only when the request bytes
 *   are built, so what is stored is the reference, never the value;
 * - a literal value of Authorization, Cookie, Proxy-Authorization, Set-Cookie, X-Api-Key or a
 *   header named by --secret-header is replaced with [redacted] wherever options or phases are
 *   written down (run.json, and from it the report).
 *
 * Prefer the first: a literal on the command line is still visible in `ps` and shell history.
 */
export function redactForRecord<T extends object & { mix?: RequestMix | undefined }>(
  o: T,
  secretHeaders: readonly string[] = [],
): T {
  return 'mix' in o && o.mix ? { ...o, mix: redactMix(o.mix, secretHeaders) } : o;
}
