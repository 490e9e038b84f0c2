// capture.pcapng of --out: every capture point's pcap merged into one file, one interface per
// point named like the hop ("w1/eth0", "underlay/br0"), packets in timestamp order with their
// timestamps as captured. The per-point pcaps stay as they are (the --out contract).
import { writeFile } from 'node:fs/promises';
import { readPcapRecords } from './pcap.js';
import { writePcapng, type PcapngInterface, type PcapngPacket } from './pcapng.js';

export interface CapturePoint {
  /** The hop name of the point: "<namespace>/<interface>". */
  at: string;
  /** Its pcap file. */
  file: string;
  /** Where it really is (e.g. the network namespace), for the interface's description. */
  description?: string;
}

/** Reads the points' pcaps and returns the merged pcapng image. */
export async function mergeCaptures(points: CapturePoint[], comment?: string): Promise<Buffer> {
  const interfaces: PcapngInterface[] = [];
  const packets: (PcapngPacket & { order: number })[] = [];
  for (const p of points) {
    const { linkType, records } = await readPcapRecords(p.file);
    const interfaceId = interfaces.length;
    interfaces.push({ name: p.at, linkType, ...(p.description ? { description: p.description } : {}) });
    for (const r of records)
      packets.push({ interfaceId, timestampMicros: r.seconds * 1_000_000 + r.micros, data: r.data, originalLength: r.originalLength, order: packets.length });
  }
  // Stable: packets with the same timestamp keep the order of the points, then of their file.
  packets.sort((a, b) => a.timestampMicros - b.timestampMicros || a.order - b.order);
  return writePcapng({ interfaces, packets, ...(comment ? { comment } : {}) });
}

export async function writeMergedCapture(file: string, points: CapturePoint[], comment?: string): Promise<void> {
  await writeFile(file, await mergeCaptures(points, comment));
}
