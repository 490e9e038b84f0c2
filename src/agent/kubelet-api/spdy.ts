// SPDY/3.1 (draft-mbelshe-httpbis-spdy-00), the server side, as much of it as the API server's
// client speaks to a kubelet: the API server reaches a kubelet's exec, attach and port-forward
// over SPDY even when kubectl talks WebSocket to the API server (its stream translator and
// tunneling handler turn WebSocket into SPDY, k8s.io/apiserver/pkg/util/proxy at v0.34.2).
// The client is moby/spdystream v0.5.0 (k8s.io/apimachinery/pkg/util/httpstream/spdy): it opens
// every stream itself (SYN_STREAM, odd ids) and waits for each SYN_REPLY; it does no flow
// control (WINDOW_UPDATE and SETTINGS are neither needed nor understood: it fails on frames it
// does not know, so this side never sends them). Header blocks are zlib-compressed with the
// spec's dictionary, one compression context per direction for the whole session.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const VERSION = 3;
export const FRAME = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;
/** RST_STREAM status codes (section 2.4.2). */
export const RST = { protocolError: 1, cancel: 5 } as const;

/** The header-compression dictionary of SPDY/3 (section 2.6.10.1): length-prefixed names and
 * values, then a run of status codes, dates and common values. */
const DICTIONARY_WORDS = [
  ...'options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age allow authorization cache-control connection content-base content-encoding content-language content-length content-location content-md5 content-range content-type date etag expect expires from host if-match if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate method get status'.split(
    ' ',
  ),
  '200 OK',
  'version',
  'HTTP/1.1',
  ...'url public set-cookie keep-alive origin'.split(' '),
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found' +
  '500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch' +
  'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
export const HEADER_DICTIONARY = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

export type Headers = Record<string, string>;

/** A name/value header block (before compression): count, then length-prefixed pairs. */
export function encodeHeaderBlock(h: Headers): Buffer {
  const parts: Buffer[] = [u32(Object.keys(h).length)];
  for (const [k, v] of Object.entries(h)) {
    const name = Buffer.from(k.toLowerCase(), 'utf8');
    const value = Buffer.from(v, 'utf8');
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): Headers {
  const out: Headers = {};
  let off = 4;
  const n = b.readUInt32BE(0);
  for (let i = 0; i < n; i++) {
    const nl = b.readUInt32BE(off);
    const name = b.subarray(off + 4, off + 4 + nl).toString('utf8');
    off += 4 + nl;
    const vl = b.readUInt32BE(off);
    out[name.toLowerCase()] = b.subarray(off + 4, off + 4 + vl).toString('utf8');
    off += 4 + vl;
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export type Frame = { control: true; type: number; flags: number; payload: Buffer } | { control: false; streamId: number; flags: number; payload: Buffer };

/** Splits a byte stream into frames; keeps what is left of an incomplete one. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4];
      const payload = this.buf.subarray(8, 8 + len);
      if (this.buf[0] & 0x80) frames.push({ control: true, type: this.buf.readUInt16BE(2), flags, payload });
      else frames.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, payload });
      this.buf = this.buf.subarray(8 + len);
    }
    return frames;
  }
}

/** One zlib context of a session's direction, flushed after every header block. */
class HeaderCodec {
  private readonly z: Deflate | Inflate;
  private readonly out: Buffer[] = [];
  constructor(kind: 'deflate' | 'inflate') {
    this.z = kind === 'deflate' ? createDeflate({ dictionary: HEADER_DICTIONARY }) : createInflate({ dictionary: HEADER_DICTIONARY });
    this.z.on('data', (d: Buffer) => this.out.push(d));
  }
  run(input: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.z.once('error', onError);
      this.z.write(input);
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', onError);
        resolve(Buffer.concat(this.out.splice(0)));
      });
    });
  }
  close(): void {
    this.z.destroy();
  }
}

/** A stream the client opened: its headers, and a duplex of its DATA frames (end() sends FIN). */
export class SpdyStream extends Duplex {
  private replied = false;
  constructor(
    readonly id: number,
    readonly headers: Headers,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
  }
  /** SYN_REPLY: the client's CreateStream waits for it. */
  reply(): Promise<void> {
    if (this.replied) return Promise.resolve();
    this.replied = true;
    return this.session.sendReply(this.id);
  }
  /** RST_STREAM: abandon the stream. */
  reset(status: number = RST.cancel): void {
    this.session.sendReset(this.id, status);
    this.destroy();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false).then(() => cb(), cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true).then(() => cb(), cb);
  }
}

/** The server side of a SPDY session on an upgraded connection. Emits 'stream' (SpdyStream)
 * for every SYN_STREAM and 'close' once the connection is gone. */
export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly inflate = new HeaderCodec('inflate');
  private readonly deflate = new HeaderCodec('deflate');
  private readonly streams = new Map<number, SpdyStream>();
  private lastStreamId = 0;
  /** Frames are handled, and written, strictly in order (header blocks share a zlib context). */
  private incoming: Promise<void> = Promise.resolve();
  private outgoing: Promise<void> = Promise.resolve();
  private closed = false;
  private tornDown = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (e) {
        return this.fail(e as Error);
      }
      for (const f of frames) this.incoming = this.incoming.then(() => this.handle(f)).catch((e: Error) => this.fail(e));
    });
    socket.on('close', () => this.teardown());
    socket.on('error', () => this.teardown());
  }

  private fail(e: Error): void {
    this.emit('protocolError', e);
    this.close();
  }

  private async handle(f: Frame): Promise<void> {
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (!s) return;
      if (f.payload.length > 0) s.push(Buffer.from(f.payload));
      if (f.flags & FLAG_FIN) s.push(null);
      return;
    }
    switch (f.type) {
      case FRAME.synStream: {
        const id = f.payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(f.payload.subarray(10)));
        const s = new SpdyStream(id, headers, this);
        this.streams.set(id, s);
        this.lastStreamId = Math.max(this.lastStreamId, id);
        s.on('close', () => this.streams.delete(id));
        if (f.flags & FLAG_FIN) s.push(null);
        this.emit('stream', s);
        return;
      }
      case FRAME.headers:
        // A header block still has to go through the shared zlib context.
        await this.inflate.run(f.payload.subarray(4));
        return;
      case FRAME.rstStream: {
        const s = this.streams.get(f.payload.readUInt32BE(0) & 0x7fffffff);
        s?.push(null);
        s?.destroy();
        return;
      }
      case FRAME.ping:
        // The client's pings have odd ids: answer with the same frame.
        this.write(controlFrame(FRAME.ping, 0, Buffer.from(f.payload)));
        return;
      case FRAME.goAway:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE: no flow control on either side.
        return;
    }
  }

  private write(frame: Buffer | (() => Promise<Buffer>)): Promise<void> {
    this.outgoing = this.outgoing.then(async () => {
      if (this.closed) return;
      const bytes = typeof frame === 'function' ? await frame() : frame;
      if (!this.closed) this.socket.write(bytes);
    });
    return this.outgoing;
  }

  sendReply(id: number): Promise<void> {
    return this.write(async () => controlFrame(FRAME.synReply, 0, Buffer.concat([u32(id), await this.deflate.run(encodeHeaderBlock({}))])));
  }

  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    // Frames of at most 32 KiB, as spdystream writes them; FIN on the last (or an empty one).
    const frames: Buffer[] = [];
    let off = 0;
    do {
      const part = data.subarray(off, off + 32768);
      off += part.length;
      frames.push(dataFrame(id, fin && off >= data.length ? FLAG_FIN : 0, part));
    } while (off < data.length);
    return this.write(Buffer.concat(frames));
  }

  sendReset(id: number, status: number): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(id & 0x7fffffff, 0);
    p.writeUInt32BE(status, 4);
    void this.write(controlFrame(FRAME.rstStream, 0, p));
  }

  /** GOAWAY, then the connection ends once what was queued is written. */
  close(): void {
    if (this.closed) return;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(this.lastStreamId, 0);
    void this.write(controlFrame(FRAME.goAway, 0, p)).then(() => {
      this.closed = true;
      this.socket.end();
      this.teardown();
    });
  }

  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.push(null);
      s.destroy();
    }
    this.streams.clear();
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }
}
