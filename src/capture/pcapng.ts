// pcapng (draft-ietf-opsawg-pcapng): one file holding several capture points, each an
// interface with its own name and link type, so Wireshark shows "w1/eth0" or "underlay/br0"
// on every frame and a person follows one packet across hops in one file. Pure: bytes in,
// bytes out (capture/merge.ts reads the per-point pcaps and writes the file).
// Written little-endian with microsecond timestamps (the default if_tsresol, what tcpdump's
// pcaps carry), so timestamps are kept exactly.
import { Buffer } from 'node:buffer';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const SPB = 0x00000003;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const SNAPLEN = 262144;

export interface PcapngInterface {
  /** Shown by Wireshark as frame.interface_name, e.g. "w1/eth0". */
  name: string;
  /** LINKTYPE_*: 1 Ethernet, 101 raw IP (tunl0). */
  linkType: number;
  description?: string;
}

export interface PcapngPacket {
  /** Index into the interfaces. */
  interfaceId: number;
  /** Microseconds since the epoch (an integer below 2^53). */
  timestampMicros: number;
  data: Buffer;
  /** The length on the wire, when the capture kept less (default: data.length). */
  originalLength?: number;
}

export interface Pcapng {
  interfaces: PcapngInterface[];
  packets: PcapngPacket[];
  /** The section's comment (e.g. which lab and run). */
  comment?: string;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** One option: code, length, value padded to 32 bits. */
function option(code: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(code, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad4(value.length))]);
}

function options(list: [number, Buffer][]): Buffer {
  if (list.length === 0) return Buffer.alloc(0);
  return Buffer.concat([...list.map(([c, v]) => option(c, v)), Buffer.alloc(4) /* opt_endofopt */]);
}

/** A block: type, total length, body, total length again. */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(total, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(total, 0);
  return Buffer.concat([head, body, tail]);
}

export function writePcapng(file: Pcapng): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeBigInt64LE(-1n, 8); // section length: not given
  const shbOpts: [number, Buffer][] = [[SHB_USERAPPL, Buffer.from('wirelab')]];
  if (file.comment) shbOpts.push([OPT_COMMENT, Buffer.from(file.comment)]);
  const blocks: Buffer[] = [block(SHB, Buffer.concat([shb, options(shbOpts)]))];
  for (const i of file.interfaces) {
    const body = Buffer.alloc(8);
    body.writeUInt16LE(i.linkType, 0);
    body.writeUInt32LE(SNAPLEN, 4);
    const opts: [number, Buffer][] = [[IF_NAME, Buffer.from(i.name)]];
    if (i.description) opts.push([IF_DESCRIPTION, Buffer.from(i.description)]);
    opts.push([IF_TSRESOL, Buffer.from([6])]);
    blocks.push(block(IDB, Buffer.concat([body, options(opts)])));
  }
  for (const p of file.packets) {
    if (p.interfaceId < 0 || p.interfaceId >= file.interfaces.length) throw new Error(`packet on interface ${p.interfaceId}, which is not declared`);
    const head = Buffer.alloc(20);
    const ts = BigInt(Math.round(p.timestampMicros));
    head.writeUInt32LE(p.interfaceId, 0);
    head.writeUInt32LE(Number(ts >> 32n), 4);
    head.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    head.writeUInt32LE(p.data.length, 12);
    head.writeUInt32LE(Math.max(p.originalLength ?? p.data.length, p.data.length), 16);
    blocks.push(block(EPB, Buffer.concat([head, p.data, Buffer.alloc(pad4(p.data.length))])));
  }
  return Buffer.concat(blocks);
}

/** The options of a block, by code (the first of each code). */
function readOptions(buf: Buffer, start: number, end: number, le: boolean): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = start;
  while (at + 4 <= end) {
    const code = le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
    const len = le ? buf.readUInt16LE(at + 2) : buf.readUInt16BE(at + 2);
    if (code === OPT_END || at + 4 + len > end) break;
    if (!out.has(code)) out.set(code, buf.subarray(at + 4, at + 4 + len));
    at += 4 + len + pad4(len);
  }
  return out;
}

/** Microseconds per timestamp unit for an if_tsresol value (default 10^-6). */
function microsPerUnit(tsresol: Buffer | undefined): number {
  if (!tsresol || tsresol.length < 1) return 1;
  const v = tsresol[0];
  const exp = v & 0x7f;
  const unitSeconds = v & 0x80 ? 2 ** -exp : 10 ** -exp;
  return unitSeconds * 1e6;
}

/**
 * Reads a pcapng file: its interfaces (name, link type) and its packets (Enhanced and Simple
 * Packet Blocks) in file order; other blocks are skipped. Either byte order; one or more
 * sections (interface ids restart in each, as the format says). Throws on a malformed block.
 */
export function readPcapng(buf: Buffer): Pcapng {
  const interfaces: PcapngInterface[] = [];
  const packets: PcapngPacket[] = [];
  const scales: number[] = [];
  let comment: string | undefined;
  let le = true;
  let base = 0; // index of the current section's first interface
  let at = 0;
  while (at + 12 <= buf.length) {
    const typeLe = buf.readUInt32LE(at);
    if (typeLe === SHB) {
      const magic = buf.readUInt32LE(at + 8);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (magic === 0x4d3c2b1a) le = false;
      else throw new Error(`pcapng: bad byte-order magic 0x${magic.toString(16)} at offset ${at}`);
      base = interfaces.length;
    }
    const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const type = u32(at);
    const total = u32(at + 4);
    if (total < 12 || total % 4 !== 0 || at + total > buf.length) throw new Error(`pcapng: block of type ${type} at offset ${at} has a bad length ${total}`);
    if (u32(at + total - 4) !== total) throw new Error(`pcapng: block at offset ${at}: the trailing length differs from the leading one`);
    const body = at + 8;
    const end = at + total - 4;
    if (type === SHB) {
      comment ??= readOptions(buf, body + 16, end, le)
        .get(OPT_COMMENT)
        ?.toString();
    } else if (type === IDB) {
      const opts = readOptions(buf, body + 8, end, le);
      interfaces.push({
        name: opts.get(IF_NAME)?.toString() ?? `interface ${interfaces.length - base}`,
        linkType: u16(body),
        ...(opts.has(IF_DESCRIPTION) ? { description: opts.get(IF_DESCRIPTION)!.toString() } : {}),
      });
      scales.push(microsPerUnit(opts.get(IF_TSRESOL)));
    } else if (type === EPB) {
      const id = base + u32(body);
      if (id >= interfaces.length) throw new Error(`pcapng: packet at offset ${at} on undeclared interface ${u32(body)}`);
      const ts = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
      const captured = u32(body + 12);
      packets.push({
        interfaceId: id,
        timestampMicros: Number(ts) * scales[id],
        data: Buffer.from(buf.subarray(body + 20, body + 20 + captured)),
        originalLength: u32(body + 16),
      });
    } else if (type === SPB) {
      // A Simple Packet Block: interface 0 of the section, no timestamp, data up to the padding.
      const original = u32(body);
      const captured = Math.min(original, end - body - 4);
      packets.push({ interfaceId: base, timestampMicros: 0, data: Buffer.from(buf.subarray(body + 4, body + 4 + captured)), originalLength: original });
    }
    at += total;
  }
  return { interfaces, packets, ...(comment !== undefined ? { comment } : {}) };
}
