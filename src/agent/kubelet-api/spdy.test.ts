import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { constants, createDeflate, createInflate } from 'node:zlib';
import {
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  FLAG_FIN,
  FRAME,
  FrameReader,
  HEADER_DICTIONARY,
  SpdySession,
  type SpdyStream,
} from './spdy.js';

/** zlib with the dictionary, flushed per block, as spdystream compresses (one context per side). */
function codec(kind: 'deflate' | 'inflate') {
  const z = kind === 'deflate' ? createDeflate({ dictionary: HEADER_DICTIONARY }) : createInflate({ dictionary: HEADER_DICTIONARY });
  const out: Buffer[] = [];
  z.on('data', (d: Buffer) => out.push(d));
  return (b: Buffer) => new Promise<Buffer>((resolve) => (z.write(b), z.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))))));
}

/** A client end and the server's socket, joined back to back. */
function pipePair(): { client: { write(b: Buffer): void; frames: () => Promise<ReturnType<FrameReader['push']>> }; socket: Duplex } {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const socket = Duplex.from({ readable: toServer, writable: toClient });
  const reader = new FrameReader();
  const got: ReturnType<FrameReader['push']> = [];
  toClient.on('data', (d: Buffer) => got.push(...reader.push(d)));
  return {
    client: { write: (b) => toServer.write(b), frames: async () => (await new Promise((r) => setTimeout(r, 20)), got.splice(0)) },
    socket,
  };
}

describe('SPDY/3.1 framing', () => {
  it('has the header dictionary of the spec (as moby/spdystream v0.5.0 spdy/dictionary.go holds it)', () => {
    expect(HEADER_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(HEADER_DICTIONARY).digest('hex')).toBe('51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
  });

  it('encodes and decodes name/value header blocks with lower-case names', () => {
    const block = encodeHeaderBlock({ StreamType: 'stdout', port: '80' });
    expect(block.readUInt32BE(0)).toBe(2);
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: 'stdout', port: '80' });
  });

  it('splits frames however the bytes arrive', () => {
    const bytes = Buffer.concat([controlFrame(FRAME.ping, 0, Buffer.from([0, 0, 0, 1])), dataFrame(3, FLAG_FIN, Buffer.from('hi'))]);
    const r = new FrameReader();
    const frames = [...r.push(bytes.subarray(0, 5)), ...r.push(bytes.subarray(5, 13)), ...r.push(bytes.subarray(13))];
    expect(frames).toEqual([
      { control: true, type: FRAME.ping, flags: 0, payload: Buffer.from([0, 0, 0, 1]) },
      { control: false, streamId: 3, flags: FLAG_FIN, payload: Buffer.from('hi') },
    ]);
  });

  it('answers SYN_STREAM with SYN_REPLY, carries DATA both ways with FIN, echoes PING, ends with GOAWAY', async () => {
    const { client, socket } = pipePair();
    const session = new SpdySession(socket);
    const streams: SpdyStream[] = [];
    session.on('stream', (s: SpdyStream) => streams.push(s));
    const deflate = codec('deflate');
    const inflate = codec('inflate');
    for (const [id, type] of [
      [1, 'error'],
      [3, 'stdout'],
    ] as const) {
      const head = Buffer.alloc(10);
      head.writeUInt32BE(id, 0);
      client.write(controlFrame(FRAME.synStream, 0, Buffer.concat([head, await deflate(encodeHeaderBlock({ streamType: type }))])));
    }
    await client.frames();
    expect(streams.map((s) => [s.id, s.headers.streamtype])).toEqual([
      [1, 'error'],
      [3, 'stdout'],
    ]);
    await Promise.all(streams.map((s) => s.reply()));
    const replies = await client.frames();
    expect(replies.map((f) => (f.control ? [f.type, f.payload.readUInt32BE(0)] : []))).toEqual([
      [FRAME.synReply, 1],
      [FRAME.synReply, 3],
    ]);
    // Each reply's header block inflates in the one context of the session: zero headers.
    for (const f of replies) expect(decodeHeaderBlock(await inflate(f.payload.subarray(4)))).toEqual({});

    const received: string[] = [];
    streams[1].on('data', (d: Buffer) => received.push(d.toString()));
    const ended = new Promise((r) => streams[1].on('end', r));
    client.write(dataFrame(3, 0, Buffer.from('in')));
    client.write(dataFrame(3, FLAG_FIN, Buffer.alloc(0)));
    await ended;
    expect(received).toEqual(['in']);
    streams[1].end('out');
    await new Promise((r) => setTimeout(r, 20));
    const out = await client.frames();
    expect(out.filter((f) => !f.control).map((f) => (f.control ? '' : `${f.streamId}:${f.flags}:${f.payload}`))).toEqual(['3:0:out', '3:1:']);

    client.write(controlFrame(FRAME.ping, 0, Buffer.from([0, 0, 0, 7])));
    const pong = await client.frames();
    expect(pong).toEqual([{ control: true, type: FRAME.ping, flags: 0, payload: Buffer.from([0, 0, 0, 7]) }]);

    const closed = new Promise((r) => session.on('close', r));
    session.close();
    await closed;
    const last = await client.frames();
    expect(last.map((f) => f.control && f.type)).toEqual([FRAME.goAway]);
  });
});
