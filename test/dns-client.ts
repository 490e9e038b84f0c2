// A DNS query over UDP to 127.0.0.1 for tests of CoreDNS itself (dns-packet encodes and decodes).
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsReply {
  rcode: string;
  response: boolean;
  /** A record addresses of the answer section. */
  a: string[];
  /** TXT strings of the answer section. */
  txt: string[];
}

const RCODE_NUMBER: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

export function rcodeNumber(rcode: string): number {
  return RCODE_NUMBER[rcode] ?? -1;
}

/** Resolves with the decoded reply, or null when nothing answers within timeoutMs. */
export function queryUdp(
  port: number,
  name: string,
  type: dnsPacket.RecordType = 'A',
  klass: dnsPacket.RecordClass = 'IN',
  timeoutMs = 1000,
): Promise<DnsReply | null> {
  const id = Math.floor(Math.random() * 0xffff);
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: klass }] });
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: DnsReply | null) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('error', () => done(null));
    sock.on('message', (msg) => {
      const p = dnsPacket.decode(msg);
      if (p.id !== id) return;
      const answers = (p.answers ?? []) as { type: string; data?: unknown }[];
      done({
        rcode: (p as { rcode?: string }).rcode ?? 'NOERROR',
        response: p.type === 'response',
        a: answers.filter((x) => x.type === 'A').map((x) => String(x.data)),
        txt: answers
          .filter((x) => x.type === 'TXT')
          .flatMap((x) => (Array.isArray(x.data) ? x.data : [x.data]).map((d) => (Buffer.isBuffer(d) ? d.toString('utf8') : String(d)))),
      });
    });
    sock.send(query, port, '127.0.0.1', (err) => {
      if (err) done(null);
    });
  });
}
