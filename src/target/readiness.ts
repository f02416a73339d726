import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errorText } from '../errors.ts';

/** One GET; resolves with the status, or rejects with the socket/timeout error. */
export function probeOnce(url: URL, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', agent: false, rejectUnauthorized: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls until the URL gives any HTTP answer. `gone` lets the caller stop early when the
 * process it started has exited, so the user hears "exited with code 1", not "timed out".
 */
export async function waitUntilAnswers(url: URL, timeoutMs: number, gone: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const reason = gone();
    if (reason) throw new Error(reason);
    try {
      await probeOnce(url, Math.min(1000, Math.max(100, deadline - Date.now())));
      return;
    } catch (err) {
      last = errorText(err);
    }
    if (Date.now() >= deadline)
      throw new Error(`${url.href} did not answer within ${timeoutMs / 1000}s (last error: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
