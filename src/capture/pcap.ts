// Reading and writing classic (libpcap 2.4) capture files. Reading goes through pcap-parser;
// writing is a few lines, so it is done here to make fixtures that tcpdump and Wireshark open.
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { parse, type PcapGlobalHeader, type PcapPacket } from 'pcap-parser';
import { decodeEthernet, decodeRawIpv4, type DecodeOptions, type DecodedFrame } from './decode.js';

export interface CapturedPacket {
  index: number;
  /** Capture timestamp in ms since the epoch (microsecond precision kept as a fraction). */
  timeMs: number;
  capturedLength: number;
  originalLength: number;
  frame: DecodedFrame;
}

export const LINKTYPE_ETHERNET = 1;
/** Raw IP, no link layer: what tcpdump writes for a tunnel device such as tunl0. */
export const LINKTYPE_RAW = 101;
const LINKTYPE_IPV4 = 228;

// Names for the link types a lab is likely to produce by mistake, to make the error actionable.
const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL/loopback',
  113: 'Linux cooked SLL (tcpdump -i any)',
  276: 'Linux cooked SLL2 (tcpdump -i any)',
};

/** One record of a classic pcap file, undecoded: what merging captures into pcapng needs. */
export interface PcapRecord {
  seconds: number;
  micros: number;
  originalLength: number;
  data: Buffer;
}

/**
 * Reads every record of a classic pcap file with its link type, undecoded. A 0-byte file
 * (tcpdump killed before writing its header), a partial header or a header alone yields no
 * records; a partially written last packet is dropped. Link types other than Ethernet and raw
 * IPv4 throw.
 */
export function readPcapRecords(path: string): Promise<{ linkType: number; records: PcapRecord[] }> {
  return new Promise((resolve, reject) => {
    const records: PcapRecord[] = [];
    let linkType = LINKTYPE_ETHERNET;
    let settled = false;
    // Our own stream, so that on a bad link type we can stop reading instead of decoding on.
    const stream = createReadStream(path);
    const parser = parse(stream);

    const fail = (message: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(new Error(message, cause === undefined ? undefined : { cause }));
    };

    parser.on('globalHeader', (header: PcapGlobalHeader) => {
      linkType = header.linkLayerType;
      if (linkType !== LINKTYPE_ETHERNET && linkType !== LINKTYPE_RAW && linkType !== LINKTYPE_IPV4) {
        const name = LINKTYPE_NAMES[linkType];
        fail(
          `${path}: unsupported pcap link-layer type ${linkType}${name ? ` (${name})` : ''}; ` +
            `only Ethernet (1) and raw IP (101) are supported — capture on a specific interface, not "any"`,
        );
      }
    });
    parser.on('packet', (packet: PcapPacket) => {
      if (settled) return;
      const { header, data } = packet;
      records.push({ seconds: header.timestampSeconds, micros: header.timestampMicroseconds, originalLength: header.originalLength, data });
    });
    parser.on('error', (err: Error) => fail(`${path}: cannot read pcap: ${err.message}`, err));
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      resolve({ linkType, records });
    });
  });
}

/** Decodes one captured frame of a given link type: Ethernet, or raw IPv4 (tunnels). */
export function decodeLinkFrame(linkType: number, data: Buffer, originalLength: number, opts?: DecodeOptions): DecodedFrame {
  return linkType === LINKTYPE_RAW || linkType === LINKTYPE_IPV4 ? decodeRawIpv4(data, opts, originalLength) : decodeEthernet(data, opts, originalLength);
}

/** Reads every packet of a classic pcap file and decodes it (see readPcapRecords). */
export async function readPcapFile(path: string, opts?: DecodeOptions): Promise<CapturedPacket[]> {
  const { linkType, records } = await readPcapRecords(path);
  return records.map((r, index) => ({
    index,
    timeMs: r.seconds * 1000 + r.micros / 1000,
    capturedLength: r.data.length,
    originalLength: r.originalLength,
    frame: decodeLinkFrame(linkType, r.data, r.originalLength, opts),
  }));
}

const SNAPLEN = 262144;

/**
 * Builds a classic pcap file image: magic 0xa1b2c3d4 written little-endian (as libpcap does
 * on x86, bytes d4 c3 b2 a1), version 2.4, snaplen 262144, link type 1 (Ethernet) unless told.
 * timeMs defaults to 0; originalLength defaults to data.length (and is never below it).
 */
export function writePcap(packets: { data: Buffer; timeMs?: number; originalLength?: number }[], linkType = LINKTYPE_ETHERNET): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeInt32LE(0, 8); // thiszone
  global.writeUInt32LE(0, 12); // sigfigs
  global.writeUInt32LE(SNAPLEN, 16);
  global.writeUInt32LE(linkType, 20);

  const chunks: Buffer[] = [global];
  for (const p of packets) {
    const timeMs = p.timeMs ?? 0;
    let seconds = Math.floor(timeMs / 1000);
    let micros = Math.round((timeMs - seconds * 1000) * 1000);
    if (micros >= 1_000_000) {
      seconds += 1;
      micros -= 1_000_000;
    }
    const h = Buffer.alloc(16);
    h.writeUInt32LE(seconds, 0);
    h.writeUInt32LE(micros, 4);
    h.writeUInt32LE(p.data.length, 8);
    h.writeUInt32LE(Math.max(p.originalLength ?? p.data.length, p.data.length), 12);
    chunks.push(h, p.data);
  }
  return Buffer.concat(chunks);
}
