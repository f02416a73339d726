/**
 * The network half of the k6/http stand-in. k6's http.get() blocks its VU until the answer;
 * Node cannot block on a socket, so the request runs here, in a worker thread, while the
 * calling thread waits on a shared flag (see http.ts). Like k6, each VU has its own connection
 * pool, and noConnectionReuse gives every request a new connection.
 */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { workerData, type MessagePort } from 'node:worker_threads';

export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  vu: number;
  noConnectionReuse: boolean;
  discardBody: boolean;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string | null;
  error?: string;
  errorCode?: number;
  socketId?: number;
  durationMs: number;
}

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
const agents = new Map<number, Agent>();
const socketIds = new WeakMap<Socket, number>();
let nextSocketId = 1;

function agentFor(vu: number): Agent {
  let a = agents.get(vu);
  if (!a) {
    a = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.set(vu, a);
  }
  return a;
}

function send(r: WireRequest): Promise<WireResponse> {
  const started = performance.now();
  return new Promise((resolve) => {
    let socketId: number | undefined;
    let done = false;
    const finish = (res: Omit<WireResponse, 'durationMs' | 'socketId'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...res, ...(socketId !== undefined && { socketId }), durationMs: performance.now() - started });
    };
    const req = request(r.url, { method: r.method, headers: r.headers, agent: r.noConnectionReuse ? false : agentFor(r.vu) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
        finish({ status: res.statusCode ?? 0, headers, body: r.discardBody ? null : Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('socket', (s: Socket) => {
      if (!socketIds.has(s)) socketIds.set(s, nextSocketId++);
      socketId = socketIds.get(s);
    });
    // k6's error codes (grafana/k6 lib/netext/httpext/error_codes.go): 1050 request timeout, 1212 connection refused.
    const timer = setTimeout(() => {
      finish({ status: 0, headers: {}, body: null, error: 'request timeout', errorCode: 1050 });
      req.destroy();
    }, r.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, headers: {}, body: null, error: err.message, errorCode: err.code === 'ECONNREFUSED' ? 1212 : 1000 }));
    req.end();
  });
}

port.on('message', (r: WireRequest) => {
  void send(r).then((res) => {
    port.postMessage(res);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});

// Tells the loading thread that this worker is ready before any request blocks it.
port.postMessage({ ready: true });
