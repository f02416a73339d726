import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { ResponseParser, type ResponseSink } from './http1-parser.ts';

/**
 * What a connection asks of the engine that holds it (burst-engine.ts): the engine claims and
 * counts, the connection sends, reads and fails. An interface, so neither module imports the
 * other in a loop.
 */
export interface ConnOwner {
  readonly phase: { readonly url: URL };
  /** The one read buffer of this thread's connections: reads are handled one at a time. */
  readonly readBuf: Buffer;
  requestBuffer(requestIndex: number): Buffer;
  isHead(requestIndex: number): boolean;
  mayResend(requestIndex: number): boolean;
  /** Claims the next request (an index into the mix), or -1 when none is left. */
  claim(): number;
  /** Opens a connection for a newly claimed request, if one is left. */
  open(): void;
  queueSend(conn: Conn): void;
  resend(requestIndex: number): void;
  forget(conn: Conn): void;
  response(status: number, latencyMs: number, requestIndex: number): void;
  error(message: string, timedOut: boolean): void;
  checkDone(): void;
}

const timeoutText = (ms: number) => `request timed out after ${ms} ms`;

/**
 * One keep-alive connection. It holds at most one request at a time: `sentAt` is set while a
 * request is out (or, while connecting, the time the connection attempt for it began).
 */
export class Conn implements ResponseSink {
  private readonly socket: Socket;
  private readonly parser: ResponseParser;
  /** A claimed request is waiting for its answer (or for the connection to open). */
  private pending = true;
  private connected = false;
  private sentAt: number;
  private dead = false;
  /** Responses read on this connection: a request on a fresh one is never sent again. */
  private served = 0;

  /** `requestIndex`: which of the phase's requests is out (or waits for the connection). */
  constructor(
    private readonly engine: ConnOwner,
    private requestIndex: number,
  ) {
    this.parser = new ResponseParser(this, engine.isHead(requestIndex));
    const url = engine.phase.url;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.sentAt = performance.now();
    if (url.protocol === 'https:') {
      this.socket = tlsConnect(
        { host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, rejectUnauthorized: false },
        () => this.onConnect(),
      );
      this.socket.on('data', (b: Buffer) => this.onData(b, b.length));
    } else {
      // `onread` hands each read to us in a reused buffer, skipping the Readable stream and a
      // Buffer per read: the cheapest way Node offers to take bytes off a socket.
      this.socket = netConnect(
        { host, port, noDelay: true, onread: { buffer: engine.readBuf, callback: (n, b) => this.onData(b, n) } },
        () => this.onConnect(),
      );
    }
    this.socket.on('error', (err: Error) =>
      this.fail(errorMessage(err), false, CLOSED_CODES.has((err as NodeJS.ErrnoException).code ?? '')),
    );
    this.socket.on('end', () => this.onEnd());
    this.socket.on('close', () => this.fail(this.closedText(), false, true));
  }

  private onConnect(): void {
    this.connected = true;
    this.socket.setNoDelay(true);
    this.sendNow();
  }

  sendNow(): void {
    if (this.dead) return;
    this.sentAt = performance.now();
    this.parser.headRequest = this.engine.isHead(this.requestIndex);
    this.socket.write(this.engine.requestBuffer(this.requestIndex));
  }

  private onData(b: Uint8Array, n: number): boolean {
    if (this.dead) return false;
    if (!this.pending) {
      this.fail('bytes from the server with no request outstanding', false);
      return false;
    }
    try {
      const used = this.parser.execute(b, 0, n);
      // More bytes than one answer: they cannot belong to a request not yet written.
      if (used < n) this.fail('the server sent more than one response to one request', false);
    } catch (err) {
      this.fail(`bad response: ${(err as Error).message}`, false);
    }
    // false from an onread callback pauses the socket; only a dead connection wants that.
    return !this.dead;
  }

  onResponse(status: number, close: boolean): void {
    const latencyMs = performance.now() - this.sentAt;
    let next: number;
    this.pending = false;
    this.served++;
    this.engine.response(status, latencyMs, this.requestIndex);
    if (close) {
      this.retire();
      this.engine.open();
    } else if ((next = this.engine.claim()) >= 0) {
      this.requestIndex = next;
      this.pending = true;
      this.engine.queueSend(this);
    } else {
      this.retire();
    }
    this.engine.checkDone();
  }

  private onEnd(): void {
    if (this.dead) return;
    // A response that runs until the connection closes ends here.
    if (this.pending && this.parser.end()) return;
    this.fail(this.closedText(), false, true);
  }

  private closedText(): string {
    return this.parser.midResponse
      ? 'the server closed the connection mid-response'
      : 'the server closed the connection before answering';
  }

  checkTimeout(now: number, limitMs: number): void {
    if (this.pending && !this.dead && now - this.sentAt >= limitMs) {
      this.fail(this.connected ? timeoutText(limitMs) : `connect timed out after ${limitMs} ms`, true);
    }
  }

  /**
   * Ends the request in flight as an error, drops the connection and opens another; or, if the
   * server closed a kept-alive connection before any byte of the answer, sends it again.
   */
  private fail(message: string, timedOut: boolean, closed = false): void {
    if (this.dead) return;
    const hadRequest = this.pending;
    const resend =
      closed && hadRequest && this.served > 0 && !this.parser.midResponse && this.engine.mayResend(this.requestIndex);
    this.retire();
    if (!hadRequest) return;
    if (resend) return this.engine.resend(this.requestIndex);
    this.engine.error(message, timedOut);
    this.engine.open();
    this.engine.checkDone();
  }

  private retire(): void {
    this.dead = true;
    this.pending = false;
    this.engine.forget(this);
    this.socket.destroy();
  }

  destroy(): void {
    this.dead = true;
    this.pending = false;
    this.socket.destroy();
  }
}

/** Socket errors that mean the server closed or reset the connection. */
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE']);

function errorMessage(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
