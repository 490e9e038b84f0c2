// Which probe an expectation sends, from where to where: names resolved to addresses through the
// model, the port of a named service, the resolver of the sender for a DNS query, the certificate
// an HTTPS request is verified against. Pure.
import type { SendSpec } from '../labfile/schema.js';
import type { ClusterModel } from '../model/types.js';
import type { AddressBook } from '../model/address-book.js';
import { caFileFor } from '../plan/ingress/controller.js';
import { buildProbe, type Probe } from './probe.js';

export function probeFor(send: SendSpec, model: ClusterModel, book: AddressBook): Probe {
  const to = send.to ?? send.dns?.server;
  const port = send.http?.port ?? send.tcp?.port ?? (to ? book.servicePort(to) : undefined);
  // A DNS query without a server goes where the sender's resolv.conf points.
  const dst = to ? book.resolve(to) : book.resolverOf(send.from);
  // Traffic to a loopback address leaves from the loopback address, inside the sender.
  const src = dst.startsWith('127.') ? '127.0.0.1' : book.resolve(send.from);
  // HTTPS is verified against the certificate generated for the host (self-signed: it is its
  // own CA), so a certificate that does not name the host fails the request.
  const host = send.http?.host;
  return buildProbe(send, src, dst, port, host ? caFileFor(model, host) : undefined);
}
