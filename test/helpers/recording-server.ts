import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  method: string;
  url: string;
  /** Raw header lines as sent, in order (names as the client wrote them). */
  rawHeaders: [string, string][];
  body: string;
  /** Which TCP connection carried it: a new id per socket the server accepted. */
  socket: number;
  /** performance-free wall time of arrival, ms since the server started. */
  atMs: number;
}

export interface RecordingServer {
  url: URL;
  received: Received[];
  connections(): number;
  close(): Promise<void>;
}

/**
 * A real HTTP server that records every request it receives (method, path, header lines in
 * order, body, connection) and answers with `status(req)` (default 200) after `delayMs`.
 */
export async function recordingServer(
  opts: { status?: (r: Received) => number; delayMs?: number } = {},
): Promise<RecordingServer> {
  const received: Received[] = [];
  const ids = new WeakMap<Socket, number>();
  let sockets = 0;
  const t0 = Date.now();
  const srv: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: raw,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: ids.get(req.socket) ?? -1,
        atMs: Date.now() - t0,
      };
      received.push(r);
      const answer = () => {
        res.statusCode = opts.status?.(r) ?? 200;
        res.setHeader('Content-Type', 'text/plain');
        res.end('ok');
      };
      if (opts.delayMs) setTimeout(answer, opts.delayMs);
      else answer();
    });
  });
  srv.on('connection', (s: Socket) => ids.set(s, ++sockets));
  srv.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    received,
    connections: () => sockets,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

/** The value of a header as received (first one of that name, case-insensitive). */
export function header(r: Received, name: string): string | undefined {
  return r.rawHeaders.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

export function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}
