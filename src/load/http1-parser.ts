/**
 * Just enough of an HTTP/1.1 response parser for a load generator that sends one GET at a time
 * per connection: it finds where each response ends (Content-Length, chunked, or the end of the
 * connection) and its status code, and keeps nothing else. Headers are matched byte by byte in
 * place, so a response costs no strings and no allocations unless its head is split across reads.
 */

const CR = 13;
const LF = 10;
const SEMI = 59;

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkExt,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  UntilClose,
}

/** A head longer than this is not an answer to a health check; the connection is given up. */
const MAX_HEAD_BYTES = 64 * 1024;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CONTENT_LENGTH = ascii('content-length:');
const TRANSFER_ENCODING = ascii('transfer-encoding:');
const CONNECTION = ascii('connection:');
const CHUNKED = ascii('chunked');
const CLOSE = ascii('close');

export class ResponseParseError extends Error {}

/** Case-insensitive match of lower-case ASCII `name` at b[at...]. */
function startsWithLower(b: Uint8Array, at: number, end: number, name: Uint8Array): boolean {
  if (end - at < name.length) return false;
  for (let i = 0; i < name.length; i++) {
    // Setting bit 0x20 lower-cases letters and leaves ':' and '-' as they are.
    if ((b[at + i]! | 0x20) !== name[i]) return false;
  }
  return true;
}

/** Whether the comma-separated value in b[from, to) contains `token` (lower case). */
function valueHasToken(b: Uint8Array, from: number, to: number, token: Uint8Array): boolean {
  for (let i = from; i + token.length <= to; i++) {
    if (startsWithLower(b, i, to, token)) return true;
  }
  return false;
}

export interface ResponseSink {
  /** A whole response was read. `close` means the server will not take another request on it. */
  onResponse(status: number, close: boolean): void;
}

/**
 * One parser per connection, fed with whatever the socket read. The response ends by calling
 * `sink.onResponse`; bytes after it (there should be none, since the next request is only sent
 * after the response) are parsed as the start of the next response.
 */
export class ResponseParser {
  private state = State.Head;
  private status = 0;
  private remaining = 0;
  private close = false;
  /** Bytes of the current trailer line, to find the empty line that ends a chunked body. */
  private lineLength = 0;
  /** A response ended in the current execute() call. */
  private ended = false;
  /** Part of a head that ended a read; only used when a head is split, which is rare. */
  private partial: Buffer | undefined;

  /**
   * `headRequest`: the answer is to a HEAD request, which has no body whatever the head says;
   * a client whose requests differ sets it before each one.
   */
  constructor(
    private readonly sink: ResponseSink,
    public headRequest = false,
  ) {}

  /** True while a response has started but not ended (for telling an error from a clean close). */
  get midResponse(): boolean {
    return this.state !== State.Head || this.partial !== undefined;
  }

  reset(): void {
    this.state = State.Head;
    this.partial = undefined;
    this.remaining = 0;
  }

  /**
   * The connection ended. A response without a length ends here; anything else half-read is
   * an error for the caller. Returns true if that completed a response.
   */
  end(): boolean {
    if (this.state === State.UntilClose) {
      this.state = State.Head;
      this.sink.onResponse(this.status, true);
      return true;
    }
    return false;
  }

  /**
   * Parses b[start, end) up to the end of one response and returns the index after the bytes
   * it used: less than `end` means the server sent more than one response's worth, which a
   * client with one request outstanding never asked for. `b` may be a reused buffer: nothing
   * past this call keeps a view of it.
   */
  execute(b: Uint8Array, start: number, end: number): number {
    let i = start;
    this.ended = false;
    while (i < end && !this.ended) {
      switch (this.state) {
        case State.Head:
          i = this.headStep(b, i, end);
          break;
        case State.Length: {
          const take = Math.min(this.remaining, end - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.done();
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.remaining, end - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.UntilClose:
          return end;
        default:
          this.chunkByte(b[i++]!);
      }
    }
    return i;
  }

  /**
   * Reads a head from b[i, end), joined to the part kept from earlier reads if it was split;
   * returns the index after it, or `end` when the head goes on past these bytes.
   */
  private headStep(b: Uint8Array, i: number, end: number): number {
    if (this.partial !== undefined) {
      const joined = Buffer.concat([this.partial, b.subarray(i, end)]);
      const used = this.head(joined, 0, joined.length);
      if (used < 0) {
        if (joined.length > MAX_HEAD_BYTES)
          throw new ResponseParseError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
        this.partial = joined;
        return end;
      }
      // The part of the joined buffer past the head is this read's bytes, from here on.
      i = end - (joined.length - used);
      this.partial = undefined;
    } else {
      const used = this.head(b, i, end);
      if (used < 0) {
        this.partial = Buffer.from(b.subarray(i, end));
        return end;
      }
      i = used;
    }
    if (this.state === State.Length && this.remaining === 0) this.done();
    return i;
  }

  /** One byte of chunked framing: a size line, its extension, a chunk's CRLF or the trailer. */
  private chunkByte(c: number): void {
    switch (this.state) {
      case State.ChunkSize: {
        // Whitespace before the CRLF is tolerated, as common parsers do.
        if (c === CR || c === 32 || c === 9) return;
        if (c === LF) {
          this.state = this.remaining === 0 ? State.Trailer : State.ChunkData;
          this.lineLength = 0;
          return;
        }
        if (c === SEMI) {
          this.state = State.ChunkExt;
          return;
        }
        const d = hexDigit(c);
        if (d < 0) throw new ResponseParseError(`bad chunk size byte 0x${c.toString(16)}`);
        this.remaining = this.remaining * 16 + d;
        if (this.remaining > Number.MAX_SAFE_INTEGER / 32) throw new ResponseParseError('chunk size too large');
        return;
      }
      case State.ChunkExt:
        if (c === LF) {
          this.state = this.remaining === 0 ? State.Trailer : State.ChunkData;
          this.lineLength = 0;
        }
        return;
      case State.ChunkDataEnd:
        // The CRLF after a chunk's data.
        if (c === LF) this.state = State.ChunkSize;
        return;
      case State.Trailer:
        // Trailer lines until an empty one; only the line length matters.
        if (c === LF) {
          if (this.lineLength === 0) this.done();
          else this.lineLength = 0;
        } else if (c !== CR) {
          this.lineLength++;
        }
        return;
    }
  }

  private done(): void {
    this.state = State.Head;
    this.ended = true;
    this.sink.onResponse(this.status, this.close);
  }

  /**
   * Parses a head in b[start, end). Returns the index after its blank line, or -1 if the head
   * does not end within these bytes. Sets the body state from its headers.
   */
  private head(b: Uint8Array, start: number, end: number): number {
    let lineStart = start;
    let first = true;
    let contentLength = -1;
    let chunked = false;
    let close = false;
    let status = 0;
    for (let i = start; i < end; i++) {
      if (b[i] !== LF) continue;
      let lineEnd = i;
      if (lineEnd > lineStart && b[lineEnd - 1] === CR) lineEnd--;
      if (first) {
        // "HTTP/1.1 200 OK": the status is the three digits after the first space.
        if (lineEnd - lineStart < 12 || b[lineStart] !== 0x48 /* H */)
          throw new ResponseParseError('not an HTTP response');
        status = (b[lineStart + 9]! - 48) * 100 + (b[lineStart + 10]! - 48) * 10 + (b[lineStart + 11]! - 48);
        if (!(status >= 100 && status <= 999)) throw new ResponseParseError('bad status line');
        // HTTP/1.0 closes unless it says keep-alive; the client only sends 1.1, so treat 1.0 as close.
        close = b[lineStart + 7] === 48;
        first = false;
      } else if (lineEnd === lineStart) {
        if (status >= 100 && status < 200 && status !== 101) {
          // An interim response (100 Continue, 103 Early Hints): the real one follows.
          lineStart = i + 1;
          first = true;
          contentLength = -1;
          chunked = false;
          continue;
        }
        this.status = status;
        this.close = close;
        if (this.headRequest || status === 204 || status === 304 || (status >= 100 && status < 200)) {
          this.state = State.Length;
          this.remaining = 0;
        } else if (chunked) {
          this.state = State.ChunkSize;
          this.remaining = 0;
        } else if (contentLength >= 0) {
          this.state = State.Length;
          this.remaining = contentLength;
        } else {
          this.state = State.UntilClose;
          this.close = true;
        }
        return i + 1;
      } else {
        const c = b[lineStart]! | 0x20;
        if (c === 0x63 /* c */) {
          if (startsWithLower(b, lineStart, lineEnd, CONTENT_LENGTH)) {
            contentLength = parseDecimal(b, lineStart + CONTENT_LENGTH.length, lineEnd);
          } else if (startsWithLower(b, lineStart, lineEnd, CONNECTION)) {
            if (valueHasToken(b, lineStart + CONNECTION.length, lineEnd, CLOSE)) close = true;
          }
        } else if (c === 0x74 /* t */ && startsWithLower(b, lineStart, lineEnd, TRANSFER_ENCODING)) {
          if (valueHasToken(b, lineStart + TRANSFER_ENCODING.length, lineEnd, CHUNKED)) chunked = true;
        }
      }
      lineStart = i + 1;
    }
    if (end - start > MAX_HEAD_BYTES) throw new ResponseParseError(`response head longer than ${MAX_HEAD_BYTES} bytes`);
    return -1;
  }
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function parseDecimal(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c === 32 || c === 9) continue;
    if (c < 48 || c > 57) throw new ResponseParseError('bad Content-Length');
    n = n * 10 + (c - 48);
    digits++;
  }
  if (digits === 0 || n > Number.MAX_SAFE_INTEGER) throw new ResponseParseError('bad Content-Length');
  return n;
}
