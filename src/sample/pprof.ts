import { LeakbenchError } from '../errors.ts';
import { describeFetchError } from './metrics.ts';

/** A heap profile is a few KiB to a few MiB; anything far larger is not one. */
const MAX_PROFILE_BYTES = 64 * 1024 * 1024;

/**
 * Fetches the target's heap profile (net/http/pprof's `/debug/pprof/heap`, gzipped protobuf).
 * Returns undefined when the target does not serve one (404, or a body that is not gzip, such
 * as an HTML catch-all page): not every server mounts pprof, and that is no error. Throws a
 * LeakbenchError when it should have worked and did not (timeout, refused, 5xx).
 *
 * `gc=1` makes the runtime collect before writing the profile, so in-use figures are live
 * memory rather than whatever garbage the last cycle left; the diff of two such profiles is
 * then growth, not GC timing.
 */
export async function fetchHeapProfile(baseUrl: URL, timeoutMs: number): Promise<Buffer | undefined> {
  const url = new URL('/debug/pprof/heap?gc=1', baseUrl);
  const fail = (reason: string): LeakbenchError => new LeakbenchError(`heap profile ${url.href}: ${reason}`);
  const signal = AbortSignal.timeout(timeoutMs);
  let body: Buffer | undefined;
  try {
    body = await download(url, signal, fail);
  } catch (err) {
    if (err instanceof LeakbenchError) throw err;
    // A kept-alive connection to a target that restarted fails once before the pool notices.
    if (!isStaleConnection(err) || signal.aborted) throw fail(describeFetchError(err, timeoutMs));
    try {
      body = await download(url, signal, fail);
    } catch (again) {
      if (again instanceof LeakbenchError) throw again;
      throw fail(describeFetchError(again, timeoutMs));
    }
  }
  if (body === undefined || !isGzip(body)) return undefined;
  return body;
}

/** The body, or undefined for a 404 (no pprof mounted). */
async function download(
  url: URL,
  signal: AbortSignal,
  fail: (reason: string) => LeakbenchError,
): Promise<Buffer | undefined> {
  const res = await fetch(url, { signal });
  if (res.status === 404) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_PROFILE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw fail(`the response is ${declared} bytes, too large to be a heap profile`);
  }
  return Buffer.from(await res.arrayBuffer());
}

function isStaleConnection(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** pprof profiles are always gzipped; the two magic bytes tell a profile from a web page. */
function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}
