// pcap-parser@0.2.1 ships no types. This declares only what src/capture/pcap.ts uses,
// with the event and field names taken from node_modules/pcap-parser/lib/pcap-parser.js.
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';

  export interface PcapGlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PcapPacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface PcapPacket {
    header: PcapPacketHeader;
    data: Buffer;
  }

  // Emits 'globalHeader' (PcapGlobalHeader), 'packetHeader', 'packetData',
  // 'packet' (PcapPacket), 'end' and 'error' (Error).
  export function parse(input: string | NodeJS.ReadableStream): EventEmitter;
}
