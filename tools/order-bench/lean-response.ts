/**
 * A minimal HTTP/1.x response reader for the lean client: status line, the three headers that
 * frame a response (content-length, transfer-encoding, connection) and the body bytes. It works
 * on raw bytes so that the common case — a whole response in one packet — allocates nothing but
 * a view of the body. One response at a time: the client never pipelines.
 */

export class ProtocolError extends Error {
  readonly code = 'LEAN_PROTOCOL';
}

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const SPACE = 0x20;
const TAB = 0x09;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const MAX_HEAD = 64 * 1024;

const enum State {
  Head,
  Length,
  Chunked,
  ChunkData,
  ChunkCrlf,
  Trailer,
  UntilClose,
  Done,
}

/** Header names as lower-case bytes, compared without allocating a string per header. */
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');

function nameIs(buf: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let b = buf[start + i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== name[i]) return false;
  }
  return true;
}

/** Case-insensitive search for an ASCII lower-case `word` in buf[start, end). */
function containsWord(buf: Buffer, start: number, end: number, word: string): boolean {
  outer: for (let i = start; i + word.length <= end; i++) {
    for (let j = 0; j < word.length; j++) {
      let b = buf[i + j]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      if (b !== word.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

export class ResponseParser {
  status = 0;
  /** False when the server said `connection: close`, spoke HTTP/1.0, or framed the body by closing. */
  keepAlive = true;
  /** The whole body once done, if asked for; a view into the last packet when it arrived in one. */
  body: Buffer | null = null;
  /** Bytes arrived after the end of the response: the connection is out of step and must not be reused. */
  trailing = false;

  private state = State.Head;
  private keepBody = false;
  private head: Buffer | null = null;
  private remaining = 0;
  private chunkSize = 0;
  private chunkExt = false;
  private lineLength = 0;
  /** A body split over packets: copied into `parts`, joined at the end. */
  private parts: Buffer[] | null = null;

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Readies the parser for the next response; `keepBody` false counts body bytes without keeping them. */
  reset(keepBody: boolean): void {
    this.status = 0;
    this.keepAlive = true;
    this.body = null;
    this.trailing = false;
    this.state = State.Head;
    this.keepBody = keepBody;
    this.head = null;
    this.remaining = 0;
    this.parts = null;
  }

  /**
   * Feeds data[start, end) and returns true once the whole response has been read. The data may
   * be a reused read buffer: whatever must outlive this call is copied.
   */
  push(data: Buffer, start = 0, end = data.length): boolean {
    let pos = start;
    if (this.state === State.Head) {
      let buf = data;
      let from = start;
      let limit = end;
      let searchFrom = start;
      if (this.head !== null) {
        // Rare: the head was split across packets. Join it with the new bytes (a copy).
        searchFrom = Math.max(0, this.head.length - 3);
        buf = Buffer.concat([this.head, data.subarray(start, end)]);
        from = 0;
        limit = buf.length;
      }
      const at = buf.indexOf(HEAD_END, searchFrom);
      if (at < 0 || at + 4 > limit) {
        if (limit - from > MAX_HEAD) throw new ProtocolError('response head larger than 64 KiB');
        this.head = buf === data ? Buffer.from(data.subarray(from, limit)) : buf;
        return false;
      }
      this.parseHead(buf, from, at);
      this.head = null;
      pos = at + 4;
      if (buf !== data) {
        data = buf;
        end = limit;
      }
    }
    while (this.state !== State.Done) {
      if (pos >= end) {
        return false;
      }
      pos = this.step(data, pos, end);
    }
    if (pos < end) {
      this.trailing = true;
      this.keepAlive = false;
    }
    return true;
  }

  /** The peer closed the connection: ends a body framed by the close; true if the response is now complete. */
  end(): boolean {
    if (this.state === State.UntilClose) {
      this.finishBody();
      return true;
    }
    return this.state === State.Done;
  }

  private parseHead(buf: Buffer, start: number, headEnd: number): void {
    // "HTTP/1.x NNN reason"
    if (headEnd - start < 12 || buf[start] !== 0x48 || buf[start + 4] !== 0x2f || buf[start + 8] !== SPACE) {
      throw new ProtocolError('not an HTTP/1.x status line');
    }
    const d0 = buf[start + 9]! - 0x30;
    const d1 = buf[start + 10]! - 0x30;
    const d2 = buf[start + 11]! - 0x30;
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw new ProtocolError('bad status code');
    this.status = d0 * 100 + d1 * 10 + d2;
    this.keepAlive = buf[start + 7] === 0x31; // HTTP/1.1 keeps the connection unless told otherwise
    let length = -1;
    let chunked = false;
    let line = buf.indexOf(LF, start) + 1;
    while (line > 0 && line < headEnd) {
      let lineEnd = buf.indexOf(LF, line);
      if (lineEnd < 0 || lineEnd > headEnd) lineEnd = headEnd;
      const colon = buf.indexOf(COLON, line);
      if (colon > 0 && colon < lineEnd) {
        let v = colon + 1;
        let ve = lineEnd;
        if (ve > v && buf[ve - 1] === CR) ve--;
        while (v < ve && (buf[v] === SPACE || buf[v] === TAB)) v++;
        while (ve > v && (buf[ve - 1] === SPACE || buf[ve - 1] === TAB)) ve--;
        if (nameIs(buf, line, colon, CONTENT_LENGTH)) {
          length = 0;
          if (v === ve) throw new ProtocolError('empty content-length');
          for (let i = v; i < ve; i++) {
            const digit = buf[i]! - 0x30;
            if (digit < 0 || digit > 9) throw new ProtocolError('bad content-length');
            length = length * 10 + digit;
          }
        } else if (nameIs(buf, line, colon, TRANSFER_ENCODING)) {
          chunked = containsWord(buf, v, ve, 'chunked');
        } else if (nameIs(buf, line, colon, CONNECTION)) {
          if (containsWord(buf, v, ve, 'close')) this.keepAlive = false;
          else if (containsWord(buf, v, ve, 'keep-alive')) this.keepAlive = true;
        }
      }
      line = lineEnd + 1;
    }
    if (this.status < 200 || this.status === 204 || this.status === 304) {
      // 1xx are never asked for (no Expect header); treat them as bodyless, as 204 and 304 are.
      this.finishBody();
    } else if (chunked) {
      this.state = State.Chunked;
      this.chunkSize = 0;
      this.chunkExt = false;
    } else if (length >= 0) {
      this.remaining = length;
      this.state = State.Length;
      if (length === 0) this.finishBody();
    } else {
      this.keepAlive = false;
      this.state = State.UntilClose;
    }
  }

  /** Consumes body bytes from data[pos, end) in the current state; returns the new position. */
  private step(data: Buffer, pos: number, end: number): number {
    switch (this.state) {
      case State.Length: {
        const n = Math.min(this.remaining, end - pos);
        if (this.keepBody) {
          if (n === this.remaining && this.parts === null) {
            // The whole body in this packet: a view, no copy.
            this.body = data.subarray(pos, pos + n);
            this.state = State.Done;
            return pos + n;
          }
          this.keep(data, pos, pos + n);
        }
        this.remaining -= n;
        if (this.remaining === 0) this.finishBody();
        return pos + n;
      }
      case State.UntilClose:
        if (this.keepBody) this.keep(data, pos, end);
        return end;
      case State.Chunked: {
        const b = data[pos]!;
        if (b === LF) {
          if (this.chunkSize === 0) {
            this.state = State.Trailer;
            this.lineLength = 0;
          } else {
            this.remaining = this.chunkSize;
            this.state = State.ChunkData;
          }
        } else if (b === 0x3b) {
          this.chunkExt = true;
        } else if (!this.chunkExt && b !== CR && b !== SPACE && b !== TAB) {
          const v = hexValue(b);
          if (v < 0) throw new ProtocolError('bad chunk size');
          this.chunkSize = this.chunkSize * 16 + v;
          if (this.chunkSize > 0x7fffffff) throw new ProtocolError('chunk too large');
        }
        return pos + 1;
      }
      case State.ChunkData: {
        const n = Math.min(this.remaining, end - pos);
        if (this.keepBody) this.keep(data, pos, pos + n);
        this.remaining -= n;
        if (this.remaining === 0) this.state = State.ChunkCrlf;
        return pos + n;
      }
      case State.ChunkCrlf:
        if (data[pos] === LF) {
          this.state = State.Chunked;
          this.chunkSize = 0;
          this.chunkExt = false;
        }
        return pos + 1;
      case State.Trailer: {
        const b = data[pos]!;
        if (b === LF) {
          if (this.lineLength === 0) this.finishBody();
          this.lineLength = 0;
        } else if (b !== CR) {
          this.lineLength++;
        }
        return pos + 1;
      }
      default:
        throw new ProtocolError('parser in no body state');
    }
  }

  private keep(data: Buffer, from: number, to: number): void {
    if (to <= from) return;
    (this.parts ??= []).push(Buffer.from(data.subarray(from, to)));
  }

  private finishBody(): void {
    if (this.keepBody && this.body === null) {
      const parts = this.parts;
      this.body = parts === null ? Buffer.alloc(0) : parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    }
    this.parts = null;
    this.state = State.Done;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && (buf[i] === SPACE || buf[i] === TAB || buf[i] === CR || buf[i] === LF)) i++;
  return i;
}

/**
 * The string value of `"key":` in a JSON body, found by byte search instead of parsing the whole
 * reply. `quotedKey` is the key with its quotes, as bytes. Returns null when the key is absent or
 * its value is not a string. Fine for the flat replies the benchmark reads (`{"message":…,"order_id":…}`).
 */
export function jsonStringField(body: Buffer, quotedKey: Buffer): string | null {
  let from = 0;
  for (;;) {
    const at = body.indexOf(quotedKey, from);
    if (at < 0) return null;
    let i = skipSpace(body, at + quotedKey.length);
    from = at + 1;
    // The key text may also occur as a value; only a key is followed by a colon.
    if (body[i] !== COLON) continue;
    i = skipSpace(body, i + 1);
    if (body[i] !== QUOTE) return null;
    const start = i + 1;
    let escaped = false;
    for (let j = start; j < body.length; j++) {
      const b = body[j]!;
      if (b === BACKSLASH) {
        escaped = true;
        j++;
      } else if (b === QUOTE) {
        // Escapes are rare in ids; let JSON.parse decode them rather than re-implement it.
        return escaped ? (JSON.parse(body.toString('utf8', start - 1, j + 1)) as string) : body.toString('utf8', start, j);
      }
    }
    return null;
  }
}
