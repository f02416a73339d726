import WebSocket from 'ws';

/**
 * A Chrome DevTools Protocol client for one inspector target (a Node.js process), over `ws`:
 * each command is {id, method, params} answered by {id, result} or {id, error}; anything with
 * a `method` and no `id` is an event. Enough for Runtime.evaluate, HeapProfiler.collectGarbage
 * and the sampling heap profiler (HeapProfiler.startSampling / getSamplingProfile).
 */
export interface CdpRequest {
  id: number;
  method: string;
  params?: Record<string, unknown>;
}

export type CdpMessage =
  | { kind: 'result'; id: number; result: Record<string, unknown> }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'event'; method: string; params: Record<string, unknown> };

export class CdpError extends Error {}

export function encodeCdpRequest(req: CdpRequest): string {
  return JSON.stringify(req.params === undefined ? { id: req.id, method: req.method } : req);
}

export function decodeCdpMessage(text: string): CdpMessage {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw new CdpError(`inspector sent a message that is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (typeof m !== 'object' || m === null) throw new CdpError('inspector sent a message that is not an object');
  const o = m as Record<string, unknown>;
  if (typeof o.id === 'number') {
    if (typeof o.error === 'object' && o.error !== null) {
      const e = o.error as { message?: unknown; code?: unknown };
      return { kind: 'error', id: o.id, message: `${String(e.message)} (${String(e.code)})` };
    }
    return { kind: 'result', id: o.id, result: (o.result ?? {}) as Record<string, unknown> };
  }
  if (typeof o.method === 'string')
    return { kind: 'event', method: o.method, params: (o.params ?? {}) as Record<string, unknown> };
  throw new CdpError(`inspector sent a message with neither id nor method: ${text.slice(0, 80)}`);
}

export class CdpClient {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  private readonly listeners = new Map<string, ((params: Record<string, unknown>) => void)[]>();
  private closedWith: Error | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => this.onMessage(data.toString()));
    ws.on('close', () => this.fail(new CdpError('inspector connection closed')));
    ws.on('error', (err) => this.fail(new CdpError(`inspector connection: ${err.message}`)));
  }

  static connect(url: string, timeoutMs = 5_000): Promise<CdpClient> {
    return new Promise((resolve, reject) => {
      // perMessageDeflate off: the inspector does not offer it, and the frames are small.
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        maxPayload: 256 * 2 ** 20,
      });
      ws.once('open', () => resolve(new CdpClient(ws)));
      ws.once('error', (err) => reject(new CdpError(`cannot open the inspector at ${url}: ${err.message}`)));
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  send(method: string, params?: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CdpError(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(encodeCdpRequest({ id, method, ...(params && { params }) }));
    });
  }

  on(method: string, listener: (params: Record<string, unknown>) => void): void {
    this.listeners.set(method, [...(this.listeners.get(method) ?? []), listener]);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.ws.terminate(), resolve()), 1_000);
      this.ws.once('close', () => (clearTimeout(timer), resolve()));
      this.ws.close();
    });
  }

  private onMessage(text: string): void {
    let msg: CdpMessage;
    try {
      msg = decodeCdpMessage(text);
    } catch {
      return;
    }
    if (msg.kind === 'event') {
      for (const l of this.listeners.get(msg.method) ?? []) l(msg.params);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.kind === 'error') p.reject(new CdpError(msg.message));
    else p.resolve(msg.result);
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
