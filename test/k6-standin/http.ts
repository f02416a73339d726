/**
 * Stand-in for `k6/http`, synchronous as k6's is: the request goes to a worker thread
 * (http-worker.ts) and this thread blocks on Atomics.wait until the answer is posted, so the
 * bundle's code runs unchanged, one blocking call after another, as in a k6 VU.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { state } from './state.ts';
import type { WireRequest, WireResponse } from './http-worker.ts';

interface Params {
  headers?: Record<string, string>;
  timeout?: string | number;
  tags?: Record<string, string>;
}

export interface StandinResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
  error: string;
  error_code: number;
  url: string;
  timings: { duration: number };
}

let channel: { worker: Worker; port: MessagePort; flag: Int32Array } | undefined;

/**
 * Starts the worker and waits until it has loaded. It must be running before the first
 * blocking request: loading a module may need this thread's event loop, which a blocked
 * Atomics.wait would never give it.
 */
export async function startStandinHttp(): Promise<void> {
  if (channel) return;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // A worker does not inherit tsx from --import, so its entry registers tsx and then loads the .ts.
  const entry = new URL('./http-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
  await new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    port1.once('message', () => {
      worker.off('error', reject);
      resolve();
    });
  });
  worker.unref();
  port1.unref();
  channel = { worker, port: port1, flag };
}

function connect(): { worker: Worker; port: MessagePort; flag: Int32Array } {
  if (!channel) throw new Error('stand-in: call startStandinHttp() before the bundle makes requests');
  return channel;
}

/** Ends the worker; the next request starts a new one. */
export async function closeStandinHttp(): Promise<void> {
  const c = channel;
  channel = undefined;
  if (c) await c.worker.terminate();
}

/** k6 timeouts are Go durations ("1000ms", "10s") or milliseconds. */
function timeoutMs(t: string | number | undefined): number {
  if (t === undefined) return 60_000;
  if (typeof t === 'number') return t;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(t);
  if (!m) throw new Error(`stand-in: cannot read timeout ${JSON.stringify(t)}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]!]!;
}

export function request(method: string, url: string, _body?: unknown, params: Params = {}): StandinResponse {
  const c = connect();
  const wire: WireRequest = {
    method,
    url,
    headers: { 'User-Agent': 'k6-standin', ...params.headers },
    timeoutMs: timeoutMs(params.timeout),
    vu: state.vu,
    noConnectionReuse: state.noConnectionReuse,
    discardBody: state.discardResponseBodies,
  };
  Atomics.store(c.flag, 0, 0);
  c.port.postMessage(wire);
  // The worker answers within the request's timeout; the margin only guards against a hang.
  if (Atomics.wait(c.flag, 0, 0, wire.timeoutMs + 10_000) === 'timed-out') throw new Error(`stand-in: no answer for ${url}`);
  const msg = receiveMessageOnPort(c.port);
  if (!msg) throw new Error('stand-in: the worker signalled but sent nothing');
  const res = msg.message as WireResponse;
  state.requests.push({
    method,
    url,
    headers: wire.headers,
    vu: state.vu,
    scenario: state.scenario,
    status: res.status,
    ...(res.error !== undefined && { error: res.error }),
    ...(res.errorCode !== undefined && { errorCode: res.errorCode }),
    ...(res.socketId !== undefined && { socketId: res.socketId }),
    durationMs: res.durationMs,
  });
  return { status: res.status, headers: res.headers, body: res.body, error: res.error ?? '', error_code: res.errorCode ?? 0, url, timings: { duration: res.durationMs } };
}

export function get(url: string, params?: Params): StandinResponse {
  return request('GET', url, null, params);
}

export default { get, request };
